from datetime import date

import yaml

from actions.texts import TEXTS, format_date, format_money, say
from bot.form_rules import rules_yaml


def test_every_text_exists_in_both_languages_with_the_same_placeholders():
    import string

    for key, variants in TEXTS.items():
        assert set(variants) == {"tr", "en"}, key
        fields = [{f for _, f, _, _ in string.Formatter().parse(text) if f} for text in variants.values()]
        assert fields[0] == fields[1], key


def test_dates_and_money_as_shoppers_read_them():
    assert format_date(date(2026, 11, 3), "tr") == "3 Kasım 2026"
    assert format_date(date(2026, 11, 3), "en") == "November 3, 2026"
    assert format_money(189990, "tr") == "1.899,90 TL"
    assert format_money(4990, "en") == "49,90 TL"
    assert say("cancel_done", "en", order_no="400176").startswith("I have cancelled order 400176")


def test_every_form_gets_the_same_interruption_rules():
    rules = yaml.safe_load(rules_yaml("forms:\n  a_form: {}\n  b_form: {}\n"))["rules"]
    for form in ("a_form", "b_form"):
        mine = [r for r in rules if r["condition"] == [{"active_loop": form}]]
        intents = {r["steps"][0]["intent"] for r in mine}
        assert intents == {"faq", "bot_challenge", "out_of_scope", "stop", "request_human", "bot_misunderstood"}
        faq = next(r for r in mine if r["steps"][0]["intent"] == "faq")
        assert faq["steps"][-2:] == [{"action": form}, {"active_loop": form}]
        stop = next(r for r in mine if r["steps"][0]["intent"] == "stop")
        assert stop["steps"][-1] == {"active_loop": None}
