"""Resilience tests: the real bridge, Rasa and action server of the integration tests, plus the
checks every bad-input test ends with (the process still serves, nothing stored changed)."""
import time
from typing import Any, Dict, List, Sequence, Tuple

import pytest
import requests
from sqlalchemy import MetaData, func, select

from actions.store.database import make_engine
from bot.desk.models import (
    Contact, Conversation, DeskUser, EmailOptOut, EmailSend, Handoff, HandoffEvent, Message, Rating,
)
from tests.live_chat import AgentClient

DESK_TABLES = {"conversations": Conversation, "messages": Message, "contacts": Contact, "handoffs": Handoff,
               "handoff_events": HandoffEvent, "ratings": Rating, "email_sends": EmailSend, "email_optouts": EmailOptOut}


# Columns whose value may change while nothing is stored: none so far. No table of the project keeps a
# "last seen" or "last used" time (desk_sessions has created_at, expires_at and ended_at, which only a
# login or a logout writes); add one here, with the reason, if a table ever does.
# Columns that change on their own while the bridge runs: its heartbeat refreshes its agents' presence.
CHANGING_COLUMNS: Dict[str, Tuple[str, ...]] = {"desk_agent_presence": ("seen_at",)}

Rows = Dict[str, List[Tuple[Any, ...]]]


def desk_rows(bridge) -> Dict[str, int]:
    """Row counts of the desk's tables (for a test that counts what was added)."""
    store = bridge.desk_store()
    try:
        with store.session() as s:
            return {name: s.execute(select(func.count()).select_from(model)).scalar_one()
                    for name, model in DESK_TABLES.items()}
    finally:
        store.engine.dispose()


def stored_rows(bridge, tables: Sequence[str] = ()) -> Rows:
    """Every row of every table of the bridge's database (or of `tables`), each as a tuple of its
    columns (but CHANGING_COLUMNS), in primary-key order: what "nothing stored changed" compares.
    The database is read as it is, not through the models, so a table or column that no model of the
    desk knows (the store's, Rasa's tracker events, the studio's, the privacy records) counts too."""
    engine = make_engine(bridge.settings.store_database_url)
    try:
        metadata = MetaData()
        metadata.reflect(engine, only=list(tables) or None)
        rows: Rows = {}
        with engine.connect() as connection:
            for name, table in sorted(metadata.tables.items()):
                columns = [c for c in table.columns if c.name not in CHANGING_COLUMNS.get(name, ())]
                order = list(table.primary_key.columns) or columns
                rows[name] = [tuple(row) for row in connection.execute(select(*columns).order_by(*order))]
        return rows
    finally:
        engine.dispose()


def row_changes(before: Rows, after: Rows, shown: int = 3) -> Dict[str, Dict[str, Any]]:
    """Per table that differs: how many rows went, came or changed, and a few of them."""
    changes = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name, []), after.get(name, [])
        if old == new:
            continue
        old_keys, new_keys = {repr(row) for row in old}, {repr(row) for row in new}
        gone = [row for row in old if repr(row) not in new_keys]
        came = [row for row in new if repr(row) not in old_keys]
        changes[name] = {"rows_before": len(old), "rows_after": len(new), "gone": gone[:shown], "came": came[:shown]}
    return changes


def settled_rows(bridge, tables: Sequence[str] = (), quiet: float = 0.3, timeout: float = 10.0) -> Rows:
    """The rows once two readings `quiet` seconds apart agree: what an earlier step of the test still
    writes (Rasa pausing a tracker after a handoff, say) lands before the block under test starts."""
    deadline = time.monotonic() + timeout
    rows = stored_rows(bridge, tables)
    while True:
        time.sleep(quiet)
        again = stored_rows(bridge, tables)
        if again == rows or time.monotonic() > deadline:
            return again
        rows = again


def assert_still_serving(bridge) -> None:
    """The bridge process is up, healthy, and a new shopper gets the assistant's answer."""
    assert all(service.running() for service in bridge.group.services), "the bridge process died"
    health = requests.get(f"{bridge.url}/health", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "ok", health.text
    shopper = bridge.shopper()
    try:
        assert "49,90" in shopper.say("kargo ücreti ne kadar")[0]["text"]
    finally:
        shopper.disconnect()


@pytest.fixture
def unchanged_desk(running_bridge):
    """`with unchanged_desk(): ...` fails unless the block left every row of every table of the
    database as it was (not only as many rows: an UPDATE counts)."""
    class Unchanged:
        def __enter__(self):
            self.before = settled_rows(running_bridge)

        def __exit__(self, kind, *_):
            if kind is None:
                time.sleep(0.3)  # anything a rejected event might still store would land now
                changes = row_changes(self.before, stored_rows(running_bridge))
                assert not changes, f"the block changed stored rows: {changes}"

    return Unchanged


def release_open_chats(bridge) -> None:
    """Hands every chat that is with an agent or waiting back to the assistant, through the agents'
    own events, so that a test leaves no queue behind for the next one."""
    store = bridge.desk_store()
    with store.session() as s:
        open_chats = s.execute(select(Conversation.id, Conversation.state, DeskUser.username)
                               .outerjoin(DeskUser, DeskUser.id == Conversation.agent_id)
                               .where(Conversation.state.in_(("agent", "queued")))
                               .order_by(Conversation.queue_priority, Conversation.queued_at)).all()
    store.engine.dispose()
    owners: Dict[str, AgentClient] = {}
    try:
        for conversation_id, state, username in open_chats:
            if state == "agent":
                owner = owners.get(username) or owners.setdefault(username, bridge.agent(username))
                owner.call("hand_back", {"conversation_id": conversation_id})
        helper = owners.get("ayse") or owners.setdefault("ayse", bridge.agent("ayse"))
        for conversation_id, state, _ in open_chats:
            if state == "queued" and helper.call("accept", {"conversation_id": conversation_id})["ok"]:
                helper.call("hand_back", {"conversation_id": conversation_id})
    finally:
        for agent in owners.values():
            agent.disconnect()
