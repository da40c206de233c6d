"""The demo tickets' lives, through the real ticket store with the history's moments as `now`.

So every deadline is the store's own (`SupportCalendar.add` of the category's or source's target
from the opening moment), and every change writes its thread entry as in production. A life:
opened (with a visible demo note), assigned when support is open to the agent who speaks the
language with the fewest open tickets, a first reply (mostly in time, some late), perhaps the
customer's answer, a note and another reply, resolved (mostly in time), sometimes reopened by the
customer, often rated, later closed. Nothing happens after `now`: what is not finished by then is
the backlog. Deadlines that passed are marked as the bridge's SLA job would have marked them.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Dict, List, Optional, Tuple

from bot.demo_history import lines as L
from bot.demo_history.plans import TicketPlan
from bot.demo_history.script import Agent
from bot.tickets.models import Ticket
from bot.tickets.sla import target_for
from bot.tickets.store import TicketStore

STUCK = 0.03  # forgotten for days: the backlog's oldest, breached tickets
STUCK_DAYS = timedelta(days=10)
FIRST_REPLY_LATE = 0.07
RESOLUTION_LATE = 0.08
REOPENED = 0.08
RATED = 0.55


class Stop(Exception):
    """The life reached `now`: the rest has not happened yet."""


class TicketLives:
    def __init__(self, seed: object, store: TicketStore, agents: List[Agent], marker_author: int, now: datetime):
        self.seed = seed
        self.rng = random.Random(seed)
        self.store = store
        self.calendar = store.calendar
        self.agents = agents
        self.marker_author = marker_author  # who writes the demo note (an admin)
        self.now = now
        self.busy: Dict[int, List[Tuple[datetime, Optional[datetime]]]] = {a.id: [] for a in agents}
        self._spans: List[list] = []  # the ticket being lived: when it was open (not between a resolution and a reopening)

    def run(self, plans: List[TicketPlan]) -> List[int]:
        """Opens and lives every planned ticket in the order they were opened; returns their ids."""
        return [self._live(plan) for plan in sorted(plans, key=lambda p: p.at)]

    # --- one ticket ------------------------------------------------------------------------------
    def _live(self, plan: TicketPlan) -> int:
        new, opened = plan.new, plan.at
        # its own generator: where `now` cuts one life short, the others stay the same
        self.rng = random.Random(f"{self.seed}:ticket:{opened.isoformat()}:{new.source}:{new.conversation_id or new.order_no}")
        ticket = self.store.open(new, opened)
        plan.ticket = ticket
        self.store.note(ticket.id, self.marker_author, L.DEMO_NOTE, opened)
        target = target_for(self.store.targets, new.category, new.source)
        owner = plan.owner if plan.owner is not None else self._owner(new.language, opened)
        clock = Clock(self.now, opened)
        resolved: Optional[datetime] = None
        self._spans = [[opened, None]]
        try:
            assigned = opened if plan.owner is not None else clock.next(
                self._support(opened, timedelta(minutes=self.rng.uniform(1, 12))))
            self.store.assign(ticket.id, owner, assigned)
            stuck = self.rng.random() < STUCK  # forgotten: answered days late, or not yet if it is recent
            if stuck and self.now - opened < STUCK_DAYS:
                raise Stop
            resolved = self._answer(ticket, plan, owner, target, clock, stuck)
            resolved = self._reopened(ticket, plan, owner, clock, resolved)
        except Stop:
            pass
        self.busy[owner] += [tuple(span) for span in self._spans]
        current = self.store.get(ticket.id)
        late = self._mark_deadlines(current)
        if resolved is not None:
            try:
                self._afterwards(ticket, owner, clock, resolved, late)
            except Stop:
                pass
        return ticket.id

    def _answer(self, ticket: Ticket, plan: TicketPlan, owner: int, target, clock: "Clock", stuck: bool) -> datetime:
        """First reply, perhaps a conversation, resolution; returns when it was resolved."""
        new, opened, lang = plan.new, plan.at, plan.new.language
        late = self.rng.random() < FIRST_REPLY_LATE
        share = self.rng.uniform(1.05, 2.2) if late else self.rng.uniform(0.05, 0.85)
        if stuck:
            share = self.rng.uniform(3, 6)
        first = clock.next(self.calendar.add(opened, target.first_response * share))
        self._reply(ticket.id, owner, self._say(L.TICKET_FIRST_REPLY[new.category], plan), first, new.email)
        share = self.rng.uniform(1.03, 1.6) if self.rng.random() < RESOLUTION_LATE else self.rng.uniform(0.1, 0.9)
        resolution = max(self.calendar.add(opened, target.resolution * share), self._support(first, timedelta(hours=1)))
        if self.rng.random() < 0.65:
            answer = first + timedelta(hours=self.rng.uniform(0.3, 20))
            if answer < resolution:
                self.store.customer_wrote(ticket.id, self._say(L.TICKET_CUSTOMER_ANSWER[new.category], plan), clock.next(answer),
                                          self._channel(new.email))
                if self.rng.random() < 0.4:
                    self.store.note(ticket.id, owner, self.rng.choice(L.TICKET_NOTES),
                                    clock.next(self._support(answer, timedelta(minutes=self.rng.uniform(10, 60)))))
                again = self._support(answer, timedelta(hours=self.rng.uniform(0.5, 4)))
                if again < resolution:
                    self._reply(ticket.id, owner, self._say(L.TICKET_FOLLOW_UP[new.category], plan), clock.next(again), new.email)
        self._reply(ticket.id, owner, self.rng.choice(L.TICKET_RESOLVED[lang]), clock.next(resolution), new.email)
        resolved = clock.next(resolution + timedelta(minutes=1))
        self.store.set_status(ticket.id, "resolved", resolved, by=owner)
        self._spans[-1][1] = resolved
        return resolved

    def _reopened(self, ticket: Ticket, plan: TicketPlan, owner: int, clock: "Clock", resolved: datetime) -> datetime:
        """Now and then the customer writes again after the resolution: reopened, answered, resolved again."""
        if self.rng.random() < REOPENED:
            wrote = clock.next(resolved + timedelta(hours=self.rng.uniform(4, 96)))
            self.store.customer_wrote(ticket.id, self._say(L.TICKET_REOPEN[plan.new.category], plan), wrote,
                                      self._channel(plan.new.email))
            self._spans.append([wrote, None])
            reply = clock.next(self._support(wrote, timedelta(hours=self.rng.uniform(0.5, 4))))
            self._reply(ticket.id, owner, self._say(L.TICKET_FOLLOW_UP[plan.new.category], plan), reply, plan.new.email)
            resolved = clock.next(self._support(reply, timedelta(hours=self.rng.uniform(1, 8))))
            self.store.set_status(ticket.id, "resolved", resolved, by=owner)
            self._spans[-1][1] = resolved
        return resolved

    def _afterwards(self, ticket: Ticket, owner: int, clock: "Clock", resolved: datetime, late: bool) -> None:
        """The customer's rating of the resolution (less kind when a deadline was missed), later the closing."""
        if self.rng.random() < RATED:
            scores = {5: 20, 4: 25, 3: 25, 2: 15, 1: 15} if late else {5: 55, 4: 30, 3: 8, 2: 4, 1: 3}
            score = self.rng.choices(list(scores), weights=list(scores.values()))[0]
            self.store.rate(ticket.id, score, clock.next(resolved + timedelta(hours=self.rng.uniform(1, 30))))
        if self.rng.random() < 0.5:
            self.store.set_status(ticket.id, "closed", clock.next(resolved + timedelta(days=7, hours=self.rng.uniform(0, 6))),
                                  by=owner)

    # --- pieces ----------------------------------------------------------------------------------
    def _reply(self, ticket_id: int, owner: int, text: str, at: datetime, email: Optional[str]) -> None:
        self.store.reply(ticket_id, owner, text, at, channel="email" if email else "page")

    def _channel(self, email: Optional[str]) -> str:
        """How the customer writes back: answering the e-mail or on the ticket's page (its link comes by
        e-mail); without an address, in the chat."""
        return self.rng.choice(("page", "email")) if email else "chat"

    def _say(self, options: Dict[str, List[str]], plan: TicketPlan) -> str:
        lang = plan.new.language
        name = plan.customer_name or ("değerli müşterimiz" if lang == "tr" else "there")
        choices = [line for line in options[lang] if plan.new.order_no or "{order_no}" not in line]
        return self.rng.choice(choices).format(name=name, order_no=plan.new.order_no or "")

    def _support(self, start: datetime, amount: timedelta) -> datetime:
        return self.calendar.add(start, amount)

    def _owner(self, language: str, at: datetime) -> int:
        """The agent who speaks the language with the fewest tickets open at that moment."""
        fitting = [a for a in self.agents if language in a.languages] or self.agents

        def load(agent: Agent) -> int:
            return sum(1 for start, end in self.busy[agent.id] if start <= at and (end is None or end > at))
        return min(fitting, key=lambda a: (load(a), self.rng.random())).id

    def _mark_deadlines(self, ticket: Ticket) -> bool:
        """What the bridge's SLA job did: a warning before a deadline that was then missed, an alert after.
        True when a deadline was missed."""
        misses = [due for done, due in ((ticket.first_response_at, ticket.first_response_due),
                                        (ticket.resolved_at or ticket.closed_at, ticket.resolution_due))
                  if due is not None and due < min(done or self.now, self.now)]
        if not misses:
            return False
        due = min(misses)
        self.store.mark(ticket.id, "warned_at", max(ticket.created_at, due - timedelta(hours=2)))
        self.store.mark(ticket.id, "breached_at", min(due + timedelta(minutes=5), self.now))
        return True


class Clock:
    """The moments of one ticket: never backwards, never after `now` (then the life stops there)."""

    def __init__(self, now: datetime, start: datetime):
        self.now, self.last = now, start

    def next(self, moment: datetime) -> datetime:
        moment = max(moment, self.last + timedelta(seconds=30))
        if moment >= self.now:
            raise Stop
        self.last = moment
        return moment
