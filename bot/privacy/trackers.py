"""Rasa's conversation trackers (its table `events`, bot/rasa_tracker_store.py) for one person:
what the assistant kept of their conversations, to export and to erase."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Dict, Iterable, List

from sqlalchemy import MetaData, Table, delete, inspect, select
from sqlalchemy.orm import Session

from actions.store.types import as_utc
from bot.desk.models import Conversation

EVENTS = "events"


def _events(s: Session) -> Table | None:
    bind = s.get_bind()
    if not inspect(bind).has_table(EVENTS):  # Rasa has not run against this database yet
        return None
    return Table(EVENTS, MetaData(), autoload_with=bind)


def tracker_summaries(s: Session, sender_ids: Iterable[str]) -> List[Dict[str, Any]]:
    """Per conversation: how many events Rasa keeps, what the shopper said and which slots it set."""
    table, senders = _events(s), sorted(set(sender_ids))
    if table is None or not senders:
        return []
    rows = s.execute(select(table.c.sender_id, table.c.type_name, table.c.data)
                     .where(table.c.sender_id.in_(senders)).order_by(table.c.id)).all()
    summaries: Dict[str, Dict[str, Any]] = {}
    for sender_id, type_name, data in rows:
        summary = summaries.setdefault(sender_id, {"conversation_id": sender_id, "events": 0, "said": [], "slots": {}})
        summary["events"] += 1
        event = json.loads(data) if data else {}
        if type_name == "user" and event.get("text"):
            summary["said"].append(event["text"])
        elif type_name == "slot" and event.get("value") is not None:
            summary["slots"][event.get("name")] = event.get("value")
    return list(summaries.values())


def delete_trackers(s: Session, sender_ids: Iterable[str]) -> int:
    table, senders = _events(s), sorted(set(sender_ids))
    if table is None or not senders:
        return 0
    return s.execute(delete(table).where(table.c.sender_id.in_(senders))).rowcount or 0


def delete_untracked(s: Session, before: datetime) -> int:
    """Events older than `before` of senders the bridge has no live conversation for (clients of
    Rasa's REST channel, `make talk`): the bridge's conversations are anonymised with their own rules."""
    table = _events(s)
    if table is None:
        return 0
    live = select(Conversation.id).where(Conversation.anonymised_at.is_(None))
    return s.execute(delete(table).where(table.c.timestamp < as_utc(before).timestamp(),
                                         table.c.sender_id.not_in(live))).rowcount or 0
