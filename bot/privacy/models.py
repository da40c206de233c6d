"""The privacy tables (KVKK): consents, desk login sessions, the audit log, data subject requests
and the destruction record. They share the desk's metadata, so the desk's migrations create them;
times are aware UTC like the desk's (UtcDateTime columns).

Nothing here is updated or deleted by the product except what each class says: the audit log and
the destruction record are append-only (retention may anonymise audit entries past their period).
"""
from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Text

from actions.store.types import UtcDateTime
from bot.desk.models import Base


class Consent(Base):
    """A choice a shopper made in the widget, with the exact wording they saw: the notice shown
    (aydınlatma, acknowledged) or marketing e-mails given / withdrawn. A withdrawal is a new row."""

    __tablename__ = "consents"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(64), nullable=True, index=True)
    customer_id = Column(Integer, nullable=True, index=True)  # when known (proven order or storefront token)
    kind = Column(String(16), nullable=False)  # notice | marketing
    granted = Column(Boolean, nullable=False)
    wording = Column(Text, nullable=False)  # the text as shown, in the shopper's language
    wording_version = Column(String(32), nullable=False)
    language = Column(String(8), nullable=False, default="tr")
    created_at = Column(UtcDateTime, nullable=False)


class DeskSession(Base):
    """One login of a desk user: a token is valid only while its session is open, so logging out
    (or an admin ending it) ends the token before its expiry."""

    __tablename__ = "desk_sessions"
    id = Column(String(64), primary_key=True)  # the token's `jti`
    user_id = Column(Integer, ForeignKey("desk_users.id"), nullable=False, index=True)
    created_at = Column(UtcDateTime, nullable=False)
    expires_at = Column(UtcDateTime, nullable=False)
    ended_at = Column(UtcDateTime, nullable=True)


class AuditEntry(Base):
    """Who looked at or changed whose personal data, when, and why if they said. Append-only."""

    __tablename__ = "audit_log"
    id = Column(Integer, primary_key=True)
    at = Column(UtcDateTime, nullable=False)
    actor_id = Column(Integer, nullable=True)  # a desk user; None for the system (retention job, CLI)
    actor = Column(String(64), nullable=False)  # username or "system" / "cli:<os user>"
    role = Column(String(16), nullable=True)
    action = Column(String(32), nullable=False)  # view_customer | export | erase | refused | read_audit | ...
    customer_id = Column(Integer, nullable=True)
    subject = Column(String(128), nullable=True)  # what was looked at: a conversation id, a request id
    reason = Column(Text, nullable=True)
    address = Column(String(64), nullable=True)

    __table_args__ = (Index("ix_audit_log_at", "at"), Index("ix_audit_log_customer", "customer_id"))


class PrivacyRequest(Base):
    """A data subject's request (KVKK art. 11): to be answered within 30 days."""

    __tablename__ = "privacy_requests"
    id = Column(Integer, primary_key=True)
    kind = Column(String(16), nullable=False)  # access | export | erasure
    identifier_kind = Column(String(16), nullable=False)  # email | phone | customer
    identifier = Column(String(254), nullable=False)  # replaced by "silindi" once an erasure is done
    customer_id = Column(Integer, nullable=True)
    note = Column(Text, nullable=True)
    received_at = Column(UtcDateTime, nullable=False)
    due_at = Column(UtcDateTime, nullable=False)
    status = Column(String(16), nullable=False, default="open")  # open | answered | refused
    answered_at = Column(UtcDateTime, nullable=True)
    answered_by = Column(String(64), nullable=True)
    outcome = Column(Text, nullable=True)  # what was done, without the data itself


class DestructionRecord(Base):
    """What a retention run or an erasure destroyed: counts per kind, never the data (KVKK
    deletion regulation: the record of destruction is kept for three years)."""

    __tablename__ = "destruction_records"
    id = Column(Integer, primary_key=True)
    at = Column(UtcDateTime, nullable=False)
    trigger = Column(String(16), nullable=False)  # retention | request
    request_id = Column(Integer, ForeignKey("privacy_requests.id"), nullable=True)
    actor = Column(String(64), nullable=False)
    method = Column(String(16), nullable=False)  # anonymised | deleted
    counts = Column(JSON, nullable=False, default=dict)  # {"messages": 120, "conversations": 4, ...}
    rules = Column(JSON, nullable=False, default=dict)  # the retention periods applied, in days
