"""Tickets' persistence and life: open, assign, reply, note, customer messages, status, rating.

Every change is one short transaction that also writes the thread entry saying what happened,
so the ticket's history is its own audit trail. Times are passed in (an injected clock): SLA
tests cross nights and holidays without sleeping. Ownership changes are conditional updates, so
two bridges or two agents racing for one ticket leave it with exactly one owner.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from actions.store.database import make_sessionmaker
from actions.store.types import shop_local
from bot.tickets.models import OPEN_STATUSES, SOURCES, STATUSES, Ticket, TicketEntry
from bot.tickets.sla import SlaTarget, SupportCalendar, target_for

REOPEN_DAYS = 7  # a customer who writes within this many days of the resolution reopens the ticket
MAX_TEXT = 5000  # one reply or message; longer text is refused, not cut


class TicketError(ValueError):
    """A change that is not allowed; `code` is the protocol's error code (bot/desk/errors.py)."""

    def __init__(self, code: str, detail: Optional[str] = None):
        super().__init__(detail or code)
        self.code, self.detail = code, detail


@dataclass(frozen=True)
class NewTicket:
    source: str  # one of SOURCES (bot/tickets/models.py)
    category: str
    language: str
    text: str = ""
    customer_id: Optional[int] = None
    email: Optional[str] = None
    conversation_id: Optional[str] = None
    order_no: Optional[str] = None
    channel: str = "chat"
    segments: Sequence[str] = ()
    owner_id: Optional[int] = None  # the agent who opened it for themselves (a chat closed for follow-up)


def code_for(source: str, ticket_id: int, now: datetime) -> str:
    """SKT-YYYY-NNNNNN for complaints (what the assistant always said), DST-… for the rest."""
    return f"{'SKT' if source == 'complaint' else 'DST'}-{shop_local(now):%Y}-{ticket_id:06d}"


class TicketStore:
    def __init__(self, engine: Union[Engine, Connection], calendar: SupportCalendar, targets: Dict[str, SlaTarget]):
        # A connection (the demo history) makes every change join its one outer transaction.
        self.engine = engine
        self.session = make_sessionmaker(engine)
        self.calendar = calendar
        self.targets = targets

    # --- reading ---------------------------------------------------------------------------
    def get(self, ticket_id: int) -> Optional[Ticket]:
        with self.session() as s:
            return s.get(Ticket, ticket_id)

    def by_code(self, code: str) -> Optional[Ticket]:
        with self.session() as s:
            return s.execute(select(Ticket).where(Ticket.code == code.strip().upper())).scalar()

    def entries(self, ticket_id: int, public_only: bool = False) -> List[TicketEntry]:
        query = select(TicketEntry).where(TicketEntry.ticket_id == ticket_id)
        if public_only:
            query = query.where(TicketEntry.kind.in_(("reply", "customer")))
        with self.session() as s:
            return list(s.execute(query.order_by(TicketEntry.id)).scalars())

    def of_customer(self, customer_id: Optional[int] = None, conversation_id: Optional[str] = None,
                    email: Optional[str] = None) -> List[Ticket]:
        """A shopper's tickets, newest first: by the proven customer, this chat or their address."""
        conditions = []
        if customer_id is not None:
            conditions.append(Ticket.customer_id == customer_id)
        if conversation_id:
            conditions.append(Ticket.conversation_id == conversation_id)
        if email:
            conditions.append(func.lower(Ticket.email) == email.strip().lower())
        if not conditions:
            return []
        with self.session() as s:
            return list(s.execute(select(Ticket).where(or_(*conditions)).order_by(Ticket.id.desc())).scalars())

    def search(self, *, status: Optional[str] = None, owner_id: Optional[int] = None, unassigned: bool = False,
               category: Optional[str] = None, due_before: Optional[datetime] = None, text: Optional[str] = None,
               limit: int = 200) -> List[Ticket]:
        query = select(Ticket)
        if status == "open_all":
            query = query.where(Ticket.status.in_(OPEN_STATUSES))
        elif status:
            query = query.where(Ticket.status == status)
        if owner_id is not None:
            query = query.where(Ticket.owner_id == owner_id)
        if unassigned:
            query = query.where(Ticket.owner_id.is_(None))
        if category:
            query = query.where(Ticket.category == category)
        if due_before is not None:
            query = query.where(Ticket.status.in_(OPEN_STATUSES), or_(
                Ticket.resolution_due < due_before,
                (Ticket.first_response_at.is_(None)) & (Ticket.first_response_due < due_before)))
        if text:
            needle = text.strip()
            query = query.where(or_(Ticket.code == needle.upper(), func.lower(Ticket.email) == needle.lower(),
                                    Ticket.order_no == needle))
        query = query.order_by(func.coalesce(Ticket.first_response_due, Ticket.resolution_due).is_(None),
                               Ticket.resolution_due, Ticket.id).limit(limit)
        with self.session() as s:
            return list(s.execute(query).scalars())

    def open_counts(self) -> Dict[int, int]:
        """Open tickets per owner: the load assignment balances."""
        query = (select(Ticket.owner_id, func.count()).where(Ticket.status.in_(OPEN_STATUSES), Ticket.owner_id.is_not(None))
                 .group_by(Ticket.owner_id))
        with self.session() as s:
            return {owner: count for owner, count in s.execute(query)}

    # --- opening ---------------------------------------------------------------------------
    def open(self, new: NewTicket, now: datetime) -> Ticket:
        if new.source not in SOURCES:
            raise TicketError("invalid", f"unknown source {new.source!r}")
        target = target_for(self.targets, new.category, new.source)
        with self.session() as s:
            ticket = Ticket(code=f"tmp-{secrets.token_hex(8)}", source=new.source, channel=new.channel,
                            category=new.category, language=new.language, customer_id=new.customer_id,
                            email=(new.email or None), text=new.text[:MAX_TEXT], conversation_id=new.conversation_id,
                            order_no=new.order_no, created_at=now, updated_at=now, reopened=0,
                            first_response_due=self.calendar.add(now, target.first_response),
                            resolution_due=self.calendar.add(now, target.resolution), segments=list(new.segments),
                            owner_id=new.owner_id, status="open" if new.owner_id else "new")
            s.add(ticket)
            s.flush()  # the id makes the code readable and unique
            ticket.code = code_for(new.source, ticket.id, now)
            s.add(TicketEntry(ticket_id=ticket.id, kind="event", data={"event": "opened", "source": new.source},
                              created_at=now))
            if new.owner_id:
                s.add(TicketEntry(ticket_id=ticket.id, kind="event", author_id=new.owner_id, created_at=now,
                                  data={"event": "assigned", "to": new.owner_id}))
            s.commit()
            return ticket

    # --- ownership -------------------------------------------------------------------------
    def assign(self, ticket_id: int, agent_id: Optional[int], now: datetime, *, expected_owner: Any = "any",
               by: Optional[int] = None, capacity: Optional[int] = None) -> bool:
        """Gives the ticket to `agent_id` (None: back to unassigned). False when someone else changed
        the owner first (`expected_owner` names who the caller saw) or the agent is at `capacity`."""
        statement = update(Ticket).where(Ticket.id == ticket_id, Ticket.status.in_(OPEN_STATUSES))
        if expected_owner != "any":
            statement = statement.where(Ticket.owner_id.is_(None) if expected_owner is None else Ticket.owner_id == expected_owner)
        if capacity is not None and agent_id is not None:
            load = (select(func.count()).select_from(Ticket)
                    .where(Ticket.owner_id == agent_id, Ticket.status.in_(OPEN_STATUSES)).scalar_subquery())
            statement = statement.where(load < capacity)
        values: Dict[str, Any] = {"owner_id": agent_id, "updated_at": now}
        with self.session() as s:
            changed = s.execute(statement.values(**values).execution_options(synchronize_session=False)).rowcount == 1
            if changed:
                s.add(TicketEntry(ticket_id=ticket_id, kind="event", author_id=by, created_at=now,
                                  data={"event": "assigned" if agent_id is not None else "unassigned", "to": agent_id}))
                s.execute(update(Ticket).where(Ticket.id == ticket_id, Ticket.status == "new").values(status="open"))
            s.commit()
            return changed

    # --- the thread ------------------------------------------------------------------------
    def reply(self, ticket_id: int, agent_id: int, text: str, now: datetime, channel: str = "email",
              message_id: Optional[str] = None) -> TicketEntry:
        """A public reply: the first one stops the first-response clock; the ticket waits for the customer."""
        text = _checked_text(text)
        with self.session() as s:
            ticket = self._open_ticket(s, ticket_id)
            entry = TicketEntry(ticket_id=ticket_id, kind="reply", text=text, author_id=agent_id, channel=channel,
                                message_id=message_id, created_at=now)
            s.add(entry)
            if ticket.first_response_at is None:
                ticket.first_response_at = now
                ticket.warned_at = ticket.breached_at = None  # the resolution deadline gets its own alerts
            ticket.resolved_at = None  # answering a resolved ticket takes it up again
            if ticket.owner_id is None:
                ticket.owner_id = agent_id  # whoever answers an unowned ticket owns it
            ticket.status, ticket.updated_at = "waiting", now
            if message_id:
                ticket.last_message_id = message_id
            s.commit()
            return entry

    def note(self, ticket_id: int, agent_id: int, text: str, now: datetime) -> TicketEntry:
        """An internal note: agents only, never sent, never on the customer's page."""
        text = _checked_text(text)
        with self.session() as s:
            ticket = s.get(Ticket, ticket_id)
            if ticket is None:
                raise TicketError("not_found")
            entry = TicketEntry(ticket_id=ticket_id, kind="note", text=text, author_id=agent_id, created_at=now)
            s.add(entry)
            ticket.updated_at = now
            s.commit()
            return entry

    def customer_wrote(self, ticket_id: int, text: str, now: datetime, channel: str,
                       message_id: Optional[str] = None) -> TicketEntry:
        """The customer's answer (page, e-mail or chat). Reopens a ticket resolved within REOPEN_DAYS;
        a closed one, or one resolved longer ago, is refused (the shopper opens a new one)."""
        text = _checked_text(text)
        with self.session() as s:
            ticket = s.get(Ticket, ticket_id)
            if ticket is None:
                raise TicketError("not_found")
            if ticket.status == "closed" or (ticket.status == "resolved" and ticket.resolved_at is not None
                                               and now - ticket.resolved_at > timedelta(days=REOPEN_DAYS)):
                raise TicketError("ticket_closed")
            if ticket.status == "resolved":
                ticket.reopened += 1
                ticket.resolved_at = None
                s.add(TicketEntry(ticket_id=ticket_id, kind="event", data={"event": "reopened"}, created_at=now))
                # a reopened ticket gets a fresh resolution deadline from now
                target = target_for(self.targets, ticket.category, ticket.source)
                ticket.resolution_due = self.calendar.add(now, target.resolution)
                ticket.warned_at = ticket.breached_at = None  # the new deadline gets its own alerts
            entry = TicketEntry(ticket_id=ticket_id, kind="customer", text=text, channel=channel,
                                message_id=message_id, created_at=now)
            s.add(entry)
            ticket.status, ticket.updated_at = "open", now
            if message_id:
                ticket.last_message_id = message_id
            s.commit()
            return entry

    def set_status(self, ticket_id: int, status: str, now: datetime, by: Optional[int] = None) -> Ticket:
        if status not in STATUSES:
            raise TicketError("invalid", f"unknown status {status!r}")
        with self.session() as s:
            ticket = s.get(Ticket, ticket_id)
            if ticket is None:
                raise TicketError("not_found")
            if ticket.status == "closed":
                raise TicketError("ticket_closed")
            previous = ticket.status
            ticket.status, ticket.updated_at = status, now
            if status == "resolved":
                ticket.resolved_at = now
            if status == "closed":
                ticket.closed_at = now
                ticket.resolved_at = ticket.resolved_at or now
            s.add(TicketEntry(ticket_id=ticket_id, kind="event", author_id=by, created_at=now,
                              data={"event": "status", "from": previous, "to": status}))
            s.commit()
            return ticket

    def rate(self, ticket_id: int, score: int, now: datetime) -> bool:
        """The customer's 1-5 for a resolved ticket, once; False when already rated or not resolved."""
        if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
            raise TicketError("invalid", "score must be 1-5")
        with self.session() as s:
            changed = s.execute(update(Ticket).where(Ticket.id == ticket_id, Ticket.rating.is_(None),
                                                     Ticket.status.in_(("resolved", "closed")))
                                .values(rating=score, rated_at=now)).rowcount == 1
            s.commit()
            return changed

    def mail_result(self, ticket_id: int, entry_id: Optional[int], message_id: Optional[str],
                    error: Optional[str]) -> None:
        """What became of an e-mail: its Message-ID threads the next one; an error shows in the console."""
        with self.session() as s:
            ticket = s.get(Ticket, ticket_id)
            entry = s.get(TicketEntry, entry_id) if entry_id is not None else None
            if message_id:
                ticket.last_message_id = message_id
                if entry is not None:
                    entry.message_id = message_id
            if entry is not None:
                entry.data = {**(entry.data or {}), "mail": "sent" if message_id else "failed", **({"error": error} if error else {})}
            s.commit()

    # --- deadlines -------------------------------------------------------------------------
    def near_breach(self, now: datetime, warn_within: timedelta) -> List[Ticket]:
        """Open tickets whose next deadline is at most `warn_within` of support time away and whose
        owner was not yet told (an hour before a Monday 09:00 deadline is Saturday evening's business)."""
        return [t for t in self._open_unwarned("warned_at")
                if now <= next_deadline(t) and self.calendar.between(now, next_deadline(t)) <= warn_within]

    def breached(self, now: datetime) -> List[Ticket]:
        """Open tickets past a deadline that were not yet alerted about."""
        return [t for t in self._open_unwarned("breached_at") if next_deadline(t) < now]

    def mark(self, ticket_id: int, column: str, now: datetime) -> bool:
        """Sets warned_at or breached_at once (so an alert goes out once, also with several bridges)."""
        assert column in ("warned_at", "breached_at")
        with self.session() as s:
            changed = s.execute(update(Ticket).where(Ticket.id == ticket_id, getattr(Ticket, column).is_(None))
                                .values({column: now})).rowcount == 1
            s.commit()
            return changed

    def _open_unwarned(self, column: str) -> Iterable[Ticket]:
        """Open tickets with a deadline (records migrated from before tickets may have none) whose
        `column` alert has not gone out. Waiting for the customer stops no clock: a ticket nobody
        answers still needs someone to close it in time (the console and the reports agree)."""
        with self.session() as s:
            return list(s.execute(select(Ticket).where(Ticket.status.in_(OPEN_STATUSES), Ticket.resolution_due.is_not(None),
                                                       getattr(Ticket, column).is_(None))).scalars())

    @staticmethod
    def _open_ticket(s: Session, ticket_id: int) -> Ticket:
        ticket = s.get(Ticket, ticket_id)
        if ticket is None:
            raise TicketError("not_found")
        if ticket.status == "closed":
            raise TicketError("ticket_closed")
        return ticket


def next_deadline(ticket: Ticket) -> datetime:
    """The deadline that matters now: the first response until there is one, then the resolution."""
    if ticket.first_response_at is None and ticket.first_response_due is not None:
        return min(ticket.first_response_due, ticket.resolution_due or ticket.first_response_due)
    return ticket.resolution_due


def _checked_text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise TicketError("empty")
    if len(text) > MAX_TEXT:
        raise TicketError("too_long", f"at most {MAX_TEXT} characters")
    return text.strip()
