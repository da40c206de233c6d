"""A person's data as a JSON document and as a readable HTML page (KVKK art. 11: the right to
learn what is processed about them).

The page's headings and the note on the kept records are in the text catalogue (`export.*` in the
`privacy` domain). The page goes to the person, whose language the admin may not know, so it says
each heading in every language (Turkish first: "Sohbetler / Conversations")."""
from __future__ import annotations

import json
from datetime import datetime
from html import escape
from typing import Any, Dict, List

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from actions.store.models import Customer, Order, ReturnRequest
from bot.desk.models import Contact, Conversation, Handoff, Message
from bot import i18n
from bot.desk.store import iso, utcnow
from bot.privacy import audit, subjects, trackers
from bot.privacy.subjects import Subject

KEPT_NOTE = "privacy:export.kept_note"
# The tickets' heading on the readable page. It lives in the reports domain (the dashboard's "Tickets"
# section) until the privacy domain has an export.tickets of its own.
TICKETS_TITLE = "privacy:export.tickets"


def kept_records_note() -> Dict[str, str]:
    """{language: why the order records are kept}, in every language (the person reads it)."""
    return {language: i18n.say(KEPT_NOTE, language) for language in i18n.LANGUAGES}


def export(s: Session, subject: Subject, now: datetime | None = None) -> Dict[str, Any]:
    """Everything about the person, each part under the name the admin page and docs/privacy.md use."""
    conversations = _conversations(s, subject)
    return {
        "generated_at": iso(now or utcnow()),
        "identifiers": {"customer_ids": sorted(subject.customer_ids), "emails": sorted(subject.emails),
                        "phones": sorted(subject.phones)},
        "customer": _customers(s, subject),
        "conversations": conversations,
        "complaints": [{"reference": c.reference, "category": c.category, "text": c.text, "order_no": c.order_no,
                        "status": c.status, "created_at": iso(c.created_at), "conversation_id": c.conversation_id}
                       for c in subjects.complaints_of(s, subject)],
        "tickets": _tickets(s, subject),
        "ratings": [{"kind": r.kind, "score": r.score, "comment": r.comment, "created_at": iso(r.created_at),
                     "conversation_id": r.conversation_id} for r in subjects.ratings_of(s, subject)],
        "email_sends": [{"kind": e.kind, "order_no": e.order_no, "email": e.email, "status": e.status,
                         "sent_at": iso(e.sent_at), "order_score": e.order_score, "service_score": e.service_score,
                         "comment": e.comment} for e in subjects.email_sends_of(s, subject)],
        "email_optouts": [{"email": o.email, "created_at": iso(o.created_at)} for o in subjects.optouts_of(s, subject)],
        "consents": [{"kind": c.kind, "granted": c.granted, "wording": c.wording, "version": c.wording_version,
                      "language": c.language, "created_at": iso(c.created_at)} for c in subjects.consents_of(s, subject)],
        "assistant_memory": trackers.tracker_summaries(s, subject.conversation_ids),
        "access_log": [entry for customer_id in sorted(subject.customer_ids)
                       for entry in audit.entries(s, customer_id=customer_id)],
        "kept_records": {"note": kept_records_note(), **_kept_records(s, subject)},
    }


def _customers(s: Session, subject: Subject) -> List[Dict[str, Any]]:
    if not subject.customer_ids:
        return []
    rows = s.execute(select(Customer).where(Customer.id.in_(subject.customer_ids))).scalars()
    return [{"id": c.id, "first_name": c.first_name, "last_name": c.last_name, "email": c.email, "phone": c.phone,
             "city": c.city, "member_since": c.member_since.isoformat(), "marketing_consent": c.marketing_consent}
            for c in rows]


def _conversations(s: Session, subject: Subject) -> List[Dict[str, Any]]:
    if not subject.conversation_ids:
        return []
    result = []
    for conversation in s.execute(select(Conversation).where(Conversation.id.in_(subject.conversation_ids))
                                  .order_by(Conversation.created_at)).scalars():
        messages = s.execute(select(Message).where(Message.conversation_id == conversation.id)
                             .order_by(Message.id)).scalars()
        handoffs = s.execute(select(Handoff).where(Handoff.conversation_id == conversation.id).order_by(Handoff.id)).scalars()
        orders = s.execute(select(Contact.order_no).where(Contact.conversation_id == conversation.id,
                                                           Contact.order_no.is_not(None))).scalars()
        result.append({
            "id": conversation.id, "started_at": iso(conversation.created_at), "language": conversation.language,
            "customer_id": conversation.customer_id, "orders_discussed": sorted(set(orders)),
            "messages": [{"time": iso(m.created_at), "sender": m.sender, "text": m.text} for m in messages],
            "handoffs": [{"reason": h.reason, "status": h.status, "requested_at": iso(h.requested_at),
                          "closed_at": iso(h.closed_at), "tags": list(h.resolution_tags or []), "note": h.close_note,
                          "reply_email": h.ticket_email} for h in handoffs],
        })
    return result


def _tickets(s: Session, subject: Subject) -> List[Dict[str, Any]]:
    """The person's tickets with their whole thread: the replies they got, what they wrote, and the
    agents' internal notes and the status history, which are data about them too (KVKK art. 11)."""
    tickets = subjects.tickets_of(s, subject)
    threads: Dict[int, List[Dict[str, Any]]] = {ticket.id: [] for ticket in tickets}
    for entry in subjects.ticket_entries_of(s, threads):
        threads[entry.ticket_id].append(_entry(entry))
    return [{"code": t.code, "category": t.category, "source": t.source, "channel": t.channel, "status": t.status,
             "language": t.language, "email": t.email, "text": t.text, "order_no": t.order_no,
             "conversation_id": t.conversation_id, "created_at": iso(t.created_at),
             "first_response_at": iso(t.first_response_at), "resolved_at": iso(t.resolved_at),
             "closed_at": iso(t.closed_at), "rating": t.rating, "rated_at": iso(t.rated_at),
             "segments": list(t.segments or []), "thread": threads[t.id]} for t in tickets]


def _entry(entry) -> Dict[str, Any]:
    """One line of a ticket's thread. Events say what changed (opened, a status, reopened), not which
    colleague it went to."""
    data = (entry.data or {}) if entry.kind == "event" else {}
    text = f"{data.get('from')} → {data.get('to')}" if data.get("event") == "status" else entry.text
    return {"time": iso(entry.created_at), "kind": entry.kind, "event": data.get("event"), "channel": entry.channel,
            "text": text}


def _kept_records(s: Session, subject: Subject) -> Dict[str, Any]:
    if not subject.customer_ids or not inspect(s.get_bind()).has_table(Order.__tablename__):
        return {"orders": [], "returns": []}
    orders = list(s.execute(select(Order).where(Order.customer_id.in_(subject.customer_ids))
                            .order_by(Order.placed_at)).scalars())
    returns = s.execute(select(ReturnRequest).where(ReturnRequest.order_no.in_([o.order_no for o in orders]))).scalars()
    return {
        "orders": [{"order_no": o.order_no, "placed_at": iso(o.placed_at), "status": o.status,
                    "total_kurus": o.total_kurus, "invoice_no": o.invoice_no, "shipping_city": o.shipping_city}
                   for o in orders],
        "returns": [{"rma_code": r.rma_code, "order_no": r.order_no, "status": r.status, "opened_at": iso(r.opened_at)}
                    for r in returns],
    }


# --- the readable page ------------------------------------------------------------------
# The document's parts shown as tables, with their headings' catalogue keys.
SECTION_TITLES = {
    "customer": "privacy:export.customer",
    "complaints": "privacy:export.complaints",
    "ratings": "privacy:export.ratings",
    "email_sends": "privacy:export.email_sends",
    "email_optouts": "privacy:export.email_optouts",
    "consents": "privacy:export.consents",
    "assistant_memory": "privacy:export.assistant_memory",
    "access_log": "privacy:export.access_log",
}


def both(key: str) -> str:
    """A text in every language, Turkish first: "Sohbetler / Conversations" (not escaped)."""
    return " / ".join(i18n.say(key, language) for language in i18n.LANGUAGES)


def render_html(document: Dict[str, Any]) -> str:
    parts = [f"<h1>{escape(both('privacy:export.title'))}</h1>"
             f"<p>{escape(both('privacy:export.generated'))}: {escape(document['generated_at'])}</p>"]
    for key, title in SECTION_TITLES.items():
        parts.append(f"<h2>{escape(both(title))}</h2>" + _table(document[key]))
    parts.append(f"<h2>{escape(both('privacy:export.conversations'))}</h2>")
    for conversation in document["conversations"]:
        parts.append(f"<h3>{escape(conversation['started_at'] or '')} · {escape(conversation['language'])}</h3>")
        parts.append(_table(conversation["messages"]))
        if conversation["handoffs"]:
            parts.append(_table(conversation["handoffs"]))
    if not document["conversations"]:
        parts.append("<p>—</p>")
    parts.append(f"<h2>{escape(both(TICKETS_TITLE))}</h2>")
    for ticket in document["tickets"]:
        parts.append(f"<h3>{escape(ticket['code'])} · {escape(ticket['created_at'] or '')}</h3>")
        parts.append(_table([{key: value for key, value in ticket.items() if key != "thread"}]))
        parts.append(_table(ticket["thread"]))
    if not document["tickets"]:
        parts.append("<p>—</p>")
    kept = document["kept_records"]
    notes = "".join(f"<p>{escape(kept['note'][language])}</p>" if language == i18n.DEFAULT_LANGUAGE
                    else f"<p lang=\"{language}\">{escape(kept['note'][language])}</p>" for language in i18n.LANGUAGES)
    parts.append(f"<h2>{escape(both('privacy:export.kept_records'))}</h2>" + notes
                 + _table(kept["orders"]) + _table(kept["returns"]))
    title = escape(i18n.say("privacy:export.title", i18n.DEFAULT_LANGUAGE))
    return ("<!doctype html><html lang=\"tr\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title>"
            "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem}"
            "table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:.3rem;"
            "text-align:left;vertical-align:top;overflow-wrap:anywhere}</style></head><body>"
            + "".join(parts) + "</body></html>")


def _table(rows: List[Dict[str, Any]]) -> str:
    if not rows:
        return "<p>—</p>"
    columns = list(rows[0].keys())
    head = "".join(f"<th>{escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(_cell(row.get(c)))}</td>" for c in columns) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
