"""Which agents are online: this bridge's sockets in memory, the whole team's presence, offers
and routing marks in the database (shared_desk.py), so that any bridge can route any chat.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Set

from bot.desk.models import DeskUser
from bot.desk.routing import AgentLoad
from bot.desk.shared_desk import SharedDesk


@dataclass
class OnlineAgent:
    user_id: int
    username: str
    display_name: str
    role: str
    languages: List[str]
    max_chats: int
    sids: Set[str] = field(default_factory=set)
    available: bool = True

    @classmethod
    def from_user(cls, user: DeskUser) -> "OnlineAgent":
        return cls(user.id, user.username, user.display_name, user.role, list(user.languages or []), user.max_chats)

    def me(self) -> dict:
        return {"id": self.user_id, "username": self.username, "display_name": self.display_name, "role": self.role,
                "languages": self.languages, "max_chats": self.max_chats, "available": self.available}


class Presence:
    """This bridge's agent sockets (`online`, the agents it delivers to) and its timers, beside the
    team's shared state (bot/desk/shared_desk.py: who is online on any bridge, offers, marks)."""

    def __init__(self, shared: SharedDesk, users: Callable[[], List[DeskUser]]):
        self.shared = shared
        self.users = users                             # the desk's accounts (the store's `agents()`)
        self.online: Dict[int, OnlineAgent] = {}       # agents with a socket on this bridge
        self.offer_timers: Dict[str, asyncio.Task] = {}  # conversation id -> the timer of an offer made here
        self.grace: Dict[int, asyncio.Task] = {}       # agent id -> re-queue timer after a disconnect

    def connect(self, user: DeskUser, sid: str) -> OnlineAgent:
        agent = self.online.get(user.id) or OnlineAgent.from_user(user)
        agent.available = not self.shared.is_away(user.id)
        agent.sids.add(sid)
        self.online[user.id] = agent
        self.shared.set_sockets(user.id, len(agent.sids))
        timer = self.grace.pop(user.id, None)
        if timer:
            timer.cancel()
        return agent

    def disconnect(self, user_id: int, sid: str) -> bool:
        """True when this was the agent's last socket on this bridge."""
        agent = self.online.get(user_id)
        if agent is None:
            return False
        agent.sids.discard(sid)
        last = not agent.sids
        if last:  # first: should the database refuse the write, the heartbeat stops refreshing the agent
            del self.online[user_id]
        self.shared.set_sockets(user_id, len(agent.sids))
        return last

    def set_available(self, agent: OnlineAgent, available: bool) -> None:
        agent.available = available
        self.shared.set_away(agent.user_id, not available)

    def team(self) -> Dict[int, OnlineAgent]:
        """Every agent online on any bridge (this bridge's own objects for its agents)."""
        online = self.shared.online()
        if not online:
            return {}
        team: Dict[int, OnlineAgent] = {}
        for user in self.users():
            if user.id in online:
                agent = self.online.get(user.id) or OnlineAgent.from_user(user)
                agent.available = online[user.id]
                team[user.id] = agent
        return team

    def offered(self) -> Set[str]:
        """The chats with an offer out (made by any bridge)."""
        return set(self.shared.offers())

    def stop_timer(self, conversation_id: str) -> None:
        timer = self.offer_timers.pop(conversation_id, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()

    def loads(self, chats_per_agent: Dict[int, int]) -> List[AgentLoad]:
        offers = self.shared.offer_counts()
        return [AgentLoad(agent.user_id, agent.languages,
                          chats_per_agent.get(agent.user_id, 0) + offers.get(agent.user_id, 0),
                          agent.max_chats, agent.available)
                for agent in self.team().values()]
