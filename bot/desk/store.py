"""The desk's persistence: conversations, messages, handoffs, ratings and accounts.

Synchronous SQLAlchemy called from the event loop: each call is one short transaction on a
local database, and running them in order keeps "stored before delivered" simple.

The calls of every shopper turn (reading and creating the conversation, storing messages with
their contact, record_turn, the scorer's history) use SQLAlchemy Core statements on the tables, not the ORM's
session: the ORM's unit of work cost several times the database's own time. They still return
the models' objects (built from the rows, not attached to a session), as the other calls do.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import Boolean, bindparam, case, func, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import configure_mappers
from sqlalchemy.orm.instrumentation import manager_of_class

from actions.store.database import engine_for, make_sessionmaker
from actions.store.migrate import upgrade
from bot.desk.models import Contact, Conversation, DeskUser, Handoff, HandoffEvent, Message, Rating

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
OPEN_HANDOFF = ("queued", "active")
CONVERSATIONS, CONTACTS, MESSAGES = Conversation.__table__, Contact.__table__, Message.__table__

# A turn's statements, built once: a statement object keeps its compiled form's cache key, and the
# values go in as parameters (building `.values(...)` and its cache key each time cost more than
# SQLite's own work). Parameter names differ from the tables' column names.
READ_CONVERSATION = select(CONVERSATIONS).where(CONVERSATIONS.c.id == bindparam("conversation"))
READ_CONVERSATION_AND_CONTACT = (
    select(CONVERSATIONS, CONTACTS.c.id.label("open_contact_id"), CONTACTS.c.last_message_at.label("open_contact_seen"))
    .select_from(CONVERSATIONS.outerjoin(CONTACTS, CONTACTS.c.id == CONVERSATIONS.c.contact_id))
    .where(CONVERSATIONS.c.id == bindparam("conversation")))
INSERT_CONVERSATION, INSERT_MESSAGE, INSERT_CONTACT = insert(CONVERSATIONS), insert(MESSAGES), insert(CONTACTS)
UPDATE_CONVERSATION = update(CONVERSATIONS).where(CONVERSATIONS.c.id == bindparam("conversation"))
UPDATE_CONTACT = update(CONTACTS).where(CONTACTS.c.id == bindparam("contact"))
UPDATE_MESSAGE = update(MESSAGES).where(MESSAGES.c.id == bindparam("message"))
# record_turn: the message's contact keeps its first reason and, once answered, stays answered.
TURN_CONTACT_VALUES = {
    "reason": case((or_(CONTACTS.c.reason.is_(None), CONTACTS.c.reason == ""), bindparam("first_reason")),
                   else_=CONTACTS.c.reason),
    "answered": case((bindparam("now_answered", type_=Boolean), True), else_=CONTACTS.c.answered)}
UPDATE_TURN_CONTACT = (
    update(CONTACTS)
    .where(CONTACTS.c.id == select(MESSAGES.c.contact_id).where(MESSAGES.c.id == bindparam("message")).scalar_subquery())
    .values(**TURN_CONTACT_VALUES))
UPDATE_CONTACT_AND_TURN = UPDATE_CONTACT.values(**TURN_CONTACT_VALUES)  # with the replies' last_message_at
SHOPPER_TEXTS = (select(MESSAGES.c.text)
                 .where(MESSAGES.c.conversation_id == bindparam("conversation"), MESSAGES.c.sender == "shopper")
                 .order_by(MESSAGES.c.id.desc()).limit(bindparam("limit")))


def detached(model, values: Dict[str, Any]):
    """A model object of a row's values, attached to no session: built the way the ORM loads a row
    (the values go into the instance's dict), not through the constructor, whose attribute events
    cost ~80 µs an object here. Reads and writes of its attributes behave as on any object of the model."""
    instance = manager_of_class(model).new_instance()
    instance.__dict__.update(values)
    return instance


@dataclass
class Draft:
    """A message to store: `add_messages` stores a turn's messages in one transaction."""
    sender: str
    text: str
    quick_replies: Sequence[dict] = ()
    data: Optional[dict] = None
    agent_id: Optional[int] = None
    created_at: Optional[datetime] = None  # an earlier time for messages kept while the database was down


@dataclass
class TurnRecord:
    """What the assistant made of a shopper message (see `DeskStore.record_turn`)."""
    message_id: int
    intent: Optional[str]
    understood: bool
    reason: Optional[str]
    answered: bool
    contact_id: Optional[int] = None  # the message's contact, when the caller knows it

    def contact_values(self) -> Optional[Dict[str, Any]]:
        """The parameters of TURN_CONTACT_VALUES; None when the contact stays as it is."""
        if self.reason is None and not self.answered:
            return None
        return {"first_reason": self.reason, "now_answered": bool(self.answered)}


@dataclass
class _OpenContact:
    """The conversation's current contact while a batch of messages is stored."""
    id: Optional[int]
    last_message_at: Optional[datetime]
    changes: Dict[str, Any] = field(default_factory=dict)  # columns to write before the transaction ends
    turn: Optional[Dict[str, Any]] = None  # and what a turn tells about it (TurnRecord.contact_values)


def utcnow() -> datetime:
    """The current moment, aware, in UTC (what every column takes and gives: actions/store/types.py)."""
    return datetime.now(timezone.utc)


def iso(moment: Optional[datetime]) -> Optional[str]:
    """`2026-07-01T09:00:00.000Z`: how the socket protocol and the APIs write a moment.

    An aware value of any zone is written in UTC. A naive value is taken as UTC: the desk's
    convention, and what the studio's columns still return until they use UtcDateTime."""
    if moment is None:
        return None
    if moment.tzinfo is not None and moment.utcoffset() is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.isoformat(timespec="milliseconds") + "Z"


def parse_iso(text: str) -> datetime:
    """The aware UTC moment of an `iso()` text (also of one with an explicit offset)."""
    moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} names no time zone")
    return moment.astimezone(timezone.utc)


def new_session_id() -> str:
    return secrets.token_urlsafe(18)


def migrate(engine: Engine) -> None:
    upgrade(engine, directory=MIGRATIONS)


class DeskStore:
    def __init__(self, engine: Engine, contact_idle_minutes: float = 30.0):
        self.engine = engine
        self.session = make_sessionmaker(engine)
        self.contact_idle = timedelta(minutes=contact_idle_minutes)
        configure_mappers()  # `detached` objects need the models' attributes set up

    @classmethod
    def open(cls, url: str, contact_idle_minutes: float = 30.0) -> "DeskStore":
        engine = engine_for(url)  # the process's one pool for this database (the shop's store shares it)
        migrate(engine)
        return cls(engine, contact_idle_minutes)

    def ping(self) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(select(1)).scalar() == 1

    # --- conversations -------------------------------------------------------------------
    def conversation(self, conversation_id: str) -> Optional[Conversation]:
        with self.engine.connect() as connection:
            row = connection.execute(READ_CONVERSATION, {"conversation": conversation_id}).first()
        return None if row is None else detached(Conversation, row._mapping)

    def create_conversation(self, language: str = "tr", conversation_id: Optional[str] = None) -> Conversation:
        now = utcnow()
        values = {column.key: None for column in CONVERSATIONS.columns}
        values.update(id=conversation_id or new_session_id(), created_at=now, last_message_at=now, language=language,
                      state="bot", frustration=0.0, signals=[], queue_priority=1)
        with self.engine.begin() as connection:
            connection.execute(INSERT_CONVERSATION, values)
        return detached(Conversation, values)

    def update_conversation(self, conversation_id: str, **values: Any) -> Conversation:
        return self._update(Conversation, conversation_id, values)

    def _update(self, model, key: Any, values: Dict[str, Any]):
        with self.session() as s:
            row = s.get(model, key)
            for name, value in values.items():
                setattr(row, name, value)
            s.commit()
            return row

    def claim(self, conversation_id: str, agent_id: int, max_chats: Optional[int] = None) -> Optional[str]:
        """Gives a waiting chat to an agent: None, or why not ("chat_limit": they hold `max_chats`
        already; "not_waiting": someone was faster). The agent's row is locked for the count and the
        update (PostgreSQL), so two acceptances of one agent on two bridges cannot pass the limit;
        SQLite runs one write at a time anyway."""
        with self.session() as s:
            if max_chats is not None:
                s.execute(select(DeskUser.id).where(DeskUser.id == agent_id).with_for_update())
                held = s.execute(select(func.count()).select_from(Conversation)
                                 .where(Conversation.state == "agent", Conversation.agent_id == agent_id)).scalar_one()
                if held >= max_chats:
                    return "chat_limit"
            result = s.execute(update(Conversation)
                               .where(Conversation.id == conversation_id, Conversation.state == "queued")
                               .values(state="agent", agent_id=agent_id))
            s.commit()
            return None if result.rowcount == 1 else "not_waiting"

    def unclaim(self, conversation_id: str, holder: int, values: Dict[str, Any]) -> bool:
        """Takes a chat from an agent only while they still hold it (False: it was no longer theirs)."""
        with self.session() as s:
            result = s.execute(update(Conversation)
                               .where(Conversation.id == conversation_id, Conversation.state == "agent",
                                      Conversation.agent_id == holder)
                               .values(**values))
            s.commit()
            return result.rowcount == 1

    def conversations_in(self, state: str, agent_id: Optional[int] = None) -> List[Conversation]:
        query = select(Conversation).where(Conversation.state == state)
        if agent_id is not None:
            query = query.where(Conversation.agent_id == agent_id)
        query = query.order_by(Conversation.queue_priority, Conversation.queued_at, Conversation.created_at)
        with self.session() as s:
            return list(s.execute(query).scalars())

    def earlier_conversations(self, customer_id: int, exclude: str, limit: int = 10) -> List[Dict[str, Any]]:
        with self.session() as s:
            rows = s.execute(
                select(Conversation).where(Conversation.customer_id == customer_id, Conversation.id != exclude)
                .order_by(Conversation.created_at.desc()).limit(limit)).scalars().all()
            result = []
            for row in rows:
                rating = s.execute(select(Rating.score).where(Rating.conversation_id == row.id, Rating.kind == "csat")
                                   .order_by(Rating.id.desc()).limit(1)).scalar()
                result.append({"id": row.id, "started_at": iso(row.created_at), "state": row.state,
                               "reason": row.reason, "rating": rating})
            return result

    # --- messages ------------------------------------------------------------------------
    def add_message(self, conversation_id: str, sender: str, text: str, quick_replies: Iterable[dict] = (),
                    data: Optional[dict] = None, agent_id: Optional[int] = None,
                    created_at: Optional[datetime] = None) -> Message:
        messages, _ = self.add_messages(conversation_id, [Draft(sender, text, list(quick_replies), data, agent_id,
                                                                created_at)])
        return messages[0]

    def add_messages(self, conversation_id: str, drafts: Sequence[Draft],
                     turn: Optional[TurnRecord] = None) -> Tuple[List[Message], Conversation]:
        """Stores messages of one conversation in one transaction, each with its contact (see
        `_contact_for`), and moves the conversation's last_message_at; returns the stored messages
        and the conversation as it is now. `turn`: the assistant's replies come with what it made of
        the shopper's message, recorded in the same transaction (one commit for the turn's end)."""
        with self.engine.begin() as connection:
            return self._add_messages(connection, conversation_id, drafts, turn)

    def add_shopper_message(self, conversation_id: str, text: str, data: Optional[dict] = None,
                            history: int = 0) -> Tuple[Message, Conversation, List[str]]:
        """The shopper's message (as `add_messages` stores it) and, read in the same transaction,
        the texts of their `history` messages before it, oldest first (the frustration scorer's)."""
        with self.engine.begin() as connection:
            texts = connection.execute(SHOPPER_TEXTS, {"conversation": conversation_id, "limit": history}).scalars().all() \
                if history else []
            [message], conversation = self._add_messages(connection, conversation_id, [Draft("shopper", text, data=data)])
        return message, conversation, list(reversed(texts))

    def _add_messages(self, connection, conversation_id: str, drafts: Sequence[Draft],
                      turn: Optional[TurnRecord] = None) -> Tuple[List[Message], Conversation]:
        row = connection.execute(READ_CONVERSATION_AND_CONTACT, {"conversation": conversation_id}).first()
        if row is None:
            raise LookupError(f"no conversation {conversation_id!r}")
        values = dict(row._mapping)
        contact = _OpenContact(values.pop("open_contact_id"), values.pop("open_contact_seen"))
        if turn is not None:
            if turn.contact_id is not None and turn.contact_id == contact.id:
                # Written with the contact's new last_message_at: one UPDATE of the contact.
                self._mark_message(connection, turn)
                contact.turn = turn.contact_values()
            else:
                self._record_turn(connection, turn)
        conversation = detached(Conversation, values)
        contact_id_before = conversation.contact_id
        messages = []
        for draft in drafts:
            now = draft.created_at or utcnow()
            contact = self._contact_for(connection, conversation, contact, draft.sender, now)
            values = {"conversation_id": conversation_id, "sender": draft.sender, "text": draft.text,
                      "quick_replies": list(draft.quick_replies), "data": draft.data, "agent_id": draft.agent_id,
                      "created_at": now, "contact_id": contact.id}
            result = connection.execute(INSERT_MESSAGE, values)
            messages.append(detached(Message, {"id": result.inserted_primary_key[0], "intent": None,
                                               "understood": None, **values}))
            conversation.last_message_at = now
        self._write_contact(connection, contact)
        changes = {"last_message_at": conversation.last_message_at}
        if conversation.contact_id != contact_id_before:
            changes["contact_id"] = conversation.contact_id
        connection.execute(UPDATE_CONVERSATION, {"conversation": conversation_id, **changes})
        return messages, conversation

    def _contact_for(self, connection, conversation: Conversation, contact: _OpenContact, sender: str,
                     now: datetime) -> _OpenContact:
        """The shopper's current visit; a shopper back after `contact_idle` of silence starts a new one,
        unless a person has the chat or the shopper is answering our question."""
        idle = contact.id is not None and now - contact.last_message_at > self.contact_idle
        if sender == "shopper" and (contact.id is None or (idle and conversation.state == "bot" and not conversation.awaiting)):
            self._write_contact(connection, contact)  # the visit that ends keeps its last message's time
            result = connection.execute(INSERT_CONTACT, {
                "conversation_id": conversation.id, "started_at": now, "last_message_at": now,
                "language": conversation.language, "answered": False})
            contact = _OpenContact(result.inserted_primary_key[0], now)
            conversation.contact_id = contact.id
        elif contact.id is not None:
            contact.last_message_at = now
            contact.changes["last_message_at"] = now
            if sender == "shopper":
                contact.changes["language"] = conversation.language
        return contact

    @staticmethod
    def _write_contact(connection, contact: _OpenContact) -> None:
        if contact.id is None:
            return
        if contact.turn:
            connection.execute(UPDATE_CONTACT_AND_TURN, {"contact": contact.id, **contact.turn, **contact.changes})
        elif contact.changes:
            connection.execute(UPDATE_CONTACT, {"contact": contact.id, **contact.changes})
        contact.changes, contact.turn = {}, None

    def contact(self, contact_id: Optional[int]) -> Optional[Contact]:
        if contact_id is None:
            return None
        with self.session() as s:
            return s.get(Contact, contact_id)

    def update_contact(self, contact_id: int, **values: Any) -> Contact:
        return self._update(Contact, contact_id, values)

    def last_contact_where(self, conversation_id: str, asked: str) -> Optional[Contact]:
        """The conversation's latest contact whose `asked` time (csat_asked_at, nps_asked_at) is set."""
        column = getattr(Contact, asked)
        with self.session() as s:
            return s.execute(select(Contact).where(Contact.conversation_id == conversation_id, column.is_not(None))
                             .order_by(Contact.id.desc()).limit(1)).scalar_one_or_none()

    def record_turn(self, message_id: int, intent: Optional[str], understood: bool, reason: Optional[str],
                    answered: bool) -> None:
        """What the assistant made of a shopper message, and what that tells about its contact
        (its first reason; answered), in one transaction: this runs on every turn."""
        with self.engine.begin() as connection:
            self._record_turn(connection, TurnRecord(message_id, intent, understood, reason, answered))

    @staticmethod
    def _mark_message(connection, turn: TurnRecord) -> None:
        connection.execute(UPDATE_MESSAGE, {"message": turn.message_id, "intent": turn.intent,
                                            "understood": turn.understood})

    @classmethod
    def _record_turn(cls, connection, turn: TurnRecord) -> None:
        cls._mark_message(connection, turn)
        contact = turn.contact_values()
        if contact is not None:
            connection.execute(UPDATE_TURN_CONTACT, {"message": turn.message_id, **contact})

    def contact_has_handoff(self, contact_id: int) -> bool:
        with self.session() as s:
            return s.execute(select(func.count(Handoff.id)).where(Handoff.contact_id == contact_id)).scalar_one() > 0

    def nps_asked_since(self, customer_id: int, since: datetime) -> bool:
        """Was this customer asked for NPS (in any conversation) since `since`?"""
        with self.session() as s:
            asked = s.execute(select(func.count(Contact.id)).join(Conversation, Conversation.id == Contact.conversation_id)
                              .where(Conversation.customer_id == customer_id, Contact.nps_asked_at >= since)).scalar_one()
            return asked > 0

    def messages(self, conversation_id: str, include_notes: bool) -> List[Message]:
        query = select(Message).where(Message.conversation_id == conversation_id)
        if not include_notes:
            query = query.where(Message.sender != "note")
        with self.session() as s:
            return list(s.execute(query.order_by(Message.id)).scalars())

    def shopper_texts(self, conversation_id: str, limit: int = 10) -> List[str]:
        """The shopper's latest texts, oldest first (the frustration scorer's history)."""
        with self.engine.connect() as connection:
            texts = connection.execute(SHOPPER_TEXTS, {"conversation": conversation_id, "limit": limit}).scalars().all()
        return list(reversed(texts))

    def last_shopper_text(self, conversation_id: str) -> str:
        texts = self.shopper_texts(conversation_id, limit=1)
        return texts[0] if texts else ""

    def last_shopper_texts(self, conversation_ids: Sequence[str]) -> Dict[str, str]:
        """`last_shopper_text` of many conversations in one query (the queue on every agent's desk)."""
        if not conversation_ids:
            return {}
        latest = (select(func.max(MESSAGES.c.id))
                  .where(MESSAGES.c.conversation_id.in_(conversation_ids), MESSAGES.c.sender == "shopper")
                  .group_by(MESSAGES.c.conversation_id))
        with self.engine.connect() as connection:
            rows = connection.execute(select(MESSAGES.c.conversation_id, MESSAGES.c.text)
                                      .where(MESSAGES.c.id.in_(latest))).all()
        return {conversation_id: text for conversation_id, text in rows}

    # --- handoffs ------------------------------------------------------------------------
    def open_handoff(self, conversation_id: str, reason: str, frustration: float, status: str = "queued",
                     ticket_email: Optional[str] = None) -> Handoff:
        now = utcnow()
        handoff = Handoff(conversation_id=conversation_id, reason=reason, frustration=frustration, status=status,
                          requested_at=now, resolution_tags=[], ticket_email=ticket_email)
        with self.session() as s:
            handoff.contact_id = s.get(Conversation, conversation_id).contact_id
            s.add(handoff)
            s.flush()
            s.add(HandoffEvent(handoff_id=handoff.id, kind=status, created_at=now))
            s.commit()
        return handoff

    def current_handoff(self, conversation_id: str) -> Optional[Handoff]:
        with self.session() as s:
            return s.execute(select(Handoff).where(Handoff.conversation_id == conversation_id,
                                                   Handoff.status.in_(OPEN_HANDOFF))
                             .order_by(Handoff.id.desc()).limit(1)).scalar_one_or_none()

    def update_handoff(self, handoff_id: int, event: Optional[str] = None, by: Optional[int] = None,
                       **values: Any) -> None:
        """Sets `values` on the handoff and records `event` (done by agent `by`) in its history."""
        with self.session() as s:
            handoff = s.get(Handoff, handoff_id)
            for key, value in values.items():
                setattr(handoff, key, value)
            if event:
                s.add(HandoffEvent(handoff_id=handoff_id, kind=event, agent_id=by, created_at=utcnow()))
            s.commit()

    def current_ticket(self, conversation_id: str) -> Optional[Handoff]:
        with self.session() as s:
            return s.execute(select(Handoff).where(Handoff.conversation_id == conversation_id, Handoff.status == "ticket")
                             .order_by(Handoff.id.desc()).limit(1)).scalar_one_or_none()

    def last_handoff_id(self, conversation_id: str, contact_id: Optional[int] = None) -> Optional[int]:
        query = select(func.max(Handoff.id)).where(Handoff.conversation_id == conversation_id)
        if contact_id is not None:
            query = query.where(Handoff.contact_id == contact_id)
        with self.session() as s:
            return s.execute(query).scalar()

    def mean_handling_seconds(self, last: int = 50) -> Optional[float]:
        with self.session() as s:
            rows = s.execute(select(Handoff.accepted_at, Handoff.closed_at)
                             .where(Handoff.accepted_at.is_not(None), Handoff.closed_at.is_not(None))
                             .order_by(Handoff.id.desc()).limit(last)).all()
        durations = [(closed - accepted).total_seconds() for accepted, closed in rows]
        return sum(durations) / len(durations) if durations else None

    def recent_wait_seconds(self, last: int = 20) -> Optional[float]:
        """The median time recent chats waited in the queue for an agent (None before any)."""
        with self.session() as s:
            rows = s.execute(select(Handoff.requested_at, Handoff.accepted_at)
                             .where(Handoff.accepted_at.is_not(None))
                             .order_by(Handoff.id.desc()).limit(last)).all()
        waits = sorted(max((accepted - requested).total_seconds(), 0.0) for requested, accepted in rows)
        if not waits:
            return None
        middle = len(waits) // 2
        return waits[middle] if len(waits) % 2 else (waits[middle - 1] + waits[middle]) / 2

    # --- ratings -------------------------------------------------------------------------
    def add_rating(self, conversation_id: str, score: int, kind: str = "csat", contact_id: Optional[int] = None,
                   handoff_id: Optional[int] = None) -> Rating:
        with self.session() as s:
            conversation = s.get(Conversation, conversation_id)
            rating = Rating(conversation_id=conversation_id, contact_id=contact_id, handoff_id=handoff_id, kind=kind,
                            score=score, customer_id=conversation.customer_id, language=conversation.language,
                            created_at=utcnow())
            s.add(rating)
            s.commit()
        return rating

    def add_rating_comment(self, conversation_id: str, comment: str, kind: str = "csat") -> None:
        rating = self.last_rating(conversation_id, kind)
        if rating is not None:
            with self.session() as s:
                s.execute(update(Rating).where(Rating.id == rating.id).values(comment=comment))
                s.commit()

    def last_rating(self, conversation_id: str, kind: str) -> Optional[Rating]:
        with self.session() as s:
            return s.execute(select(Rating).where(Rating.conversation_id == conversation_id, Rating.kind == kind)
                             .order_by(Rating.id.desc()).limit(1)).scalar_one_or_none()

    def ratings(self, conversation_id: str) -> List[Rating]:
        with self.session() as s:
            return list(s.execute(select(Rating).where(Rating.conversation_id == conversation_id)).scalars())

    # --- accounts ------------------------------------------------------------------------
    def user(self, user_id: int) -> Optional[DeskUser]:
        with self.session() as s:
            return s.get(DeskUser, user_id)

    def agents(self) -> List[DeskUser]:
        with self.session() as s:
            return list(s.execute(select(DeskUser).where(DeskUser.active.is_(True), DeskUser.max_chats > 0,
                                                         DeskUser.role.in_(("agent", "admin")))
                                  .order_by(DeskUser.id)).scalars())
