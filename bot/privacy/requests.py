"""Data subject requests (KVKK art. 11 and 13): logged when received, answered within 30 days,
shown until answered. Answering an access/export request produces the export; answering an
erasure request erases and leaves a destruction record.

Refusals are RequestErrors with a code (worded for the admin's page, bot/privacy/errors.py); what
became of an answered request (`outcome`) is kept with it in the language of the admin who answered
(`outcome.*` in the `privacy` domain of the text catalogue)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional

from sqlalchemy import case, or_, select, update
from sqlalchemy.orm import Session

from bot import i18n
from bot.desk.store import iso
from bot.privacy import erasure, export, subjects
from bot.privacy.errors import AdminError
from bot.privacy.models import DestructionRecord, PrivacyRequest

KINDS = ("access", "erasure")


class RequestError(AdminError):
    """Bad input or a request in the wrong state: its code is worded for the admin (bot/privacy/errors.py)."""


@dataclass(frozen=True)
class Answer:
    request: Dict[str, Any]
    document: Optional[Dict[str, Any]] = None  # the export, for access requests
    destroyed: Optional[Dict[str, int]] = None  # counts, for erasures


def open_request(s: Session, kind: str, identifier_kind: str, identifier: str, now: datetime, deadline_days: int,
                 note: Optional[str] = None) -> Dict[str, Any]:
    if kind not in KINDS:
        raise RequestError("bad_kind")
    try:
        value = subjects.check_identifier(identifier_kind, identifier)
    except subjects.BadIdentifier as error:
        raise RequestError(error.code, **error.params) from None
    known = subjects.find(s, identifier_kind, value).customer_ids
    request = PrivacyRequest(kind=kind, identifier_kind=identifier_kind, identifier=value,
                             customer_id=min(known) if known else None,
                             note=(note or "").strip()[:2000] or None, received_at=now,
                             due_at=now + timedelta(days=deadline_days), status="open")
    s.add(request)
    s.commit()
    return request_view(request, now)


def requests(s: Session, now: datetime, include_answered: bool = True) -> List[Dict[str, Any]]:
    """Open requests first, the most urgent on top; then answered ones, newest first."""
    query = select(PrivacyRequest).order_by(case((PrivacyRequest.status == "open", 0), else_=1),
                                            PrivacyRequest.due_at, PrivacyRequest.id.desc())
    if not include_answered:
        query = query.where(PrivacyRequest.status == "open")
    return [request_view(r, now) for r in s.execute(query).scalars()]


def preview(s: Session, request_id: int) -> Dict[str, Any]:
    """How much an answer would cover: counts per part of the export (no content)."""
    request = s.get(PrivacyRequest, request_id)
    if request is None:
        raise RequestError("no_such_request")
    if request.identifier == erasure.ERASED:
        raise RequestError("erased")
    return {"request_id": request_id, **holdings(s, subjects.find(s, request.identifier_kind, request.identifier))}


def holdings(s: Session, subject: subjects.Subject) -> Dict[str, Any]:
    document = export.export(s, subject)
    counts = {key: len(value) for key, value in document.items() if isinstance(value, list)}
    counts["messages"] = sum(len(c["messages"]) for c in document["conversations"])
    counts["kept_orders"] = len(document["kept_records"]["orders"])
    return {"customer_id": min(subject.customer_ids) if subject.customer_ids else None, "found": any(counts.values()),
            "counts": counts}


def answer(s: Session, request_id: int, by: str, now: datetime, state_dir: Optional[Path] = None,
           language: str = i18n.DEFAULT_LANGUAGE) -> Answer:
    """Exports or erases; the outcome kept with the request is worded in `language` (the admin's)."""
    request = _open(s, request_id)
    # Claimed in this transaction: a second admin answering at the same moment finds it answered.
    claimed = s.execute(update(PrivacyRequest).where(PrivacyRequest.id == request_id, PrivacyRequest.status == "open")
                        .values(status="answered", answered_at=now, answered_by=by)).rowcount
    if claimed != 1:
        raise RequestError("already_answered")
    subject = subjects.find(s, request.identifier_kind, request.identifier)
    if request.kind == "access":
        document = export.export(s, subject, now)
        request.outcome = i18n.say("privacy:outcome.exported", language, conversations=len(document["conversations"]),
                                   complaints=len(document["complaints"]), ratings=len(document["ratings"]))
        _close(request, by, now, subject)
        s.commit()
        return Answer(request_view(request, now), document=document)
    destroyed = dict(erasure.erase(s, subject, now, state_dir))
    counts = (", ".join(f"{k} {v}" for k, v in sorted(destroyed.items()))
              or i18n.say("privacy:outcome.nothing", language))
    request.outcome = i18n.say("privacy:outcome.erased", language, counts=counts)
    _forget_identifiers(s, subject)
    _close(request, by, now, subject)
    s.add(DestructionRecord(at=now, trigger="request", request_id=request.id, actor=by, method="anonymised",
                            counts=destroyed, rules={}))
    s.commit()
    return Answer(request_view(request, now), destroyed=destroyed)


def _forget_identifiers(s: Session, subject: subjects.Subject) -> None:
    """Every request about the person keeps its facts (what, when, by whom) but no longer names them."""
    named = [(PrivacyRequest.identifier_kind == "email") & PrivacyRequest.identifier.in_(subject.emails),
             (PrivacyRequest.identifier_kind == "phone") & PrivacyRequest.identifier.in_(subject.phones),
             (PrivacyRequest.identifier_kind == "customer") & PrivacyRequest.identifier.in_(
                 [str(i) for i in subject.customer_ids])]
    s.execute(update(PrivacyRequest).where(or_(*named)).values(identifier=erasure.ERASED, note=None))


def refuse(s: Session, request_id: int, by: str, now: datetime, reason: str) -> Dict[str, Any]:
    if not (reason or "").strip():
        raise RequestError("reason_required")
    request = _open(s, request_id)
    request.status, request.answered_at, request.answered_by = "refused", now, by
    request.outcome = reason.strip()[:2000]
    s.commit()
    return request_view(request, now)


def _open(s: Session, request_id: int) -> PrivacyRequest:
    request = s.get(PrivacyRequest, request_id)
    if request is None:
        raise RequestError("no_such_request")
    if request.status != "open":
        raise RequestError("already_answered")
    return request


def _close(request: PrivacyRequest, by: str, now: datetime, subject: subjects.Subject) -> None:
    request.status, request.answered_at, request.answered_by = "answered", now, by
    request.customer_id = request.customer_id or (min(subject.customer_ids) if subject.customer_ids else None)


def request_view(request: PrivacyRequest, now: datetime) -> Dict[str, Any]:
    return {
        "id": request.id, "kind": request.kind, "identifier_kind": request.identifier_kind,
        "identifier": request.identifier, "customer_id": request.customer_id, "note": request.note,
        "received_at": iso(request.received_at), "due_at": iso(request.due_at), "status": request.status,
        "days_left": (request.due_at - now).days if request.status == "open" else None,
        "overdue": request.status == "open" and now > request.due_at,
        "answered_at": iso(request.answered_at), "answered_by": request.answered_by, "outcome": request.outcome,
    }
