"""Tickets inside the bridge: after-hours requests and chats closed for follow-up become tickets,
owners are found when agents come online or capacity frees, deadlines warn and alert, and a reply
reaches the shopper's chat as well as their inbox.

The ticket rules live in bot/tickets/; this part connects them to conversations and agents.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import List, Optional

from sqlalchemy import select

from bot.desk import events
from bot.desk.clock import BackgroundTasks, Clock
from bot.desk.conversations import Conversations
from bot.desk.models import Conversation, DeskUser, Message
from bot.desk.presence import Presence
from bot.desk.store import DeskStore, iso
from bot.tickets.assignment import TicketAgent
from bot.tickets.models import OPEN_STATUSES
from bot.tickets.service import TicketNews, TicketService
from bot.tickets.store import NewTicket, next_deadline
from bot.tickets.customer_texts import when as format_moment

log = logging.getLogger(__name__)

JOB_SECONDS = 30.0  # assignment and deadline checks; events make the common cases immediate
FOLLOW_UP_TAG = "needs_followup"  # an agent closes a chat that still needs work: it becomes a ticket
# The chat's resolution tags tell the follow-up ticket's category.
TAG_CATEGORIES = {"shipping_delay": "kargo", "order_issue": "kargo", "return_refund": "iade", "payment": "odeme",
                  "complaint": "hizmet"}
WORDS_KEPT = 5  # the shopper's last messages copied into an after-hours ticket as their own words


class TicketDesk:
    def __init__(self, service: TicketService, conversations: Conversations, store: DeskStore, customers,
                 presence: Presence, bus: events.EventBus, clock: Clock, tasks: BackgroundTasks, warn_hours: float):
        self.service = service
        self.conversations = conversations
        self.store = store
        self.customers = customers
        self.presence = presence
        self.bus = bus
        self.clock = clock
        self.tasks = tasks
        self.warn_within = timedelta(hours=warn_hours)
        service.notify = self.notify

    def start(self) -> None:
        self.tasks.start(self._watch(), name="ticket deadlines and assignment")

    # --- tickets from conversations --------------------------------------------------------
    async def after_hours(self, conversation: Conversation, email: str) -> None:
        """Outside support hours, with an address to answer to: a ticket, its code and the promise.
        Asking again in the same chat repeats the open ticket's code (no second ticket, no second e-mail)."""
        ticket = next((t for t in self.service.store.of_customer(conversation_id=conversation.id)
                       if t.source == "after_hours" and t.status in OPEN_STATUSES), None) or await self.service.open(NewTicket(
            source="after_hours", category="diger", language=conversation.language, text=self._words(conversation.id),
            customer_id=conversation.customer_id, email=email, conversation_id=conversation.id,
            segments=self.customers.segments(conversation.customer_id)), self.clock.now())
        await self.conversations.system_message(conversation, "after_hours_ticket", code=ticket.code, email=email,
                                                due=format_moment(ticket.first_response_due, conversation.language))

    async def close_the_queue(self, now: Optional[datetime] = None) -> None:
        """Support hours ended with shoppers still waiting and nobody online for their language: each
        wait becomes a ticket instead of going on forever (agents working late still take chats)."""
        now = now or self.clock.now()
        if self.service.store.calendar.is_open(now):
            return
        served = {language for agent in self.presence.team().values() if agent.available for language in agent.languages}
        offered = self.presence.offered()
        for waiting in self.store.conversations_in("queued"):
            if waiting.language in served or waiting.id in offered:
                continue
            async with self.conversations.lock(waiting.id):
                conversation = self.store.conversation(waiting.id)
                if conversation is None or conversation.state != "queued":
                    continue
                email = self.customers.email(conversation.customer_id)
                if email:  # the ticket first: if it cannot be opened, the shopper still waits in the queue
                    await self.after_hours(conversation, email)
                await self.conversations.queue_to_ticket(conversation, email)

    async def on_closed_for_follow_up(self, event: events.ClosedByAgent) -> None:
        """An agent closed an escalated chat as needing follow-up: the work goes on as a ticket they own."""
        if FOLLOW_UP_TAG not in event.tags:
            return
        conversation = self.store.conversation(event.conversation_id)
        ticket = await self.service.open(NewTicket(
            source="chat_followup",
            category=next((TAG_CATEGORIES[t] for t in event.tags if t in TAG_CATEGORIES), "diger"), language=conversation.language,
            text=event.note or self._words(conversation.id), customer_id=conversation.customer_id,
            email=self.customers.email(conversation.customer_id), conversation_id=conversation.id,
            segments=self.customers.segments(conversation.customer_id), owner_id=event.agent_id), self.clock.now())
        await self.conversations.system_message(conversation, "followup_ticket", code=ticket.code)

    async def on_opened_by_assistant(self, event: events.TicketOpenedByAssistant) -> None:
        """The action server opened a ticket: the acknowledgement e-mail goes out from here (the
        bridge sends the ticket e-mails) and an owner is found now."""
        ticket = self.service.store.by_code(event.code)
        if ticket is not None:
            await self.service.acknowledge(ticket, self.clock.now())
        await self.assign()
        await self.bus.publish(events.TicketsChanged(TicketNews(ticket.id if ticket else 0, "opened")))

    def _words(self, conversation_id: str) -> str:
        with self.store.session() as s:
            texts = s.execute(select(Message.text).where(Message.conversation_id == conversation_id,
                                                         Message.sender == "shopper")
                              .order_by(Message.id.desc()).limit(WORDS_KEPT)).scalars().all()
        return "\n".join(reversed(texts))

    # --- news to agents and shoppers -------------------------------------------------------
    async def notify(self, news: TicketNews) -> None:
        if news.what == "reply" and news.entry_id is not None:
            await self._reply_to_chat(news)
        if news.what in ("status", "opened"):
            await self.assign()  # a resolved ticket frees capacity; a new one needs an owner
        await self.bus.publish(events.TicketsChanged(news))

    async def _reply_to_chat(self, news: TicketNews) -> None:
        """The reply also lands in the shopper's chat transcript (seen at once if they are there)."""
        ticket = self.service.store.get(news.ticket_id)
        entry = next((e for e in self.service.store.entries(news.ticket_id) if e.id == news.entry_id), None)
        conversation = self.store.conversation(ticket.conversation_id) if ticket and ticket.conversation_id else None
        if entry is None or conversation is None or conversation.ended_at or conversation.anonymised_at:
            return
        await self.conversations.say(conversation, "agent", f"[{ticket.code}] {entry.text}", agent_id=entry.author_id,
                                     data={"ticket": ticket.code})

    # --- owners and deadlines --------------------------------------------------------------
    async def assign(self) -> List[tuple]:
        return await self.service.assign_waiting(self._agents_present(), self.clock.now())

    def _agents_present(self) -> List[TicketAgent]:
        online = [a.user_id for a in self.presence.team().values() if a.role in ("agent", "admin")]
        if not online:
            return []
        with self.store.session() as s:
            users = s.execute(select(DeskUser).where(DeskUser.id.in_(online), DeskUser.active.is_(True))).scalars()
            return [TicketAgent(u.id, list(u.languages or []), list(u.skills or []), u.max_tickets) for u in users]

    async def check_deadlines(self, now: Optional[datetime] = None) -> None:
        """Near a deadline: the owner is warned once; past it: owner and admins alerted once."""
        now = now or self.clock.now()
        store = self.service.store
        for ticket in store.breached(now):
            if store.mark(ticket.id, "breached_at", now):
                await self._alert(ticket, "ticket_breached", self._admins() | ({ticket.owner_id} - {None}))
        soon = now + self.warn_within
        for ticket in store.near_breach(now, self.warn_within):
            if ticket.owner_id and store.mark(ticket.id, "warned_at", now):
                await self._alert(ticket, "ticket_due_soon", {ticket.owner_id}, until=soon)

    async def _alert(self, ticket, kind: str, agent_ids: set, until: Optional[datetime] = None) -> None:
        payload = {"kind": kind, "ticket_id": ticket.id, "code": ticket.code, "due": iso(next_deadline(ticket)),
                   "owner_id": ticket.owner_id}
        await self.bus.publish(events.TicketAlert(payload, tuple(sorted(agent_ids))))

    def _admins(self) -> set:
        with self.store.session() as s:
            return set(s.execute(select(DeskUser.id).where(DeskUser.role == "admin", DeskUser.active.is_(True))).scalars())

    async def _watch(self) -> None:
        while True:
            await self.clock.sleep(JOB_SECONDS)
            try:
                await self.close_the_queue()
                await self.assign()
                await self.check_deadlines()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the job
                log.exception("ticket job failed; next run in %s s", JOB_SECONDS)
