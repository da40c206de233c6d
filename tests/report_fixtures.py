"""Conversations and tickets with known answers for the report tests (unit, CLI, dashboard).

The week of Monday 16 November 2026 (Istanbul) holds contacts C1-C5 and C9-C11, the week before
C7-C8, and C6 starts at 00:30 on Monday 23 November, Istanbul time (21:30 UTC on the 22nd): the
next week. Of the handoffs, C2 and C4 reached an agent, C9 waited in the queue and became a ticket,
C10 came outside support hours and became a ticket at once, C11 left the queue. Times below are
UTC. The expected figures are worked out by hand in EXPECTED_WEEK and EXPECTED_TICKETS_WEEK.
"""
from datetime import date, datetime, timezone

from sqlalchemy import select

from bot.desk.models import Contact, Conversation, DeskUser, Handoff, HandoffEvent, Message, Rating
from bot.tickets.sla import SupportCalendar, parse_targets
from bot.tickets.store import NewTicket, TicketStore

WEEK = date(2026, 11, 16)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone.utc)


# contact: (session, language, customer, start, reason, answered, messages [(text, understood)],
#           handoff (reason, agent, requested, accepted, first response, closed, tags[, what became of it])
#           or None, ratings [(kind, score)]). What became of it: "live" (the default), "queued_ticket"
#           (waited in the queue, then a ticket), "after_hours" (a ticket at once), "left_queue".
CONTACTS = {
    "C1": ("s1", "tr", None, at(16, 10), "faq/shipping_cost", True,
           [("kargo ücreti ne kadar", True), ("teşekkürler", True)], None, [("csat", 5), ("nps", 10)]),
    "C2": ("s2", "tr", 1001, at(17, 9), "order_status", False,
           [("siparişim nerede", True), ("KUPON KODU ÇALIŞMIYOR!!", False), ("berbat", True)],
           ("frustration", "ayse", at(17, 9, 5), at(17, 9, 7), at(17, 9, 8), at(17, 9, 20), ["shipping_delay", "return_refund"]),
           [("csat", 2)]),
    "C3": ("s3", "en", None, at(18, 14), "faq/return_policy", True, [("how do returns work", True)], None, []),
    "C4": ("s4", "tr", 1001, at(19, 12), "complaint", False,
           [("şikayetim var", True), ("kupon kodu calismiyor", False)],
           ("requested", "mehmet", at(19, 12, 1), at(19, 12, 3), at(19, 12, 5), at(19, 12, 15), ["shipping_delay"]),
           [("csat", 4)]),
    "C5": ("s1", "tr", None, at(22, 20, 30), None, False, [("asdfgh 123", False)], None, []),
    "C6": ("s6", "tr", None, at(22, 21, 30), "faq/invoice", True, [("fatura", True)], None, []),
    "C7": ("s7", "tr", None, at(10, 10), "faq/carriers", True, [("hangi kargo", True)], None, [("csat", 3)]),
    "C8": ("s8", "tr", None, at(11, 10), "return_request", False, [("iade", True)],
           ("requested", "ayse", at(11, 10), at(11, 10, 10), at(11, 10, 12), at(11, 10, 30), ["return_refund"]), []),
    # Friday 19:00 in Istanbul: support is open, nobody takes the chat, it becomes a ticket at 19:30.
    "C9": ("s9", "tr", 1002, at(20, 16), "complaint", False, [("kargom hala gelmedi kimse yok mu", True)],
           ("requested", None, at(20, 16, 1), None, None, None, [], "queued_ticket"), []),
    # Saturday 23:00 in Istanbul: support is closed, the request becomes a ticket at once.
    "C10": ("s10", "en", None, at(21, 20), "request_human", False, [("I need a person", True)],
            ("requested", None, at(21, 20), None, None, None, [], "after_hours"), []),
    # Wednesday 12:00 in Istanbul: waits five minutes, goes back to the assistant before anyone takes it.
    "C11": ("s11", "tr", None, at(18, 9), "request_human", False, [("temsilci lütfen", True)],
            ("requested", None, at(18, 9, 1), None, None, at(18, 9, 6), [], "left_queue"), []),
}
# The handoff's status and history (HandoffEvent kinds) per what became of it.
HANDOFF_STATES = {"live": ("closed", ["queued", "accepted", "closed"]), "queued_ticket": ("ticket", ["queued", "ticket"]),
                  "after_hours": ("ticket", ["ticket"]), "left_queue": ("handed_back", ["queued", "handed_back"])}

EXPECTED_WEEK = {
    "contacts": 8, "contained": 2, "containment_rate": 0.25,         # C1, C3 answered without a person
    "handoffs": 2, "handoff_rate": 0.25,                             # C2, C4 reached an agent
    "queued_then_ticketed": 1, "after_hours_tickets": 1, "left_queue": 1,  # C9, C10, C11: nobody took them
    "shopper_messages": 12, "not_understood": 3, "fallback_rate": 0.25,
    "queue_seconds": 120.0,                                          # (120 + 120) / 2
    "first_response_seconds": 210.0,                                 # (180 + 240) / 2
    "handling_seconds": 750.0,                                       # (780 + 720) / 2
    "csat_count": 3, "csat_mean": 3.67, "csat_satisfied_rate": 0.6667,  # 5, 2, 4
    "nps_count": 1, "nps": 100.0, "promoters": 1, "passives": 0, "detractors": 0,
    "repeat_contacts": 2, "repeat_rate": 0.25,                       # C4 (customer 1001 after C2), C5 (s1 after C1)
}
EXPECTED_PREVIOUS_WEEK = {
    "contacts": 2, "contained": 1, "containment_rate": 0.5, "handoffs": 1, "handoff_rate": 0.5,
    "queued_then_ticketed": 0, "after_hours_tickets": 0, "left_queue": 0,
    "queue_seconds": 600.0, "first_response_seconds": 720.0, "handling_seconds": 1200.0,
    "csat_count": 1, "csat_mean": 3.0, "nps_count": 0, "nps": None,
}


def agent_ids(session) -> dict:
    """The demo agents' ids, creating the two the fixtures need where they are missing."""
    ids = dict(session.execute(select(DeskUser.username, DeskUser.id)).all())
    for username, name in (("ayse", "Ayşe K."), ("mehmet", "Mehmet T.")):
        if username not in ids:
            user = DeskUser(username=username, display_name=name, role="agent", password_hash="-", languages=["tr", "en"],
                            max_chats=3, active=True, created_at=at(1, 0))
            session.add(user)
            session.flush()
            ids[username] = user.id
    return ids


def load(store, prefix: str = "") -> dict:
    """Writes the fixture contacts (session ids prefixed to keep them apart); returns the agents' ids."""
    with store.session() as s:
        agents = agent_ids(s)
        for key, (session_id, language, customer, start, reason, answered, messages, handoff, ratings) in CONTACTS.items():
            conversation = s.get(Conversation, prefix + session_id)
            if conversation is None:
                conversation = Conversation(id=prefix + session_id, created_at=start, last_message_at=start, language=language,
                                            state="bot", customer_id=customer, frustration=0.0, signals=[], queue_priority=1)
                s.add(conversation)
                s.flush()
            contact = Contact(conversation_id=conversation.id, started_at=start, last_message_at=start, language=language,
                              reason=reason, answered=answered)
            s.add(contact)
            s.flush()
            for text, understood in messages:
                s.add(Message(conversation_id=conversation.id, contact_id=contact.id, sender="shopper", text=text,
                              quick_replies=[], created_at=start, understood=understood, intent=None))
            handoff_id = None
            if handoff:
                reason_, agent, requested, accepted, first, closed, tags, *became = handoff
                status, history = HANDOFF_STATES[became[0] if became else "live"]
                row = Handoff(conversation_id=conversation.id, contact_id=contact.id, reason=reason_, status=status,
                              requested_at=requested, accepted_at=accepted, first_response_at=first, closed_at=closed,
                              agent_id=agents[agent] if agent else None, resolution_tags=tags, frustration=0.0)
                s.add(row)
                s.flush()
                handoff_id = row.id
                for kind in history:
                    s.add(HandoffEvent(handoff_id=row.id, kind=kind, agent_id=row.agent_id, created_at=requested))
            for kind, score in ratings:
                s.add(Rating(conversation_id=conversation.id, contact_id=contact.id, handoff_id=handoff_id, kind=kind,
                             score=score, language=language, customer_id=customer, created_at=start))
        s.commit()
    load_tickets(store, agents, prefix)
    return agents


# --- tickets ------------------------------------------------------------------------------------
# Support hours: weekdays 09:00-22:00, weekends 10:00-18:00 in Istanbul (UTC+3), so 06:00-19:00
# and 07:00-15:00 UTC; no public holiday in November 2026. Complaints and follow-ups get 8 support
# hours for the first response and 48 for the resolution, after-hours requests 4 and 24.
SUPPORT_HOURS, HOLIDAYS = "mon-fri 09:00-22:00, sat-sun 10:00-18:00", "tr"
TARGETS = "complaint=8/48, after_hours=4/24, chat_followup=8/48, low_score=8/48, *=8/48"


def calendar() -> SupportCalendar:
    return SupportCalendar.from_settings(SUPPORT_HOURS, HOLIDAYS)


# ticket: (source, category, language, channel, session or None, customer, owner, opened, steps).
# Steps: ("reply", when), ("resolved", when), ("customer", when), ("rate", when, score).
TICKETS = {
    # The week before: kargo answered after 2 support hours, resolved after 13; urun answered after
    # 10 (Thursday 13:00 → 22:00 is 9, Friday 09:00 → 10:00 is 1: late, due at 21:00), resolved after 13.
    "T0": ("complaint", "kargo", "tr", "chat", None, 1001, "ayse", at(10, 7),
           [("reply", at(10, 9)), ("resolved", at(11, 7))]),
    "T4": ("complaint", "urun", "tr", "chat", None, 1003, "mehmet", at(12, 10),
           [("reply", at(13, 7)), ("resolved", at(13, 10))]),
    # The week: Monday 21:00 → Tuesday 10:00 is 2 support hours (1 + 1), resolved Wednesday 13:00
    # after 18 (1 + 13 + 4), rated 5.
    "T1": ("complaint", "kargo", "tr", "chat", None, 1001, "ayse", at(16, 18),
           [("reply", at(17, 7)), ("resolved", at(18, 10)), ("rate", at(18, 12), 5)]),
    # Thursday 11:00 → 17:00 is 6, resolved Friday 12:00 after 14 (11 + 3), reopened by the customer
    # on Saturday: open at the week's end, with a new resolution deadline next week.
    "T3": ("low_score", "kargo", "en", "email", None, None, "ayse", at(19, 8),
           [("reply", at(19, 14)), ("resolved", at(20, 9)), ("customer", at(21, 10))]),
    # C9's ticket: Friday 19:30 → Saturday 10:30 is 3 (2.5 + 0.5), in time (due Saturday 11:30).
    "T5": ("after_hours", "diger", "tr", "chat", "s9", 1002, "mehmet", at(20, 16, 30), [("reply", at(21, 7, 30))]),
    # C10's ticket: Saturday 23:00, due Sunday 14:00 (10:00 + 4), answered on Monday 10:00: missed.
    "T2": ("after_hours", "diger", "en", "chat", "s10", None, "mehmet", at(21, 20), [("reply", at(23, 7))]),
}

EXPECTED_TICKETS_WEEK = {
    "opened": 4, "resolved": 2,                                       # T1, T3, T5, T2; T1, T3
    "first_responses": 3,                                             # T1 2 h, T3 6 h, T5 3 h (T2's is next week)
    "first_response_median_seconds": 3 * 3600.0, "first_response_p90_seconds": 6 * 3600.0,
    "resolution_median_seconds": 16 * 3600.0, "resolution_p90_seconds": 18 * 3600.0,  # 18 h and 14 h
    "sla_targets": 5, "sla_met": 4, "sla_met_rate": 0.8,              # T1 both, T3 and T5 first responses; T2 missed
    "first_response_sla_rate": 0.75, "resolution_sla_rate": 1.0,
    "reopened": 1, "reopen_rate": 0.5,                                # T3 of T1, T3
    "backlog": 3,                                                     # T3, T5, T2 at Sunday 24:00
    "backlog_age_median_seconds": 52.5 * 3600, "backlog_oldest_seconds": 85 * 3600.0,  # T5; T3 (3 days 13 hours)
    "ratings": 1, "rating_mean": 5.0,
}
EXPECTED_TICKETS_PREVIOUS_WEEK = {
    "opened": 2, "resolved": 2, "first_response_median_seconds": 6 * 3600.0,  # 2 h and 10 h
    "resolution_median_seconds": 13 * 3600.0, "sla_targets": 4, "sla_met": 3, "sla_met_rate": 0.75,  # T4 answered late
    "backlog": 0, "backlog_oldest_seconds": None, "reopen_rate": 0.0,
}


def load_tickets(store, agents: dict, prefix: str = "") -> dict:
    """Writes TICKETS through the ticket store (so their history is as the product writes it); returns their ids."""
    tickets = TicketStore(store.engine, calendar(), parse_targets(TARGETS))
    ids = {}
    for key, (source, category, language, channel, session_id, customer, owner, opened, steps) in TICKETS.items():
        ticket = tickets.open(NewTicket(source=source, category=category, language=language, channel=channel,
                                        text=f"{key}: kargom gecikti", customer_id=customer,
                                        email=f"{prefix}{key.lower()}@example.com",
                                        conversation_id=prefix + session_id if session_id else None), opened)
        tickets.assign(ticket.id, agents[owner], opened)
        for step, when, *rest in steps:
            if step == "reply":
                tickets.reply(ticket.id, agents[owner], "Merhaba, ilgileniyoruz.", when)
            elif step == "resolved":
                tickets.set_status(ticket.id, "resolved", when, by=agents[owner])
            elif step == "customer":
                tickets.customer_wrote(ticket.id, "Hâlâ gelmedi.", when, "email")
            else:
                tickets.rate(ticket.id, rest[0], when)
        ids[key] = ticket.id
    return ids
