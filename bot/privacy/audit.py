"""The audit log: who looked at or changed whose personal data. Append-only by construction: this
module only inserts and reads, and no route or command updates or deletes an entry (retention may
anonymise entries older than their period, see bot/privacy/retention.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.desk.store import iso, utcnow
from bot.privacy.models import AuditEntry

COLUMNS = ("id", "at", "actor", "role", "action", "customer_id", "subject", "reason", "address")


@dataclass(frozen=True)
class Actor:
    """Who did it: a logged-in desk user, or the system (a job, the command line)."""

    name: str
    user_id: Optional[int] = None
    role: Optional[str] = None
    address: Optional[str] = None


def record(sessions: Callable[[], Session], actor: Actor, action: str, *, customer_id: Optional[int] = None,
           subject: Optional[str] = None, reason: Optional[str] = None, now: Optional[datetime] = None) -> None:
    with sessions() as s:
        s.add(AuditEntry(at=now or utcnow(), actor_id=actor.user_id, actor=actor.name[:64], role=actor.role,
                         action=action, customer_id=customer_id, subject=(subject or None) and subject[:128],
                         reason=(reason or None) and reason[:2000], address=actor.address))
        s.commit()


def entries(s: Session, customer_id: Optional[int] = None, limit: int = 500) -> List[Dict[str, Any]]:
    """Newest first; one customer's entries when `customer_id` is given."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if customer_id is not None:
        query = query.where(AuditEntry.customer_id == customer_id)
    return [entry_view(e) for e in s.execute(query).scalars()]


def entry_view(entry: AuditEntry) -> Dict[str, Any]:
    view = {column: getattr(entry, column) for column in COLUMNS}
    return {**view, "at": iso(entry.at)}


def spreadsheet_safe(entries: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """For CSV: a cell a spreadsheet would run as a formula (an agent can write `reason` and the
    refused path) starts with an apostrophe instead (OWASP's CSV injection advice)."""
    return [{key: "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
             for key, value in entry.items()} for entry in entries]
