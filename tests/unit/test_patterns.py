from pathlib import Path

import pytest
import yaml

from bot.patterns import find_entities

HELDOUT = Path(__file__).resolve().parents[1] / "nlu" / "heldout.yml"


def found(text):
    return [(m.entity, m.value) for m in find_entities(text)]


@pytest.mark.parametrize("text", [
    "400142", "#400142", "400142'nin durumu", "400142 nolu sipariş", "400142nolu", "sipariş no:400142",
    "(400142)", "siparis400142 nerde", "400142’yi iptal edin",
])
def test_order_numbers_are_found_also_glued_to_suffixes(text):
    assert found(text) == [("order_no", "400142")]


@pytest.mark.parametrize("text", ["05321234567", "1400142", "4001423", "tutar 1.400142", "40014"])
def test_other_numbers_are_not_order_numbers(text):
    assert found(text) == []


def test_return_codes_are_normalised_to_upper_case():
    assert found("İADE-7014 ne oldu, iade-7015 ve IADE 7016") == [
        ("rma_code", "IADE-7014"), ("rma_code", "IADE-7015"), ("rma_code", "IADE-7016")]


def test_emails_are_lower_cased_and_do_not_take_the_full_stop():
    assert found("mailim Ali.Veli+1@Example.com.") == [("email", "ali.veli+1@example.com")]


def test_digits_inside_an_email_are_not_an_order_number():
    assert found("ali400142@example.com") == [("email", "ali400142@example.com")]


@pytest.mark.parametrize("text", ["SKT-2026-000123 ne durumda", "skt 2026 000123 ne oldu", "şikayetim skt2026000123'ün",
                                  "SKT–2026–000123?"])
def test_ticket_codes_are_found_in_any_spelling_and_their_digits_are_no_order_number(text):
    assert [(m.entity, m.value) for m in find_entities(text)] == [("ticket_code", "SKT-2026-000123")]


def test_a_ticket_code_and_an_order_number_in_one_message_are_both_found():
    found = [(m.entity, m.value) for m in find_entities("DST-2026-000045 talebim, sipariş 400142")]
    assert found == [("ticket_code", "DST-2026-000045"), ("order_no", "400142")]


def test_every_entity_of_the_heldout_set_is_found_exactly():
    """Extraction is deterministic, so it can be checked on the whole test set without a model."""
    for row in yaml.safe_load(HELDOUT.read_text(encoding="utf-8")):
        expected = sorted((k, str(v)) for k, v in (row.get("entities") or {}).items())
        assert sorted(set(found(row["text"]))) == expected, row["text"]
