"""Retention: what has been kept longer than its period is anonymised, and each run leaves a
destruction record (counts only). The bridge runs it every RETENTION_INTERVAL_HOURS (the
regulation asks for at least every six months); `python -m bot privacy retention` runs it by hand.
Running it twice changes nothing more: anonymised conversations and tickets are skipped.

A ticket follows its conversation (anonymised with it); one without a conversation is anonymised
RETENTION_UNVERIFIED_DAYS after it was closed (or resolved), like a chat nobody proved an order in."""
from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Dict, Optional

from sqlalchemy import and_, delete, func, inspect, or_, select, update
from sqlalchemy.orm import Session

from actions.store.models import FailedProof, ProofAlert
from bot.desk.models import Conversation, EmailSend
from bot.desk.store import utcnow
from bot.privacy import trackers
from bot.privacy.erasure import ERASED, anonymise_conversations, anonymise_tickets
from bot.privacy.models import AuditEntry, DeskSession, DestructionRecord, PrivacyRequest
from bot.settings import Settings
from bot.tickets.models import Ticket, TicketEntry

log = logging.getLogger(__name__)
SESSIONS_KEPT_DAYS = 30


@dataclass(frozen=True)
class Periods:
    transcript_days: int
    unverified_days: int
    audit_days: int

    @classmethod
    def from_settings(cls, settings: Settings) -> "Periods":
        return cls(settings.retention_transcript_days, settings.retention_unverified_days, settings.retention_audit_days)

    def as_record(self) -> Dict[str, int]:
        return {"transcripts": self.transcript_days, "unverified_conversations": self.unverified_days,
                "audit_log": self.audit_days}


def run_retention(s: Session, periods: Periods, now: datetime, actor: str = "system") -> Optional[DestructionRecord]:
    """Anonymises what expired at `now`; returns the destruction record, or None when nothing had."""
    transcripts = now - timedelta(days=periods.transcript_days)
    unverified = now - timedelta(days=periods.unverified_days)
    audit = now - timedelta(days=periods.audit_days)
    # A conversation counts from its last message; only closed ones go, so a chat in progress is never cut.
    expired = s.execute(select(Conversation.id).where(
        Conversation.anonymised_at.is_(None), Conversation.state == "bot",
        or_(and_(Conversation.customer_id.is_not(None), Conversation.last_message_at < transcripts),
            and_(Conversation.customer_id.is_(None), Conversation.last_message_at < unverified)))).scalars().all()
    counts: Counter = anonymise_conversations(s, expired, now)
    counts += anonymise_tickets(s, expired_tickets(s, unverified))
    counts["rasa_events"] += trackers.delete_untracked(s, before=unverified)
    counts["email_addresses"] = s.execute(update(EmailSend).where(EmailSend.created_at < transcripts, EmailSend.email != "")
                                          .values(email="", comment=None)).rowcount
    counts["audit_entries"] = s.execute(delete(AuditEntry).where(AuditEntry.at < audit)).rowcount
    if inspect(s.get_bind()).has_table(FailedProof.__tablename__):
        counts["failed_proofs"] = s.execute(delete(FailedProof).where(
            FailedProof.failed_at < now - timedelta(days=SESSIONS_KEPT_DAYS))).rowcount
        counts["proof_alerts"] = s.execute(delete(ProofAlert).where(ProofAlert.raised_at < audit)).rowcount
    counts["request_identifiers"] = s.execute(update(PrivacyRequest).where(
        PrivacyRequest.status != "open", PrivacyRequest.answered_at < audit, PrivacyRequest.identifier != ERASED)
        .values(identifier=ERASED, note=None)).rowcount
    # Login sessions and failed order proofs (with the client's address) are kept a month for questions.
    counts["desk_sessions"] = s.execute(delete(DeskSession).where(
        DeskSession.expires_at < now - timedelta(days=SESSIONS_KEPT_DAYS))).rowcount
    counts = +counts
    if not counts:
        return None
    record = DestructionRecord(at=now, trigger="retention", actor=actor, method="anonymised", counts=dict(counts),
                               rules=periods.as_record())
    s.add(record)
    s.commit()
    return record


def expired_tickets(s: Session, closed_before: datetime) -> list:
    """Tickets without a conversation, closed (or resolved) before `closed_before`, still holding words
    or identifiers. Those with a conversation go when it goes (anonymise_conversations)."""
    if not inspect(s.get_bind()).has_table(Ticket.__tablename__):
        return []
    closed = func.coalesce(Ticket.closed_at, Ticket.resolved_at)
    chat = select(Conversation.id).where(Conversation.id == Ticket.conversation_id).exists()
    words = select(TicketEntry.id).where(TicketEntry.ticket_id == Ticket.id, TicketEntry.text != "").exists()
    return list(s.execute(select(Ticket.id).where(
        Ticket.status.in_(("resolved", "closed")), closed < closed_before, ~chat,
        or_(Ticket.text != "", Ticket.email.is_not(None), Ticket.order_no.is_not(None), words))).scalars())


def destruction_records(s: Session, limit: int = 200) -> list:
    return list(s.execute(select(DestructionRecord).order_by(DestructionRecord.id.desc()).limit(limit)).scalars())


def start_retention_job(settings: Settings, sessions: Callable[[], Session],
                        clock: Callable[[], datetime] = utcnow) -> asyncio.Task:
    async def loop() -> None:
        periods = Periods.from_settings(settings)
        while True:
            try:
                record = await asyncio.to_thread(_run_once, sessions, periods, clock())
                if record is not None:
                    log.info("retention: anonymised %s", record)
            except Exception:  # logged; the next run tries again
                log.exception("retention run failed")
            await asyncio.sleep(settings.retention_interval_hours * 3600)

    return asyncio.create_task(loop())


def _run_once(sessions: Callable[[], Session], periods: Periods, now: datetime) -> Optional[Dict]:
    with sessions() as s:
        record = run_retention(s, periods, now)
        return dict(record.counts) if record else None
