"""Ticket figures of a period: opened, resolved, times in support hours, SLA met %, reopens, backlog.

`load_tickets` reads the rows once (with their status events) and turns each into `TicketFacts`,
support hours already counted by the store's `SupportCalendar`; `ticket_totals` and `ticket_rows`
are pure over those facts, so the same facts serve the period, its buckets, the trend, the agents
and the languages. Definitions (docs/reports.md, "Tickets"):

- opened: created in the period; resolved: tickets with a resolution in the period (status to
  resolved or closed from an open status), each ticket once per period.
- first response time: opening → first public reply, in support hours, for tickets first answered in
  the period; resolution time: opening → the resolution in the period, in support hours. Median and
  p90 (nearest rank: the smallest value at or above 90 % of them).
- SLA met %: each target (first response by `first_response_due`, resolution by `resolution_due`) is
  counted once, in the period its outcome was decided: met when the reply or resolution came in
  time (decided then), missed when the deadline passed first (decided at the deadline, also while
  the ticket is still open). A deadline not yet reached is not counted.
- reopen rate: of the tickets resolved in the period, the share the customer reopened afterwards.
- backlog: tickets open at the period's end (or now, for the running period; none for a period not
  begun), with their age in calendar time (how long the customer has been waiting): median, oldest.
- rating: the customers' 1-5 resolution ratings given in the period.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from statistics import mean, median
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.tickets.models import OPEN_STATUSES, Ticket, TicketEntry
from bot.tickets.sla import SupportCalendar

RESOLVED = ("resolved", "closed")
# The ticket figures every row of the series, the trend, the agents and the languages carries (and the CSV).
ROW_FIGURES = ("opened", "resolved", "sla_met_rate", "first_response_median_seconds", "resolution_median_seconds",
               "backlog")


@dataclass(frozen=True)
class TicketFacts:
    id: int
    category: str
    channel: str
    source: str
    language: str
    owner_id: Optional[int]
    created_at: datetime
    first_response_at: Optional[datetime]
    first_response_due: Optional[datetime]
    first_response_seconds: Optional[float]  # support time from opening to the first reply
    resolution_due: Optional[datetime]
    # (moment, resolved?) in order: resolutions (True) and reopenings (False).
    changes: Tuple[Tuple[datetime, bool], ...]
    # Each resolution: (moment, support seconds since opening).
    resolutions: Tuple[Tuple[datetime, float], ...]
    reopens: Tuple[datetime, ...]  # the customer wrote again after a resolution
    resolved_now: bool  # resolved or closed as the ticket stands
    rating: Optional[int]
    rated_at: Optional[datetime]

    def resolved_at(self, moment: datetime) -> bool:
        """Resolved (or closed) at `moment`: the last change before it was a resolution."""
        state = False
        for at, resolved in self.changes:
            if at > moment:
                break
            state = resolved
        return state

    def open_at(self, moment: datetime) -> bool:
        return self.created_at < moment and not self.resolved_at(moment)


def facts_of(ticket: Ticket, events: Sequence[Tuple[datetime, dict]], calendar: SupportCalendar) -> TicketFacts:
    """One ticket's facts from its row and its event entries ((created_at, data), in order)."""
    changes: List[Tuple[datetime, bool]] = []
    reopens: List[datetime] = []
    for at, data in events:
        data = data or {}
        if data.get("event") == "status":
            was, now = data.get("from") in RESOLVED, data.get("to") in RESOLVED
            if was != now:
                changes.append((at, now))
        elif data.get("event") == "reopened":
            changes.append((at, False))
            reopens.append(at)
    resolved_now = ticket.status in RESOLVED
    if not any(resolved for _, resolved in changes) and resolved_now and ticket.resolved_at is not None:
        changes.append((ticket.resolved_at, True))  # a ticket without its history (e.g. migrated)
    changes.sort(key=lambda change: change[0])
    resolutions = tuple((at, calendar.between(ticket.created_at, at).total_seconds())
                        for at, resolved in changes if resolved)
    first = ticket.first_response_at
    return TicketFacts(
        id=ticket.id, category=ticket.category, channel=ticket.channel, source=ticket.source,
        language=ticket.language, owner_id=ticket.owner_id, created_at=ticket.created_at,
        first_response_at=first, first_response_due=ticket.first_response_due,
        first_response_seconds=calendar.between(ticket.created_at, first).total_seconds() if first else None,
        resolution_due=ticket.resolution_due, changes=tuple(changes), resolutions=resolutions,
        reopens=tuple(sorted(reopens)), resolved_now=resolved_now, rating=ticket.rating, rated_at=ticket.rated_at)


def load_tickets(session: Callable[[], Session], since: datetime, until: datetime,
                 calendar: SupportCalendar) -> List[TicketFacts]:
    """Tickets that may count in [since, until): opened before `until` and still open, or touched
    (changed, answered, resolved, rated, due) since `since`."""
    relevant = (Ticket.created_at < until,
                or_(Ticket.status.in_(OPEN_STATUSES), Ticket.created_at >= since, Ticket.updated_at >= since,
                    Ticket.resolved_at >= since, Ticket.rated_at >= since, Ticket.first_response_due >= since,
                    Ticket.resolution_due >= since))
    with session() as s:
        tickets = list(s.execute(select(Ticket).where(*relevant).order_by(Ticket.id)).scalars())
        events: Dict[int, List[Tuple[datetime, dict]]] = defaultdict(list)
        ids = select(Ticket.id).where(*relevant)
        for ticket_id, at, data in s.execute(
                select(TicketEntry.ticket_id, TicketEntry.created_at, TicketEntry.data)
                .where(TicketEntry.kind == "event", TicketEntry.ticket_id.in_(ids)).order_by(TicketEntry.id)):
            events[ticket_id].append((at, data))
    return [facts_of(ticket, events[ticket.id], calendar) for ticket in tickets]


# --------------------------------------------------------------------------- figures

def in_span(moment: Optional[datetime], start: datetime, end: datetime) -> bool:
    return moment is not None and start <= moment < end


def percentile(values: Sequence[float], share: float) -> Optional[float]:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def _median(values: Sequence[float]) -> Optional[float]:
    return round(median(values), 1) if values else None


def _p90(values: Sequence[float]) -> Optional[float]:
    found = percentile(values, 0.9)
    return None if found is None else round(found, 1)


def _share(part: int, whole: int) -> Optional[float]:
    return round(part / whole, 4) if whole else None


def target_outcome(done: Optional[datetime], due: Optional[datetime], now: datetime) -> Optional[Tuple[datetime, bool]]:
    """(when the outcome was decided, met?) of one deadline; None while it is still open, or without one."""
    if due is None:
        return None
    if done is not None and done <= due:
        return done, True
    if due <= now:
        return due, False
    return None


def sla_outcomes(ticket: TicketFacts, now: datetime) -> List[Tuple[str, datetime, bool]]:
    """("first_response" | "resolution", decided at, met?) for the ticket's decided targets. The
    resolution target is the latest resolution deadline (a reopened ticket gets a fresh one), kept
    by the ticket's last resolution when it stands resolved."""
    outcomes = []
    first = target_outcome(ticket.first_response_at, ticket.first_response_due, now)
    if first:
        outcomes.append(("first_response", *first))
    last_resolution = ticket.resolutions[-1][0] if ticket.resolved_now and ticket.resolutions else None
    resolution = target_outcome(last_resolution, ticket.resolution_due, now)
    if resolution:
        outcomes.append(("resolution", *resolution))
    return outcomes


def ticket_totals(tickets: Iterable[TicketFacts], start: datetime, end: datetime, now: datetime) -> Dict[str, Any]:
    """The figures of [start, end) (aware UTC) over `tickets`, as seen at `now`."""
    tickets = list(tickets)
    opened = [t for t in tickets if in_span(t.created_at, start, end)]
    # Per ticket resolved in the span: its first resolution in the span and the last one's support seconds.
    resolved: List[Tuple[TicketFacts, datetime, float]] = []
    for ticket in tickets:
        inside = [(at, seconds) for at, seconds in ticket.resolutions if in_span(at, start, end)]
        if inside:
            resolved.append((ticket, inside[0][0], inside[-1][1]))
    first_responses = [t.first_response_seconds for t in tickets
                       if t.first_response_seconds is not None and in_span(t.first_response_at, start, end)]
    resolution_times = [seconds for _, _, seconds in resolved]
    outcomes = [(kind, met) for t in tickets for kind, at, met in sla_outcomes(t, now) if in_span(at, start, end)]
    first_outcomes = [met for kind, met in outcomes if kind == "first_response"]
    resolution_outcomes = [met for kind, met in outcomes if kind == "resolution"]
    # Reopened: the customer wrote again after the ticket's first resolution in the span.
    reopened = sum(1 for ticket, first, _ in resolved if any(at > first for at in ticket.reopens))
    moment = min(end, now)
    backlog_ages = [(moment - t.created_at).total_seconds() for t in tickets if t.open_at(moment)] \
        if moment > start else None
    ratings = [t.rating for t in tickets if t.rating is not None and in_span(t.rated_at, start, end)]
    met = sum(first_outcomes) + sum(resolution_outcomes)
    return {
        "opened": len(opened), "resolved": len(resolved),
        "first_responses": len(first_responses),
        "first_response_median_seconds": _median(first_responses), "first_response_p90_seconds": _p90(first_responses),
        "resolution_median_seconds": _median(resolution_times), "resolution_p90_seconds": _p90(resolution_times),
        "sla_targets": len(outcomes), "sla_met": met, "sla_met_rate": _share(met, len(outcomes)),
        "first_response_sla_rate": _share(sum(first_outcomes), len(first_outcomes)),
        "resolution_sla_rate": _share(sum(resolution_outcomes), len(resolution_outcomes)),
        "reopened": reopened, "reopen_rate": _share(reopened, len(resolved)),
        "backlog": None if backlog_ages is None else len(backlog_ages),
        "backlog_age_median_seconds": _median(backlog_ages) if backlog_ages else None,
        "backlog_oldest_seconds": round(max(backlog_ages), 1) if backlog_ages else None,
        "ratings": len(ratings), "rating_mean": round(float(mean(ratings)), 2) if ratings else None,
    }


def touched(ticket: TicketFacts, start: datetime, end: datetime, now: datetime) -> bool:
    """The ticket has something to count in [start, end)."""
    moment = min(end, now)
    return (in_span(ticket.created_at, start, end) or in_span(ticket.first_response_at, start, end)
            or any(in_span(at, start, end) for at, _ in ticket.resolutions) or in_span(ticket.rated_at, start, end)
            or any(in_span(at, start, end) for _, at, _ in sla_outcomes(ticket, now))
            or (moment > start and ticket.open_at(moment)))


def ticket_rows(tickets: Sequence[TicketFacts], key: Callable[[TicketFacts], Any], start: datetime, end: datetime,
                now: datetime) -> List[Tuple[Any, Dict[str, Any]]]:
    """(group, figures) per value of `key` among the tickets with something in the span; most opened first."""
    groups: Dict[Any, List[TicketFacts]] = defaultdict(list)
    for ticket in tickets:
        if touched(ticket, start, end, now):
            groups[key(ticket)].append(ticket)
    rows = [(group, ticket_totals(members, start, end, now)) for group, members in groups.items()]
    return sorted(rows, key=lambda row: (-row[1]["opened"], -row[1]["resolved"], str(row[0])))


def row_figures(totals: Dict[str, Any]) -> Dict[str, Any]:
    """The ticket figures a row of the series, trend, agents or languages carries: `tickets_<name>`."""
    return {f"tickets_{name}": totals[name] for name in ROW_FIGURES}


def select_tickets(tickets: Iterable[TicketFacts], owner_id: Optional[int] = None,
                   language: Optional[str] = None) -> List[TicketFacts]:
    return [t for t in tickets if (owner_id is None or t.owner_id == owner_id)
            and (language is None or t.language == language)]


def tickets_section(tickets: Sequence[TicketFacts], span: Tuple[datetime, datetime], before: Tuple[datetime, datetime],
                    now: datetime, names: Dict[int, str]) -> Dict[str, Any]:
    """The report's "tickets": the period's and the one before's totals, by category (with the
    period before's openings beside, for what grew), by channel, by source and by owner."""
    start, end = span
    categories = []
    for category, figures in ticket_rows(tickets, lambda t: t.category, start, end, now):
        previous = sum(1 for t in tickets if t.category == category and in_span(t.created_at, *before))
        categories.append({"category": category, "previous_opened": previous, **figures})
    for category in sorted({t.category for t in tickets if in_span(t.created_at, *before)} -
                           {row["category"] for row in categories}):
        previous = sum(1 for t in tickets if t.category == category and in_span(t.created_at, *before))
        categories.append({"category": category, "previous_opened": previous,
                           **ticket_totals([], start, end, now)})
    owners = [(owner, figures) for owner, figures in ticket_rows(tickets, lambda t: t.owner_id, start, end, now)
              if owner is not None]
    return {
        "running": end > now,  # the backlog is the one open now, not at the period's end
        "totals": ticket_totals(tickets, start, end, now),
        "previous_totals": ticket_totals(tickets, *before, now),
        "categories": categories,
        "channels": [{"channel": channel, **figures}
                     for channel, figures in ticket_rows(tickets, lambda t: t.channel, start, end, now)],
        "sources": [{"source": source, **figures}
                    for source, figures in ticket_rows(tickets, lambda t: t.source, start, end, now)],
        "agents": sorted(({"agent_id": owner, "name": names.get(owner, str(owner)), **figures}
                          for owner, figures in owners), key=lambda row: (-row["resolved"], row["name"])),
    }


def grown_categories(categories: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Categories opened more often than in the period before, the largest rise first."""
    grown = [row for row in categories if row["opened"] > row["previous_opened"]]
    return sorted(grown, key=lambda row: (-(row["opened"] - row["previous_opened"]), -row["opened"], row["category"]))
