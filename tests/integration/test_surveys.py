"""CSAT and NPS in the chat, with the real Rasa, action server and bridge."""
import pytest
from sqlalchemy import select

from bot.desk.models import Contact, Message, Rating

pytestmark = pytest.mark.integration

SCORES = ["1", "2", "3", "4", "5"]


def ratings_of(store, session_id):
    with store.session() as s:
        return s.execute(select(Rating).where(Rating.conversation_id == session_id).order_by(Rating.id)).scalars().all()


def last_question(messages):
    return [m for m in messages if m["metadata"]["sender"] == "system"][-1]


def test_an_answered_shopper_who_says_thanks_is_asked_once_for_csat(running_bridge):
    shopper = running_bridge.shopper()
    try:
        assert "49,90" in shopper.say("kargo ücreti ne kadar")[0]["text"]
        question = last_question(shopper.say("teşekkürler"))
        assert "1" in question["text"] and "5" in question["text"]
        assert [q["payload"] for q in question["quick_replies"]] == SCORES
        assert "yorum" in shopper.say("5")[-1]["text"].lower()
        assert "teşekkür" in shopper.say("Yorum yok")[-1]["text"].lower()
        # Thanked again in the same contact: no second question.
        again = shopper.say("çok teşekkürler")
        assert all(m["metadata"]["sender"] == "bot" for m in again)
    finally:
        shopper.disconnect()

    store = running_bridge.desk_store()
    (rating,) = ratings_of(store, shopper.session_id)
    assert (rating.kind, rating.score, rating.comment, rating.handoff_id, rating.language) == ("csat", 5, None, None, "tr")
    with store.session() as s:
        contact = s.get(Contact, rating.contact_id)
        intents = s.execute(select(Message.intent, Message.understood).where(
            Message.conversation_id == shopper.session_id, Message.sender == "shopper").order_by(Message.id)).all()
    assert (contact.reason, contact.answered, contact.csat_asked_at is not None) == ("faq/shipping_cost", True, True)
    assert intents[0] == ("faq/shipping_cost", True) and intents[1] == ("thank", True)


def test_a_happy_customer_with_a_delivered_order_is_asked_nps_once_in_90_days(running_bridge):
    from tests.conftest import EDGE, demo_customer, demo_order

    order_no = EDGE["delivered_within_return_window"]
    customer = demo_customer(demo_order(order_no)["customer_id"])
    store = running_bridge.desk_store()

    def verified_and_rated(shopper, words):
        ask, proof, thanks, no_comment = words
        shopper.say(ask)
        shopper.say(proof)
        assert [q["payload"] for q in last_question(shopper.say(thanks))["quick_replies"]] == SCORES
        shopper.say("5")
        return last_question(shopper.say(no_comment))

    first = running_bridge.shopper(language="en")
    try:
        nps_question = verified_and_rated(first, (f"where is my order {order_no}", f"my email is {customer['email']}",
                                                  "thanks", "No comment"))
        assert [q["payload"] for q in nps_question["quick_replies"]] == [str(n) for n in range(11)]
        assert "recommend" in nps_question["text"]
        assert "reason" in last_question(first.say("7"))["text"]
        assert "thank" in first.say("Delivery was a bit slow")[-1]["text"].lower()
    finally:
        first.disconnect()
    csat, nps = ratings_of(store, first.session_id)
    assert (csat.kind, csat.score, nps.kind, nps.score, nps.comment) == ("csat", 5, "nps", 7, "Delivery was a bit slow")
    assert nps.customer_id == customer["id"] and nps.language == "en"

    second = running_bridge.shopper()
    try:
        after = verified_and_rated(second, (f"{order_no} nolu siparişim nerede", f"mailim {customer['email']}",
                                            "teşekkürler", "Yorum yok"))
        assert not after.get("quick_replies") and "teşekkür" in after["text"].lower()  # no NPS within 90 days
    finally:
        second.disconnect()
    assert [r.kind for r in ratings_of(store, second.session_id)] == ["csat"]


def test_a_message_the_assistant_did_not_understand_is_marked_for_the_reports(running_bridge, parse):
    from tests.integration.test_assistant import GIBBERISH

    miss = next(text for text in GIBBERISH if parse(text)["intent"]["name"] == "nlu_fallback")
    shopper = running_bridge.shopper()
    try:
        shopper.say(miss)
    finally:
        shopper.disconnect()
    with running_bridge.desk_store().session() as s:
        message = s.execute(select(Message).where(Message.conversation_id == shopper.session_id,
                                                  Message.sender == "shopper")).scalar_one()
    assert (message.intent, message.understood) == ("nlu_fallback", False)
