"""Writes the planned conversations in bulk, in the caller's transaction: conversations, contacts,
messages, handoffs with their events, ratings, the editors' inbox items for what the assistant did
not understand, and follow-up e-mails.

The rows are what the bridge itself would have stored (bot/desk/store.py): a contact per visit,
every line of it in `messages` with the contact's id, the shopper's messages with their intent and
whether the assistant understood, the handoff's facts copied onto the conversation. Conversations
end (`ended_at`), so no widget can resume a demo session.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Dict, List

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from bot.demo_history.chats import visit_answered, visit_reason
from bot.demo_history.lines import MISSED_TOPICS
from bot.demo_history.plans import EmailPlan, Visit
from bot.desk.models import Contact, Conversation, EmailSend, Handoff, HandoffEvent, Message, Rating
from bot.studio.inbox import group_key
from bot.studio.models import KbInboxItem

FOLLOWUP_KIND = "delivery_followup"  # bot/followup/job.py's KIND
EDITOR_DECIDES_AFTER = timedelta(days=3)  # the editors work through misses older than this


def write_visits(session: Session, visits: List[Visit]) -> Dict[str, int]:
    """Inserts many rows at once (executemany) and reads the new ids back by what is unique among them:
    a contact by its conversation and start, a handoff by its contact."""
    visits = sorted(visits, key=lambda v: v.started_at)
    by_conversation: Dict[str, List[Visit]] = defaultdict(list)
    for visit in visits:
        by_conversation[visit.conversation_id].append(visit)
    conversations = []
    for conversation_id, own in by_conversation.items():
        last = own[-1]
        handed = [v for v in own if v.handoff is not None]
        conversations.append({
            "id": conversation_id, "created_at": own[0].started_at, "last_message_at": last.ended_at,
            "language": last.language, "state": "bot", "agent_id": None,
            "customer_id": next((v.customer_id for v in reversed(own) if v.customer_id), None),
            "reason": handed[-1].handoff.reason if handed else None, "frustration": max(v.frustration for v in own),
            "signals": handed[-1].signals if handed else [], "queue_priority": 1, "queued_at": None, "awaiting": None,
            "ended_at": last.ended_at + timedelta(minutes=2)})
    session.execute(insert(Conversation), conversations)
    first_contact = _next_id(session, Contact)
    session.execute(insert(Contact), [{
        "conversation_id": v.conversation_id, "started_at": v.started_at, "last_message_at": v.ended_at,
        "language": v.language, "reason": visit_reason(v), "answered": visit_answered(v), "order_no": v.order_no,
        "csat_asked_at": v.csat_asked_at, "nps_asked_at": v.nps_asked_at} for v in visits])
    ids = {(row.conversation_id, row.started_at): row.id for row in session.execute(
        select(Contact.id, Contact.conversation_id, Contact.started_at).where(Contact.id >= first_contact))}
    contact_of = {id(v): ids[(v.conversation_id, v.started_at)] for v in visits}
    table = Conversation.__table__
    session.execute(update(table).where(table.c.id == bindparam("conversation")).values(contact_id=bindparam("contact")),
                    [{"conversation": cid, "contact": contact_of[id(own[-1])]} for cid, own in by_conversation.items()])
    first_message = _next_id(session, Message)
    messages = sorted(((line, visit) for visit in visits for line in visit.lines), key=lambda pair: pair[0].at)
    session.execute(insert(Message), [
        {"conversation_id": visit.conversation_id, "sender": line.sender,
         "text": line.fill() if line.fill else line.text, "quick_replies": line.quick_replies,
         "data": None, "agent_id": line.agent_id, "created_at": line.at, "contact_id": contact_of[id(visit)],
         "intent": line.intent if line.sender == "shopper" else None,
         "understood": line.understood if line.sender == "shopper" else None} for line, visit in messages])
    handed = [v for v in visits if v.handoff is not None]
    first_handoff = _next_id(session, Handoff)
    if handed:
        session.execute(insert(Handoff), [{
            "conversation_id": v.conversation_id, "reason": v.handoff.reason, "frustration": v.handoff.frustration,
            "status": v.handoff.status, "requested_at": v.handoff.requested_at, "accepted_at": v.handoff.accepted_at,
            "first_response_at": v.handoff.first_response_at, "closed_at": v.handoff.closed_at,
            "agent_id": v.handoff.agent_id, "contact_id": contact_of[id(v)], "resolution_tags": v.handoff.tags,
            "close_note": v.handoff.note, "ticket_email": v.handoff.ticket_email} for v in handed])
    handoff_of = dict(session.execute(select(Handoff.contact_id, Handoff.id).where(Handoff.id >= first_handoff)).all())
    events = [{"handoff_id": handoff_of[contact_of[id(v)]], "kind": kind, "agent_id": agent, "created_at": at}
              for v in handed for kind, agent, at in v.handoff.events]
    if events:
        session.execute(insert(HandoffEvent), events)
    ratings = [{"conversation_id": v.conversation_id, "contact_id": contact_of[id(v)],
                "handoff_id": handoff_of.get(contact_of[id(v)]) if r.of_handoff else None,
                "customer_id": v.customer_id, "language": v.language, "kind": r.kind, "score": r.score,
                "comment": r.comment, "created_at": r.at} for v in visits for r in v.ratings]
    if ratings:
        session.execute(insert(Rating), ratings)
    inbox = _inbox_items(session, first_message)
    return {"conversations": len(conversations), "contacts": len(visits), "messages": len(messages),
            "handoffs": len(handed), "ratings": len(ratings), "inbox_items": inbox}


def _next_id(session: Session, model) -> int:
    """The ids rows inserted now get are above this (the caller's transaction holds the write lock on SQLite)."""
    return (session.execute(select(func.max(model.id))).scalar() or 0) + 1


def _inbox_items(session: Session, first_message: int) -> int:
    """What the assistant did not understand goes to the editors' inbox (bot/studio/inbox.py's record_missed);
    older items were already decided: added to a topic where one fits, the gibberish dismissed."""
    missed = session.execute(
        select(Message.id, Message.conversation_id, Message.text, Message.intent, Message.created_at, Contact.language)
        .join(Contact, Contact.id == Message.contact_id)
        .where(Message.id >= first_message, Message.conversation_id.like("demo-%"), Message.sender == "shopper",
               Message.understood.is_(False))
        .order_by(Message.id)).all()
    newest = max((row.created_at for row in missed), default=None)
    items = []
    for row in missed:
        key = group_key(row.text)
        if not key:
            continue
        decided = newest is not None and newest - row.created_at > EDITOR_DECIDES_AFTER
        topic = MISSED_TOPICS.get(row.text.lower()) if decided else None
        status = "added" if topic else ("dismissed" if decided and len(key.split()) == 1 else "new")
        items.append({"source": "assistant", "text": row.text, "group_key": key, "language": row.language,
                      "conversation_id": row.conversation_id, "message_id": row.id, "intent": row.intent,
                      "confidence": None, "status": status, "topic": topic,
                      "resolved_by": "editor" if status != "new" else None,
                      "resolved_at": row.created_at + EDITOR_DECIDES_AFTER if status != "new" else None,
                      "created_at": row.created_at})
    if items:
        session.execute(insert(KbInboxItem), items)
    return len(items)


def write_emails(session: Session, emails: List[EmailPlan]) -> List[int]:
    rows = [EmailSend(kind=FOLLOWUP_KIND, order_no=e.order_no, customer_id=e.customer_id, email=e.email,
                      language=e.language, status="sent", attempts=1, created_at=e.sent_at - timedelta(seconds=2),
                      sent_at=e.sent_at, order_score=e.order_score, service_score=e.service_score, comment=e.comment,
                      answered_at=e.answered_at) for e in emails]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]
