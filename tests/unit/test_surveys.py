"""Contacts and the survey rules that need no running assistant."""
from datetime import timedelta

import pytest

from bot.desk import store as store_module
from bot.desk.store import DeskStore
from bot.desk.surveys import answers, contact_reason, parse_nps, parse_rating
from bot.desk.texts import is_skip


@pytest.fixture
def clock(monkeypatch):
    """A settable utcnow for the store."""
    now = {"value": store_module.utcnow()}
    monkeypatch.setattr(store_module, "utcnow", lambda: now["value"])

    def advance(**delta):
        now["value"] += timedelta(**delta)
        return now["value"]

    advance.now = lambda: now["value"]
    return advance


@pytest.fixture
def store():
    return DeskStore.open("sqlite://", contact_idle_minutes=30)


def test_a_shopper_back_after_30_quiet_minutes_starts_a_new_contact(store, clock):
    conversation = store.create_conversation()
    first = store.add_message(conversation.id, "shopper", "kargo ücreti")
    store.add_message(conversation.id, "bot", "49,90 TL")
    clock(minutes=29)
    same = store.add_message(conversation.id, "shopper", "peki iade?")
    clock(minutes=31)
    later = store.add_message(conversation.id, "shopper", "yine ben")
    assert first.contact_id == same.contact_id != later.contact_id
    assert store.contact(later.contact_id).started_at == clock.now()


@pytest.mark.parametrize("state, awaiting", [("agent", None), ("queued", None), ("bot", "rating")])
def test_no_new_contact_while_a_person_has_the_chat_or_we_wait_for_an_answer(store, clock, state, awaiting):
    conversation = store.create_conversation()
    first = store.add_message(conversation.id, "shopper", "merhaba")
    store.update_conversation(conversation.id, state=state, awaiting=awaiting)
    clock(hours=2)
    assert store.add_message(conversation.id, "shopper", "5").contact_id == first.contact_id


def test_nps_is_asked_at_most_once_per_customer_in_the_interval(store, clock):
    one, two = store.create_conversation(), store.create_conversation()
    for conversation in (one, two):
        store.update_conversation(conversation.id, customer_id=1042)
    message = store.add_message(one.id, "shopper", "teşekkürler")
    asked = clock(days=1)
    store.update_contact(message.contact_id, nps_asked_at=asked)
    assert store.nps_asked_since(1042, asked - timedelta(days=90))
    assert not store.nps_asked_since(1042, asked + timedelta(seconds=1))
    assert not store.nps_asked_since(7, asked - timedelta(days=90))


def test_ratings_keep_the_contact_customer_and_language(store):
    conversation = store.create_conversation(language="en")
    store.update_conversation(conversation.id, customer_id=1001)
    message = store.add_message(conversation.id, "shopper", "thanks")
    rating = store.add_rating(conversation.id, 4, "csat", contact_id=message.contact_id)
    store.add_rating_comment(conversation.id, "quick", "csat")
    store.add_rating(conversation.id, 8, "nps", contact_id=message.contact_id)
    store.add_rating_comment(conversation.id, "delivery was slow", "nps")
    csat, nps = store.ratings(conversation.id)
    assert (csat.id, csat.comment, csat.customer_id, csat.language) == (rating.id, "quick", 1001, "en")
    assert (nps.kind, nps.score, nps.comment) == ("nps", 8, "delivery was slow")


@pytest.mark.parametrize("text, score", [("0", 0), ("10", 10), ("7/10", 7), (" 9 ", 9), ("11", None),
                                         ("10 numara hizmet", None), ("", None)])
def test_nps_scores(text, score):
    assert parse_nps(text) == score


def test_a_csat_score_is_only_1_to_5():
    assert [parse_rating(t) for t in ("1", "5 😀", "0", "6", "4 ama geç geldi")] == [1, 5, None, None, None]


def test_reasons_and_answers_of_intents():
    assert [contact_reason(i) for i in ("faq/refund_time", "order_status", "greet", "thank", "nlu_fallback", None)] == [
        "faq/refund_time", "order_status", None, None, None, None]
    assert [answers(i) for i in ("faq/invoice", "return_status", "request_human", "greet", None)] == [
        True, True, False, False, False]


@pytest.mark.parametrize("text, skipped", [("Yorum yok", True), ("GEÇ", True), ("Skip", True), ("No comment", True),
                                           ("Kargo geç geldi", False), ("iyi", False)])
def test_declining_to_comment(text, skipped):
    assert is_skip(text) == skipped
