"""What the bridge does when a part it depends on fails, and how it recovers by itself.

- Rasa or the action server fails: the shopper is told honestly and queued for a person (inbound.py).
  A watcher polls the failed part; once it answers again, chats that were queued only because
  of it and that no agent can take (none available for their language) go back to the assistant.
- The database fails: shopper messages go to a local spool (spool.py) and the shopper is told
  that the message is kept; once the database answers, the spool is written to it with the
  original times and each of those conversations is queued for a person.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, Set

import aiohttp
from sqlalchemy.exc import SQLAlchemyError

from bot.desk import events, texts
from bot.desk.clock import BackgroundTasks, Clock
from bot.desk.conversations import Conversations
from bot.desk.models import Conversation
from bot.desk.panels import Panels
from bot.desk.spool import Spool
from bot.desk.store import iso, parse_iso

log = logging.getLogger(__name__)

# Escalation reasons caused by a failing part, and the part whose return ends them.
OUTAGE_REASONS = {"assistant_unavailable": "rasa", "assistant_failed": "actions"}
POLL_SECONDS = 2.0


class Recovery:
    def __init__(self, conversations: Conversations, panels: Panels, offered: Callable[[], Set[str]],
                 escalate: Callable[[Conversation, str], Awaitable[None]], rasa_healthy: Callable[[], Awaitable[bool]],
                 action_server_url: str, spool: Spool, bus: events.EventBus, clock: Clock, tasks: BackgroundTasks):
        self.conversations = conversations
        self.store = conversations.store
        self.panels = panels
        self.offered = offered  # the chats with an offer out (presence.py)
        self.escalate = escalate
        self.spool = spool
        self.bus = bus
        self.clock = clock
        self.tasks = tasks
        actions_health = action_server_url.rsplit("/webhook", 1)[0] + "/health"
        self.checks: Dict[str, Callable[[], Awaitable[bool]]] = {"rasa": rasa_healthy,
                                                                 "actions": lambda: answers(actions_health)}
        self.down: Dict[str, asyncio.Task] = {}  # part -> its watcher
        self.to_escalate: Dict[str, None] = {}  # conversations whose kept messages are stored (ordered)

    # --- the assistant's parts -----------------------------------------------------------
    async def on_part_failed(self, event: events.PartFailed) -> None:
        part = OUTAGE_REASONS.get(event.reason)
        if part and part not in self.down:
            log.warning("%s is failing; watching for its return", part)
            self.down[part] = self.tasks.start(self._watch(part, self.checks[part]), name=f"watch {part}")

    async def _watch(self, part: str, healthy: Callable[[], Awaitable[bool]]) -> None:
        try:
            if await healthy():
                return  # it answers: the failure was something else (an action's own error), people take over
            while not await healthy():
                await self.clock.sleep(POLL_SECONDS)
            log.info("%s answers again", part)
            await self.back_to_assistant(part)
        finally:
            self.down.pop(part, None)

    async def back_to_assistant(self, part: str) -> None:
        """Chats queued because `part` failed, which no agent can take now, go back to the assistant."""
        offered = self.offered()
        for conversation in self.store.conversations_in("queued"):
            if OUTAGE_REASONS.get(conversation.reason or "") != part or conversation.id in offered:
                continue
            if self.panels.agents_for(conversation.language):
                continue  # a person is coming, as promised
            async with self.conversations.lock(conversation.id):
                current = self.store.conversation(conversation.id)
                if current.state == "queued":
                    await self.conversations.unqueue(current, "back_to_assistant", "assistant_back")

    # --- the database --------------------------------------------------------------------
    async def on_message_not_stored(self, event: events.MessageNotStored) -> None:
        """The database is down: the message goes to the spool, the shopper is told it is kept."""
        self.spool.append({"conversation_id": event.conversation_id, "text": event.text, "metadata": event.metadata,
                           "language": event.language, "at": iso(self.clock.now())})
        await self.bus.publish(events.MessageUnstored(event.conversation_id,
                                                      texts.say("database_unavailable", event.language)))
        if "database" not in self.down:
            log.error("the database cannot be reached; keeping shopper messages in %s", self.spool.path)
            self.down["database"] = self.tasks.start(self._write_spool_when_back(), name="write spool")

    async def _write_spool_when_back(self) -> None:
        try:
            while True:
                await self.clock.sleep(POLL_SECONDS)
                try:
                    self.store.ping()
                    self._write_spool()
                except SQLAlchemyError:
                    continue
                log.info("the database answers again; %d conversations had kept messages", len(self.to_escalate))
                while self.to_escalate:
                    conversation_id = next(iter(self.to_escalate))
                    async with self.conversations.lock(conversation_id):
                        await self.escalate(self.store.conversation(conversation_id), "database_unavailable")
                    self.to_escalate.pop(conversation_id)
                if not self.spool.records():
                    return
        finally:
            self.down.pop("database", None)

    def _write_spool(self) -> None:
        """Writes the kept messages with their own times; their conversations then go to a person."""

        def write(record: Dict[str, Any]) -> None:
            store = self.store
            if store.conversation(record["conversation_id"]) is None:
                store.create_conversation(record["language"], record["conversation_id"])
            at = parse_iso(record["at"])
            store.add_message(record["conversation_id"], "shopper", record["text"], data=record["metadata"] or None,
                              created_at=at)
            self.to_escalate[record["conversation_id"]] = None

        self.spool.drain(write)

    async def resume_spool(self) -> None:
        """After a restart: messages kept before it are written once the database answers."""
        if self.spool.records() and "database" not in self.down:
            self.down["database"] = self.tasks.start(self._write_spool_when_back(), name="write spool")


async def answers(url: str) -> bool:
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            async with http.get(url) as response:
                return response.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return False
