"""Who owns a ticket: an agent who speaks its language, has its category among their skills (no
skills listed: every category), is under their ticket limit, and has the fewest open tickets.

`pick_owner` is pure; `assign_waiting` runs it over the unassigned tickets and claims each with
a conditional update (owner still empty, agent still under the limit), so concurrent runs on
several bridges can neither give one ticket two owners nor push an agent past the limit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from bot.tickets.models import Ticket
from bot.tickets.store import TicketStore


@dataclass(frozen=True)
class TicketAgent:
    id: int
    languages: Sequence[str]
    skills: Sequence[str] = ()  # ticket categories; empty means all
    capacity: int = 20  # open tickets at most


def pick_owner(ticket: Ticket, agents: Iterable[TicketAgent], loads: Dict[int, int]) -> Optional[TicketAgent]:
    fitting = [a for a in agents
               if ticket.language in a.languages and (not a.skills or ticket.category in a.skills)
               and loads.get(a.id, 0) < a.capacity]
    return min(fitting, key=lambda a: (loads.get(a.id, 0), a.id), default=None)


def assign_waiting(store: TicketStore, agents: Sequence[TicketAgent], now: datetime) -> List[Tuple[int, int]]:
    """Gives unassigned open tickets (the most urgent first) to the agents present; returns (ticket, agent) pairs."""
    if not agents:
        return []
    loads = store.open_counts()
    given: List[Tuple[int, int]] = []
    for ticket in store.search(status="open_all", unassigned=True, limit=500):
        agent = pick_owner(ticket, agents, loads)
        if agent is None:
            continue
        if store.assign(ticket.id, agent.id, now, expected_owner=None, capacity=agent.capacity):
            loads[agent.id] = loads.get(agent.id, 0) + 1
            given.append((ticket.id, agent.id))
        else:  # another bridge was faster or the agent filled up meanwhile: read the loads again
            loads = store.open_counts()
    return given
