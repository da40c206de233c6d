"""Everything the product holds about one person (a data subject under KVKK art. 11), found by
their e-mail, phone number or customer id.

The person is the store's customer records that match, plus every conversation that belongs to
them: linked to their customer id once they proved an order, or in which they wrote their e-mail
or phone number (an anonymous shopper asking for their data names themselves that way), plus
their tickets: by their customer id, their conversations or their e-mail address (a ticket's chat
is theirs too). The desk and the store share one database (DATABASE_URL), so one session reads both.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, List, Set

from sqlalchemy import func, inspect, or_, select
from sqlalchemy.orm import Session

from actions.store.models import ComplaintTicket, Customer
from bot.desk.models import Conversation, EmailOptOut, EmailSend, Handoff, Message, Rating
from bot.privacy.errors import AdminError
from bot.privacy.models import Consent
from bot.tickets.models import Ticket, TicketEntry

IDENTIFIER_KINDS = ("email", "phone", "customer")
# Turkish numbers are compared on their last ten digits: 0532…, +90 532…, 532… are one number.
PHONE_DIGITS = 10
_EMAIL = re.compile(r"^[^@\s%]+@[^@\s%]+\.[^@\s%]+$")


class BadIdentifier(AdminError):
    """The identifier cannot name anyone; the code says why (worded for the admin, bot/privacy/errors.py)."""


@dataclass
class Subject:
    customer_ids: Set[int] = field(default_factory=set)
    emails: Set[str] = field(default_factory=set)
    phones: Set[str] = field(default_factory=set)  # last ten digits
    names: Set[str] = field(default_factory=set)
    conversation_ids: Set[str] = field(default_factory=set)
    ticket_ids: Set[int] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        """No customer record, conversation or ticket (e-mail sends and opt-outs may still name them)."""
        return not (self.customer_ids or self.conversation_ids or self.ticket_ids)

    def needles(self) -> List[str]:
        """The strings that identify the person in free text (for scrubbing files)."""
        return sorted({*self.emails, *self.phones, *(n for n in self.names if len(n) >= 5)}, key=len, reverse=True)


def phone_digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")[-PHONE_DIGITS:]


def check_identifier(kind: str, value: str) -> str:
    """The identifier in its compared form, or BadIdentifier with the code of what is wrong with it."""
    value = (value or "").strip()
    if kind == "email":
        if not _EMAIL.match(value):
            raise BadIdentifier("bad_email")
        return value.lower()
    if kind == "phone":
        digits = phone_digits(value)
        if len(digits) != PHONE_DIGITS:
            raise BadIdentifier("bad_phone")
        return digits
    if kind == "customer":
        if not re.fullmatch(r"[0-9]{1,9}", value):
            raise BadIdentifier("bad_customer")
        return value
    raise BadIdentifier("bad_identifier_kind")


def find(s: Session, kind: str, value: str) -> Subject:
    value = check_identifier(kind, value)
    subject = Subject()
    customers = _customers(s, kind, value)
    for customer in customers:
        subject.customer_ids.add(customer.id)
        subject.emails.add(customer.email.lower())
        subject.phones.add(phone_digits(customer.phone))
        subject.names.add(f"{customer.first_name} {customer.last_name}")
    if kind == "email":
        subject.emails.add(value)
    elif kind == "phone":
        subject.phones.add(value)
    subject.conversation_ids |= set(s.execute(select(Conversation.id).where(
        Conversation.customer_id.in_(subject.customer_ids))).scalars()) if subject.customer_ids else set()
    subject.conversation_ids |= _conversations_mentioning(s, subject.emails, subject.phones)
    tickets = tickets_of(s, subject)
    subject.ticket_ids = {ticket.id for ticket in tickets}
    subject.conversation_ids |= {ticket.conversation_id for ticket in tickets if ticket.conversation_id}
    return subject


def _customers(s: Session, kind: str, value: str) -> List[Customer]:
    if not inspect(s.get_bind()).has_table(Customer.__tablename__):
        return []
    if kind == "customer":
        customer = s.get(Customer, int(value))
        return [customer] if customer else []
    if kind == "email":
        return list(s.execute(select(Customer).where(func.lower(Customer.email) == value)).scalars())
    candidates = s.execute(select(Customer).where(Customer.phone.contains(value[-2:]))).scalars()
    return [c for c in candidates if phone_digits(c.phone) == value]


def _conversations_mentioning(s: Session, emails: Iterable[str], phones: Iterable[str]) -> Set[str]:
    """Conversations where the shopper or an agent wrote one of the person's identifiers, or where
    an after-hours reply was promised to their address."""
    found: Set[str] = set()
    for email in emails:
        # LIKE only narrows (wildcards escaped); the address must then stand on its own in the text,
        # so ali@x.com does not find vali@x.com or ali@x.com.tr.
        rows = s.execute(select(Message.conversation_id, Message.text).where(
            func.lower(Message.text).contains(email, autoescape=True))).all()
        alone = re.compile(r"(?<![\w.+-])%s(?![\w-]|\.\w)" % re.escape(email))
        found |= {conversation_id for conversation_id, text in rows if alone.search(text.lower())}
        found |= set(s.execute(select(Handoff.conversation_id).where(func.lower(Handoff.ticket_email) == email)).scalars())
    for phone in phones:
        # Narrowed in SQL by the last four digits once spaces, dashes and dots are gone (0532 123 45 67),
        # then compared digit for digit.
        rows = s.execute(select(Message.conversation_id, Message.text).where(
            _without_separators(Message.text).contains(phone[-4:]))).all()
        found |= {conversation_id for conversation_id, text in rows if phone in re.sub(r"\D", "", text)}
    return found


def _without_separators(column):
    for separator in (" ", "-", ".", "(", ")"):
        column = func.replace(column, separator, "")
    return column


def complaints_of(s: Session, subject: Subject) -> List[ComplaintTicket]:
    conditions = []
    if subject.customer_ids:
        conditions.append(ComplaintTicket.customer_id.in_(subject.customer_ids))
    if subject.conversation_ids:
        conditions.append(ComplaintTicket.conversation_id.in_(subject.conversation_ids))
    if not conditions or not inspect(s.get_bind()).has_table(ComplaintTicket.__tablename__):
        return []
    return list(s.execute(select(ComplaintTicket).where(or_(*conditions))).scalars())


def tickets_of(s: Session, subject: Subject) -> List[Ticket]:
    """The person's tickets: by customer id, by one of their conversations or by their e-mail address."""
    if not inspect(s.get_bind()).has_table(Ticket.__tablename__):
        return []
    conditions = []
    if subject.customer_ids:
        conditions.append(Ticket.customer_id.in_(subject.customer_ids))
    if subject.conversation_ids:
        conditions.append(Ticket.conversation_id.in_(subject.conversation_ids))
    if subject.emails:
        conditions.append(func.lower(Ticket.email).in_(subject.emails))
    if subject.ticket_ids:
        conditions.append(Ticket.id.in_(subject.ticket_ids))
    return list(s.execute(select(Ticket).where(or_(*conditions)).order_by(Ticket.id)).scalars()) if conditions else []


def ticket_entries_of(s: Session, ticket_ids: Iterable[int]) -> List[TicketEntry]:
    """The threads of these tickets (replies, the customer's messages, notes, events), in order."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return []
    return list(s.execute(select(TicketEntry).where(TicketEntry.ticket_id.in_(ids))
                          .order_by(TicketEntry.ticket_id, TicketEntry.id)).scalars())


def ratings_of(s: Session, subject: Subject) -> List[Rating]:
    return _rows(s, Rating, Rating.customer_id, subject.customer_ids, Rating.conversation_id, subject.conversation_ids)


def consents_of(s: Session, subject: Subject) -> List[Consent]:
    return _rows(s, Consent, Consent.customer_id, subject.customer_ids, Consent.conversation_id, subject.conversation_ids)


def email_sends_of(s: Session, subject: Subject) -> List[EmailSend]:
    conditions = [func.lower(EmailSend.email).in_(subject.emails)] if subject.emails else []
    if subject.customer_ids:
        conditions.append(EmailSend.customer_id.in_(subject.customer_ids))
    return list(s.execute(select(EmailSend).where(or_(*conditions))).scalars()) if conditions else []


def optouts_of(s: Session, subject: Subject) -> List[EmailOptOut]:
    if not subject.emails:
        return []
    return list(s.execute(select(EmailOptOut).where(func.lower(EmailOptOut.email).in_(subject.emails))).scalars())


def _rows(s: Session, model, customer_column, customer_ids: Set[int], conversation_column,
          conversation_ids: Set[str]) -> list:
    conditions = []
    if customer_ids:
        conditions.append(customer_column.in_(customer_ids))
    if conversation_ids:
        conditions.append(conversation_column.in_(conversation_ids))
    return list(s.execute(select(model).where(or_(*conditions)).order_by(model.id)).scalars()) if conditions else []

