"""Tickets as the agents' console shows them (JSON): list rows with their deadlines, the thread.

Read only and pure: the caller passes the moment, the support calendar, the warning window and
the names it already looked up, so a list of 200 rows costs no query per row here. Deadlines:
`next_due` is the one that matters now (bot.tickets.store.next_deadline); a ticket is `breaching`
when that deadline is past or less than the warning window of support time away (a deadline on
Monday morning is near on Friday evening), `breached` when it is past. Only tickets still open
(new, open, waiting) have a running deadline.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, Mapping, Optional

from bot.desk.store import iso
from bot.tickets.models import OPEN_STATUSES, Ticket, TicketEntry
from bot.tickets.sla import SupportCalendar
from bot.tickets.store import next_deadline

PREVIEW_CHARS = 140  # the shopper's words in a list row


def due_state(ticket: Ticket, now: datetime, calendar: SupportCalendar, warn: timedelta) -> Dict[str, Any]:
    """{next_due, next_due_kind, due_in_seconds, breaching, breached} of a ticket at `now`."""
    due = next_deadline(ticket) if ticket.status in OPEN_STATUSES else None
    if due is None:
        return {"next_due": None, "next_due_kind": None, "due_in_seconds": None, "breaching": False, "breached": False}
    breached = due < now
    kind = "first_response" if ticket.first_response_at is None and due == ticket.first_response_due else "resolution"
    return {"next_due": iso(due), "next_due_kind": kind, "due_in_seconds": int((due - now).total_seconds()),
            "breaching": breached or calendar.between(now, due) <= warn, "breached": breached}


def person(user_id: Optional[int], names: Mapping[int, str]) -> Optional[Dict[str, Any]]:
    return {"id": user_id, "name": names.get(user_id)} if user_id is not None else None


def ticket_row(ticket: Ticket, now: datetime, calendar: SupportCalendar, warn: timedelta,
               names: Mapping[int, str], first_name: Optional[str]) -> Dict[str, Any]:
    """One line of the Tickets list."""
    return {
        "id": ticket.id, "code": ticket.code, "status": ticket.status, "category": ticket.category,
        "source": ticket.source, "channel": ticket.channel, "language": ticket.language,
        "owner": person(ticket.owner_id, names),
        "customer": {"id": ticket.customer_id, "first_name": first_name} if ticket.customer_id is not None else None,
        "customer_first_name": first_name,
        "preview": (ticket.text or "")[:PREVIEW_CHARS],
        "created_at": iso(ticket.created_at), "first_response_due": iso(ticket.first_response_due),
        "resolution_due": iso(ticket.resolution_due), "first_response_at": iso(ticket.first_response_at),
        "resolved_at": iso(ticket.resolved_at), "closed_at": iso(ticket.closed_at),
        **due_state(ticket, now, calendar, warn),
        "segments": list(ticket.segments or []), "reopened": ticket.reopened or 0,
        "last_activity": iso(ticket.updated_at),
    }


def ticket_fields(ticket: Ticket) -> Dict[str, Any]:
    """What the ticket page shows beyond its row: how to reach the customer, what was linked."""
    return {"email": ticket.email, "order_no": ticket.order_no, "conversation_id": ticket.conversation_id,
            "text": ticket.text or "", "rating": ticket.rating, "rated_at": iso(ticket.rated_at)}


def entry_view(entry: TicketEntry, names: Mapping[int, str]) -> Dict[str, Any]:
    """A thread entry: a public reply, the customer's message, an internal note or an event.

    `mail` is what became of a reply's e-mail ("sent", "failed" with `mail_error`; None when none
    was sent); an event's `event` is its data, with the name of the agent it names (`to_name`)."""
    data = dict(entry.data or {})
    event = None
    if entry.kind == "event":
        event = {key: value for key, value in data.items() if key not in ("mail", "error")}
        if isinstance(event.get("to"), int):
            event["to_name"] = names.get(event["to"])
    return {
        "id": entry.id, "kind": entry.kind, "text": entry.text or "", "author": person(entry.author_id, names),
        "channel": entry.channel, "mail": data.get("mail"), "mail_error": data.get("error"),
        "event": event, "created_at": iso(entry.created_at),
    }
