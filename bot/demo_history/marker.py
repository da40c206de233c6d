"""Where the demo history says it is there, and how it goes away again.

The shop's key/value table (`store_meta`, key `demo_history`) holds a small JSON value: the
anchor moment, the state (adding | added | removed) and the follow-up e-mails it wrote. Everything
else is found by its own mark: conversations whose id starts with `demo-` (and every row hanging
off them), tickets carrying the demo note, the editors' inbox items of demo conversations.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Dict, Optional

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from actions.store.models import StoreMeta
from bot.demo_history.lines import DEMO_NOTE
from bot.desk.models import Contact, Conversation, EmailSend, Handoff, HandoffEvent, Message, Rating
from bot.studio.models import KbInboxItem
from bot.tickets.models import Ticket, TicketEntry

KEY = "demo_history"
PREFIX = "demo-"


def read(session: Session) -> Optional[Dict[str, Any]]:
    row = session.get(StoreMeta, KEY)
    if row is None:
        return None
    try:
        value = json.loads(row.value)
    except ValueError:
        return {"state": "unknown", "raw": row.value}
    return value if isinstance(value, dict) else {"state": "unknown", "raw": row.value}


def write(session: Session, value: Dict[str, Any]) -> None:
    session.merge(StoreMeta(key=KEY, value=json.dumps(value, sort_keys=True)))


def remove(session: Session, now: datetime) -> Dict[str, int]:
    """Deletes every demo row (in the caller's transaction) and leaves the marker as "removed",
    so that `make run` does not add the history again."""
    marker = read(session) or {}
    demo = Conversation.id.like(f"{PREFIX}%")
    conversations = select(Conversation.id).where(demo).scalar_subquery()
    handoffs = select(Handoff.id).where(Handoff.conversation_id.in_(conversations)).scalar_subquery()
    ticket_ids = list(session.execute(select(TicketEntry.ticket_id).where(
        TicketEntry.kind == "note", TicketEntry.text == DEMO_NOTE)).scalars())
    counts = {}
    steps = (
        ("ratings", delete(Rating).where(Rating.conversation_id.in_(conversations))),
        ("handoff_events", delete(HandoffEvent).where(HandoffEvent.handoff_id.in_(handoffs))),
        ("handoffs", delete(Handoff).where(Handoff.conversation_id.in_(conversations))),
        ("inbox_items", delete(KbInboxItem).where(KbInboxItem.conversation_id.like(f"{PREFIX}%"))),
        ("messages", delete(Message).where(Message.conversation_id.in_(conversations))),
        ("contacts", delete(Contact).where(Contact.conversation_id.in_(conversations))),
        ("conversations", delete(Conversation).where(demo)),
        ("ticket_entries", delete(TicketEntry).where(TicketEntry.ticket_id.in_(ticket_ids))),
        ("tickets", delete(Ticket).where(Ticket.id.in_(ticket_ids))),
    )
    for name, statement in steps:
        counts[name] = session.execute(statement.execution_options(synchronize_session=False)).rowcount
    emails = [i for i in marker.get("email_sends", []) if isinstance(i, int)]
    counts["email_sends"] = session.execute(delete(EmailSend).where(EmailSend.id.in_(emails))
                                            .execution_options(synchronize_session=False)).rowcount if emails else 0
    write(session, {"state": "removed", "removed_at": now.isoformat(), "anchor": marker.get("anchor")})
    return counts
