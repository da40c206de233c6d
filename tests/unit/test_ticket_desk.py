"""Tickets inside the bridge, with a fake Rasa and an injected clock: after-hours requests, chats
closed for follow-up, replies reaching the chat, owners found, deadlines warned and alerted once."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.desk import texts
from bot.desk.models import Conversation, DeskUser, Handoff, HandoffEvent
from bot.tickets.models import Ticket
from bot.tickets.store import NewTicket
from bot.tickets.customer_texts import when as format_moment
from tests.asyncio_thread import run_async
from tests.unit.desk_harness import Harness, build
from tests.unit.test_desk_parts import asks_for_a_person, queued_chat

CHAT = "chat-1"


def tickets(h: Harness):
    with h.store.session() as s:
        return list(s.execute(select(Ticket).order_by(Ticket.id)).scalars())


def test_after_hours_with_a_known_address_the_shopper_gets_the_code_and_the_real_deadline(tmp_path):
    h = build(tmp_path, support_hours="never")
    h.desk.customers.emails[7] = "ada@example.com"

    async def scenario():
        h.desk.conversations.store.create_conversation(conversation_id=CHAT)
        h.store.update_conversation(CHAT, customer_id=7)
        await queued_chat(h)
        (ticket,) = tickets(h)
        assert (ticket.source, ticket.email, ticket.customer_id, ticket.conversation_id) == (
            "after_hours", "ada@example.com", 7, CHAT)
        told = h.shopper_saw(CHAT)[-1]
        assert ticket.code in told and format_moment(ticket.first_response_due, "tr") in told
        assert h.store.conversation(CHAT).awaiting is None
        h.rasa.will_answer(*asks_for_a_person())  # asking again: the same ticket, named again
        await h.shopper_says(CHAT, "bir insanla görüşmek istiyorum!!")
        assert [t.code for t in tickets(h)] == [ticket.code] and ticket.code in h.shopper_saw(CHAT)[-1]

    run_async(scenario)


def test_an_anonymous_shopper_is_asked_for_an_address_first_and_no_ticket_promises_what_nobody_can_send(tmp_path):
    h = build(tmp_path, support_hours="never")

    async def scenario():
        await queued_chat(h)
        assert tickets(h) == [] and h.store.conversation(CHAT).awaiting == "ticket_email"
        await h.shopper_says(CHAT, "vazgeç")
        assert tickets(h) == [] and h.shopper_saw(CHAT)[-1] == texts.say("ticket_cancelled", "tr")

    run_async(scenario)

    h2 = build(tmp_path / "second", support_hours="never")

    async def with_address():
        await queued_chat(h2)
        await h2.shopper_says(CHAT, "adresim veli@example.com")
        (ticket,) = tickets(h2)
        assert ticket.email == "veli@example.com" and ticket.code in h2.shopper_saw(CHAT)[-1]

    run_async(with_address)


def test_a_chat_closed_as_needing_follow_up_becomes_a_ticket_owned_by_the_agent(tmp_path):
    h = build(tmp_path)
    idle = h.add_agent("mehmet")  # online with no tickets (and the lower id): assignment would pick him
    ayse = h.add_agent("ayse")

    async def scenario():
        await h.online(idle)
        agent = await h.online(ayse)
        await queued_chat(h)
        await h.desk.assignment.accept(agent, CHAT)
        await h.desk.agent_actions.close(agent, CHAT, ["needs_followup", "shipping_delay"], "Kargo firmasına sorulacak")
        (ticket,) = tickets(h)
        assert (ticket.source, ticket.category, ticket.owner_id, ticket.text) == (
            "chat_followup", "kargo", ayse.id, "Kargo firmasına sorulacak")
        assert any(ticket.code in said for said in h.shopper_saw(CHAT))

    run_async(scenario)


def test_a_reply_reaches_the_shoppers_chat_and_every_console_hears_of_it(tmp_path):
    h = build(tmp_path)
    ayse = h.add_agent("ayse")

    async def scenario():
        h.store.create_conversation(conversation_id=CHAT)
        service = h.desk.tickets.service
        ticket = await service.open(NewTicket("complaint", "kargo", "tr", "Paketim gelmedi", conversation_id=CHAT),
                                    h.clock.now())
        await service.reply(ticket.id, ayse.id, "Kargonuz yarın teslim edilecek.", h.clock.now())
        await h.desk.delivery.flush()
        assert h.shopper_saw(CHAT)[-1] == f"[{ticket.code}] Kargonuz yarın teslim edilecek."
        changes = [data for name, data, _, ns in h.sio.sent if name == "tickets_changed"]
        assert {"ticket_id": ticket.id, "what": "reply"} in changes
        assert service.store.get(ticket.id).status == "waiting"

    run_async(scenario)


def test_owners_are_found_when_an_agent_comes_online_in_the_tickets_language_and_skills(tmp_path):
    h = build(tmp_path)
    english = h.add_agent("john", languages=("en",))
    turkish = h.add_agent("ayse", languages=("tr",))
    with h.store.session() as s:
        s.get(DeskUser, turkish.id).skills = ["iade"]
        s.commit()

    async def scenario():
        service = h.desk.tickets.service
        refund = await service.open(NewTicket("complaint", "iade", "tr", "Param yatmadı"), h.clock.now())
        shipping = await service.open(NewTicket("complaint", "kargo", "tr", "Geç geldi"), h.clock.now())
        assert service.store.get(refund.id).owner_id is None  # nobody online yet
        await h.online(english)
        assert service.store.get(refund.id).owner_id is None  # does not speak Turkish
        await h.online(turkish)
        assert service.store.get(refund.id).owner_id == turkish.id
        assert service.store.get(shipping.id).owner_id is None  # not among her skills
        assert service.store.get(refund.id).status == "open"

    run_async(scenario)


def test_near_a_deadline_the_owner_is_warned_once_and_past_it_owner_and_admins_are_alerted_once(tmp_path):
    h = build(tmp_path, ticket_sla="*=1/4", ticket_warn_hours=0.5)
    ayse = h.add_agent("ayse")
    with h.store.session() as s:
        admin = DeskUser(username="boss", display_name="Boss", role="admin", password_hash="x", languages=["tr"],
                         max_chats=3, active=True, created_at=h.clock.now())
        s.add(admin)
        s.commit()
        admin_id = admin.id

    async def scenario():
        service = h.desk.tickets.service
        start = h.clock.now()
        ticket = await service.open(NewTicket("complaint", "kargo", "tr", "Geç geldi"), start)
        service.store.assign(ticket.id, ayse.id, start)
        await h.desk.tickets.check_deadlines(start + timedelta(minutes=10))
        assert [e for e in h.sio.sent if e[0] == "ticket_alert"] == []
        await h.desk.tickets.check_deadlines(start + timedelta(minutes=40))
        await h.desk.tickets.check_deadlines(start + timedelta(minutes=45))
        warned = [(data["kind"], room) for name, data, room, _ in h.sio.sent if name == "ticket_alert"]
        assert warned == [("ticket_due_soon", f"agent:{ayse.id}")]
        await h.desk.tickets.check_deadlines(start + timedelta(minutes=61))
        await h.desk.tickets.check_deadlines(start + timedelta(minutes=90))
        alerted = sorted(room for name, data, room, _ in h.sio.sent if name == "ticket_alert" and data["kind"] == "ticket_breached")
        assert alerted == sorted([f"agent:{ayse.id}", f"agent:{admin_id}"])
        # answered late: the resolution deadline (4 h from the start) gets its own warning and alert
        service.store.reply(ticket.id, ayse.id, "Bakıyorum.", start + timedelta(minutes=95))
        await h.desk.tickets.check_deadlines(start + timedelta(minutes=215))
        await h.desk.tickets.check_deadlines(start + timedelta(minutes=245))
        kinds = [data["kind"] for name, data, room, _ in h.sio.sent if name == "ticket_alert" and room == f"agent:{ayse.id}"]
        assert kinds == ["ticket_due_soon", "ticket_breached", "ticket_due_soon", "ticket_breached"]

    run_async(scenario)


def test_a_customer_in_a_segment_that_goes_ahead_waits_at_the_front_and_agents_see_the_segment(tmp_path):
    h = build(tmp_path)
    h.desk.customers.known_segments[7] = ["vip"]

    async def scenario():
        await queued_chat(h, "someone-else")
        h.store.create_conversation(conversation_id=CHAT)
        h.store.update_conversation(CHAT, customer_id=7)
        await queued_chat(h)
        with h.store.session() as s:
            vip = s.get(Conversation, CHAT)
        assert (vip.queue_priority, vip.segments) == (0, ["vip"])
        assert h.desk.panels.position(CHAT) == 1 and h.desk.panels.position("someone-else") == 2

    run_async(scenario)


class KeptMail:
    """The ticket e-mails the bridge would send (SMTP is not the point here)."""

    def __init__(self) -> None:
        self.opened = []

    def send_opened(self, ticket, now):
        self.opened.append(ticket.code)
        return f"<{ticket.code}@test>"


def test_a_ticket_the_assistant_opened_is_acknowledged_by_email_once_and_gets_an_owner_at_once(tmp_path):
    from bot import contract
    from bot.desk.rasa_client import BotReply

    h = build(tmp_path)
    ayse = h.add_agent("ayse")
    mail = h.desk.tickets.service.mail = KeptMail()

    async def scenario():
        await h.online(ayse)
        # what the action server does: the ticket in the shared database, then the signal in its reply
        ticket = h.desk.tickets.service.store.open(NewTicket("missed_promise", "iade", "tr", "İade gecikti",
                                                             email="ada@example.com", conversation_id=CHAT), h.clock.now())
        for _ in range(2):  # the same signal twice (a retried turn) sends one e-mail
            h.rasa.will_answer(BotReply(text=f"{ticket.code} numarasıyla takibe aldık."),
                               BotReply(custom=contract.TicketOpened(ticket.code).to_json()))
            await h.shopper_says(CHAT, "iadem ne durumda")
        assert mail.opened == [ticket.code]
        assert h.desk.tickets.service.store.get(ticket.id).owner_id == ayse.id

    run_async(scenario)


def test_when_support_closes_a_shopper_nobody_can_take_gets_a_ticket_instead_of_waiting_forever(tmp_path):
    h = build(tmp_path)
    john = h.add_agent("john", languages=("en",))

    async def scenario():
        await h.online(john)  # working late, but he does not speak Turkish
        await queued_chat(h)
        calendar = h.desk.tickets.service.store.calendar
        h.desk.tickets.service.store.calendar = type(calendar).from_settings("never")  # closing time
        await h.desk.tickets.close_the_queue(h.clock.now())
        conversation = h.store.conversation(CHAT)
        assert (conversation.state, conversation.awaiting) == ("bot", "ticket_email")
        assert h.shopper_saw(CHAT)[-1] == texts.say("queue_closed_ask_email", "tr")
        assert ("resume", CHAT) in h.rasa.calls  # the assistant answers again
        await h.shopper_says(CHAT, "ali@example.com")
        (ticket,) = tickets(h)
        assert (ticket.source, ticket.email) == ("after_hours", "ali@example.com")
        with h.store.session() as s:

            handoff = s.execute(select(Handoff).where(Handoff.conversation_id == CHAT)).scalar_one()
            kinds = s.execute(select(HandoffEvent.kind).where(HandoffEvent.handoff_id == handoff.id)).scalars().all()
        assert handoff.status == "ticket" and kinds[0] == "queued" and "ticketed" in kinds  # queued, then ticketed

    run_async(scenario)


def test_agents_working_late_still_take_the_queue_after_closing(tmp_path):
    h = build(tmp_path)
    ayse = h.add_agent("ayse")

    async def scenario():
        await h.online(ayse)
        await queued_chat(h)
        h.desk.tickets.service.store.calendar = type(h.desk.tickets.service.store.calendar).from_settings("never")
        await h.desk.tickets.close_the_queue(h.clock.now())
        assert h.store.conversation(CHAT).state == "queued" and tickets(h) == []

    run_async(scenario)
