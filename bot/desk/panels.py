"""What agents and shoppers see of the desk (read only): queue positions and waits, the shopper's
status and history, conversation summaries and details, and the agents' desk.

The agents' desk is built in two parts: what every agent sees the same (the queue, the team) once
per broadcast, and each agent's own chats; so a broadcast costs queue + agents, not their product.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Dict, List, Optional

from bot.desk.clock import Clock
from bot.tickets.sla import SupportCalendar
from bot.desk.models import Conversation
from bot.desk.presence import OnlineAgent, Presence
from bot.desk.routing import estimated_wait_seconds
from bot.desk.store import DeskStore
from bot.desk.views import message_view, summary_view


class AgentDirectory:
    """Agents' display names by id, read again when an unknown id shows up (an agent added with
    `bot users` while the bridge runs can receive a transfer at once)."""

    def __init__(self, store: DeskStore):
        self.store = store
        self._names: Dict[int, str] = {}

    def names(self) -> Dict[int, str]:
        if not self._names:
            self.refresh()
        return self._names

    def refresh(self) -> None:
        self._names = {user.id: user.display_name for user in self.store.agents()}

    def knows(self, agent_id: int) -> bool:
        if agent_id not in self.names():
            self.refresh()
        return agent_id in self._names

    def name(self, agent_id: Optional[int]) -> Optional[str]:
        if agent_id is None:
            return None
        if agent_id not in self.names():
            self.refresh()
        return self._names.get(agent_id)


class Panels:
    def __init__(self, store: DeskStore, presence: Presence, directory: AgentDirectory, customers: Any,
                 hours: SupportCalendar, support_hours_text: str, clock: Clock):
        self.store = store
        self.presence = presence
        self.directory = directory
        self.customers = customers
        self.hours = hours
        self.support_hours_text = support_hours_text
        self.clock = clock

    # --- the queue -------------------------------------------------------------------------
    def queue(self) -> List[Conversation]:
        return self.store.conversations_in("queued")

    def position(self, conversation_id: str, queue: Optional[List[Conversation]] = None) -> int:
        ids = [c.id for c in (self.queue() if queue is None else queue)]
        return ids.index(conversation_id) + 1 if conversation_id in ids else 0

    def agents_for(self, language: str) -> List[OnlineAgent]:
        return [a for a in self.presence.team().values() if a.available and language in a.languages]

    def chats_per_agent(self) -> Dict[int, int]:
        return dict(Counter(c.agent_id for c in self.store.conversations_in("agent") if c.agent_id))

    def wait_seconds(self, position: int, language: str) -> int:
        return self._waits()(position, language)

    def _waits(self) -> Callable[[int, str], int]:
        """The estimated wait at a place in the queue, with what does not depend on the place (the
        team, their chats, handling and waiting times) read once: a broadcast asks for every place."""
        team = [a for a in self.presence.team().values() if a.available]
        chats = self.chats_per_agent()
        handling, recent = self.store.mean_handling_seconds(), self.store.recent_wait_seconds()

        def wait(position: int, language: str) -> int:
            agents = [a for a in team if language in a.languages]
            free_places = sum(max(a.max_chats - chats.get(a.user_id, 0), 0) for a in agents)
            return estimated_wait_seconds(position, len(agents), handling, recent_wait_seconds=recent,
                                          free_places=free_places)
        return wait

    def queue_statuses(self, queue: List[Conversation]) -> Dict[str, Dict[str, Any]]:
        """Every waiting shopper's status (as `shopper_status`), for a broadcast."""
        wait = self._waits()
        return {c.id: {"state": "queued", "position": position, "estimated_wait_seconds": wait(position, c.language)}
                for position, c in enumerate(queue, start=1)}

    # --- shoppers --------------------------------------------------------------------------
    def shopper_status(self, conversation: Conversation, queue: Optional[List[Conversation]] = None) -> Dict[str, Any]:
        if conversation.state == "queued":
            position = self.position(conversation.id, queue)
            return {"state": "queued", "position": position,
                    "estimated_wait_seconds": self.wait_seconds(position, conversation.language)}
        if conversation.state == "agent":
            return {"state": "agent", "agent_name": self.directory.name(conversation.agent_id)}
        return {"state": "bot"}

    def shopper_history(self, conversation: Conversation) -> Dict[str, Any]:
        names = self.directory.names()
        return {"session_id": conversation.id, "state": conversation.state,
                "messages": [message_view(m, names) for m in self.store.messages(conversation.id, include_notes=False)]}

    # --- agents ----------------------------------------------------------------------------
    def summary(self, conversation: Conversation, preview: Optional[str] = None) -> Dict[str, Any]:
        """`preview`: the shopper's last text when the caller read it already (`summaries`)."""
        return summary_view(conversation, self.directory.names(), self.customers.name(conversation.customer_id),
                            self.store.last_shopper_text(conversation.id) if preview is None else preview,
                            now=self.clock.now())

    def summaries(self, conversations: List[Conversation]) -> List[Dict[str, Any]]:
        previews = self.store.last_shopper_texts([c.id for c in conversations])
        return [self.summary(c, previews.get(c.id, "")) for c in conversations]

    def detail(self, conversation: Conversation) -> Dict[str, Any]:
        context = self.customers.context(conversation.customer_id)
        context["earlier_conversations"] = (self.store.earlier_conversations(conversation.customer_id, conversation.id)
                                            if conversation.customer_id else [])
        names = self.directory.names()
        return {**self.summary(conversation), "signals": list(conversation.signals or []), "context": context,
                "messages": [message_view(m, names) for m in self.store.messages(conversation.id, include_notes=True)]}

    def shared_desk(self) -> Dict[str, Any]:
        """The part of the desk every agent sees the same."""
        chats = self.chats_per_agent()
        online = self.presence.team()
        return {
            "queue": self.summaries(self.queue()),
            "agents": [{"id": user.id, "display_name": user.display_name, "online": user.id in online,
                        "available": user.id in online and online[user.id].available,
                        "load": chats.get(user.id, 0), "max_chats": user.max_chats,
                        "languages": list(user.languages or [])}
                       for user in self.store.agents()],
            "support_open": self.hours.is_open(self.clock.now()),
            "support_hours": self.support_hours_text,
        }

    def own_chats(self, agent_id: int) -> List[Dict[str, Any]]:
        return self.summaries(self.store.conversations_in("agent", agent_id=agent_id))

    def desk_state(self, agent: OnlineAgent, shared: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        shared = self.shared_desk() if shared is None else shared
        return {"me": agent.me(), "queue": shared["queue"], "chats": self.own_chats(agent.user_id),
                "agents": shared["agents"], "support_open": shared["support_open"],
                "support_hours": shared["support_hours"]}
