"""Tickets seen from the chat: the action server's ticket store, and "şikayetim ne oldu".

Whose tickets a shopper may see: those of the customer they proved to be (an order proven in
this conversation, or the storefront's signed customer token) and those opened in this same
conversation. A code that belongs to someone else gets the answer of an unknown code, so codes
cannot be probed. A shopper with neither proves an order first, as in the order flows
(`OrderAccessValidation`: the same proof, the same waits after failed proofs).
"""
from __future__ import annotations

import os
from functools import lru_cache
from typing import Any, Callable, Dict, List, Optional, Sequence, Text, Tuple, TypeVar

from alembic.util.exc import CommandError
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from actions import context
from actions.access import OrderAccessValidation, answering, has_access, reset_flow
from actions.flow import end_with_error, flow_error
from actions.store.database import engine_for
from actions.store.interface import StoreUnavailable
from actions.texts import (
    COMPLAINT_CATEGORIES, TICKET_STATUSES, TICKET_WAITING_IN_CHAT, format_due, format_moment, language_of, quick_reply,
    say,
)
from bot.contract import REASON_STORE_UNAVAILABLE, REASON_VERIFICATION_LOCKED
from bot.desk.models import DeskUser
from bot.desk.store import migrate as migrate_desk
from bot.patterns import ORDER_NO, ticket_code_in
from bot.tickets import setup
from bot.tickets.customer_texts import expected_answer, first_name
from bot.tickets.models import OPEN_STATUSES, Ticket
from bot.tickets.store import NewTicket, TicketStore

MINE = "mine"  # ticket_key of a shopper asking about their requests in general
MAX_LISTED = 3  # open tickets listed at once; the rest are counted

T = TypeVar("T")


@lru_cache(maxsize=1)
def ticket_store() -> TicketStore:
    """The tickets of the database the shop's store uses (actions/context.store()). Like every
    process that opens the desk's tables, it brings them up to date first: the assistant may run
    without a bridge having started yet (`make talk`, Rasa-only tests). A failure is not cached."""
    from bot.settings import get_settings

    settings = get_settings()
    engine = engine_for(os.environ.get("DATABASE_URL") or settings.store_database_url)
    migrate_desk(engine)
    return setup.ticket_store(settings, engine)


def with_tickets(work: Callable[[TicketStore], T]) -> T:
    """Runs `work` on the ticket store; a database that cannot be reached (or has no ticket
    tables yet) is `StoreUnavailable`, which the flows explain like the shop's own outages."""
    try:
        return work(ticket_store())
    except (SQLAlchemyError, CommandError) as error:
        raise StoreUnavailable(str(error)) from error


def proven_customer(tracker: Tracker) -> Optional[int]:
    """The customer this shopper proved to be: the storefront's token, else the owner of the order
    proven in this conversation. Raises StoreUnavailable."""
    customer_id = context.token_customer(tracker)
    if customer_id is not None:
        return customer_id
    order_no = tracker.get_slot("verified_order_no")
    if not order_no:
        return None
    order = context.store().find_order(order_no)
    return order.owner.id if order else None


def visible_tickets(tracker: Tracker, customer_id: Optional[int]) -> List[Ticket]:
    """The tickets this shopper may see, newest first."""
    return with_tickets(lambda store: store.of_customer(customer_id=customer_id, conversation_id=tracker.sender_id))


def open_ticket(new: NewTicket) -> Ticket:
    return with_tickets(lambda store: store.open(new, context.now()))


def follow_up_once(new: NewTicket) -> Tuple[Ticket, bool]:
    """(ticket, opened): the open ticket of the same source about `new.order_no` if there is one
    (a missed promise is followed once), else a new one."""
    def work(store: TicketStore) -> Tuple[Ticket, bool]:
        existing = [t for t in store.search(status="open_all", text=new.order_no)
                    if t.source == new.source and t.order_no == new.order_no]
        if existing:
            return existing[0], False
        return store.open(new, context.now()), True
    return with_tickets(work)


# --- what the shopper reads ------------------------------------------------------------------

def owner_first_name(store: TicketStore, owner_id: Optional[int]) -> Optional[str]:
    """Only the first name: shoppers never see an agent's full name or account."""
    if owner_id is None:
        return None
    with store.session() as s:
        name = s.execute(select(DeskUser.display_name).where(DeskUser.id == owner_id)).scalar()
    return first_name(name) or None


def category_label(category: str, language: str) -> str:
    return COMPLAINT_CATEGORIES.get(category, {}).get(language_of(language), category)


def status_text(ticket: Ticket, language: str) -> str:
    if ticket.status == "waiting" and not ticket.email:
        return TICKET_WAITING_IN_CHAT[language_of(language)]
    return TICKET_STATUSES.get(ticket.status, {}).get(language_of(language), ticket.status)


def describe(store: TicketStore, ticket: Ticket, language: str) -> str:
    """Status, what was done last, who handles it and when to expect an answer, in plain words."""
    parts = [say("ticket_headline", language, code=ticket.code, category=category_label(ticket.category, language),
                 status=status_text(ticket, language))]
    if ticket.status in OPEN_STATUSES:
        name = owner_first_name(store, ticket.owner_id)
        parts.append(say("ticket_owner", language, name=name) if name else say("ticket_unassigned", language))
    replies = [e for e in store.entries(ticket.id, public_only=True) if e.kind == "reply"]
    parts.append(say("ticket_last_reply", language, when=format_moment(replies[-1].created_at, language))
                 if replies else say("ticket_no_reply_yet", language))
    due = expected_answer(ticket)  # the same moment the customer's ticket page shows
    if due is not None:
        parts.append(say("ticket_overdue" if due < context.now() else "ticket_next_due", language,
                         due=format_due(due, language)))
    elif ticket.status in ("resolved", "closed") and ticket.resolved_at is not None:
        parts.append(say("ticket_resolved_at", language, when=format_moment(ticket.resolved_at, language)))
    if ticket.email and ticket.status in OPEN_STATUSES:
        parts.append(say("ticket_by_email", language))
    return " ".join(parts)


def answer_status(dispatcher: CollectingDispatcher, tracker: Tracker, key: Optional[str], language: str) -> None:
    """Answers about one ticket (by code), the tickets of an order, or all the shopper's own.
    Raises StoreUnavailable."""
    tickets = visible_tickets(tracker, proven_customer(tracker))
    code = ticket_code_in(key or "")
    if code:
        ticket = next((t for t in tickets if t.code == code), None)
        dispatcher.utter_message(text=with_tickets(lambda s: describe(s, ticket, language)) if ticket
                                 else say("ticket_not_found", language))
        return
    if key and ORDER_NO.fullmatch(key):
        tickets = [t for t in tickets if t.order_no == key] or tickets
    open_ones = [t for t in tickets if t.status in OPEN_STATUSES]
    if not tickets:
        dispatcher.utter_message(text=say("no_tickets", language))
    elif len(open_ones) > 1:
        dispatcher.utter_message(text=ticket_list(open_ones, language),
                                 buttons=[quick_reply(say("ticket_status_button", language, code=t.code))
                                          for t in open_ones[:MAX_LISTED]])
    else:
        ticket = open_ones[0] if open_ones else tickets[0]  # else the newest, resolved or closed
        dispatcher.utter_message(text=with_tickets(lambda s: describe(s, ticket, language)))


def ticket_list(tickets: Sequence[Ticket], language: str) -> str:
    lines = [f"• {t.code} ({category_label(t.category, language)}): {status_text(t, language)}"
             for t in tickets[:MAX_LISTED]]
    if len(tickets) > MAX_LISTED:
        lines.append(say("ticket_list_more", language, count=len(tickets) - MAX_LISTED))
    return say("ticket_list", language, count=len(tickets), lines="\n".join(lines))


# --- the ticket status flow --------------------------------------------------------------------

class ValidateTicketStatusForm(OrderAccessValidation):
    """ticket_key: a ticket code, an order number or MINE; then, only for a code this shopper may
    not see yet, the order proof that shows who they are."""

    def name(self) -> Text:
        return "validate_ticket_status_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        if tracker.slots.get("flow_error"):
            return []
        key = tracker.slots.get("ticket_key")
        if key is None or not self._needs_proof(tracker, key):
            return ["ticket_key"]
        slots = ["ticket_key", "order_no", "order_proof"]
        if has_access(tracker, tracker.slots.get("order_no")):
            slots.remove("order_proof")
        return slots

    def extract_ticket_key(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        text = tracker.latest_message.get("text") or ""
        code, current = ticket_code_in(text), tracker.get_slot("ticket_key")
        # The form's first turn reads the request afresh: nothing of an earlier, abandoned one counts.
        starting = tracker.get_slot("requested_slot") is None
        if code:
            return {} if code == current else {"ticket_key": code}
        if current and not starting:
            return {}
        if starting or answering(tracker, "ticket_key"):
            order = ORDER_NO.search(text)
            if order:
                return {"ticket_key": order.group("value")}
        if starting:
            return {"ticket_key": MINE if self._has_standing(tracker) else None}
        return {"ticket_key": text.strip()} if answering(tracker, "ticket_key") else {}

    def validate_ticket_key(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> Dict[Text, Any]:
        if value is None:
            return {"ticket_key": None}
        key = str(value).strip()
        if key == MINE:
            return {"ticket_key": MINE}
        code = ticket_code_in(key)
        if code:
            return {"ticket_key": code}
        order = ORDER_NO.fullmatch(key.lstrip("#"))
        if order:
            if self._locked(tracker):
                return {"flow_error": REASON_VERIFICATION_LOCKED}
            order_no = order.group("value")
            return {"ticket_key": order_no, **self.validate_order_no(order_no, dispatcher, tracker, domain)}
        dispatcher.utter_message(text=say("ticket_key_invalid", context.language(tracker)))
        return {"ticket_key": None}

    @staticmethod
    def _has_standing(tracker: Tracker) -> bool:
        """May see some tickets without another proof: a proven customer or tickets of this chat."""
        if context.token_customer(tracker) is not None or tracker.get_slot("verified_order_no"):
            return True
        try:
            return bool(visible_tickets(tracker, None))
        except StoreUnavailable:
            return True  # the answer then explains the outage instead of asking for a proof

    @staticmethod
    def _needs_proof(tracker: Tracker, key: str) -> bool:
        if key == MINE:
            return False
        if ORDER_NO.fullmatch(key):
            return True  # the order named is proven (or covered by the token) like in the order flows
        if context.token_customer(tracker) is not None or tracker.get_slot("verified_order_no"):
            return False  # a proven customer: the code is theirs or "not found"
        try:
            return key not in {t.code for t in visible_tickets(tracker, None)}
        except StoreUnavailable:
            return False  # the answer explains the outage


class ActionAskTicketKey(Action):
    def name(self) -> Text:
        return "action_ask_ticket_key"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=say("ask_ticket_key", context.language(tracker)))
        return []


class ActionAskTicketStatusFormOrderNo(Action):
    """The order number that proves who the shopper is (Rasa prefers this to action_ask_order_no
    inside ticket_status_form)."""

    def name(self) -> Text:
        return "action_ask_ticket_status_form_order_no"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=say("ask_ticket_proof_order", context.language(tracker)))
        return []


class ActionTicketStatus(Action):
    def name(self) -> Text:
        return "action_ticket_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        done = [SlotSet("ticket_key", None)]
        if flow_error(tracker):
            return end_with_error(dispatcher, tracker, flow_error(tracker)) + done
        key = tracker.get_slot("ticket_key")
        if key and ORDER_NO.fullmatch(key) and not has_access(tracker, key):
            return end_with_error(dispatcher, tracker, "verification_failed") + done
        try:
            answer_status(dispatcher, tracker, key, context.language(tracker))
        except StoreUnavailable:
            return end_with_error(dispatcher, tracker, REASON_STORE_UNAVAILABLE) + done
        return reset_flow() + done
