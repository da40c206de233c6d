"""Erasure and anonymisation (KVKK art. 7 and the deletion regulation).

Chat content is removed and identifiers are replaced everywhere; rows that reports count stay as
anonymous counts (a message keeps its sender, time and recognised intent, a rating its score, a
ticket its dates, category, status, history and rating). The store's order, invoice and return
records are kept as the law requires, unlinked from the chats.
Retention (bot/privacy/retention.py) anonymises expired conversations with the same function.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Dict, Iterable, Optional, Set

from sqlalchemy import func, inspect, literal, select, update
from sqlalchemy.orm import Session

from actions.store.models import ComplaintTicket, Customer, FailedProof
from actions.store.types import UtcDateTime
from bot.desk.models import Contact, Conversation, Handoff, Message, Rating
from bot.privacy import subjects, trackers
from bot.privacy.models import Consent
from bot.privacy.subjects import Subject
from bot.studio.models import KbInboxItem
from bot.tickets.models import Ticket, TicketEntry

ERASED = "[silindi]"
# Text files of the state folder that may hold what a shopper wrote: logs, the outage spool.
SCRUBBED_SUFFIXES = (".log", ".jsonl", ".txt")


def optout_key(email: str) -> str:
    """How an erased person's unsubscribe is kept: still honoured, no longer readable."""
    return "sha256:" + hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def anonymise_conversations(s: Session, conversation_ids: Iterable[str], now: datetime,
                            pseudonyms: Optional[Dict[int, int]] = None) -> Counter:
    """Removes what was said and who said it from these conversations; keeps the countable facts.

    A customer's number becomes a random negative pseudonym (the same for all their rows of this
    run, see `pseudonyms_for`), so reports still see one person's repeat contacts while nothing
    leads back to the customer. The conversation is ended: its session id never resumes."""
    ids = sorted(set(conversation_ids))
    counts: Counter = Counter()
    if not ids:
        return counts
    pseudonyms = pseudonyms if pseudonyms is not None else pseudonyms_for(s.execute(
        select(Conversation.customer_id).where(Conversation.id.in_(ids))).scalars())
    counts["messages"] = s.execute(update(Message).where(Message.conversation_id.in_(ids))
                                   .values(text="", quick_replies=[], data=None)).rowcount
    counts["conversations"] = s.execute(update(Conversation).where(Conversation.id.in_(ids))
                                        .values(signals=[], awaiting=None, anonymised_at=now,
                                                ended_at=func.coalesce(Conversation.ended_at,
                                                                       literal(now, UtcDateTime())))).rowcount
    counts["rating_comments"] = s.execute(update(Rating).where(Rating.conversation_id.in_(ids))
                                          .values(comment=None)).rowcount
    for real, pseudonym in pseudonyms.items():
        for model in (Conversation, Rating):
            id_column = model.id if model is Conversation else model.conversation_id
            s.execute(update(model).where(id_column.in_(ids), model.customer_id == real).values(customer_id=pseudonym))
    s.execute(update(Contact).where(Contact.conversation_id.in_(ids)).values(order_no=None))
    counts["handoff_notes"] = s.execute(update(Handoff).where(Handoff.conversation_id.in_(ids))
                                        .values(close_note=None, ticket_email=None)).rowcount
    s.execute(update(Consent).where(Consent.conversation_id.in_(ids)).values(customer_id=None))
    # Inbox items stay as counts for the reports, without the text; undecided ones leave the inbox.
    s.execute(update(KbInboxItem).where(KbInboxItem.conversation_id.in_(ids), KbInboxItem.status == "new")
              .values(status="dismissed"))
    counts["inbox_items"] = s.execute(update(KbInboxItem).where(KbInboxItem.conversation_id.in_(ids))
                                      .values(text=ERASED, group_key=ERASED, suggested_answer=None,
                                              conversation_id=None)).rowcount
    if inspect(s.get_bind()).has_table(ComplaintTicket.__tablename__):
        counts["complaints"] = s.execute(update(ComplaintTicket).where(ComplaintTicket.conversation_id.in_(ids))
                                         .values(text=ERASED, customer_id=None, order_no=None,
                                                 conversation_id=None)).rowcount
    if inspect(s.get_bind()).has_table(FailedProof.__tablename__):  # the address and the link to the order
        s.execute(update(FailedProof).where(FailedProof.conversation_id.in_(ids)).values(conversation_id=None, client=None))
    counts["rasa_events"] = trackers.delete_trackers(s, ids)
    if inspect(s.get_bind()).has_table(Ticket.__tablename__):
        counts += anonymise_tickets(s, s.execute(select(Ticket.id).where(Ticket.conversation_id.in_(ids))).scalars(),
                                    pseudonyms)
    return counts


def anonymise_tickets(s: Session, ticket_ids: Iterable[int], pseudonyms: Optional[Dict[int, int]] = None) -> Counter:
    """Removes the words and the identifiers of these tickets and their threads; keeps what reports
    count: dates, category, source, channel, status, owner, deadlines, the status history, the rating.

    The shopper's words, the address, the order, the e-mail thread's ids and the segments go; every
    entry's text goes (replies and notes speak of the person too), and the mail results (an SMTP
    error may quote the address). A customer's number becomes their pseudonym, as in their chats."""
    ids = sorted(set(ticket_ids))
    counts: Counter = Counter()
    if not ids:
        return counts
    pseudonyms = pseudonyms if pseudonyms is not None else pseudonyms_for(s.execute(
        select(Ticket.customer_id).where(Ticket.id.in_(ids))).scalars())
    counts["tickets"] = s.execute(update(Ticket).where(Ticket.id.in_(ids)).values(
        text="", email=None, order_no=None, last_message_id=None, segments=[])).rowcount
    for real, pseudonym in pseudonyms.items():
        s.execute(update(Ticket).where(Ticket.id.in_(ids), Ticket.customer_id == real).values(customer_id=pseudonym))
    counts["ticket_entries"] = s.execute(update(TicketEntry).where(TicketEntry.ticket_id.in_(ids))
                                         .values(text="", message_id=None)).rowcount
    # Events keep their data (what changed, which the reports read); other entries' data is the mail's result.
    s.execute(update(TicketEntry).where(TicketEntry.ticket_id.in_(ids), TicketEntry.kind != "event").values(data=None))
    return counts


def pseudonyms_for(customer_ids: Iterable[Optional[int]]) -> Dict[int, int]:
    return {customer_id: -(secrets.randbelow(2**31 - 2) + 1)
            for customer_id in set(customer_ids) if customer_id is not None and customer_id > 0}


def erase(s: Session, subject: Subject, now: datetime, state_dir: Path | None = None) -> Counter:
    """Erases one person everywhere; returns what was destroyed, per kind (no data). The caller
    commits, so a failure half-way changes nothing."""
    pseudonyms = pseudonyms_for(subject.customer_ids)
    counts = anonymise_conversations(s, subject.conversation_ids, now, pseudonyms)
    # Tickets without one of their chats (found by the customer's number or the address).
    counts += anonymise_tickets(s, [ticket.id for ticket in subjects.tickets_of(s, subject)
                                    if ticket.conversation_id not in subject.conversation_ids], pseudonyms)
    if subject.customer_ids:
        ids = sorted(subject.customer_ids)
        for real, pseudonym in pseudonyms.items():
            counts["rating_comments"] += s.execute(update(Rating).where(Rating.customer_id == real)
                                                   .values(comment=None, customer_id=pseudonym)).rowcount
        s.execute(update(Consent).where(Consent.customer_id.in_(ids)).values(customer_id=None))
        if inspect(s.get_bind()).has_table(ComplaintTicket.__tablename__):
            counts["complaints"] += s.execute(update(ComplaintTicket).where(ComplaintTicket.customer_id.in_(ids))
                                              .values(text=ERASED, customer_id=None, order_no=None,
                                                      conversation_id=None)).rowcount
        if inspect(s.get_bind()).has_table(Customer.__tablename__):
            # The customer record stays with the orders (kept by law); no more marketing to them.
            s.execute(update(Customer).where(Customer.id.in_(ids)).values(marketing_consent=False))
    for send in subjects.email_sends_of(s, subject):
        # The row stays so the follow-up is never sent twice; the address and the answer go.
        send.email, send.comment, send.customer_id = "", None, 0
        counts["email_sends"] += 1
    for optout in subjects.optouts_of(s, subject):
        optout.email = optout_key(optout.email)
        counts["email_optouts"] += 1
    if state_dir is not None:
        counts["file_lines"] = scrub_files(state_dir, subject.needles())
    return +counts


def scrub_files(state_dir: Path, needles: Iterable[str]) -> int:
    """Replaces the person's identifiers in the state folder's text files; returns changed lines."""
    patterns = [re.compile(re.escape(n), re.IGNORECASE) for n in needles if n]
    phones = {n for n in needles if n.isdigit()}
    if not patterns or not state_dir.exists():
        return 0
    changed = 0
    for path in state_dir.rglob("*"):
        if not path.is_file() or path.suffix not in SCRUBBED_SUFFIXES:
            continue
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
        result = []
        for line in lines:
            new = line
            for pattern in patterns:
                new = pattern.sub(ERASED, new)
            new = _scrub_spaced_phones(new, phones)
            changed += new != line
            result.append(new)
        if result != lines:
            path.write_text("".join(result), encoding="utf-8")
    return changed


def _scrub_spaced_phones(line: str, phones: Set[str]) -> str:
    """A phone number written with spaces or dashes (0532 123 45 67) is found by its digits."""
    if not phones:
        return line

    def replace(match: re.Match) -> str:
        return ERASED if subjects.phone_digits(match.group(0)) in phones else match.group(0)

    return re.sub(r"\+?\d[\d \-().]{8,}\d", replace, line)

