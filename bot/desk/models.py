"""SQLAlchemy models of the support desk: who talks to the shopper, everything said, handoffs.

Kept apart from the store's models (actions/store/models.py): another bounded context with its
own migrations (bot/desk/migrations/, version table `alembic_version_desk`), usually in the
same database. Times are aware UTC in Python, naive UTC in the columns (actions/store/types.py).
"""
from sqlalchemy import (
    JSON, Boolean, Column, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import declarative_base

from actions.store.types import UtcDateTime

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
    # Tickets (bot/tickets/): the categories this person handles (empty: all) and how many open ones at most.
    skills = Column(JSON, nullable=False, default=list)
    max_tickets = Column(Integer, nullable=False, default=20)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(UtcDateTime, nullable=False)


class Conversation(Base):
    """One shopper's chat, keyed by the session id the widget keeps (also Rasa's sender id)."""

    __tablename__ = "conversations"
    id = Column(String(64), primary_key=True)
    created_at = Column(UtcDateTime, nullable=False)
    last_message_at = Column(UtcDateTime, nullable=False)
    language = Column(String(8), nullable=False, default="tr")
    # Who talks to the shopper: bot | queued | agent. The bridge, not Rasa, decides.
    state = Column(String(16), nullable=False, default="bot")
    agent_id = Column(Integer, ForeignKey("desk_users.id"), nullable=True)
    customer_id = Column(Integer, nullable=True)  # set once the shopper proved who they are
    # The open handoff's facts, copied here so that the queue is one query.
    reason = Column(String(32), nullable=True)
    frustration = Column(Float, nullable=False, default=0.0)
    signals = Column(JSON, nullable=False, default=list)
    queued_at = Column(UtcDateTime, nullable=True)
    queue_priority = Column(Integer, nullable=False, default=1)  # 0 = back to the front, or a segment that goes ahead
    segments = Column(JSON, nullable=True)  # the customer's segments when handed to people (bot/desk/segments.py)
    # What the bridge is waiting for from the shopper outside Rasa: rating | rating_comment | ticket_email
    awaiting = Column(String(32), nullable=True)
    contact_id = Column(Integer, nullable=True)  # the current contact (see Contact)
    # The shopper pressed "end chat" (a shared device): the session id is never resumed again.
    ended_at = Column(UtcDateTime, nullable=True)
    # Retention or an erasure removed its content; the row stays as an anonymous count for reports.
    anonymised_at = Column(UtcDateTime, nullable=True)

    __table_args__ = (Index("ix_conversations_state", "state"), Index("ix_conversations_customer", "customer_id"))


class Contact(Base):
    """One visit of a shopper: what reports count as "a conversation".

    The widget keeps its session (and so its Conversation) for good; a shopper who comes back
    after CONTACT_IDLE_MINUTES of silence starts a new contact in the same transcript, like
    Rasa's own sessions. Surveys are asked at most once per contact.
    """

    __tablename__ = "contacts"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(64), ForeignKey("conversations.id"), nullable=False)
    started_at = Column(UtcDateTime, nullable=False)
    last_message_at = Column(UtcDateTime, nullable=False)
    language = Column(String(8), nullable=False, default="tr")
    reason = Column(String(80), nullable=True)  # the first thing the assistant recognised: an intent or faq/<topic>
    answered = Column(Boolean, nullable=False, default=False)  # the assistant gave an answer to a known need
    order_no = Column(String(16), nullable=True)  # the order the shopper proved, if any
    csat_asked_at = Column(UtcDateTime, nullable=True)
    nps_asked_at = Column(UtcDateTime, nullable=True)

    __table_args__ = (Index("ix_contacts_started", "started_at"), Index("ix_contacts_conversation", "conversation_id"))


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
    created_at = Column(UtcDateTime, nullable=False)
    contact_id = Column(Integer, ForeignKey("contacts.id"), nullable=True)
    # Shopper messages the assistant read: its intent (faq/<topic> for the knowledge base) and
    # whether it understood (False: it asked back or offered a person for not understanding).
    intent = Column(String(80), nullable=True)
    understood = Column(Boolean, nullable=True)

    __table_args__ = (Index("ix_messages_conversation", "conversation_id", "id"), Index("ix_messages_contact", "contact_id"))


class Handoff(Base):
    """One escalation to people: queued, offered, taken, transferred, closed or ticketed."""

    __tablename__ = "handoffs"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(64), ForeignKey("conversations.id"), nullable=False)
    reason = Column(String(32), nullable=False)
    frustration = Column(Float, nullable=False, default=0.0)
    status = Column(String(16), nullable=False)  # queued | active | closed | handed_back | ticket
    requested_at = Column(UtcDateTime, nullable=False)
    accepted_at = Column(UtcDateTime, nullable=True)
    first_response_at = Column(UtcDateTime, nullable=True)
    closed_at = Column(UtcDateTime, nullable=True)
    agent_id = Column(Integer, ForeignKey("desk_users.id"), nullable=True)
    contact_id = Column(Integer, ForeignKey("contacts.id"), nullable=True)
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
    created_at = Column(UtcDateTime, nullable=False)


class Rating(Base):
    """A shopper's answer: CSAT (1-5, with an optional comment) or NPS (0-10, with the reason)."""

    __tablename__ = "ratings"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(64), ForeignKey("conversations.id"), nullable=False)
    contact_id = Column(Integer, ForeignKey("contacts.id"), nullable=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id"), nullable=True)
    customer_id = Column(Integer, nullable=True)
    language = Column(String(8), nullable=True)
    kind = Column(String(16), nullable=False, default="csat")  # csat | nps
    score = Column(Integer, nullable=False)
    comment = Column(Text, nullable=True)
    created_at = Column(UtcDateTime, nullable=False)

    __table_args__ = (Index("ix_ratings_created", "created_at"), Index("ix_ratings_customer", "customer_id", "kind"))


class EmailSend(Base):
    """One follow-up e-mail: claimed (unique per kind and order) before it is sent, so never twice."""

    __tablename__ = "email_sends"
    id = Column(Integer, primary_key=True)
    kind = Column(String(32), nullable=False)  # delivery_followup
    order_no = Column(String(16), nullable=False)
    customer_id = Column(Integer, nullable=False)
    email = Column(String(254), nullable=False)
    language = Column(String(8), nullable=False)
    status = Column(String(16), nullable=False)  # sending | sent | failed
    attempts = Column(Integer, nullable=False, default=0)
    error = Column(Text, nullable=True)
    created_at = Column(UtcDateTime, nullable=False)
    sent_at = Column(UtcDateTime, nullable=True)
    # The shopper's answer from the e-mail's feedback page.
    order_score = Column(Integer, nullable=True)
    service_score = Column(Integer, nullable=True)
    comment = Column(Text, nullable=True)
    answered_at = Column(UtcDateTime, nullable=True)

    __table_args__ = (UniqueConstraint("kind", "order_no", name="uq_email_sends_kind_order"),)


class EmailOptOut(Base):
    """An address that asked for no more follow-up e-mails (the unsubscribe link)."""

    __tablename__ = "email_optouts"
    id = Column(Integer, primary_key=True)
    email = Column(String(254), nullable=False, unique=True)
    created_at = Column(UtcDateTime, nullable=False)


# --- the desk's routing state, shared by every bridge (bot/desk/shared_desk.py) -----------------
class AgentPresence(Base):
    """An agent's open sockets on one bridge. The bridge refreshes `seen_at` while it runs, so a
    bridge that died stops counting after a short time and its agents are offline since then."""

    __tablename__ = "desk_agent_presence"
    agent_id = Column(Integer, ForeignKey("desk_users.id"), primary_key=True)
    bridge_id = Column(String(64), primary_key=True)
    sockets = Column(Integer, nullable=False, default=0)
    seen_at = Column(UtcDateTime, nullable=False)


class AgentAway(Base):
    """An agent who paused themselves: stays paused across reconnects and bridges."""

    __tablename__ = "desk_agents_away"
    agent_id = Column(Integer, ForeignKey("desk_users.id"), primary_key=True)


class PendingOffer(Base):
    """A waiting chat offered to one agent until `expires_at`: at most one per chat (the key), and
    whichever bridge deletes the row by its `token` is the one that acts on it."""

    __tablename__ = "desk_offers"
    conversation_id = Column(String(64), primary_key=True)  # no foreign key: an ephemeral row never blocks a clean-up
    agent_id = Column(Integer, ForeignKey("desk_users.id"), nullable=False, index=True)
    token = Column(String(32), nullable=False)
    expires_at = Column(UtcDateTime, nullable=False)


class RoutingMark(Base):
    """What routing remembers of a waiting chat: agents who let it pass, a transfer's target."""

    __tablename__ = "desk_routing_marks"
    conversation_id = Column(String(64), primary_key=True)
    agent_id = Column(Integer, ForeignKey("desk_users.id"), primary_key=True)
    kind = Column(String(16), primary_key=True)  # passed | preferred
