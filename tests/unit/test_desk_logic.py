"""The bridge's pure logic: routing, waiting estimates, support hours, limits, ratings, Rasa replies."""
from datetime import datetime, timezone

import pytest

from bot.desk.surveys import parse_rating
from bot.desk.hours import SupportHours
from bot.desk.limits import ConnectionCount, MemoryLoginThrottle, MessageRate, TokenBucket
from bot.desk.rasa_client import parse_replies
from bot.desk.routing import AgentLoad, estimated_wait_seconds, pick_agent
from bot.desk.shoppers import clean_metadata, clean_text, client_address


def agent(agent_id, languages=("tr",), load=0, max_chats=3, available=True):
    return AgentLoad(agent_id, languages, load, max_chats, available)


class TestRouting:
    def test_the_least_loaded_agent_who_speaks_the_language_gets_the_chat(self):
        agents = [agent(1, load=2), agent(2, ("tr", "en"), load=1), agent(3, load=0)]
        assert pick_agent(agents, "tr") == 3
        assert pick_agent(agents, "en") == 2

    def test_agents_at_their_limit_away_or_who_passed_are_skipped(self):
        agents = [agent(1, load=3), agent(2, available=False), agent(3, load=1)]
        assert pick_agent(agents, "tr") == 3
        assert pick_agent(agents, "tr", skip=[3]) is None
        assert pick_agent(agents, "en") is None

    def test_a_transfer_target_wins_when_free_and_ties_go_to_more_room(self):
        agents = [agent(1, load=1, max_chats=2), agent(2, load=1, max_chats=3), agent(3, load=2)]
        assert pick_agent(agents, "tr") == 2
        assert pick_agent(agents, "tr", prefer=3) == 3
        assert pick_agent([agent(1), agent(3, load=3)], "tr", prefer=3) == 1

    def test_the_wait_grows_with_the_position_and_shrinks_with_agents(self):
        assert estimated_wait_seconds(1, 1, 300) == 300
        assert estimated_wait_seconds(3, 2, 300) == 600
        assert estimated_wait_seconds(2, 0, None) == 480  # no agent online yet: the default handling time
        assert estimated_wait_seconds(1, 1, 2.5) == 60  # quick chats so far: still at least a minute


IST = timezone.utc  # the checks below give UTC moments; Istanbul is UTC+3 all year


class TestSupportHours:
    hours = SupportHours.parse("mon-fri 09:00-22:00, sat-sun 10:00-18:00")

    @pytest.mark.parametrize("utc, is_open", [
        (datetime(2026, 11, 23, 6, 0), True),     # Monday 09:00 in Istanbul
        (datetime(2026, 11, 23, 5, 59), False),   # Monday 08:59
        (datetime(2026, 11, 23, 19, 0), False),   # Monday 22:00: closed
        (datetime(2026, 11, 28, 7, 0), True),     # Saturday 10:00
        (datetime(2026, 11, 28, 15, 0), False),   # Saturday 18:00
        (datetime(2026, 11, 29, 6, 30), False),   # Sunday 09:30
    ])
    def test_the_demo_stores_hours_in_istanbul_time(self, utc, is_open):
        assert self.hours.is_open(utc.replace(tzinfo=IST)) is is_open

    def test_always_never_and_mistakes(self):
        assert SupportHours.parse("always").is_open(datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc))
        assert not SupportHours.parse("never").is_open(datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc))
        assert SupportHours.parse("sun 00:00-24:00").is_open(datetime(2026, 11, 29, 20, 59, tzinfo=timezone.utc))
        with pytest.raises(ValueError, match="not understood"):
            SupportHours.parse("weekdays 9-5")


class TestLimits:
    def test_a_token_bucket_allows_a_burst_then_the_rate(self):
        now = [0.0]
        bucket = TokenBucket(rate=2, burst=3, clock=lambda: now[0])
        assert [bucket.allow() for _ in range(4)] == [True, True, True, False]
        now[0] = 0.5
        assert bucket.allow() and not bucket.allow()

    def test_each_conversation_has_its_own_rate_and_forgetting_needs_a_refill(self):
        now = [0.0]
        rate = MessageRate(rate=1, burst=2, clock=lambda: now[0])
        assert rate.allow("a") and rate.allow("a") and not rate.allow("a") and rate.allow("b")
        now[0] = 61.0
        rate.sweep()  # both refilled: forgetting them changes nothing
        assert rate._buckets == {}
        assert rate.allow("a") and rate.allow("a") and not rate.allow("a")
        rate.sweep()  # not refilled, and too soon: kept, still limited
        assert not rate.allow("a")

    def test_connections_per_address(self):
        count = ConnectionCount(limit=2)
        assert count.try_open("1.2.3.4") and count.try_open("1.2.3.4") and not count.try_open("1.2.3.4")
        count.close("1.2.3.4")
        assert count.try_open("1.2.3.4")

    def test_login_failures_slow_that_login_not_the_address(self):
        # More cases in tests/unit/test_login_throttle.py.
        now = [0.0]
        throttle = MemoryLoginThrottle(login_free=2, clock=lambda: now[0])
        assert throttle.admit("x", "ayse") == 0 and throttle.admit("x", "ayse") == 0
        assert throttle.admit("x", "ayse") == 1.0 and throttle.admit("x", "mehmet") == 0
        now[0] = 1.0
        assert throttle.admit("x", "ayse") == 0


@pytest.mark.parametrize("text, score", [("5", 5), ("4 🙂", 4), ("1/5", 1), (" 3 ", 3), ("6", None), ("0", None),
                                         ("400142", None), ("iade süresi kaç gün", None), ("12", None),
                                         ("2 ürünüm eksik geldi", None), ("5 😀", 5)])
def test_ratings_are_read_only_from_a_clear_answer(text, score):
    assert parse_rating(text) == score


def test_rasa_replies_become_messages_with_quick_replies_and_signals():
    replies = parse_replies([
        {"recipient_id": "s", "text": "Yine anlayamadım."},
        {"recipient_id": "s", "buttons": [{"title": "Temsilci", "payload": "Temsilci"}]},
        {"recipient_id": "s", "custom": {"handoff_offer": {"reason": "repeated_fallback"}}},
        "garbage",
    ])
    assert replies[0].text == "Yine anlayamadım."
    assert replies[0].quick_replies == [{"content_type": "text", "title": "Temsilci", "payload": "Temsilci"}]
    assert replies[1].custom == {"handoff_offer": {"reason": "repeated_fallback"}}
    assert len(replies) == 2
    assert parse_replies({"not": "a list"}) == []


def test_shopper_input_is_cleaned_before_it_is_stored():
    assert clean_text("  merhaba\x00 ") == "merhaba"
    assert clean_text("\ud800kırık") == "?kırık"  # a lone surrogate cannot be stored as UTF-8
    assert clean_text(None) is None and clean_text(["x"]) is None
    assert clean_metadata({"customData": {"lang": "EN-us", "evil": "x"}}) == {"language": "en"}
    assert clean_metadata({"metadata": {"language": "de", "customer_token": "t"}}) == {"customer_token": "t"}
    assert clean_metadata({"metadata": "nope"}) == {}


def test_the_client_address_comes_from_a_proxy_only_when_trusted():
    environ = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9, 10.0.0.1"}
    assert client_address(environ, trust_proxy=False) == "10.0.0.1"
    # Behind a proxy the last entry is the one the proxy wrote; the client writes the ones before it.
    environ["HTTP_X_FORWARDED_FOR"] = "1.1.1.1, 203.0.113.9"
    assert client_address(environ, trust_proxy=True) == "203.0.113.9"


def test_slash_commands_reach_the_assistant_as_text():
    from bot.desk.assistant_turn import neutralise_commands

    assert neutralise_commands('/inform{"order_no": "400142"}') == 'inform{"order_no": "400142"}'
    assert neutralise_commands("/\t/restart") == "restart"
    assert neutralise_commands("kargo / iade") == "kargo / iade"
