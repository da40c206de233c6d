"""The figures of a period, from the desk's stored conversations and tickets (definitions: docs/reports.md).

Everything is counted with the contact it belongs to, in the period in which that contact
started: its handoffs, their times and tags, its messages, its ratings. A contact sent to people
counts once, by what became of it (`handoff_outcome`): reached an agent (`handoffs`), waited in the
queue and became a ticket, became a ticket at once outside support hours, or left the queue. The
rows of the periods shown (plus a week before, for repeat contacts) are loaded once and counted in
Python; fine for a store of this size, an SQL aggregation would be the next step for millions of
rows. Ticket figures (bot/reports/tickets.py) count by their own moments: opened, answered, resolved.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import mean
from typing import Any, Dict, Iterable, List, Optional, Sequence

from sqlalchemy import func, select

from bot.desk.models import Contact, Conversation, DeskUser, Handoff, HandoffEvent, Message, Rating
from bot.desk.segments import SegmentRules
from bot.desk.store import DeskStore, utcnow
from bot.reports import segments as segment_figures
from bot.reports import tickets as ticket_figures
from bot.reports.periods import Period, period_of
from bot.studio.inbox import KNOWLEDGE
from bot.studio.models import KbInboxItem
from bot.text import fold_words
from bot.tickets.sla import SupportCalendar

REPEAT_WINDOW = timedelta(days=7)
TOP_REASONS, TOP_NOT_UNDERSTOOD = 10, 20


@dataclass
class ContactFacts:
    id: int
    started_at: datetime
    language: str
    reason: Optional[str]
    answered: bool
    shopper: str  # the verified customer, else the chat session: who a repeat contact is counted for
    handoffs: List[Handoff] = field(default_factory=list)
    messages: List[Message] = field(default_factory=list)  # the shopper's, read by the assistant
    learned: set = field(default_factory=set)  # ids of those not understood that editors turned into knowledge
    ratings: List[Rating] = field(default_factory=list)
    queued: set = field(default_factory=set)  # ids of its handoffs that waited in the live queue at some point


def build_report(store: DeskStore, kind: str, day: date, agent_id: Optional[int] = None,
                 language: Optional[str] = None, zone: str = "Europe/Istanbul",
                 calendar: Optional[SupportCalendar] = None, now: Optional[datetime] = None,
                 rules: Optional[SegmentRules] = None) -> Dict[str, Any]:
    """The report of the period of `kind` holding `day`. Ticket times count in `calendar`'s support
    hours (the settings' when none is given); `now` decides which deadlines have passed; `rules` are
    the customer segments' (the settings' when none are given)."""
    period = period_of(kind, day, zone)
    trend = period.trend()
    now = now or utcnow()
    calendar = calendar or settings_calendar()
    contacts = load_contacts(store, trend[0].utc_bounds()[0] - REPEAT_WINDOW, period.utc_bounds()[1])
    repeats = repeat_contact_ids(contacts)
    names = agent_names(store)
    tickets = ticket_figures.load_tickets(store.session, trend[0].utc_bounds()[0], period.utc_bounds()[1], calendar)

    def figures(span: Period, agent: Optional[int] = agent_id, lang: Optional[str] = language) -> Dict[str, Any]:
        chosen_tickets = ticket_figures.select_tickets(tickets, agent, lang)
        return {**totals(select_contacts(contacts, span, agent, lang), repeats, agent),
                **ticket_figures.row_figures(ticket_figures.ticket_totals(chosen_tickets, *span.utc_bounds(), now))}

    chosen = select_contacts(contacts, period, agent_id, language)
    agents_seen = sorted({h.agent_id for c in chosen for h in c.handoffs if h.agent_id is not None})
    languages_seen = sorted({c.language for c in chosen})
    handoffs = [h for c in chosen for h in c.handoffs if agent_id is None or h.agent_id == agent_id]
    return {
        "period": period.as_dict(),
        "previous": period.previous().as_dict(),
        "filters": {"agent_id": agent_id, "language": language},
        "totals": figures(period),
        "previous_totals": figures(period.previous()),
        "handoff_reasons": counted(Counter(h.reason for h in handoffs), "reason"),
        "contact_reasons": counted(Counter(c.reason for c in chosen if c.reason), "reason")[:TOP_REASONS],
        "not_understood": not_understood_groups(m for c in chosen for m in c.messages),
        "resolution_tags": counted(Counter(tag for h in handoffs for tag in h.resolution_tags or []), "tag"),
        "knowledge": knowledge_work(store, period, agent_id, language),
        "series": [{"start": b.start.isoformat(), "label": b.short_label, **figures(b)} for b in period.buckets()],
        "trend": [{"start": p.start.date().isoformat(), "label": p.short_label, **figures(p)} for p in trend],
        "agents": [{"agent_id": a, "name": names.get(a, str(a)), **figures(period, agent=a)} for a in agents_seen],
        "languages": [{"language": lang, **figures(period, lang=lang)} for lang in languages_seen],
        "tickets": ticket_figures.tickets_section(ticket_figures.select_tickets(tickets, agent_id, language),
                                                  period.utc_bounds(), period.previous().utc_bounds(), now, names),
        # The period's contacts by the customer's segments when each began (bot/reports/segments.py).
        "segments": segment_figures.segments_section(
            store.engine, store.session, chosen, period.utc_bounds(), rules or settings_rules(), calendar,
            lambda contact: handoff_outcome(contact, agent_id) == "live"),
    }


def settings_calendar() -> SupportCalendar:
    """The support calendar of the settings (SUPPORT_HOURS, SUPPORT_HOLIDAYS)."""
    from bot.settings import get_settings

    settings = get_settings()
    return SupportCalendar.from_settings(settings.support_hours, settings.support_holidays)


def settings_rules() -> SegmentRules:
    """The customer segments' rules of the settings (VIP_ORDERS_12M, VIP_SPEND_12M_TL)."""
    from bot.settings import get_settings
    from bot.tickets.setup import segment_rules

    return segment_rules(get_settings())


def load_contacts(store: DeskStore, start: datetime, end: datetime) -> List[ContactFacts]:
    """Contacts started in [start, end) with their handoffs, read shopper messages and ratings."""
    in_range = (Contact.started_at >= start, Contact.started_at < end)
    with store.session() as s:
        rows = s.execute(select(Contact, Conversation.customer_id).join(Conversation, Conversation.id == Contact.conversation_id)
                         .where(*in_range).order_by(Contact.started_at, Contact.id)).all()
        facts = {contact.id: ContactFacts(contact.id, contact.started_at, contact.language, contact.reason,
                                          bool(contact.answered),
                                          f"customer:{customer_id}" if customer_id else f"session:{contact.conversation_id}")
                 for contact, customer_id in rows}
        for handoff in s.execute(select(Handoff).join(Contact, Contact.id == Handoff.contact_id).where(*in_range)).scalars():
            facts[handoff.contact_id].handoffs.append(handoff)
        for message in s.execute(select(Message).join(Contact, Contact.id == Message.contact_id)
                                 .where(*in_range, Message.sender == "shopper", Message.understood.is_not(None))).scalars():
            facts[message.contact_id].messages.append(message)
        for rating in s.execute(select(Rating).join(Contact, Contact.id == Rating.contact_id).where(*in_range)).scalars():
            facts[rating.contact_id].ratings.append(rating)
        for contact_id, handoff_id in s.execute(
                select(Handoff.contact_id, Handoff.id).join(Contact, Contact.id == Handoff.contact_id)
                .join(HandoffEvent, HandoffEvent.handoff_id == Handoff.id)
                .where(*in_range, HandoffEvent.kind == "queued").distinct()).all():
            facts[contact_id].queued.add(handoff_id)
        # Not-understood messages whose inbox item an editor added to a topic or made a new topic of.
        for contact_id, message_id in s.execute(
                select(Message.contact_id, Message.id).join(Contact, Contact.id == Message.contact_id)
                .join(KbInboxItem, KbInboxItem.message_id == Message.id)
                .where(*in_range, Message.understood.is_(False), KbInboxItem.source == "assistant",
                       KbInboxItem.status.in_(KNOWLEDGE))).all():
            facts[contact_id].learned.add(message_id)
    return list(facts.values())


def repeat_contact_ids(contacts: Sequence[ContactFacts]) -> set:
    """Contacts whose shopper had another contact in the 7 days before."""
    last_seen: Dict[str, datetime] = {}
    repeats = set()
    for contact in sorted(contacts, key=lambda c: (c.started_at, c.id)):
        previous = last_seen.get(contact.shopper)
        if previous is not None and contact.started_at - previous <= REPEAT_WINDOW:
            repeats.add(contact.id)
        last_seen[contact.shopper] = contact.started_at
    return repeats


def select_contacts(contacts: Iterable[ContactFacts], span: Period, agent_id: Optional[int],
                    language: Optional[str]) -> List[ContactFacts]:
    start, end = span.utc_bounds()
    return [c for c in contacts if start <= c.started_at < end
            and (language is None or c.language == language)
            and (agent_id is None or any(h.agent_id == agent_id for h in c.handoffs))]


def handoff_outcome(contact: ContactFacts, agent_id: Optional[int] = None) -> Optional[str]:
    """What became of a contact that was sent to people, the furthest it got: "live" (an agent
    accepted it: with `agent_id`, that agent), "queued_then_ticketed" (it waited in the live queue,
    nobody took it, it became a ticket: a "ticket" handoff of a contact with a "queued" event, on the
    same handoff or on the one before it), "after_hours_ticket" (a ticket straight away, outside
    support hours), "left_queue" (it left the queue before anyone took it, without a ticket); None
    without a handoff."""
    if not contact.handoffs:
        return None
    if any(h.accepted_at is not None and (agent_id is None or h.agent_id == agent_id) for h in contact.handoffs):
        return "live"
    if any(h.status == "ticket" for h in contact.handoffs):
        return "queued_then_ticketed" if contact.queued else "after_hours_ticket"
    return "left_queue"


def totals(contacts: Sequence[ContactFacts], repeats: set, agent_id: Optional[int] = None) -> Dict[str, Any]:
    handoffs = [h for c in contacts for h in c.handoffs if agent_id is None or h.agent_id == agent_id]
    outcomes = Counter(handoff_outcome(c, agent_id) for c in contacts)
    handed_off = outcomes["live"]
    contained = sum(1 for c in contacts if c.answered and not c.handoffs)
    read = [m for c in contacts for m in c.messages]
    missed = sum(1 for m in read if m.understood is False)
    learned = sum(len(c.learned) for c in contacts)
    csat = [r.score for c in contacts for r in c.ratings if r.kind == "csat"]
    nps = [r.score for c in contacts for r in c.ratings if r.kind == "nps"]
    promoters, detractors = sum(1 for s in nps if s >= 9), sum(1 for s in nps if s <= 6)
    repeated = sum(1 for c in contacts if c.id in repeats)
    return {
        "contacts": len(contacts), "contained": contained, "containment_rate": share(contained, len(contacts)),
        "handoffs": handed_off, "handoff_rate": share(handed_off, len(contacts)),
        "queued_then_ticketed": outcomes["queued_then_ticketed"], "after_hours_tickets": outcomes["after_hours_ticket"],
        "left_queue": outcomes["left_queue"],
        "shopper_messages": len(read), "not_understood": missed, "fallback_rate": share(missed, len(read)),
        "turned_into_knowledge": learned, "turned_into_knowledge_rate": share(learned, missed),
        "queue_seconds": mean_seconds((h.requested_at, h.accepted_at) for h in handoffs),
        "first_response_seconds": mean_seconds((h.requested_at, h.first_response_at) for h in handoffs),
        "handling_seconds": mean_seconds((h.accepted_at, h.closed_at) for h in handoffs),
        "csat_count": len(csat), "csat_mean": round(mean(csat), 2) if csat else None,
        "csat_satisfied_rate": share(sum(1 for s in csat if s >= 4), len(csat)),
        "nps_count": len(nps), "nps": round(100 * (promoters - detractors) / len(nps), 1) if nps else None,
        "promoters": promoters, "passives": len(nps) - promoters - detractors, "detractors": detractors,
        "repeat_contacts": repeated, "repeat_rate": share(repeated, len(contacts)),
    }


def share(part: int, whole: int) -> Optional[float]:
    return round(part / whole, 4) if whole else None


def mean_seconds(spans: Iterable[tuple]) -> Optional[float]:
    durations = [(end - start).total_seconds() for start, end in spans if start is not None and end is not None]
    return round(mean(durations), 1) if durations else None


def counted(counter: Counter, key: str) -> List[Dict[str, Any]]:
    return [{key: name, "count": count} for name, count in sorted(counter.items(), key=lambda item: (-item[1], item[0]))]


def not_understood_key(text: str) -> str:
    """Messages that differ only in case, Turkish letters, punctuation or numbers fall together."""
    return re.sub(r"\d+", "#", fold_words(text)).strip()


def not_understood_groups(messages: Iterable[Message]) -> List[Dict[str, Any]]:
    groups: Dict[str, List[str]] = defaultdict(list)
    for message in messages:
        if message.understood is False:
            groups[not_understood_key(message.text)].append(message.text)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))[:TOP_NOT_UNDERSTOOD]
    return [{"text": key, "count": len(texts), "examples": list(dict.fromkeys(texts))[:3]} for key, texts in ordered]


def knowledge_work(store: DeskStore, period: Period, agent_id: Optional[int] = None,
                   language: Optional[str] = None) -> Dict[str, int]:
    """The editors' inbox in the period: items decided (by when they were decided) and agents'
    marks made. With an agent filter, only that agent's marks; with a language, that language's items."""
    start, end = period.utc_bounds()
    filters = [KbInboxItem.language == language] if language else []
    if agent_id is not None:
        filters.append(KbInboxItem.agent_id == agent_id)
    with store.session() as s:
        decided = dict(s.execute(select(KbInboxItem.status, func.count(KbInboxItem.id))
                                 .where(*filters, KbInboxItem.resolved_at >= start, KbInboxItem.resolved_at < end)
                                 .group_by(KbInboxItem.status)).all())
        marks = s.execute(select(func.count(KbInboxItem.id)).where(*filters, KbInboxItem.source == "agent",
                                                                   KbInboxItem.created_at >= start,
                                                                   KbInboxItem.created_at < end)).scalar_one()
    added, new_topic = decided.get("added", 0), decided.get("new_topic", 0)
    return {"added": added, "new_topic": new_topic, "turned_into_knowledge": added + new_topic,
            "dismissed": decided.get("dismissed", 0), "agent_marks": marks}


def agent_names(store: DeskStore) -> Dict[int, str]:
    with store.session() as s:
        return dict(s.execute(select(DeskUser.id, DeskUser.display_name)).all())
