"""The bridge with the real Rasa server and action server: shoppers and agents over Socket.IO."""
import time

import pytest
from sqlalchemy import select

from bot.desk.models import Handoff, HandoffEvent, Message, Rating
from bot.tickets.models import Ticket
from bot.tickets.customer_texts import when as format_moment

pytestmark = pytest.mark.integration

ANGRY = "REZALET!!! 3 haftadır bekliyorum, şikayetvar'a yazacağım"


def senders(messages):
    return [m["sender"] for m in messages]


def escalate(shopper, text="bir temsilciyle görüşmek istiyorum"):
    mark = shopper.mark()
    shopper.say(text)
    return shopper.wait_for("handoff_status", lambda s: s["state"] == "queued", after=mark)


def take(agent, conversation_id):
    """The agent takes the chat (offered or not) and gets the whole conversation."""
    ack = agent.call("accept", {"conversation_id": conversation_id})
    assert ack["ok"], ack
    return ack["conversation"]


def test_shopper_talks_to_the_assistant_and_gets_the_history_back(running_bridge):
    shopper = running_bridge.shopper()
    try:
        answer = shopper.say("kargo ücreti ne kadar")
        assert "49,90" in answer[0]["text"] and answer[0]["metadata"]["sender"] == "bot"
    finally:
        shopper.disconnect()

    again = running_bridge.shopper(session_id=shopper.session_id)
    try:
        assert again.session_id == shopper.session_id
        history = again.wait_for("history")
        assert [(m["sender"], m["text"]) for m in history["messages"]][0] == ("shopper", "kargo ücreti ne kadar")
        assert senders(history["messages"]) == ["shopper", "bot"]
        assert "iade" in again.say("iade süresi kaç gün")[0]["text"].lower()
    finally:
        again.disconnect()


def test_an_unknown_session_id_gets_a_new_one(running_bridge):
    shopper = running_bridge.shopper(session_id="guessed-id")
    try:
        assert shopper.session_id != "guessed-id" and len(shopper.session_id) >= 24
        assert shopper.of("history") == []
    finally:
        shopper.disconnect()


def test_frustrated_shopper_reaches_an_agent_who_has_the_transcript(running_bridge):
    agent = running_bridge.agent("ayse")
    shopper = running_bridge.shopper()
    try:
        shopper.say("400142 nolu siparişim nerede")
        mark = shopper.mark()
        shopper.say(ANGRY)
        status = shopper.wait_for("handoff_status", lambda s: s["state"] == "queued", after=mark)
        assert status["position"] >= 1 and status["estimated_wait_seconds"] > 0
        told = [m["text"] for m in shopper.of("bot_uttered", after=mark)]
        assert any("temsilci" in text and "sıra" in text for text in told)

        offer = agent.wait_for("offer", lambda o: o["conversation"]["id"] == shopper.session_id)
        assert offer["conversation"]["reason"] == "frustration" and offer["conversation"]["frustration"] >= 0.5
        conversation = take(agent, shopper.session_id)
        texts = [m["text"] for m in conversation["messages"] if m["sender"] == "shopper"]
        assert texts == ["400142 nolu siparişim nerede", ANGRY]
        assert conversation["signals"] and conversation["state"] == "agent"

        mark = shopper.mark()
        assert agent.call("send", {"conversation_id": shopper.session_id, "text": "Merhaba, ben Ayşe."})["ok"]
        reply = shopper.wait_for("bot_uttered", lambda m: m["metadata"]["sender"] == "agent", after=mark)
        assert reply["text"] == "Merhaba, ben Ayşe." and reply["metadata"]["agent_name"] == "Ayşe K."

        agent_mark = agent.mark()
        shopper.say("kargom hala gelmedi", wait=False)
        heard = agent.wait_for("message", lambda m: m["message"]["sender"] == "shopper", after=agent_mark)
        assert heard["message"]["text"] == "kargom hala gelmedi"
        # While a person has the chat the assistant stays silent.
        assert not [m for m in shopper.of("bot_uttered", after=mark) if m["metadata"]["sender"] == "bot"]

        mark = shopper.mark()
        assert agent.call("close", {"conversation_id": shopper.session_id, "tags": ["shipping_delay"],
                                    "note": "Kargo firmasına yazıldı"})["ok"]
        rating_question = shopper.wait_for("bot_uttered", lambda m: m.get("quick_replies"), after=mark)
        assert [q["payload"] for q in rating_question["quick_replies"]] == ["1", "2", "3", "4", "5"]
        shopper.say("4")
        shopper.say("Hızlı ilgilendiler")
        assert "49,90" in shopper.say("kargo ücreti ne kadar")[0]["text"]  # the assistant is back
    finally:
        shopper.disconnect()
        agent.disconnect()

    store = running_bridge.desk_store()
    with store.session() as s:
        rating = s.execute(select(Rating).where(Rating.conversation_id == shopper.session_id)).scalar_one()
        handoff = s.execute(select(Handoff).where(Handoff.conversation_id == shopper.session_id)).scalar_one()
        events = s.execute(select(HandoffEvent.kind).where(HandoffEvent.handoff_id == handoff.id)
                           .order_by(HandoffEvent.id)).scalars().all()
    assert (rating.score, rating.comment, rating.handoff_id) == (4, "Hızlı ilgilendiler", handoff.id)
    assert handoff.status == "closed" and handoff.resolution_tags == ["shipping_delay"]
    assert handoff.close_note == "Kargo firmasına yazıldı" and handoff.first_response_at is not None
    assert events[0] == "queued" and "accepted" in events and events[-1] == "closed"


def test_an_offer_not_accepted_in_time_moves_to_the_next_agent(running_bridge):
    mehmet, zeynep = running_bridge.agent("mehmet"), running_bridge.agent("zeynep")
    shopper = running_bridge.shopper()
    try:
        escalate(shopper)
        mine = lambda o: o["conversation"]["id"] == shopper.session_id  # noqa: E731
        deadline = time.monotonic() + 10
        while not (mehmet.of("offer") and any(map(mine, mehmet.of("offer")))) and \
                not (zeynep.of("offer") and any(map(mine, zeynep.of("offer")))):
            assert time.monotonic() < deadline, "nobody was offered the chat"
            time.sleep(0.1)
        first, second = (mehmet, zeynep) if any(map(mine, mehmet.of("offer"))) else (zeynep, mehmet)
        second.wait_for("offer", mine, timeout=15)  # after the first one's 3 s passed
        first.wait_for("offer_withdrawn", lambda w: w["conversation_id"] == shopper.session_id)
        take(second, shopper.session_id)
    finally:
        finish(second, shopper.session_id)
        shopper.disconnect()
        mehmet.disconnect()
        zeynep.disconnect()


def finish(agent, conversation_id):
    agent.call("hand_back", {"conversation_id": conversation_id})


def test_a_disconnected_agents_chats_go_back_to_the_front_of_the_queue(running_bridge):
    mehmet = running_bridge.agent("mehmet")
    shopper = running_bridge.shopper()
    zeynep = None
    try:
        escalate(shopper)
        take(mehmet, shopper.session_id)
        mark = shopper.mark()
        mehmet.disconnect()
        status = shopper.wait_for("handoff_status", lambda s: s["state"] == "queued", after=mark, timeout=15)
        assert status["position"] == 1
        assert any("bağlantısı koptu" in m["text"] for m in shopper.of("bot_uttered", after=mark))
        zeynep = running_bridge.agent("zeynep")
        zeynep.wait_for("offer", lambda o: o["conversation"]["id"] == shopper.session_id, timeout=15)
        conversation = take(zeynep, shopper.session_id)
        assert "bir temsilciyle görüşmek istiyorum" in [m["text"] for m in conversation["messages"]]
    finally:
        if zeynep:
            finish(zeynep, shopper.session_id)
            zeynep.disconnect()
        shopper.disconnect()


def test_a_transfer_keeps_the_transcript_and_the_notes(running_bridge):
    ayse, zeynep = running_bridge.agent("ayse"), running_bridge.agent("zeynep")
    shopper = running_bridge.shopper(language="en")
    try:
        escalate(shopper, "I want to talk to an agent")
        take(ayse, shopper.session_id)
        assert ayse.call("note", {"conversation_id": shopper.session_id, "text": "Wants an invoice copy"})["ok"]
        assert ayse.call("transfer", {"conversation_id": shopper.session_id, "agent_id": zeynep.user["id"]})["ok"]
        zeynep.wait_for("offer", lambda o: o["conversation"]["id"] == shopper.session_id)
        conversation = take(zeynep, shopper.session_id)
        notes = [m for m in conversation["messages"] if m["sender"] == "note"]
        assert notes[0]["text"] == "Wants an invoice copy" and notes[0]["agent_name"] == "Ayşe K."
        history = running_bridge.shopper(session_id=shopper.session_id)
        assert "note" not in senders(history.wait_for("history")["messages"])  # notes never reach the shopper
        history.disconnect()
        # Handed back, the assistant answers in the shopper's language again.
        mark = shopper.mark()
        finish(zeynep, shopper.session_id)
        shopper.wait_for("bot_uttered", lambda m: "handing you back" in m["text"], after=mark)
        assert "49.90" in shopper.say("how much is shipping")[0]["text"].replace(",", ".")
    finally:
        shopper.disconnect()
        ayse.disconnect()
        zeynep.disconnect()


def test_the_conversation_survives_a_bridge_restart(running_bridge):
    ayse = running_bridge.agent("ayse")
    shopper = running_bridge.shopper()
    try:
        shopper.say("merhaba")
        escalate(shopper)
        take(ayse, shopper.session_id)
        ayse.call("send", {"conversation_id": shopper.session_id, "text": "Buradayım."})
        before = shopper.wait_for("bot_uttered", lambda m: m["text"] == "Buradayım.")
        shopper.disconnect()

        running_bridge.restart()  # the agent's socket is cut by the restart, as in real life
        ayse.disconnect()

        back = running_bridge.shopper(session_id=shopper.session_id)
        history = back.wait_for("history")
        assert history["state"] == "agent"
        assert [m["text"] for m in history["messages"]][0] == "merhaba"
        assert history["messages"][-1]["id"] == before["metadata"]["message_id"]
        ayse = running_bridge.agent("ayse")
        assert shopper.session_id in [c["id"] for c in ayse.wait_for("desk")["chats"]]
        mark = back.mark()
        ayse.call("send", {"conversation_id": shopper.session_id, "text": "Hâlâ buradayım."})
        assert back.wait_for("bot_uttered", after=mark)["text"] == "Hâlâ buradayım."
        finish(ayse, shopper.session_id)
        back.disconnect()
    finally:
        ayse.disconnect()
        shopper.disconnect()


def test_after_hours_a_request_becomes_a_ticket_with_an_email_reply(running_bridge):
    from tests.stack import RunningBridge, free_port

    closed = RunningBridge(running_bridge.settings.copy(update={"support_hours": "never", "bridge_port": free_port()}))
    closed.start()
    try:
        shopper = closed.shopper()
        told = shopper.say("bir temsilciyle görüşmek istiyorum")
        assert "mesai saatlerimiz dışında" in told[-1]["text"] and "e-posta" in told[-1]["text"]
        assert shopper.wait_for("handoff_status")["state"] == "ticket"
        assert "adres" in shopper.say("bilmiyorum")[-1]["text"]
        promise = shopper.say("ali@example.com")[-1]["text"]
        shopper.disconnect()
    finally:
        closed.stop()
    with running_bridge.desk_store().session() as s:
        handoff = s.execute(select(Handoff).where(Handoff.conversation_id == shopper.session_id)).scalar_one()
        ticket = s.execute(select(Ticket).where(Ticket.conversation_id == shopper.session_id)).scalar_one()
    assert (handoff.status, handoff.ticket_email) == ("ticket", "ali@example.com")
    # the promise names the ticket, the address and the deadline the ticket really has
    assert (ticket.source, ticket.email, ticket.status) == ("after_hours", "ali@example.com", "new")
    assert ticket.code in promise and "ali@example.com" in promise
    assert format_moment(ticket.first_response_due, "tr") in promise
    assert "bilmiyorum" in ticket.text  # the shopper's own words


def test_every_message_is_stored_with_its_time_before_delivery(running_bridge):
    shopper = running_bridge.shopper()
    try:
        delivered = shopper.say("kargo ne zaman gelir")
    finally:
        shopper.disconnect()
    with running_bridge.desk_store().session() as s:
        stored = s.execute(select(Message).where(Message.conversation_id == shopper.session_id)
                           .order_by(Message.id)).scalars().all()
    assert [m.sender for m in stored] == ["shopper", "bot"]
    assert stored[1].id == delivered[0]["metadata"]["message_id"] and stored[0].created_at <= stored[1].created_at


def test_the_agent_sees_the_verified_customer_with_orders_returns_and_earlier_chats(running_bridge):
    from tests.conftest import EDGE, demo_customer, demo_order

    order_no = EDGE["in_transit"]
    customer = demo_customer(demo_order(order_no)["customer_id"])
    ayse = running_bridge.agent("ayse")
    shopper = running_bridge.shopper()
    try:
        shopper.say(f"{order_no} nolu siparişim nerede")
        shopper.say(f"mailim {customer['email']}")
        escalate(shopper)
        conversation = take(ayse, shopper.session_id)
        context = conversation["context"]
        assert context["customer"]["email"] == customer["email"]
        assert conversation["customer"]["name"] == context["customer"]["name"]
        assert order_no in [o["order_no"] for o in context["orders"]]
        assert all({"order_no", "status", "total", "placed_at"} <= set(o) for o in context["orders"])
        assert isinstance(context["returns"], list) and isinstance(context["complaints"], list)
        finish(ayse, shopper.session_id)
        # The next conversation of the same customer lists this one as earlier.
        second = running_bridge.shopper()
        second.say(f"{order_no} nolu siparişim nerede")
        second.say(f"mailim {customer['email']}")
        escalate(second)
        later = take(ayse, second.session_id)
        assert shopper.session_id in [c["id"] for c in later["context"]["earlier_conversations"]]
        finish(ayse, second.session_id)
        second.disconnect()
    finally:
        shopper.disconnect()
        ayse.disconnect()


def test_two_misunderstood_messages_in_a_row_bring_a_person(running_bridge, parse):
    from tests.integration.test_assistant import GIBBERISH

    misses = [text for text in GIBBERISH if parse(text)["intent"]["name"] == "nlu_fallback"][:2]
    shopper = running_bridge.shopper()
    ayse = running_bridge.agent("ayse")
    try:
        first = shopper.say(misses[0])
        assert first[0]["quick_replies"] and shopper.of("handoff_status") == []
        mark = shopper.mark()
        shopper.say(misses[1])
        assert shopper.wait_for("handoff_status", after=mark)["state"] == "queued"
        offer = ayse.wait_for("offer", lambda o: o["conversation"]["id"] == shopper.session_id)
        assert offer["conversation"]["reason"] == "repeated_fallback"
        take(ayse, shopper.session_id)
        finish(ayse, shopper.session_id)
    finally:
        shopper.disconnect()
        ayse.disconnect()
