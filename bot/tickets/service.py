"""What people do with tickets, in order: store the change, send what must be sent, tell the others.

The console's API, the customer's page, the e-mail intake and the bridge's jobs all go through
here, so "stored before delivered" and "the owner and the shopper hear about it" hold on every
path. `notify` is the bridge's hook (consoles refresh, a shopper in the chat sees the reply).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Awaitable, Callable, List, Optional, Protocol, Sequence, Tuple

from bot.tickets.assignment import TicketAgent, assign_waiting
from bot.tickets.models import Ticket, TicketEntry
from bot.tickets.store import NewTicket, TicketError, TicketStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TicketNews:
    """Something others should see: `what` is opened | assigned | reply | customer | note | status | rated | alert."""

    ticket_id: int
    what: str
    entry_id: Optional[int] = None
    agent_ids: Tuple[int, ...] = ()  # who must be told in particular (owner, alerted admins)


class TicketMail(Protocol):
    """Sends a ticket's e-mails (bot/tickets/mail.py); returns the Message-ID it used."""

    def send_reply(self, ticket: Ticket, entry: TicketEntry, agent_first_name: str, now: datetime) -> str: ...

    def send_opened(self, ticket: Ticket, now: datetime) -> str: ...

    def send_resolved(self, ticket: Ticket, now: datetime) -> str: ...


Notify = Callable[[TicketNews], Awaitable[None]]


async def _nobody(_news: TicketNews) -> None:
    return None


class TicketService:
    def __init__(self, store: TicketStore, mail: Optional[TicketMail] = None, notify: Notify = _nobody,
                 agent_name: Callable[[Optional[int]], str] = lambda _id: ""):
        self.store = store
        self.mail = mail  # None: no SMTP configured; replies are stored and shown on the customer's page
        self.notify = notify
        self.agent_name = agent_name

    async def open(self, new: NewTicket, now: datetime) -> Ticket:
        ticket = self.store.open(new, now)
        await self.acknowledge(ticket, now)
        await self.notify(TicketNews(ticket.id, "opened"))
        return ticket

    async def acknowledge(self, ticket: Ticket, now: datetime) -> None:
        """The e-mail saying the ticket is recorded, its code and deadline: once, to an address."""
        if self.mail is not None and ticket.email and ticket.last_message_id is None:
            await self._send(lambda: self.mail.send_opened(ticket, now), ticket.id, None)

    async def reply(self, ticket_id: int, agent_id: int, text: str, now: datetime) -> TicketEntry:
        ticket = self._ticket(ticket_id)
        entry = self.store.reply(ticket_id, agent_id, text, now, channel="email" if ticket.email and self.mail else "page")
        ticket = self._ticket(ticket_id)
        if self.mail is not None and ticket.email:
            first_name = (self.agent_name(agent_id) or "").split(" ")[0]
            await self._send(lambda: self.mail.send_reply(ticket, entry, first_name, now), ticket_id, entry.id)
        await self.notify(TicketNews(ticket_id, "reply", entry.id))
        return entry

    async def note(self, ticket_id: int, agent_id: int, text: str, now: datetime) -> TicketEntry:
        entry = self.store.note(ticket_id, agent_id, text, now)
        await self.notify(TicketNews(ticket_id, "note", entry.id))
        return entry

    async def customer_wrote(self, ticket_id: int, text: str, now: datetime, channel: str,
                             message_id: Optional[str] = None) -> TicketEntry:
        entry = self.store.customer_wrote(ticket_id, text, now, channel, message_id)
        ticket = self._ticket(ticket_id)
        await self.notify(TicketNews(ticket_id, "customer", entry.id, (ticket.owner_id,) if ticket.owner_id else ()))
        return entry

    async def set_status(self, ticket_id: int, status: str, agent_id: Optional[int], now: datetime) -> Ticket:
        ticket = self.store.set_status(ticket_id, status, now, by=agent_id)
        if status == "resolved" and self.mail is not None and ticket.email and ticket.rating is None and not ticket.reopened:
            await self._send(lambda: self.mail.send_resolved(ticket, now), ticket_id, None)  # asks for the rating
        await self.notify(TicketNews(ticket_id, "status"))
        return ticket

    async def reassign(self, ticket_id: int, to_agent: Optional[int], by: int, seen_owner: Optional[int],
                       now: datetime) -> Ticket:
        """A person moves the ticket; refused when the owner changed since they looked (no silent takeover)."""
        if not self.store.assign(ticket_id, to_agent, now, expected_owner=seen_owner, by=by):
            raise TicketError("conflict", "the ticket changed meanwhile")
        await self.notify(TicketNews(ticket_id, "assigned", agent_ids=(to_agent,) if to_agent else ()))
        return self._ticket(ticket_id)

    async def rate(self, ticket_id: int, score: int, now: datetime) -> bool:
        rated = self.store.rate(ticket_id, score, now)
        if rated:
            await self.notify(TicketNews(ticket_id, "rated"))
        return rated

    async def assign_waiting(self, agents: Sequence[TicketAgent], now: datetime) -> List[Tuple[int, int]]:
        given = assign_waiting(self.store, agents, now)
        for ticket_id, agent_id in given:
            await self.notify(TicketNews(ticket_id, "assigned", agent_ids=(agent_id,)))
        return given

    def _ticket(self, ticket_id: int) -> Ticket:
        ticket = self.store.get(ticket_id)
        if ticket is None:
            raise TicketError("not_found")
        return ticket

    async def _send(self, send: Callable[[], str], ticket_id: int, entry_id: Optional[int]) -> None:
        """SMTP in a thread (it blocks). A failure is kept on the thread for the console: the text is
        stored and on the customer's page either way."""
        try:
            message_id = await asyncio.to_thread(send)
        except Exception as error:  # noqa: BLE001 - any SMTP or network failure
            log.warning("ticket %s: e-mail not sent: %s", ticket_id, error)
            self.store.mail_result(ticket_id, entry_id, None, str(error)[:300])
            return
        self.store.mail_result(ticket_id, entry_id, message_id, None)
