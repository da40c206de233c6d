"""The desk's state changes driven through its parts with a fake Rasa and a fake clock: handoff,
offer timeout, grace period, transfer, close with CSAT, after-hours tickets, shutdown."""
from __future__ import annotations

from sqlalchemy import select

from bot import contract
from bot.desk import events, texts
from bot.desk.models import Handoff, HandoffEvent, Rating
from bot.desk.rasa_client import BotReply
from tests.asyncio_thread import run_async
from tests.unit.desk_harness import Harness, build, settle

CHAT = "chat-1"


def asks_for_a_person() -> BotReply:
    return BotReply(text="Sizi bir temsilciye aktarıyorum.", custom=None), \
        BotReply(custom=contract.HandoffRequest().to_json())


def handoff_events(h: Harness, conversation_id: str = CHAT):
    with h.store.session() as s:
        handoff = s.execute(select(Handoff).where(Handoff.conversation_id == conversation_id)
                            .order_by(Handoff.id.desc())).scalars().first()
        kinds = s.execute(select(HandoffEvent.kind).where(HandoffEvent.handoff_id == handoff.id)
                          .order_by(HandoffEvent.id)).scalars().all()
        return handoff, kinds


async def queued_chat(h: Harness, conversation_id: str = CHAT) -> None:
    h.rasa.will_answer(*asks_for_a_person())
    await h.shopper_says(conversation_id, "bir insanla görüşmek istiyorum")


def test_a_handoff_queues_the_chat_offers_it_and_pauses_rasa_after_the_offer(tmp_path):
    h = build(tmp_path)

    async def scenario():
        ayse = await h.online(h.add_agent("ayse"))
        await queued_chat(h)
        conversation = h.store.conversation(CHAT)
        assert conversation.state == "queued" and conversation.reason == "requested"
        assert h.offers_to(ayse) == [CHAT]
        assert h.statuses(CHAT) == ["queued"]
        said = h.shopper_saw(CHAT)
        assert said[0] == "Sizi bir temsilciye aktarıyorum." and "sıra numaranız 1" in said[1]
        # The offer reached the agent before Rasa was paused, and Rasa was paused once.
        assert h.rasa.calls == [("send", CHAT), ("pause", CHAT)]
        assert handoff_events(h)[1] == ["queued", "offered"]
        # The human button is not offered once a person is coming.
        assert not any(contract.HUMAN_BUTTON["tr"] == q.get("payload")
                       for data in h.sio.to(CHAT, "bot_uttered") for q in data.get("quick_replies", []))

    run_async(scenario)


def test_an_unanswered_offer_moves_on_to_the_next_agent_when_it_times_out(tmp_path):
    h = build(tmp_path, offer_timeout_seconds=30)

    async def scenario():
        ayse = await h.online(h.add_agent("ayse"))
        await queued_chat(h)
        bora = await h.online(h.add_agent("bora"))
        assert h.offers_to(ayse) == [CHAT] and h.offers_to(bora) == []
        await h.clock.advance(29)
        assert h.offers_to(bora) == []  # not yet
        await h.clock.advance(1)
        await h.desk.delivery.flush()
        assert h.sio.to(f"agent:{ayse.user_id}", "offer_withdrawn") == [{"conversation_id": CHAT}]
        assert h.offers_to(bora) == [CHAT]
        assert handoff_events(h)[1] == ["queued", "offered", "offer_expired", "offered"]

    run_async(scenario)


def test_a_chat_waits_for_its_agent_during_the_grace_period_then_goes_to_the_front_of_the_queue(tmp_path):
    h = build(tmp_path, agent_grace_seconds=20)

    async def scenario():
        ayse = await h.online(h.add_agent("ayse"))
        await queued_chat(h)
        await h.desk.assignment.accept(ayse, CHAT)
        await h.offline(ayse)
        await h.clock.advance(19)
        assert h.store.conversation(CHAT).agent_id == ayse.user_id  # still hers
        await h.clock.advance(1)
        conversation = h.store.conversation(CHAT)
        assert (conversation.state, conversation.agent_id, conversation.queue_priority) == ("queued", None, 0)
        assert texts.say("agent_lost", "tr") in h.shopper_saw(CHAT)
        assert handoff_events(h)[1][-1] == "requeued"

    run_async(scenario)


def test_an_agent_back_within_the_grace_period_keeps_the_chat(tmp_path):
    h = build(tmp_path, agent_grace_seconds=20)

    async def scenario():
        user = h.add_agent("ayse")
        ayse = await h.online(user)
        await queued_chat(h)
        await h.desk.assignment.accept(ayse, CHAT)
        await h.offline(ayse)
        await h.clock.advance(10)
        await h.online(user, "sid-2")
        await h.clock.advance(60)
        assert h.store.conversation(CHAT).agent_id == user.id
        assert h.clock.sleeping() == 0 and len(h.desk.tasks) == 0  # the grace timer is gone, not leaked

    run_async(scenario)


def test_a_transfer_goes_to_the_chosen_colleague_first_even_one_added_after_start(tmp_path):
    h = build(tmp_path)

    async def scenario():
        ayse = await h.online(h.add_agent("ayse"))
        await h.online(h.add_agent("bora"))
        await queued_chat(h)
        await h.desk.assignment.accept(ayse, CHAT)
        h.desk.directory.names()  # cached before the new colleague exists
        cem = await h.online(h.add_agent("cem"))
        await h.desk.assignment.transfer(ayse, CHAT, cem.user_id)
        await h.desk.delivery.flush()
        assert h.offers_to(cem) == [CHAT]
        assert texts.say("transferred", "tr") in h.shopper_saw(CHAT)
        conversation = await h.desk.assignment.accept(cem, CHAT)
        assert conversation.agent_id == cem.user_id
        assert h.sio.to(CHAT, "handoff_status")[-1] == {"state": "agent", "agent_name": "Cem"}

    run_async(scenario)


def test_closing_asks_for_csat_once_and_the_rating_is_stored(tmp_path):
    h = build(tmp_path)

    async def scenario():
        ayse = await h.online(h.add_agent("ayse"))
        await queued_chat(h)
        await h.desk.assignment.accept(ayse, CHAT)
        await h.desk.agent_actions.send(ayse, CHAT, "Merhaba, bakıyorum.")
        await h.desk.agent_actions.note(ayse, CHAT, "iç not: kargo firmasını ara")
        await h.desk.agent_actions.close(ayse, CHAT, ["kargo"], "")
        await h.desk.delivery.flush()
        assert h.store.conversation(CHAT).state == "bot"
        assert ("resume", CHAT) in h.rasa.calls
        assert h.sio.to(f"agent:{ayse.user_id}", "conversation_closed") == [{"conversation_id": CHAT}]
        said = h.shopper_saw(CHAT)
        assert "Merhaba, bakıyorum." in said and not any("iç not" in text for text in said)  # notes never reach shoppers
        assert said[-1] == texts.say("closed", "tr")
        await h.shopper_says(CHAT, "5")
        with h.store.session() as s:
            assert [(r.kind, r.score) for r in s.execute(select(Rating)).scalars()] == [("csat", 5)]
        assert h.rasa.calls.count(("send", CHAT)) == 1  # the rating went to the bridge, not to Rasa

    run_async(scenario)


def test_outside_support_hours_a_ticket_is_opened_and_Iptal_cancels_the_email_question(tmp_path):
    h = build(tmp_path, support_hours="never")

    async def scenario():
        await queued_chat(h)
        assert h.store.conversation(CHAT).awaiting == "ticket_email"
        assert h.statuses(CHAT) == ["ticket"]
        await h.shopper_says(CHAT, "İptal")
        assert h.store.conversation(CHAT).awaiting is None
        assert h.shopper_saw(CHAT)[-1] == texts.say("ticket_cancelled", "tr")

    run_async(scenario)


def test_every_event_has_a_subscriber_and_shutdown_cancels_every_timer(tmp_path):
    h = build(tmp_path)
    published = [value for value in vars(events).values()
                 if isinstance(value, type) and value.__module__ == events.__name__ and value is not events.EventBus]
    assert [e.__name__ for e in published if not h.desk.bus.subscribers(e)] == []

    async def scenario():
        await h.online(h.add_agent("ayse"))
        await queued_chat(h)  # an offer timer runs
        assert len(h.desk.tasks) >= 1
        await h.desk.close()
        await settle()
        assert len(h.desk.tasks) == 0

    run_async(scenario)
