"""Two bridges, two Rasa replicas and the action server on PostgreSQL and Redis (README "Running on
several machines"): a shopper on bridge A is handed to an agent on bridge B, they talk both ways,
the agent transfers the chat to a colleague on A; when bridge A dies, its shopper goes on through
B with nothing lost and the offer A had made still times out and moves on."""
import os
import signal
import uuid

import pytest
from sqlalchemy import select

from actions.store.database import make_engine
from actions.store.seed import seed
from bot.desk.models import Handoff, HandoffEvent
from bot.processes import assistant, free_port
from bot.settings import Settings
from tests.integration.test_rasa_replicas import two_free_ports
from tests.stack import RunningBridge, desk_passwords, postgres_schema_url, redis_test_url

pytestmark = pytest.mark.integration

ASK_FOR_A_PERSON = "bir temsilciyle görüşmek istiyorum"
OFFER_SECONDS = 4


@pytest.fixture(scope="module")
def stack(trained_model, tmp_path_factory):
    redis_url = redis_test_url(7)
    with postgres_schema_url() as database_url:
        seed(make_engine(database_url))
        settings = Settings(
            state_dir=tmp_path_factory.mktemp("several"), database_url=database_url, redis_url=redis_url,
            rasa_port=two_free_ports(), rasa_replicas=2, action_port=free_port(), rasa_token=uuid.uuid4().hex,
            support_hours="always", offer_timeout_seconds=OFFER_SECONDS, desk_secret=uuid.uuid4().hex,
        )
        group = assistant(settings, trained_model)
        group.start(progress=lambda _: None)
        bridges = []
        try:
            with desk_passwords():
                for name in ("a", "b"):
                    bridge = RunningBridge(settings.copy(update={"bridge_port": free_port(),
                                                                 "state_dir": settings.state_dir / name}))  # own logs and spool
                    bridge.start()
                    bridges.append(bridge)
            yield bridges
        finally:
            for bridge in bridges:
                bridge.stop()
            group.stop()


def escalate(shopper):
    mark = shopper.mark()
    shopper.say(ASK_FOR_A_PERSON)
    return shopper.wait_for("handoff_status", lambda s: s["state"] == "queued", after=mark)


def offered(agent, conversation_id, after=0, timeout=20):
    return agent.wait_for("offer", lambda o: o["conversation"]["id"] == conversation_id, after=after, timeout=timeout)


def accept(agent, conversation_id):
    ack = agent.call("accept", {"conversation_id": conversation_id})
    assert ack["ok"], ack
    return ack["conversation"]


def texts(conversation):
    return [m["text"] for m in conversation["messages"]]


def test_a_shopper_on_one_bridge_talks_to_agents_on_both(stack):
    a, b = stack
    ayse = b.agent("ayse")
    shopper = a.shopper()
    mehmet = None
    try:
        shopper.say("kargo ücreti ne kadar")  # the assistant answers through A (and a replica)
        escalate(shopper)
        offered(ayse, shopper.session_id)  # made by A, delivered to her socket on B through Redis
        conversation = accept(ayse, shopper.session_id)
        assert {"kargo ücreti ne kadar", ASK_FOR_A_PERSON} <= set(texts(conversation))
        shopper.wait_for("handoff_status", lambda s: s["state"] == "agent" and s["agent_name"].startswith("Ayşe"))

        assert ayse.call("send", {"conversation_id": shopper.session_id, "text": "Merhaba, ben Ayşe."})["ok"]
        shopper.wait_for("bot_uttered", lambda m: m["text"] == "Merhaba, ben Ayşe.")
        mark = ayse.mark()
        shopper.say("kargom üç gündür aynı yerde", wait=False)
        ayse.wait_for("message", lambda m: m["message"]["text"] == "kargom üç gündür aynı yerde", after=mark)

        mehmet = a.agent("mehmet")
        mark = mehmet.mark()
        assert ayse.call("transfer", {"conversation_id": shopper.session_id, "agent_id": mehmet.user["id"]})["ok"]
        offered(mehmet, shopper.session_id, after=mark)  # the transfer's target, on the other bridge
        conversation = accept(mehmet, shopper.session_id)
        assert {"Merhaba, ben Ayşe.", "kargom üç gündür aynı yerde", ASK_FOR_A_PERSON} <= set(texts(conversation))
        assert mehmet.call("send", {"conversation_id": shopper.session_id, "text": "Mehmet burada."})["ok"]
        shopper.wait_for("bot_uttered", lambda m: m["text"] == "Mehmet burada.")
        assert mehmet.call("close", {"conversation_id": shopper.session_id})["ok"]
    finally:
        for client in (shopper, ayse, mehmet):
            if client is not None:
                client.disconnect()


def test_when_a_bridge_dies_its_shopper_goes_on_through_the_other_and_its_offer_still_times_out(stack):
    a, b = stack
    ayse = b.agent("ayse")
    talking = a.shopper()
    waiting = a.shopper()
    try:
        talking.say("kargo ücreti ne kadar")
        desk_mark = ayse.mark()
        escalate(waiting)
        first = offered(ayse, waiting.session_id)  # made by A: its timer lives in A
        # B's agents see A's queue without anything happening on B (the desk change came through Redis).
        ayse.wait_for("desk", lambda d: any(q["id"] == waiting.session_id for q in d["queue"]), after=desk_mark)
        mark = ayse.mark()

        bridge_a = a.group.services[0].process
        os.killpg(bridge_a.pid, signal.SIGKILL)  # no clean shutdown: A's timers die with it
        bridge_a.wait()

        # The offer A made times out anyway: a sweep on B passes it, and it comes round again.
        ayse.wait_for("offer_withdrawn", lambda w: w["conversation_id"] == waiting.session_id, after=mark,
                      timeout=OFFER_SECONDS + 20)
        again = offered(ayse, waiting.session_id, after=mark, timeout=10)
        assert again["conversation"]["id"] == first["conversation"]["id"]
        assert "offer_expired" in handoff_events(b, waiting.session_id)

        # The shoppers reconnect (the load balancer sends them to B) and nothing is lost.
        talking.disconnect()
        back = b.shopper(session_id=talking.session_id)
        history = back.wait_for("history")
        assert "kargo ücreti ne kadar" in [m["text"] for m in history["messages"]]
        assert back.say("iade nasıl yapılır")  # the assistant answers through B
        waiting.disconnect()
        waiting_back = b.shopper(session_id=waiting.session_id)
        waiting_back.wait_for("handoff_status", lambda s: s["state"] == "queued")
        conversation = accept(ayse, waiting.session_id)
        assert ASK_FOR_A_PERSON in texts(conversation)
        assert ayse.call("send", {"conversation_id": waiting.session_id, "text": "Buradayım."})["ok"]
        waiting_back.wait_for("bot_uttered", lambda m: m["text"] == "Buradayım.")
        assert ayse.call("close", {"conversation_id": waiting.session_id})["ok"]
        back.disconnect()
        waiting_back.disconnect()
    finally:
        for client in (talking, waiting, ayse):
            client.disconnect()


def handoff_events(bridge, conversation_id):
    store = bridge.desk_store()
    try:
        with store.session() as s:
            return s.execute(select(HandoffEvent.kind).join(Handoff, Handoff.id == HandoffEvent.handoff_id)
                             .where(Handoff.conversation_id == conversation_id)).scalars().all()
    finally:
        store.engine.dispose()
