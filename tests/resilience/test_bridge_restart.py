"""A bridge restart in the middle of the day: every conversation goes on where it was.

Before the restart: shopper A talks to agent Ayşe (who also has two other chats, so she is at her
limit of three), shopper B is in the middle of an order question with the assistant, shopper C
waits in the queue (no free agent, so C is never offered). The restart cuts every socket. After
it, Ayşe reconnects within AGENT_GRACE_SECONDS and still owns her chats, A gets the whole history
and talks to Ayşe again, B's order question goes on, C waits at the same place in the queue.
"""
import time

import pytest
from sqlalchemy import select

from bot.desk.models import Conversation, Handoff, HandoffEvent, Message
from bot.desk.texts import say
from tests.conftest import EDGE, demo_customer, demo_order
from tests.live_chat import AgentClient
from tests.resilience.conftest import release_open_chats

pytestmark = pytest.mark.integration

ASK_FOR_A_PERSON = "bir temsilciyle görüşmek istiyorum"


def escalate(shopper):
    mark = shopper.mark()
    shopper.say(ASK_FOR_A_PERSON)
    return shopper.wait_for("handoff_status", lambda s: s["state"] == "queued", after=mark)


def accept(agent, conversation_id):
    ack = agent.call("accept", {"conversation_id": conversation_id})
    assert ack["ok"], ack


def snapshot(bridge, conversation_ids):
    """What the database says about each conversation: who has it, its place, every message."""
    store = bridge.desk_store()
    try:
        with store.session() as s:
            result = {}
            for conversation_id in conversation_ids:
                conversation = s.get(Conversation, conversation_id)
                messages = s.execute(select(Message.id, Message.sender, Message.text)
                                     .where(Message.conversation_id == conversation_id).order_by(Message.id)).all()
                result[conversation_id] = {"state": conversation.state, "agent_id": conversation.agent_id,
                                           "queued_at": conversation.queued_at,
                                           "queue_priority": conversation.queue_priority,
                                           "messages": [tuple(m) for m in messages]}
            return result
    finally:
        store.engine.dispose()


def handoff_events(bridge, conversation_id):
    store = bridge.desk_store()
    try:
        with store.session() as s:
            return s.execute(select(HandoffEvent.kind).join(Handoff, Handoff.id == HandoffEvent.handoff_id)
                             .where(Handoff.conversation_id == conversation_id).order_by(HandoffEvent.id)).scalars().all()
    finally:
        store.engine.dispose()


def test_a_bridge_restart_keeps_every_conversation_where_it_was(running_bridge):
    release_open_chats(running_bridge)  # Ayşe starts with no chat and nobody waits
    order_no = EDGE["in_transit"]
    ayse = running_bridge.agent("ayse")
    a, a2, a3, b, c = (running_bridge.shopper() for _ in range(5))
    shoppers = [a, a2, a3, b, c]
    ayse_again = None
    try:
        # A talks to Ayşe; A2 and A3 fill her up to her limit of three chats.
        a.say("merhaba")
        escalate(a)
        accept(ayse, a.session_id)
        assert ayse.call("send", {"conversation_id": a.session_id, "text": "Merhaba, ben Ayşe."})["ok"]
        a.wait_for("bot_uttered", lambda m: m["metadata"]["sender"] == "agent")
        mark = ayse.mark()
        a.say("kargom üç gündür aynı yerde", wait=False)
        ayse.wait_for("message", lambda m: m["message"]["text"] == "kargom üç gündür aynı yerde", after=mark)
        for other in (a2, a3):
            escalate(other)
            accept(ayse, other.session_id)
        assert ayse.user["max_chats"] == 3

        # B is in the middle of an order question with the assistant.
        asked = " ".join(m["text"] for m in b.say(f"{order_no} nolu siparişim nerede"))
        assert "e-posta" in asked

        # C waits: the only agent online is at her limit, so nobody is offered the chat.
        queued = escalate(c)
        time.sleep(1.0)
        assert not [o for o in ayse.of("offer") if o["conversation"]["id"] == c.session_id]

        ids = [s.session_id for s in shoppers]
        before = snapshot(running_bridge, ids)
        assert [before[s.session_id]["state"] for s in shoppers] == ["agent", "agent", "agent", "bot", "queued"]
        a_history_before = [m for m in before[a.session_id]["messages"]]

        ayse_again = AgentClient(running_bridge.url, "ayse", running_bridge.passwords["ayse"])  # logged in already
        running_bridge.restart()
        ayse_again.connect()  # within the 4 s grace period of the test bridge
        reconnected_at = time.monotonic()
        for client in [ayse, *shoppers]:
            client.disconnect()  # their sockets died with the old process

        desk = ayse_again.wait_for("desk")
        assert {chat["id"] for chat in desk["chats"]} == {a.session_id, a2.session_id, a3.session_id}
        assert c.session_id in [entry["id"] for entry in desk["queue"]]

        # A: same session, the whole history, still with Ayşe, who can write to A.
        a_back = running_bridge.shopper(session_id=a.session_id)
        history = a_back.wait_for("history")
        assert history["state"] == "agent"
        assert [(m["id"], m["sender"], m["text"]) for m in history["messages"]] == a_history_before
        assert a_back.wait_for("handoff_status")["agent_name"] == "Ayşe K."
        mark = a_back.mark()
        assert ayse_again.call("send", {"conversation_id": a.session_id, "text": "Bağlantım koptu ama buradayım."})["ok"]
        assert a_back.wait_for("bot_uttered", after=mark)["text"] == "Bağlantım koptu ama buradayım."
        mark = ayse_again.mark()
        a_back.say("tamam, bekliyorum", wait=False)
        ayse_again.wait_for("message", lambda m: m["message"]["text"] == "tamam, bekliyorum", after=mark)

        # B: the assistant still waits for the proof of the order and answers with its status.
        b_back = running_bridge.shopper(session_id=b.session_id)
        assert b_back.wait_for("history")["state"] == "bot"
        email = demo_customer(demo_order(order_no)["customer_id"])["email"]
        status = " ".join(m["text"] for m in b_back.say(f"mailim {email}"))
        assert "kargoya verildi" in status and demo_order(order_no)["tracking_no"] in status

        # C: still waiting, at the same place, never offered.
        c_back = running_bridge.shopper(session_id=c.session_id)
        assert c_back.wait_for("history")["state"] == "queued"
        assert c_back.wait_for("handoff_status")["position"] == queued["position"]

        # Past the grace period nothing was re-queued: Ayşe came back in time.
        time.sleep(max(0.0, running_bridge.settings.agent_grace_seconds + 1.0 - (time.monotonic() - reconnected_at)))
        after = snapshot(running_bridge, ids)
        for shopper in shoppers:
            then, now = before[shopper.session_id], after[shopper.session_id]
            assert (now["state"], now["agent_id"], now["queued_at"], now["queue_priority"]) == \
                (then["state"], then["agent_id"], then["queued_at"], then["queue_priority"])
            assert now["messages"][:len(then["messages"])] == then["messages"]  # nothing lost or changed
            assert say("agent_lost", "tr") not in [text for _, _, text in now["messages"]]
        assert "offered" not in handoff_events(running_bridge, c.session_id)
        assert not [o for o in ayse_again.of("offer") if o["conversation"]["id"] == c.session_id]
        for client in (a_back, b_back, c_back):
            client.disconnect()
    finally:
        for client in [ayse, *shoppers]:
            client.disconnect()
        if ayse_again is not None:
            ayse_again.disconnect()
        release_open_chats(running_bridge)
