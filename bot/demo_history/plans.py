"""The demo history in memory before it is written: visits (contacts) with their messages,
handoffs and ratings, the tickets they ask for, and follow-up e-mails.

Plain dataclasses, so planning (random, pure) and writing (bulk inserts, the ticket store) stay apart.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, List, Optional, Tuple

from bot.tickets.models import Ticket
from bot.tickets.store import NewTicket


@dataclass
class Line:
    """One message. `fill` writes the text once its ticket is open (the code the shopper is told)."""

    at: datetime
    sender: str  # shopper | bot | agent | system
    text: str = ""
    intent: Optional[str] = None
    understood: Optional[bool] = None
    agent_id: Optional[int] = None
    quick_replies: List[dict] = field(default_factory=list)
    escalates: bool = False  # this shopper message made the assistant hand over
    fill: Optional[Callable[[], str]] = None


@dataclass
class HandoffPlan:
    reason: str
    frustration: float
    requested_at: datetime
    status: str  # closed | handed_back | ticket
    events: List[Tuple[str, Optional[int], datetime]]  # (kind, agent id, when)
    agent_id: Optional[int] = None
    accepted_at: Optional[datetime] = None
    first_response_at: Optional[datetime] = None
    closed_at: Optional[datetime] = None
    tags: List[str] = field(default_factory=list)
    note: Optional[str] = None
    ticket_email: Optional[str] = None


@dataclass
class RatingPlan:
    kind: str  # csat | nps
    score: int
    at: datetime
    comment: Optional[str] = None
    of_handoff: bool = False


@dataclass
class TicketPlan:
    """A ticket the history opens at `at`; `owner` is who must own it (the agent who closed the chat), if anyone."""

    new: NewTicket
    at: datetime
    owner: Optional[int] = None
    customer_name: str = ""
    ticket: Optional[Ticket] = None  # set once opened


@dataclass
class Visit:
    """One contact of a shopper: what reports count as a conversation."""

    conversation_id: str
    started_at: datetime
    language: str
    customer_id: Optional[int]
    lines: List[Line]
    order_no: Optional[str] = None
    handoff: Optional[HandoffPlan] = None
    ratings: List[RatingPlan] = field(default_factory=list)
    csat_asked_at: Optional[datetime] = None
    nps_asked_at: Optional[datetime] = None
    tickets: List[TicketPlan] = field(default_factory=list)
    frustration: float = 0.0
    signals: List[str] = field(default_factory=list)

    @property
    def ended_at(self) -> datetime:
        return max(line.at for line in self.lines)


@dataclass
class EmailPlan:
    order_no: str
    customer_id: int
    email: str
    language: str
    sent_at: datetime
    order_score: Optional[int] = None
    service_score: Optional[int] = None
    comment: Optional[str] = None
    answered_at: Optional[datetime] = None
