"""Which agents are online and what they hold: sockets, availability, offers (in memory).

Presence is per bridge process and rebuilt as agents reconnect; who owns a conversation is in
the database, so a restart loses no chat.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set

from bot.desk.models import DeskUser
from bot.desk.routing import AgentLoad


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


@dataclass
class Offer:
    conversation_id: str
    agent_id: int
    timer: asyncio.Task


class Presence:
    def __init__(self) -> None:
        self.online: Dict[int, OnlineAgent] = {}
        self.offers: Dict[str, Offer] = {}            # conversation id -> the pending offer
        self.passed: Dict[str, Set[int]] = {}         # conversation id -> agents who let it pass
        self.preferred: Dict[str, int] = {}           # conversation id -> a transfer's target
        self.grace: Dict[int, asyncio.Task] = {}      # agent id -> re-queue timer after a disconnect
        self.away: Set[int] = set()                   # agents who paused themselves, also across reconnects

    def connect(self, user: DeskUser, sid: str) -> OnlineAgent:
        agent = self.online.get(user.id) or OnlineAgent.from_user(user)
        agent.available = user.id not in self.away
        agent.sids.add(sid)
        self.online[user.id] = agent
        timer = self.grace.pop(user.id, None)
        if timer:
            timer.cancel()
        return agent

    def disconnect(self, user_id: int, sid: str) -> bool:
        """True when this was the agent's last socket."""
        agent = self.online.get(user_id)
        if agent is None:
            return False
        agent.sids.discard(sid)
        if agent.sids:
            return False
        del self.online[user_id]
        return True

    def offers_to(self, agent_id: int) -> List[str]:
        return [offer.conversation_id for offer in self.offers.values() if offer.agent_id == agent_id]

    def withdraw(self, conversation_id: str) -> Optional[Offer]:
        offer = self.offers.pop(conversation_id, None)
        if offer and offer.timer is not asyncio.current_task():
            offer.timer.cancel()
        return offer

    def forget(self, conversation_id: str) -> None:
        self.withdraw(conversation_id)
        self.passed.pop(conversation_id, None)
        self.preferred.pop(conversation_id, None)

    def loads(self, chats_per_agent: Dict[int, int]) -> List[AgentLoad]:
        return [AgentLoad(agent.user_id, agent.languages,
                          chats_per_agent.get(agent.user_id, 0) + len(self.offers_to(agent.user_id)),
                          agent.max_chats, agent.available)
                for agent in self.online.values()]
