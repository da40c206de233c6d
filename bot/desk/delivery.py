"""Delivery: the only part that emits to sockets. It decides who sees what: shoppers their
conversation's messages (never an internal note), the agent holding a chat everything of it, an
offered agent the offer, every agent the alerts and their desk.

Desk broadcasts are batched: changes published within `BATCH_SECONDS` make one broadcast, whose
shared part (queue, team) is built once; an agent gets a new desk only when theirs changed, and
a queued shopper a new status only when their position or wait changed.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any, Dict, Optional, Set, Tuple

import socketio

from bot.desk import events
from bot.desk.clock import BackgroundTasks
from bot.desk.models import Message
from bot.desk.panels import Panels
from bot.desk.presence import OnlineAgent, Presence
from bot.desk.store import DeskStore, utcnow
from bot.desk.views import bot_uttered, message_view

SHOPPERS, AGENTS = "/", "/agents"
BATCH_SECONDS = 0.05  # short enough to feel instant, long enough to merge a burst of changes


def agent_room(agent_id: int) -> str:
    return f"agent:{agent_id}"


class Delivery:
    def __init__(self, sio: socketio.AsyncServer, store: DeskStore, panels: Panels, presence: Presence,
                 tasks: BackgroundTasks):
        self.sio = sio
        self.store = store
        self.panels = panels
        self.presence = presence
        self.tasks = tasks
        self._pending: Optional[asyncio.Task] = None
        self._sent_desks: Dict[int, str] = {}          # agent id -> the last desk sent (as JSON)
        self._sent_positions: Dict[str, Tuple[int, int]] = {}  # queued conversation -> (position, wait)

    # --- messages --------------------------------------------------------------------------
    async def on_message_stored(self, event: events.MessageStored) -> None:
        message = event.message
        if event.to_shopper and message.sender not in ("shopper", "note"):
            await self.to_shopper(event.conversation_id, "bot_uttered",
                                  bot_uttered(message, self.panels.directory.name(message.agent_id)))
        conversation = event.conversation or self.store.conversation(event.conversation_id)
        if conversation is not None and conversation.state == "agent" and conversation.agent_id:
            await self.to_agent(conversation.agent_id, "message", {
                "conversation_id": event.conversation_id, "message": message_view(message, self.panels.directory.names())})

    async def on_message_unstored(self, event: events.MessageUnstored) -> None:
        await self.to_shopper(event.conversation_id, "bot_uttered", unstored_message(event.text))

    async def on_typing(self, event: events.Typing) -> None:
        if event.sender == "shopper":
            conversation = self.store.conversation(event.conversation_id)
            if conversation is not None and conversation.state == "agent" and conversation.agent_id:
                await self.to_agent(conversation.agent_id, "typing",
                                    {"conversation_id": event.conversation_id, "active": event.active})
            return
        payload: Dict[str, Any] = {"sender": event.sender, "active": event.active}
        if event.sender == "agent":
            payload["agent_name"] = event.agent_name
        await self.to_shopper(event.conversation_id, "typing", payload)

    # --- who has the chat ------------------------------------------------------------------
    async def on_state_changed(self, event: events.StateChanged) -> None:
        if event.state in ("bot", "ticket"):
            self._sent_positions.pop(event.conversation_id, None)
            await self.to_shopper(event.conversation_id, "handoff_status", {"state": event.state})
            return
        conversation = self.store.conversation(event.conversation_id)
        status = self.panels.shopper_status(conversation)
        if status["state"] == "queued":
            self._sent_positions[conversation.id] = (status["position"], status["estimated_wait_seconds"])
        else:
            self._sent_positions.pop(conversation.id, None)
        await self.to_shopper(event.conversation_id, "handoff_status", status)

    async def on_released(self, event: events.Released) -> None:
        if event.agent_id:
            await self.to_agent(event.agent_id, "conversation_closed", {"conversation_id": event.conversation_id})

    async def on_offer_made(self, event: events.OfferMade) -> None:
        conversation = self.store.conversation(event.conversation_id)
        await self.to_agent(event.agent_id, "offer", {"conversation": self.panels.summary(conversation),
                                                      "expires_in_seconds": event.expires_in_seconds})

    async def on_offer_withdrawn(self, event: events.OfferWithdrawn) -> None:
        await self.to_agent(event.agent_id, "offer_withdrawn", {"conversation_id": event.conversation_id})

    async def on_agent_alert(self, event: events.AgentAlert) -> None:
        await self.sio.emit("alert", event.payload, namespace=AGENTS)

    # --- tickets ---------------------------------------------------------------------------
    async def on_tickets_changed(self, event: events.TicketsChanged) -> None:
        """Every console refreshes its ticket list (and the ticket if it is open there)."""
        await self.sio.emit("tickets_changed", {"ticket_id": event.news.ticket_id, "what": event.news.what},
                            namespace=AGENTS)

    async def on_ticket_alert(self, event: events.TicketAlert) -> None:
        for agent_id in event.agent_ids:
            await self.to_agent(agent_id, "ticket_alert", event.payload)

    # --- the agents' desks and the queue, batched ------------------------------------------
    async def on_desk_changed(self, event: events.DeskChanged) -> None:
        if self._pending is None or self._pending.done():
            self._pending = self.tasks.start(self._broadcast_soon(), name="desk broadcast")

    async def _broadcast_soon(self) -> None:
        await asyncio.sleep(BATCH_SECONDS)
        self._pending = None
        await self.broadcast()

    async def flush(self) -> None:
        """Waits for a pending batched broadcast (tests, shutdown)."""
        pending = self._pending
        if pending is not None and not pending.done():
            await pending

    async def broadcast(self) -> None:
        shared = self.panels.shared_desk()
        for agent in list(self.presence.online.values()):
            await self.send_desk(agent, shared)
        queue = self.panels.queue()
        here = self._rooms_here(SHOPPERS)
        for conversation_id, status in self.panels.queue_statuses(queue).items():
            seen = (status["position"], status["estimated_wait_seconds"])
            if (here is None or conversation_id in here) and self._sent_positions.get(conversation_id) != seen:
                self._sent_positions[conversation_id] = seen
                await self.to_shopper(conversation_id, "handoff_status", status, here_only=here is not None)
        waiting = {c.id for c in queue}
        for conversation_id in [c for c in self._sent_positions if c not in waiting]:
            del self._sent_positions[conversation_id]

    async def send_desk(self, agent: OnlineAgent, shared: Optional[Dict[str, Any]] = None, force: bool = False) -> None:
        """An agent's desk, unless they already have exactly this one (`force`: a new socket)."""
        state = self.panels.desk_state(agent, shared)
        fingerprint = json.dumps(state, sort_keys=True, default=str)
        if not force and self._sent_desks.get(agent.user_id) == fingerprint:
            return
        self._sent_desks[agent.user_id] = fingerprint
        await self.to_agent(agent.user_id, "desk", state, here_only=True)  # each bridge sends its own agents theirs

    async def welcome(self, agent: OnlineAgent, sid: str, alerts: list) -> None:
        """A new socket of an agent: their desk now, and the alerts raised before they logged in."""
        await self.sio.emit("desk", self.panels.desk_state(agent), to=sid, namespace=AGENTS)
        for alert in alerts:
            await self.sio.emit("alert", alert, to=sid, namespace=AGENTS)

    async def resync(self) -> None:
        """After Redis was lost (other bridges' emits to this bridge's sockets may be gone): every
        socket here gets its state again from the database: agents their desk, their open offers and
        a `resync` (the console reloads the open chat), shoppers their history and status."""
        shared = self.panels.shared_desk()
        offers = self.presence.shared.offers().values()
        for agent in list(self.presence.online.values()):
            await self.send_desk(agent, shared, force=True)
            for offer in [o for o in offers if o.agent_id == agent.user_id]:
                left = max((offer.expires_at - utcnow()).total_seconds(), 0.0)
                await self.on_offer_made(events.OfferMade(offer.conversation_id, offer.agent_id, left))
            await self.to_agent(agent.user_id, "resync", {})
        for room in self._rooms_here(SHOPPERS) or ():
            conversation = self.store.conversation(room) if isinstance(room, str) else None
            if conversation is not None:  # a shopper's conversation room (the others are single sockets)
                await self.to_shopper(conversation.id, "history", self.panels.shopper_history(conversation))
                await self.to_shopper(conversation.id, "handoff_status", self.panels.shopper_status(conversation))

    def agent_gone(self, agent_id: int) -> None:
        self._sent_desks.pop(agent_id, None)

    # --- emitting --------------------------------------------------------------------------
    async def to_shopper(self, conversation_id: str, event: str, payload: Dict[str, Any],
                         here_only: bool = False) -> None:
        await self.sio.emit(event, payload, room=conversation_id, namespace=SHOPPERS, ignore_queue=here_only)

    async def to_agent(self, agent_id: int, event: str, payload: Dict[str, Any], here_only: bool = False) -> None:
        """`here_only`: to this bridge's sockets only (what every bridge sends its own: desks,
        queue positions), not through Redis to the other bridges, which send theirs."""
        await self.sio.emit(event, payload, room=agent_room(agent_id), namespace=AGENTS, ignore_queue=here_only)

    def _rooms_here(self, namespace: str) -> Optional[Set[Any]]:
        """The rooms with a socket on this bridge (None: not known, e.g. a test's recording server)."""
        manager = getattr(self.sio, "manager", None)
        rooms = getattr(manager, "rooms", None)
        return None if rooms is None else set(rooms.get(namespace, {}))


def unstored_message(text: str) -> Dict[str, Any]:
    """A system message that cannot be stored (the database is down): delivered only."""
    return bot_uttered(Message(sender="system", text=text, quick_replies=[], created_at=utcnow()), None)
