"""Parts of the stack fail mid-conversation: Rasa, the action server. The shopper is told
honestly and queued for a person, nothing is lost, and the assistant comes back by itself.

A stack of its own (Rasa, action server, bridge) so that stopping its parts disturbs no other
test. Mehmet speaks only Turkish: a Turkish shopper has a person coming, an English one does not.
"""
import time

import pytest
from sqlalchemy import select

from actions.store.database import make_engine
from actions.store.seed import seed
from bot.desk.models import Conversation, Message
from bot.processes import full_stack
from bot.settings import Settings
from tests.stack import RunningBridge, desk_passwords, free_port

pytestmark = pytest.mark.integration

BACK = 60  # seconds for a restarted part to answer and the bridge to notice


@pytest.fixture(scope="module")
def stack(tmp_path_factory, trained_model):
    settings = Settings(state_dir=tmp_path_factory.mktemp("failing"), rasa_port=free_port(), action_port=free_port(),
                        bridge_port=free_port(), rasa_token="failing-parts-token", support_hours="always",
                        offer_timeout_seconds=30.0, agent_grace_seconds=4.0)
    seed(make_engine(settings.store_database_url))
    running = RunningBridge(settings, full_stack(settings, trained_model))
    with desk_passwords():
        running.start()
    yield running
    running.stop()


def stored(stack, session_id):
    with stack.desk_store().session() as s:
        conversation = s.get(Conversation, session_id)
        texts = s.execute(select(Message.sender, Message.text).where(Message.conversation_id == session_id)
                          .order_by(Message.id)).all()
    return conversation, texts


def test_rasa_dies_mid_conversation_and_comes_back(stack):
    mehmet = stack.agent("mehmet")
    turkish, english = stack.shopper(language="tr"), stack.shopper(language="en")
    rasa = stack.group.service("Rasa server")
    try:
        assert "49,90" in turkish.say("kargo ücreti ne kadar")[0]["text"]
        assert "49.90" in english.say("how much is shipping")[0]["text"]
        rasa.stop()

        for shopper, text in ((turkish, "iade süresi kaç gün"), (english, "how long do refunds take")):
            mark = shopper.mark()
            told = shopper.say(text)
            assert told[0]["metadata"]["sender"] == "system" and told[0]["text"]  # honest: the assistant cannot answer
            assert shopper.wait_for("handoff_status", lambda s: s["state"] == "queued", after=mark)
        offer = mehmet.wait_for("offer", lambda o: o["conversation"]["id"] == turkish.session_id)
        assert offer["conversation"]["reason"] == "assistant_unavailable"

        mark = english.mark()
        stack.group.start_again(rasa, progress=lambda _: None)
        back = english.wait_for("bot_uttered", lambda m: "back" in m["text"], after=mark, timeout=BACK)
        assert back["metadata"]["sender"] == "system"
        assert english.wait_for("handoff_status", after=mark)["state"] == "bot"
        assert "refund" in english.say("how long do refunds take")[0]["text"].lower()
        # The Turkish shopper keeps the person promised to them.
        assert mehmet.call("accept", {"conversation_id": turkish.session_id})["ok"]
        mark = turkish.mark()
        assert mehmet.call("close", {"conversation_id": turkish.session_id, "tags": [], "note": ""})["ok"]
        turkish.wait_for("bot_uttered", lambda m: m.get("quick_replies"), after=mark)  # the rating question
        mark = turkish.mark()
        turkish.say("İade süresi kaç gün?")  # not a rating: the assistant answers
        answer = turkish.wait_for("bot_uttered", lambda m: m["metadata"]["sender"] == "bot", after=mark)
        assert "14" in answer["text"]  # Rasa resumed for them too
    finally:
        for client in (turkish, english, mehmet):
            client.disconnect()

    conversation, texts = stored(stack, english.session_id)
    shopper_texts = [text for sender, text in texts if sender == "shopper"]
    assert shopper_texts == ["how much is shipping", "how long do refunds take", "how long do refunds take"]
    assert conversation.state == "bot"


def test_the_action_server_dies_and_comes_back(stack):
    from tests.conftest import EDGE

    actions = stack.group.service("action server")
    english = stack.shopper(language="en")
    try:
        actions.stop()
        mark = english.mark()
        told = english.say(f"where is my order {EDGE['in_transit']}")
        assert "problem" in told[0]["text"].lower()
        assert english.wait_for("handoff_status", lambda s: s["state"] == "queued", after=mark)

        mark = english.mark()
        stack.group.start_again(actions, progress=lambda _: None)
        english.wait_for("handoff_status", lambda s: s["state"] == "bot", after=mark, timeout=BACK)
        answer = english.say(f"where is my order {EDGE['in_transit']}")
        assert "problem" not in answer[0]["text"].lower()  # the order flow runs again: it asks for proof
    finally:
        english.disconnect()
        if not actions.running():
            stack.group.start_again(actions, progress=lambda _: None)
