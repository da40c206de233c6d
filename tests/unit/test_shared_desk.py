"""Two bridges on one database (bot/desk/shared_desk.py): each sees the agents online on the
other, an offer made by a bridge that died still times out and moves on, a lost agent's chats are
re-queued once, and an agent's limit holds when acceptances race (PostgreSQL, many threads)."""
from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from bot.desk import texts
from bot.desk.models import HandoffEvent
from bot.desk.shared_desk import HEARTBEAT_SECONDS, PRESENCE_TTL_SECONDS, SharedDesk
from bot.desk.store import DeskStore
from bot.desk.wiring import build_desk
from tests.asyncio_thread import run_async
from tests.stack import postgres_schema_url
from tests.unit.desk_harness import CalmScorer, FakeClock, FakeCustomers, FakeRasa, Harness, RecordingServer, build
from tests.unit.test_desk_parts import CHAT, queued_chat


def second_bridge(h: Harness, port: int = 18081) -> Harness:
    """Another bridge process on the same database, living through the same (fake) time."""
    settings = h.settings.copy(update={"bridge_port": port})
    rasa, sio = FakeRasa(), RecordingServer()
    desk = build_desk(settings, h.store, rasa, sio, FakeCustomers(), CalmScorer(), h.clock)
    return Harness(desk, h.store, rasa, h.clock, sio, settings)


def test_a_chat_queued_on_one_bridge_is_offered_to_an_agent_on_the_other(tmp_path):
    a = build(tmp_path, bridge_port=18080)
    b = second_bridge(a)

    async def scenario():
        ayse = await b.online(b.add_agent("ayse"))
        assert set(a.desk.presence.team()) == {ayse.user_id}  # A sees B's agent
        await queued_chat(a)
        assert a.offers_to(ayse) == [CHAT]  # A emits to her room (Redis carries it to B)
        assert b.desk.presence.shared.offer_for(CHAT).agent_id == ayse.user_id
        await b.desk.assignment.accept(ayse, CHAT)
        assert a.store.conversation(CHAT).agent_id == ayse.user_id
        assert a.desk.presence.offered() == set()

    run_async(scenario)


def test_an_offer_made_by_a_bridge_that_died_still_times_out_and_moves_on(tmp_path):
    a = build(tmp_path, bridge_port=18080, offer_timeout_seconds=30)
    b = second_bridge(a)

    async def scenario():
        ayse = await b.online(b.add_agent("ayse"))
        mehmet = await b.online(b.add_agent("mehmet"))
        await queued_chat(a)
        first = a.desk.presence.shared.offer_for(CHAT)
        await a.desk.tasks.close()  # bridge A dies: its offer timer with it
        await b.clock.advance(30 + HEARTBEAT_SECONDS / 2)
        await b.desk.assignment.sweep()
        assert b.desk.presence.shared.offer_for(CHAT).agent_id == first.agent_id  # not overdue by the margin yet
        await b.clock.advance(HEARTBEAT_SECONDS)
        await b.desk.assignment.sweep()
        second = b.desk.presence.shared.offer_for(CHAT)
        assert second is not None and second.agent_id != first.agent_id
        assert {first.agent_id, second.agent_id} == {ayse.user_id, mehmet.user_id}
        await b.desk.assignment.sweep()  # a second sweep (or bridge) finds nothing more to do
        assert b.desk.presence.shared.offer_for(CHAT) == second

    run_async(scenario)


def test_an_offer_expiring_on_two_bridges_at_once_moves_on_once(tmp_path):
    a = build(tmp_path, bridge_port=18080, offer_timeout_seconds=30)
    b = second_bridge(a)

    async def scenario():
        await b.online(b.add_agent("ayse"))
        await b.online(b.add_agent("mehmet"))
        await queued_chat(a)
        offer = a.desk.presence.shared.offer_for(CHAT)
        # A's timer and B's sweep act on the same offer at the same moment.
        await asyncio.gather(a.desk.assignment._pass(offer, "offer_expired"),
                             b.desk.assignment._pass(offer, "offer_expired"))
        handoff = a.store.current_handoff(CHAT)
        with a.store.session() as s:
            moves = list(s.execute(select(HandoffEvent.kind).where(HandoffEvent.handoff_id == handoff.id)
                                   .order_by(HandoffEvent.id)).scalars())
        assert moves.count("offer_expired") == 1 and moves.count("offered") == 2, moves
        withdrawn = a.sio.to(f"agent:{offer.agent_id}", "offer_withdrawn") + b.sio.to(f"agent:{offer.agent_id}",
                                                                                     "offer_withdrawn")
        assert len(withdrawn) == 1

    run_async(scenario)


def test_the_chats_of_an_agent_whose_bridge_died_go_back_to_the_queue_once(tmp_path):
    a = build(tmp_path, bridge_port=18080, agent_grace_seconds=20)
    b = second_bridge(a)
    c = second_bridge(a, port=18082)

    async def scenario():
        ayse = await a.online(a.add_agent("ayse"))
        await queued_chat(a)
        await a.desk.assignment.accept(ayse, CHAT)
        await a.desk.tasks.close()  # A dies with her socket: no disconnect, no grace timer anywhere
        await b.clock.advance(PRESENCE_TTL_SECONDS - 1)
        await b.desk.assignment.sweep()
        assert b.store.conversation(CHAT).state == "agent"  # her row is still fresh
        await b.clock.advance(20 + HEARTBEAT_SECONDS + 2)
        await b.desk.assignment.sweep()
        await c.desk.assignment.sweep()
        conversation = b.store.conversation(CHAT)
        assert (conversation.state, conversation.agent_id) == ("queued", None)
        lost = texts.say("agent_lost", "tr")
        assert [m.text for m in b.store.messages(CHAT, include_notes=True)].count(lost) == 1

    run_async(scenario)


def test_an_agent_online_on_another_bridge_keeps_chats_and_offers_when_one_socket_closes(tmp_path):
    a = build(tmp_path, bridge_port=18080)
    b = second_bridge(a)

    async def scenario():
        user = a.add_agent("ayse")
        on_a = await a.online(user)
        await b.online(user, sid="sid-ayse-b")
        await queued_chat(a)
        assert a.desk.presence.shared.offer_for(CHAT).agent_id == user.id
        await a.offline(on_a)
        assert a.desk.presence.shared.offer_for(CHAT).agent_id == user.id  # still online on B
        assert user.id in a.desk.presence.team()

    run_async(scenario)


def test_a_pause_holds_across_bridges(tmp_path):
    a = build(tmp_path, bridge_port=18080)
    b = second_bridge(a)

    async def scenario():
        user = a.add_agent("ayse")
        agent = await a.online(user)
        await a.desk.assignment.set_available(agent, False)
        on_b = await b.online(user, sid="sid-ayse-b")
        assert on_b.available is False and b.desk.presence.team()[user.id].available is False
        await queued_chat(b)
        assert b.desk.presence.offered() == set()

    run_async(scenario)


def test_acceptances_racing_on_postgresql_give_each_chat_one_agent_within_their_limits():
    """40 chats, 4 agents with room for 3 each, each agent accepting every chat from two threads at
    once (two consoles on two bridges), one in queue order and one from the back: 12 chats taken,
    none twice, no limit passed."""
    with postgres_schema_url() as url:
        store = DeskStore.open(url)
        try:
            harness = Harness(None, store, None, FakeClock(), None, None)  # only for add_agent
            agents = [harness.add_agent(f"agent{n}").id for n in range(4)]
            chats = []
            for n in range(40):
                conversation = store.create_conversation("tr", f"race-{n:02d}")
                store.update_conversation(conversation.id, state="queued")
                chats.append(conversation.id)
            consoles = [(agent, order) for agent in agents for order in (chats, chats[::-1])]
            barrier = threading.Barrier(len(consoles))
            taken = {}
            lock = threading.Lock()

            def accept_all(console) -> None:
                agent_id, order = console
                barrier.wait()
                for chat in order:
                    if store.claim(chat, agent_id, max_chats=3) is None:
                        with lock:
                            taken.setdefault(chat, []).append(agent_id)

            with ThreadPoolExecutor(len(consoles)) as pool:
                list(pool.map(accept_all, consoles))
            assert all(len(owners) == 1 for owners in taken.values()), taken
            assert len(taken) == 12
            held = {}
            for chat in chats:
                conversation = store.conversation(chat)
                if conversation.state == "agent":
                    held[conversation.agent_id] = held.get(conversation.agent_id, 0) + 1
                    assert [conversation.agent_id] == taken[chat]
            assert held == {agent: 3 for agent in agents}
        finally:
            store.engine.dispose()


def test_two_bridges_offering_one_chat_at_once_make_one_offer(tmp_path):
    store = DeskStore.open(f"sqlite:///{tmp_path / 'desk.db'}")
    clock = FakeClock()
    harness = Harness(None, store, None, clock, None, None)
    first, second = harness.add_agent("ayse").id, harness.add_agent("mehmet").id
    store.create_conversation("tr", CHAT)
    a, b = SharedDesk(store.session, clock, "a"), SharedDesk(store.session, clock, "b")
    made = [a.make_offer(CHAT, first, 30), b.make_offer(CHAT, second, 30)]
    assert made[0] is not None and made[1] is None
    assert b.take(made[0]) is True and a.take(made[0]) is False  # removed once, by one of them


def test_an_earlier_absence_timer_does_not_take_the_chats_of_an_agent_who_came_back_elsewhere(tmp_path):
    """Away from A, back on B, away from B again: A's timer (from the first absence) fires while she
    has been away for less than the grace period; only B's timer re-queues her chat."""
    a = build(tmp_path, bridge_port=18080, agent_grace_seconds=20)
    b = second_bridge(a)

    async def scenario():
        user = a.add_agent("ayse")
        on_a = await a.online(user)
        await queued_chat(a)
        await a.desk.assignment.accept(on_a, CHAT)
        await a.offline(on_a)                      # t=0: A starts its grace timer
        await a.clock.advance(10)
        on_b = await b.online(user, sid="sid-ayse-b")
        await a.clock.advance(5)
        await b.offline(on_b)                      # t=15: B starts its own
        await a.clock.advance(5)                   # t=20: A's timer fires, she has been away 5 s
        assert a.store.conversation(CHAT).agent_id == user.id
        await a.clock.advance(15)                  # t=35: B's timer, away 20 s
        conversation = a.store.conversation(CHAT)
        assert (conversation.state, conversation.agent_id) == ("queued", None)

    run_async(scenario)
