"""Conversations with known answers for the report tests (unit, CLI, dashboard).

The week of Monday 16 November 2026 (Istanbul) holds contacts C1-C5, the week before C7-C8, and
C6 starts at 00:30 on Monday 23 November, Istanbul time (21:30 UTC on the 22nd): the next week.
Times below are UTC. The expected figures are worked out by hand in EXPECTED_WEEK.
"""
from datetime import date, datetime, timezone

from sqlalchemy import select

from bot.desk.models import Contact, Conversation, DeskUser, Handoff, Message, Rating

WEEK = date(2026, 11, 16)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone.utc)


# contact: (session, language, customer, start, reason, answered, messages [(text, understood)],
#           handoff (reason, agent, requested, accepted, first response, closed, tags) or None,
#           ratings [(kind, score)])
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
}

EXPECTED_WEEK = {
    "contacts": 5, "contained": 2, "containment_rate": 0.4,          # C1, C3 answered without a person
    "handoffs": 2, "handoff_rate": 0.4,                              # C2, C4
    "shopper_messages": 9, "not_understood": 3, "fallback_rate": 0.3333,
    "queue_seconds": 120.0,                                          # (120 + 120) / 2
    "first_response_seconds": 210.0,                                 # (180 + 240) / 2
    "handling_seconds": 750.0,                                       # (780 + 720) / 2
    "csat_count": 3, "csat_mean": 3.67, "csat_satisfied_rate": 0.6667,  # 5, 2, 4
    "nps_count": 1, "nps": 100.0, "promoters": 1, "passives": 0, "detractors": 0,
    "repeat_contacts": 2, "repeat_rate": 0.4,                        # C4 (customer 1001 after C2), C5 (s1 after C1)
}
EXPECTED_PREVIOUS_WEEK = {
    "contacts": 2, "contained": 1, "containment_rate": 0.5, "handoffs": 1, "handoff_rate": 0.5,
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
                reason_, agent, requested, accepted, first, closed, tags = handoff
                row = Handoff(conversation_id=conversation.id, contact_id=contact.id, reason=reason_, status="closed",
                              requested_at=requested, accepted_at=accepted, first_response_at=first, closed_at=closed,
                              agent_id=agents[agent], resolution_tags=tags, frustration=0.0)
                s.add(row)
                s.flush()
                handoff_id = row.id
            for kind, score in ratings:
                s.add(Rating(conversation_id=conversation.id, contact_id=contact.id, handoff_id=handoff_id, kind=kind,
                             score=score, language=language, customer_id=customer, created_at=start))
        s.commit()
    return agents
