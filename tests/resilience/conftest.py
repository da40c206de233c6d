"""Resilience tests: the real bridge, Rasa and action server of the integration tests, plus the
checks every bad-input test ends with (the process still serves, nothing stored changed)."""
import time
from typing import Dict

import pytest
import requests
from sqlalchemy import func, select

from bot.desk.models import (
    Contact, Conversation, DeskUser, EmailOptOut, EmailSend, Handoff, HandoffEvent, Message, Rating,
)
from tests.live_chat import AgentClient

DESK_TABLES = {"conversations": Conversation, "messages": Message, "contacts": Contact, "handoffs": Handoff,
               "handoff_events": HandoffEvent, "ratings": Rating, "email_sends": EmailSend, "email_optouts": EmailOptOut}


def desk_rows(bridge) -> Dict[str, int]:
    """Row counts of the desk's tables: what "nothing stored changed" compares."""
    store = bridge.desk_store()
    try:
        with store.session() as s:
            return {name: s.execute(select(func.count()).select_from(model)).scalar_one()
                    for name, model in DESK_TABLES.items()}
    finally:
        store.engine.dispose()


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
    """`with unchanged_desk(): ...` fails unless the block left every desk table as it was."""
    class Unchanged:
        def __enter__(self):
            self.before = desk_rows(running_bridge)

        def __exit__(self, kind, *_):
            if kind is None:
                time.sleep(0.3)  # anything a rejected event might still store would land now
                assert desk_rows(running_bridge) == self.before

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
