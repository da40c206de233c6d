"""`python -m bot seed --history`: eight weeks of demo conversations, handoffs, ratings, NPS
answers, follow-up e-mails and tickets, ending at `now`, once per database.

Deterministic: the same seed, shop data and `now` give the same history. Every day, visit, ticket
and e-mail draws from its own `random.Random`, keyed by the seed and what it is (a date, a start
time, an order), so a history made later the same day is the same up to the earlier one's end. It is written
in one transaction: a run that fails leaves nothing behind.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Dict, List, Optional, Set, Tuple

import yaml
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from actions.store.database import make_sessionmaker
from actions.store.models import Customer
from actions.store.types import SHOP_ZONE, UTC, as_utc, shop_date, utcnow
from bot import knowledge
from bot.demo_history import marker
from bot.demo_history.chats import ChatPlanner
from bot.demo_history.followups import low_score_tickets, plan_emails
from bot.demo_history.plans import Visit
from bot.demo_history.script import Agent, ChatContext
from bot.demo_history.shop import Shop, ShopReturn, load_shop
from bot.demo_history.tickets import TicketLives
from bot.demo_history.traffic import Day, WEEKS, moments, plan_days
from bot.demo_history.writer import FOLLOWUP_KIND, write_emails, write_visits
from bot.desk.models import Conversation, DeskUser, EmailSend
from bot.settings import PROJECT_ROOT, Settings
from bot.tickets.setup import ticket_store
from bot.tickets.sla import SupportCalendar
from bot.training import FAQ_DIR

DEFAULT_SEED = 14
DESK_CONFIG = PROJECT_ROOT / "data" / "desk.yml"
ENGLISH_CUSTOMERS = 0.25


class HistoryError(Exception):
    """The database is not ready for a history: no shop, or no agent and admin accounts."""


@dataclass
class HistoryReport:
    added: bool
    anchor: datetime
    counts: Dict[str, int] = field(default_factory=dict)
    days: List[Day] = field(default_factory=list)
    reason: str = ""  # why nothing was added


def add_history(engine: Engine, settings: Settings, now: Optional[datetime] = None, seed: int = DEFAULT_SEED,
                weeks: int = WEEKS) -> HistoryReport:
    """Adds the history unless this database has one; the shop (seed) and the demo accounts must exist.

    All of it is one transaction: the ticket store and the bulk writes share one connection (a
    session bound to a connection in a transaction joins it; its commits do not end it), which
    makes the history all-or-nothing and a few thousand small writes fast.
    """
    now = as_utc(now or utcnow()).replace(microsecond=0)
    with engine.connect() as connection, connection.begin():
        sessions = make_sessionmaker(connection)
        with sessions() as session:
            existing = marker.read(session)
            if existing is not None and existing.get("state") == "added":
                anchor = existing.get("anchor")
                return HistoryReport(False, datetime.fromisoformat(anchor) if anchor else now, reason="it was already added")
            there = _what_is_there(session)
        days, visits, emails = _plan(seed, settings, there, now, weeks)
        tickets = [plan for v in visits for plan in v.tickets] + low_score_tickets(there.shop, emails)
        store = ticket_store(settings, connection)  # TicketStore only makes sessions of what it is given
        ticket_ids = TicketLives(seed, store, there.agents, there.admin, now).run(tickets)
        with sessions() as session:
            counts = write_visits(session, visits)
            email_ids = write_emails(session, emails)
            marker.write(session, {"state": "added", "anchor": now.isoformat(), "seed": seed, "email_sends": email_ids})
            session.commit()
    counts.update({"tickets": len(ticket_ids), "email_sends": len(email_ids),
                   "email_answers": sum(1 for e in emails if e.answered_at is not None)})
    return HistoryReport(True, now, counts, days)


@dataclass
class _There:
    """What the database holds that the history builds on."""

    shop: Shop
    agents: List[Agent]
    admin: int
    already_sent: Set[str]  # orders that had their follow-up e-mail

    def english(self, seed: object) -> Set[int]:
        """The customers who write in English: a fixed quarter of them."""
        ids = [c.id for c in self.shop.customers]
        return set(random.Random(f"{seed}:english").sample(ids, round(len(ids) * ENGLISH_CUSTOMERS)))


def _what_is_there(session) -> _There:
    if not session.execute(select(func.count()).select_from(Customer)).scalar():
        raise HistoryError("the demo store has no customers: run `python -m bot seed` first")
    agents = [Agent(u.id, u.display_name, tuple(u.languages or ("tr",))) for u in session.execute(
        select(DeskUser).where(DeskUser.role == "agent", DeskUser.active.is_(True)).order_by(DeskUser.id)).scalars()]
    admin = session.execute(select(DeskUser.id).where(DeskUser.role == "admin").order_by(DeskUser.id)).scalar()
    if not agents or admin is None:
        raise HistoryError("no agent or admin accounts: the desk creates them (`python -m bot users list`)")
    sent = set(session.execute(select(EmailSend.order_no).where(EmailSend.kind == FOLLOWUP_KIND)).scalars())
    return _There(load_shop(session), agents, admin, sent)


def _plan(seed: object, settings: Settings, there: _There, now: datetime, weeks: int):
    """The days, the conversations and the follow-up e-mails of the history (nothing written yet)."""
    calendar = SupportCalendar.from_settings(settings.support_hours, settings.support_holidays)
    days = plan_days(seed, now, calendar, weeks)
    english = there.english(seed)
    context = ChatContext(there.shop, {t.name: t for t in knowledge.load(FAQ_DIR).topics}, calendar, there.agents,
                          _canned_responses(), now, english)
    visits = _plan_visits(ChatPlanner(seed, context), days, days[0].start, now)
    emails = plan_emails(seed, there.shop, days[0].start, now, english, there.already_sent)
    return days, visits, emails


def remove_history(engine: Engine, now: Optional[datetime] = None) -> Dict[str, int]:
    with make_sessionmaker(engine).begin() as session:
        return marker.remove(session, as_utc(now or utcnow()))


def wants_history_on_start(settings: Settings, engine: Engine) -> bool:
    """`make run` adds the history by itself only to the embedded SQLite database on its first
    start: no DATABASE_URL, no desk conversation yet, and no history added or removed before."""
    if settings.database_url:
        return False
    with make_sessionmaker(engine)() as session:
        if marker.read(session) is not None:
            return False
        return session.execute(select(Conversation.id).limit(1)).first() is None


def _plan_visits(planner: ChatPlanner, days: List[Day], start: datetime, now: datetime) -> List[Visit]:
    """Every day's shoppers, and the chats in which the demo store's returns were opened and its
    orders cancelled, planned in the order they began (a returning shopper continues their chat)."""
    shop = planner.c.shop
    by_day = {d.day: d for d in days}
    starts = []
    for day in days:
        starts += [(moment, "visit", day) for moment in moments(planner.seed, day.day, day.contacts, now)]
    for item in shop.returns:
        if start <= item.opened_at - timedelta(minutes=4) and item.opened_at < now:
            starts.append((item.opened_at - timedelta(minutes=4), "return", item))
    for order in shop.orders.values():
        if order.cancelled_at is not None and start <= order.cancelled_at - timedelta(minutes=3) and order.cancelled_at < now:
            starts.append((order.cancelled_at - timedelta(minutes=3), "cancel", order))
    for item, moment in late_refund_questions(planner.seed, shop):
        if start <= moment < now:
            starts.append((moment, "late_refund", item))
    visits = []
    for moment, kind, what in sorted(starts, key=lambda s: (s[0], s[1])):
        day = by_day.get(shop_date(moment)) or days[-1]
        if kind == "visit":
            visit = planner.visit(moment, day)
        elif kind == "return":
            visit = planner.return_opened(what, day)
        elif kind == "late_refund":
            visit = planner.late_refund(what, moment, day)
        else:
            visit = planner.order_cancelled(what, day)
        if visit is not None:
            visits.append(visit)
    return visits


def late_refund_questions(seed: object, shop: Shop) -> List[Tuple[ShopReturn, datetime]]:
    """Each return still waiting for its refund after the promised day: its customer asks one to
    three days later, in the daytime."""
    asked = []
    for item in shop.returns:
        if item.refund_late(datetime.combine(item.refund_by + timedelta(days=1), time(12), tzinfo=SHOP_ZONE)):
            rng = random.Random(f"{seed}:late_refund:{item.rma_code}")
            day = item.refund_by + timedelta(days=rng.randint(1, 3))
            asked.append((item, datetime.combine(day, time(rng.randint(10, 20), rng.randrange(60)),
                                                 tzinfo=SHOP_ZONE).astimezone(UTC)))
    return asked


def _canned_responses() -> Dict[str, Dict[str, str]]:
    data = yaml.safe_load(DESK_CONFIG.read_text(encoding="utf-8")) or {}
    return {item["key"]: item["text"] for item in data.get("responses", [])}
