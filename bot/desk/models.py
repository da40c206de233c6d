"""SQLAlchemy models of the support desk: who talks to the shopper, everything said, handoffs.

Kept apart from the store's models (actions/store/models.py): another bounded context with its
own migrations (bot/desk/migrations/, version table `alembic_version_desk`), usually in the
same database. Times are naive UTC.
"""
from sqlalchemy import (
    JSON, Boolean, Column, DateTime, Float, ForeignKey, Index, Integer, String, Text,
)
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class DeskUser(Base):
    """A person who logs in: an agent, an editor or an admin."""

    __tablename__ = "desk_users"
    id = Column(Integer, primary_key=True)
    username = Column(String(64), unique=True, nullable=False)
    display_name = Column(String(100), nullable=False)
    role = Column(String(16), nullable=False)  # agent | editor | admin
    password_hash = Column(String(255), nullable=False)
    languages = Column(JSON, nullable=False, default=list)  # ["tr", "en"]
    max_chats = Column(Integer, nullable=False, default=3)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False)


class Conversation(Base):
    """One shopper's chat, keyed by the session id the widget keeps (also Rasa's sender id)."""

    __tablename__ = "conversations"
    id = Column(String(64), primary_key=True)
    created_at = Column(DateTime, nullable=False)
    last_message_at = Column(DateTime, nullable=False)
    language = Column(String(8), nullable=False, default="tr")
    # Who talks to the shopper: bot | queued | agent. The bridge, not Rasa, decides.
    state = Column(String(16), nullable=False, default="bot")
    agent_id = Column(Integer, ForeignKey("desk_users.id"), nullable=True)
    customer_id = Column(Integer, nullable=True)  # set once the shopper proved who they are
    # The open handoff's facts, copied here so that the queue is one query.
    reason = Column(String(32), nullable=True)
    frustration = Column(Float, nullable=False, default=0.0)
    signals = Column(JSON, nullable=False, default=list)
    queued_at = Column(DateTime, nullable=True)
    queue_priority = Column(Integer, nullable=False, default=1)  # 0 = back to the front
    # What the bridge is waiting for from the shopper outside Rasa: rating | rating_comment | ticket_email
    awaiting = Column(String(32), nullable=True)

    __table_args__ = (Index("ix_conversations_state", "state"), Index("ix_conversations_customer", "customer_id"))


class Message(Base):
    """Everything said in a conversation, stored before it is delivered."""

    __tablename__ = "messages"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(64), ForeignKey("conversations.id"), nullable=False)
    sender = Column(String(16), nullable=False)  # shopper | bot | agent | system | note
    text = Column(Text, nullable=False, default="")
    quick_replies = Column(JSON, nullable=False, default=list)
    data = Column(JSON, nullable=True)  # custom payloads from Rasa, the shopper's metadata
    agent_id = Column(Integer, ForeignKey("desk_users.id"), nullable=True)
    created_at = Column(DateTime, nullable=False)

    __table_args__ = (Index("ix_messages_conversation", "conversation_id", "id"),)


class Handoff(Base):
    """One escalation to people: queued, offered, taken, transferred, closed or ticketed."""

    __tablename__ = "handoffs"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(64), ForeignKey("conversations.id"), nullable=False)
    reason = Column(String(32), nullable=False)
    frustration = Column(Float, nullable=False, default=0.0)
    status = Column(String(16), nullable=False)  # queued | active | closed | handed_back | ticket
    requested_at = Column(DateTime, nullable=False)
    accepted_at = Column(DateTime, nullable=True)
    first_response_at = Column(DateTime, nullable=True)
    closed_at = Column(DateTime, nullable=True)
    agent_id = Column(Integer, ForeignKey("desk_users.id"), nullable=True)
    resolution_tags = Column(JSON, nullable=False, default=list)
    close_note = Column(Text, nullable=True)
    ticket_email = Column(String(255), nullable=True)

    __table_args__ = (Index("ix_handoffs_conversation", "conversation_id"),)


class HandoffEvent(Base):
    """The handoff's history for reports: queued, offered, offer_expired, accepted, transferred, requeued, closed."""

    __tablename__ = "handoff_events"
    id = Column(Integer, primary_key=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id"), nullable=False)
    kind = Column(String(32), nullable=False)
    agent_id = Column(Integer, ForeignKey("desk_users.id"), nullable=True)
    created_at = Column(DateTime, nullable=False)


class Rating(Base):
    """A shopper's satisfaction answer (CSAT 1-5) with an optional comment."""

    __tablename__ = "ratings"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(64), ForeignKey("conversations.id"), nullable=False)
    handoff_id = Column(Integer, ForeignKey("handoffs.id"), nullable=True)
    kind = Column(String(16), nullable=False, default="csat")
    score = Column(Integer, nullable=False)
    comment = Column(Text, nullable=True)
    created_at = Column(DateTime, nullable=False)
