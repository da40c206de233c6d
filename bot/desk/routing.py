"""Which agent gets a waiting chat, and how long a shopper will wait (pure functions)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

DEFAULT_HANDLING_SECONDS = 240.0  # until there is history to average
MIN_HANDLING_SECONDS = 60.0       # never promise "0 minutes": a person needs a moment to read the story
MIN_PROMPT_SECONDS = 5.0          # even a free agent needs a moment to see the offer


@dataclass(frozen=True)
class AgentLoad:
    agent_id: int
    languages: Sequence[str]
    load: int          # chats the agent has now (offers included)
    max_chats: int
    available: bool    # online and not paused


def pick_agent(agents: Iterable[AgentLoad], language: str, skip: Sequence[int] = (),
               prefer: Optional[int] = None) -> Optional[int]:
    """The least-loaded available agent who speaks `language` and is under their limit.

    `skip` are agents who already let this chat pass; `prefer` (a transfer's target) wins when
    eligible. Ties go to the agent with the most free room, then the lowest id (stable).
    """
    eligible = [a for a in agents
                if a.available and language in a.languages and a.load < a.max_chats and a.agent_id not in skip]
    if prefer is not None and any(a.agent_id == prefer for a in eligible):
        return prefer
    if not eligible:
        return None
    best = min(eligible, key=lambda a: (a.load, -(a.max_chats - a.load), a.agent_id))
    return best.agent_id


def estimated_wait_seconds(position: int, agents_for_language: int, mean_handling_seconds: Optional[float],
                           recent_wait_seconds: Optional[float] = None, free_places: int = 0) -> int:
    """A shopper within the free places of the agents who can take the chat waits about as long as
    recent chats waited (measured); beyond them, one handling time per round of those agents."""
    if position <= free_places and agents_for_language:
        measured = recent_wait_seconds if recent_wait_seconds is not None else MIN_HANDLING_SECONDS
        return int(math.ceil(max(measured, MIN_PROMPT_SECONDS)))
    handling = max(mean_handling_seconds or DEFAULT_HANDLING_SECONDS, MIN_HANDLING_SECONDS)
    rounds = math.ceil(max(position - free_places, 1) / max(agents_for_language, 1))
    return int(rounds * handling + (recent_wait_seconds or 0))
