"""Contacts by customer segment: how many, their CSAT, the share an agent took and their top reasons.

A contact of a known customer (the conversation's `customer_id`) counts in each segment the customer
was in AS OF the contact's start (bot/desk/segments.py `segments_of`, with the same rules): vip by
the shop's orders placed in the 12 months before (an order counts as cancelled only once it was),
recent_return by the returns opened in the 30 days before, open_ticket by the customer's tickets open
at that moment (created before it and not resolved then: `TicketFacts.open_at`, so a reopened ticket
is open again). A customer in several segments counts in each; a known customer in none in "none";
a shopper nobody knows in "anonymous". Rows come in SEGMENT_ROWS order, each always there.

The customers' histories are read once for the period (`load_histories`: five queries, whatever the
number of contacts) from the shop's tables, which share the desk's database (bot/desk/app.py); a
database without them (a desk-only test database) knows no orders or returns.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import mean
from typing import Any, Callable, Dict, Iterable, List, Optional, Protocol, Sequence, Tuple

from sqlalchemy import inspect, or_, select
from sqlalchemy.engine import Engine

from actions.store.models import Order as ShopOrder
from actions.store.models import ReturnRequest
from bot import i18n
from bot.desk.models import Contact, Conversation
from bot.desk.segments import RECENT_RETURN_DAYS, SEGMENTS, YEAR, SegmentRules, segments_of
from bot.reports.charts import contact_reason_label, number
from bot.reports.tickets import TicketFacts, facts_of
from bot.tickets.models import OPEN_STATUSES, Ticket, TicketEntry
from bot.tickets.sla import SupportCalendar

SEGMENT_ROWS = (*SEGMENTS, "none", "anonymous")
SEGMENT_LABELS = {"vip": "reports:segment.vip", "open_ticket": "reports:segment.open_ticket",
                  "recent_return": "reports:segment.recent_return", "none": "reports:segment.none",
                  "anonymous": "reports:segment.anonymous"}
# The segments as a sentence's subject ("VIP müşteriler"), for the summary's line.
SEGMENT_SUBJECTS = {"vip": "reports:segment.subject.vip", "open_ticket": "reports:segment.subject.open_ticket",
                    "recent_return": "reports:segment.subject.recent_return"}
TOP_SEGMENT_REASONS = 3
CANCELLED = "iptal_edildi"  # the shop's status of a cancelled order (segments_of leaves its spend out)
# The summary names a segment's CSAT only when both it and the period have enough answers and they differ.
STANDOUT_ANSWERS, STANDOUT_ALL_ANSWERS, STANDOUT_GAP = 5, 10, 0.5


class ReportContact(Protocol):
    """What is read of a contact (bot/reports/metrics.py ContactFacts)."""
    id: int
    started_at: datetime
    reason: Optional[str]
    ratings: list


# --------------------------------------------------------------------------- the customers' histories

@dataclass(frozen=True)
class PastReturn:
    opened_at: datetime


@dataclass(frozen=True)
class PastOrder:
    """An order as `segments_of` reads it (placed_at, status, total_kurus, returns), as of a moment."""
    placed_at: datetime
    status: str
    total_kurus: int
    returns: Tuple[PastReturn, ...] = ()


@dataclass(frozen=True)
class ShopOrderRow:
    order_no: str
    placed_at: datetime
    status: str
    cancelled_at: Optional[datetime]
    total_kurus: int


@dataclass
class CustomerHistory:
    orders: List[ShopOrderRow] = field(default_factory=list)
    returns: List[Tuple[str, datetime]] = field(default_factory=list)  # (order_no, opened_at)
    tickets: List[TicketFacts] = field(default_factory=list)


@dataclass
class Histories:
    customer_of: Dict[int, int]  # contact id -> its conversation's customer (known shoppers only)
    customers: Dict[int, CustomerHistory]


def segments_as_of(history: CustomerHistory, moment: datetime, rules: SegmentRules) -> List[str]:
    """The customer's segments at `moment`: only what existed then counts."""
    returns: Dict[str, List[PastReturn]] = defaultdict(list)
    for order_no, opened_at in history.returns:
        if opened_at < moment:
            returns[order_no].append(PastReturn(opened_at))
    orders = [PastOrder(o.placed_at, status_at(o, moment), o.total_kurus, tuple(returns[o.order_no]))
              for o in history.orders if o.placed_at < moment]
    open_tickets = sum(1 for ticket in history.tickets if ticket.open_at(moment))
    return segments_of(orders, open_tickets, moment, rules)  # type: ignore[arg-type]


def status_at(order: ShopOrderRow, moment: datetime) -> str:
    """Cancelled only once it was; whichever other status it had then does not change a segment."""
    if order.status == CANCELLED and (order.cancelled_at is None or order.cancelled_at < moment):
        return CANCELLED
    return "" if order.status == CANCELLED else order.status


def load_histories(engine: Engine, session: Callable, start: datetime, end: datetime,
                   calendar: SupportCalendar) -> Histories:
    """The customers of the contacts started in [start, end): who each contact's customer is, and each
    customer's orders, returns and tickets that can decide a segment in the span."""
    in_range = (Contact.started_at >= start, Contact.started_at < end)
    customers = (select(Conversation.customer_id).join(Contact, Contact.conversation_id == Conversation.id)
                 .where(*in_range, Conversation.customer_id.is_not(None)).distinct())
    found: Dict[int, CustomerHistory] = defaultdict(CustomerHistory)
    with session() as s:
        customer_of = dict(s.execute(select(Contact.id, Conversation.customer_id)
                                     .join(Conversation, Conversation.id == Contact.conversation_id)
                                     .where(*in_range, Conversation.customer_id.is_not(None))).all())
        if has_shop_tables(engine):
            recent_returns = (ReturnRequest.opened_at >= start - timedelta(days=RECENT_RETURN_DAYS),
                              ReturnRequest.opened_at < end)
            returned = select(ReturnRequest.order_no).where(*recent_returns)
            # Orders of the 12 months before the span's contacts, and older ones with a recent return.
            for customer_id, *row in s.execute(
                    select(ShopOrder.customer_id, ShopOrder.order_no, ShopOrder.placed_at, ShopOrder.status,
                           ShopOrder.cancelled_at, ShopOrder.total_kurus)
                    .where(ShopOrder.customer_id.in_(customers), ShopOrder.placed_at < end,
                           or_(ShopOrder.placed_at >= start - YEAR, ShopOrder.order_no.in_(returned)))):
                found[customer_id].orders.append(ShopOrderRow(*row))
            for customer_id, order_no, opened_at in s.execute(
                    select(ShopOrder.customer_id, ReturnRequest.order_no, ReturnRequest.opened_at)
                    .join(ShopOrder, ShopOrder.order_no == ReturnRequest.order_no)
                    .where(ShopOrder.customer_id.in_(customers), *recent_returns)):
                found[customer_id].returns.append((order_no, opened_at))
        # Tickets that may be open at some moment of the span: opened before its end, and either
        # open now or changed since its start (a ticket last changed before it stood as it stands).
        relevant = (Ticket.customer_id.in_(customers), Ticket.created_at < end,
                    or_(Ticket.status.in_(OPEN_STATUSES), Ticket.updated_at >= start, Ticket.resolved_at >= start))
        tickets = list(s.execute(select(Ticket).where(*relevant).order_by(Ticket.id)).scalars())
        events: Dict[int, List[Tuple[datetime, dict]]] = defaultdict(list)
        for ticket_id, at, data in s.execute(
                select(TicketEntry.ticket_id, TicketEntry.created_at, TicketEntry.data)
                .where(TicketEntry.kind == "event", TicketEntry.ticket_id.in_(select(Ticket.id).where(*relevant)))
                .order_by(TicketEntry.id)):
            events[ticket_id].append((at, data))
    for ticket in tickets:
        found[ticket.customer_id].tickets.append(facts_of(ticket, events[ticket.id], calendar))
    return Histories(customer_of, dict(found))


def has_shop_tables(engine: Engine) -> bool:
    names = set(inspect(engine).get_table_names())
    return {ShopOrder.__tablename__, ReturnRequest.__tablename__} <= names


# --------------------------------------------------------------------------- figures

def contact_segments(contacts: Iterable[ReportContact], histories: Histories,
                     rules: SegmentRules) -> Dict[int, List[str]]:
    """Contact id -> the rows it counts in: its customer's segments then, or ["none"], or ["anonymous"]."""
    found = {}
    for contact in contacts:
        customer = histories.customer_of.get(contact.id)
        if customer is None:
            found[contact.id] = ["anonymous"]
            continue
        history = histories.customers.get(customer, CustomerHistory())
        found[contact.id] = segments_as_of(history, contact.started_at, rules) or ["none"]
    return found


def segment_rows(contacts: Sequence[ReportContact], segments: Dict[int, List[str]],
                 handed_to_agent: Callable[[Any], bool]) -> List[Dict[str, Any]]:
    """One row per SEGMENT_ROWS: contacts, CSAT answers and mean, the share `handed_to_agent` (the
    report's handoff rate), the top reasons (most contacts first, then by name)."""
    members: Dict[str, list] = {name: [] for name in SEGMENT_ROWS}
    for contact in contacts:
        for name in segments.get(contact.id, ()):
            members[name].append(contact)
    rows = []
    for name, chosen in members.items():
        csat = [r.score for c in chosen for r in c.ratings if r.kind == "csat"]
        handed = sum(1 for c in chosen if handed_to_agent(c))
        reasons = Counter(c.reason for c in chosen if c.reason)
        top = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))[:TOP_SEGMENT_REASONS]
        rows.append({"segment": name, "contacts": len(chosen), "csat_responses": len(csat),
                     "csat_mean": round(mean(csat), 2) if csat else None,
                     "handoff_rate": round(handed / len(chosen), 4) if chosen else None,
                     "top_reasons": [{"reason": reason, "contacts": count} for reason, count in top]})
    return rows


def segments_section(engine: Engine, session: Callable, contacts: Sequence[ReportContact],
                     span: Tuple[datetime, datetime], rules: SegmentRules, calendar: SupportCalendar,
                     handed_to_agent: Callable[[Any], bool]) -> List[Dict[str, Any]]:
    """The report's "segments" over the period's chosen contacts (span: the period's UTC bounds)."""
    histories = load_histories(engine, session, *span, calendar)
    return segment_rows(contacts, contact_segments(contacts, histories, rules), handed_to_agent)


# --------------------------------------------------------------------------- words

def segment_label(segment: str, language: str = i18n.DEFAULT_LANGUAGE) -> str:
    """"vip" -> "VIP müşteri" ("VIP customer"); an unknown code as is."""
    key = SEGMENT_LABELS.get(segment)
    return i18n.say(key, language) if key else segment


def top_reasons_text(row: Dict[str, Any], language: str = i18n.DEFAULT_LANGUAGE) -> str:
    """"Sipariş durumu (3) · SSS: kargo ücreti (2)"; "—" for none."""
    parts = [f"{contact_reason_label(item['reason'], language)} ({number(item['contacts'], language=language)})"
             for item in row["top_reasons"]]
    return " · ".join(parts) or "—"


def segment_lines(report: Dict[str, Any], language: str = i18n.DEFAULT_LANGUAGE) -> List[str]:
    """At most one sentence for the summary: the segment whose CSAT differs most from the period's,
    when both have enough answers and the gap is at least STANDOUT_GAP."""
    overall = report["totals"]
    if overall.get("csat_count", 0) < STANDOUT_ALL_ANSWERS or overall.get("csat_mean") is None:
        return []
    candidates = [row for row in report.get("segments") or []
                  if row["segment"] in SEGMENT_SUBJECTS and row["csat_responses"] >= STANDOUT_ANSWERS
                  and abs(row["csat_mean"] - overall["csat_mean"]) >= STANDOUT_GAP]
    if not candidates:
        return []
    row = max(candidates, key=lambda r: (abs(r["csat_mean"] - overall["csat_mean"]), r["csat_responses"]))
    return [i18n.say("reports:summary.segment_csat", language,
                     segment=i18n.say(SEGMENT_SUBJECTS[row["segment"]], language),
                     mean=number(row["csat_mean"], 1, language), overall=number(overall["csat_mean"], 1, language))]
