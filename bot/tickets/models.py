"""SQLAlchemy models of tickets: complaints, after-hours requests and follow-ups that people answer.

They share the desk's metadata and migrations (bot/desk/migrations/): a ticket links the desk's
conversations and agents. Times are aware UTC (actions/store/types.py).
"""
from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Text

from actions.store.types import UtcDateTime
from bot.desk.models import Base

# new → open → waiting (for the customer) → resolved → closed; a customer who writes within
# REOPEN_DAYS of the resolution reopens it (status open again, reopened counted).
STATUSES = ("new", "open", "waiting", "resolved", "closed")
OPEN_STATUSES = ("new", "open", "waiting")
# Where a ticket came from: the assistant's complaint form, a handoff outside support hours, an
# escalated chat an agent closed as needing follow-up, a follow-up e-mail answered with 1 or 2, a
# promise the product made and missed (e.g. a refund date that passed).
SOURCES = ("complaint", "after_hours", "chat_followup", "low_score", "missed_promise")


class Ticket(Base):
    __tablename__ = "tickets"
    id = Column(Integer, primary_key=True)
    code = Column(String(32), nullable=False, unique=True)  # SKT-2026-000123 (complaints) or DST-2026-000124
    source = Column(String(16), nullable=False)
    channel = Column(String(16), nullable=False, default="chat")  # chat | email
    category = Column(String(32), nullable=False)
    language = Column(String(8), nullable=False, default="tr")
    status = Column(String(16), nullable=False, default="new")
    customer_id = Column(Integer, nullable=True)  # the store's customer, when known
    email = Column(String(254), nullable=True)  # where replies go
    text = Column(Text, nullable=False, default="")  # the shopper's own words
    conversation_id = Column(String(64), nullable=True)  # the chat it started in
    order_no = Column(String(16), nullable=True)
    owner_id = Column(Integer, ForeignKey("desk_users.id"), nullable=True)
    created_at = Column(UtcDateTime, nullable=False)
    updated_at = Column(UtcDateTime, nullable=False)
    first_response_due = Column(UtcDateTime, nullable=True)
    resolution_due = Column(UtcDateTime, nullable=True)
    first_response_at = Column(UtcDateTime, nullable=True)
    resolved_at = Column(UtcDateTime, nullable=True)
    closed_at = Column(UtcDateTime, nullable=True)
    reopened = Column(Integer, nullable=False, default=0)
    warned_at = Column(UtcDateTime, nullable=True)  # the owner was told the deadline is near
    breached_at = Column(UtcDateTime, nullable=True)  # a deadline passed; owner and admins alerted
    rating = Column(Integer, nullable=True)  # the customer's 1-5 for the resolution, asked once
    rated_at = Column(UtcDateTime, nullable=True)
    segments = Column(JSON, nullable=False, default=list)  # e.g. ["vip", "open_complaint"] when opened
    last_message_id = Column(String(255), nullable=True)  # the e-mail thread's newest Message-ID

    __table_args__ = (Index("ix_tickets_status_owner", "status", "owner_id"), Index("ix_tickets_customer", "customer_id"),
                      Index("ix_tickets_conversation", "conversation_id"), Index("ix_tickets_email", "email"))


class TicketEntry(Base):
    """The ticket's thread: public replies, the customer's messages, internal notes, status events."""

    __tablename__ = "ticket_entries"
    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id"), nullable=False)
    kind = Column(String(16), nullable=False)  # reply | customer | note | event
    text = Column(Text, nullable=False, default="")
    author_id = Column(Integer, ForeignKey("desk_users.id"), nullable=True)
    channel = Column(String(16), nullable=True)  # email | page | chat (how a reply went or a message came)
    data = Column(JSON, nullable=True)  # events: {"event": "assigned", "to": 3, ...}
    message_id = Column(String(255), nullable=True)  # the e-mail's Message-ID for threading
    created_at = Column(UtcDateTime, nullable=False)

    __table_args__ = (Index("ix_ticket_entries_ticket", "ticket_id", "id"),)
