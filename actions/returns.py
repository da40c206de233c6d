"""Return requests (order → item → reason → confirmation) and return status."""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import context, tickets
from actions.access import OrderAccessValidation, answering, find_order, has_access, reset_flow, verified_order
from actions.flow import end_with_error, flow_error, offer_human
from actions.orders import extract_yes_no, yes_no_buttons
from actions.presenters import return_stage
from actions.store.interface import Order, Return, StoreRefused, StoreUnavailable
from actions.store.policy import (
    NON_RETURNABLE_CATEGORIES, OPEN_RETURN_STATUSES, RETURN_REASONS, STORE_FAULT_REASONS, can_return_item,
    can_return_order, expected_refund_by, return_deadline,
)
from actions.texts import (
    RETURN_REASON_LABELS, RETURN_STAGES, format_date, format_day_on, format_due, format_money, label_key, option_buttons,
    quick_reply, say,
)
from bot.contract import REASON_STORE_UNAVAILABLE, REASON_VERIFICATION_LOCKED, TicketOpened
from bot.patterns import ORDER_NO, RMA_CODE
from bot.text import fold_words
from bot.tickets.store import NewTicket

# How shoppers name each reason, folded (no Turkish letters, lower case). Checked in this
# order: the shopper's own reasons first, so "yanlış beden aldım" is a size, not a wrong item.
REASON_WORDS = {
    "beden_uymadi": r"beden|renk|kucuk geldi|buyuk geldi|dar geldi|bol geldi|uymadi|wrong size|too (small|big)|"
                    r"does ?n.?t fit|colou?r",
    "vazgectim": r"vazgectim|fikrimi degistirdim|begenmedim|istemiyorum artik|changed my mind|do ?n.?t want",
    "hasarli_urun": r"hasar|kirik|ezik|catlak|yirtik|damaged|broken|crushed",
    "yanlis_urun": r"yanlis urun|farkli urun|baska urun|yanlis gel|wrong item|wrong product",
    "eksik_urun": r"eksik|parca yok|missing",
    "ayipli_urun": r"kusur|ariza|bozuk|calismiyor|ayipli|defect|faulty|not working|does ?n.?t work",
}
NEGATION = re.compile(r"\b(degil|yok|not|no)\b")


def reason_from_text(text: str) -> Optional[str]:
    labelled = label_key(text, RETURN_REASON_LABELS)
    if labelled:
        return labelled
    folded = fold_words(text)
    if NEGATION.search(folded) and not re.search(REASON_WORDS["ayipli_urun"], folded):
        return None  # "hasarlı değil ama..." : ask with the buttons rather than guess
    for reason, pattern in REASON_WORDS.items():
        if re.search(pattern, folded):
            return reason
    return None


def needs_button_choice(item, reason: str, text: str) -> bool:
    """A store-fault reason opens a return for a non-returnable item: only from a tapped or
    typed option label, never from a guessed keyword."""
    non_returnable = not item.returnable or item.category in NON_RETURNABLE_CATEGORIES
    return non_returnable and reason in STORE_FAULT_REASONS and label_key(text, RETURN_REASON_LABELS) is None


def item_from_text(order: Order, text: str) -> Optional[str]:
    """The sku of the item the shopper means: by its name (or part of it) or its position."""
    folded = fold_words(text)
    position = re.fullmatch(r"(\d)\.?", folded)
    if position and 1 <= int(position.group(1)) <= len(order.items):
        return order.items[int(position.group(1)) - 1].sku
    for item in order.items:
        name = fold_words(item.name)
        if folded and (folded in name or name in folded or folded == item.sku.lower()):
            return item.sku
    return None


class ValidateReturnForm(OrderAccessValidation):
    def name(self) -> Text:
        return "validate_return_form"

    def after_access(self, order: Optional[Order], tracker: Tracker) -> Dict[Text, Any]:
        if order is None:
            return {}
        decision = can_return_order(order, context.today())
        return {} if decision.allowed else {"flow_error": decision.why}

    def extract_return_item(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "return_item":
            return {}
        text = tracker.latest_message.get("text") or ""
        order, _ = verified_order(tracker)
        # A tapped item button counts whatever NLU made of the words; other text only when
        # it is not an interruption (a question, "vazgeç").
        if (order and item_from_text(order, text)) or answering(tracker, "return_item"):
            return {"return_item": text}
        return {}

    def validate_return_item(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> Dict[Text, Any]:
        order, error = verified_order(tracker)
        if error or order is None:
            return {"flow_error": error or "verification_failed"}
        sku = item_from_text(order, str(value))
        if sku is None:
            dispatcher.utter_message(text=say("return_item_invalid", context.language(tracker)))
            return {"return_item": None}
        decision = can_return_item(order, order.item(sku), reason=None, today=context.today())
        # Whether a non-returnable item may go back depends on the reason, asked next.
        if not decision.allowed and decision.why != "return_non_returnable":
            return {"return_item": sku, "flow_error": decision.why}
        return {"return_item": sku}

    def extract_return_reason(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "return_reason":
            return {}
        reason = reason_from_text(tracker.latest_message.get("text") or "")
        if reason is None and not answering(tracker, "return_reason"):
            return {}  # an interruption (a question, "vazgeç"): the rules handle it
        return {"return_reason": reason or "unknown"}

    def validate_return_reason(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> Dict[Text, Any]:
        if value not in RETURN_REASONS:
            dispatcher.utter_message(text=say("return_reason_invalid", context.language(tracker)))
            return {"return_reason": None}
        order, error = verified_order(tracker)
        item = order.item(tracker.get_slot("return_item") or "") if order else None
        if error or item is None:
            return {"flow_error": error or "verification_failed"}
        if needs_button_choice(item, value, tracker.latest_message.get("text") or ""):
            dispatcher.utter_message(text=say("return_reason_invalid", context.language(tracker)))
            return {"return_reason": None}
        decision = can_return_item(order, item, value, context.today())
        return {"return_reason": value} if decision.allowed else {"return_reason": value, "flow_error": decision.why}

    def extract_return_confirm(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return extract_yes_no(dispatcher, tracker, "return_confirm")


def _explain_values(order: Optional[Order], sku: Optional[str], language: str) -> Dict[str, Any]:
    item = order.item(sku) if order and sku else None
    open_return = next((r for r in order.returns if r.sku == sku), None) if order else None
    return dict(
        order_no=order.order_no if order else "-", product=item.name if item else "-",
        category=item.category if item else "-", return_deadline=format_date(return_deadline(order), language) if order else "-",
        rma_code=open_return.rma_code if open_return else "-",
    )


class ActionOpenReturn(Action):
    def name(self) -> Text:
        return "action_open_return"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        language = context.language(tracker)
        order_no, sku = tracker.get_slot("verified_order_no"), tracker.get_slot("return_item")
        order, error = find_order(order_no)
        if flow_error(tracker) or error:
            return end_with_error(dispatcher, tracker, flow_error(tracker) or error, **_explain_values(order, sku, language))
        if not tracker.get_slot("return_confirm"):
            dispatcher.utter_message(text=say("return_kept", language))
            return reset_flow()
        try:
            opened = context.store().open_return(order_no, sku, tracker.get_slot("return_reason"), context.now())
        except StoreUnavailable:
            return end_with_error(dispatcher, tracker, REASON_STORE_UNAVAILABLE)
        except StoreRefused:
            order, _ = find_order(order_no)
            return end_with_error(dispatcher, tracker, "return_already_open", **_explain_values(order, sku, language))
        dispatcher.utter_message(text=say(
            "return_created", language, rma_code=opened.rma_code, cargo_code=opened.return_cargo_code,
            refund_by=format_date(expected_refund_by(opened.opened_at), language),
            amount=format_money(opened.refund_amount_kurus, language),
        ))
        return reset_flow()


class ActionAskReturnItem(Action):
    def name(self) -> Text:
        return "action_ask_return_item"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        order, _ = verified_order(tracker)
        buttons = [quick_reply(i.name) for i in order.items] if order else []
        dispatcher.utter_message(text=say("ask_return_item", context.language(tracker)), buttons=buttons)
        return []


class ActionAskReturnReason(Action):
    def name(self) -> Text:
        return "action_ask_return_reason"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        language = context.language(tracker)
        dispatcher.utter_message(text=say("ask_return_reason", language),
                                 buttons=option_buttons(RETURN_REASON_LABELS.values(), language))
        return []


class ActionAskReturnConfirm(Action):
    def name(self) -> Text:
        return "action_ask_return_confirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        language = context.language(tracker)
        order, _ = verified_order(tracker)
        item = order.item(tracker.get_slot("return_item")) if order else None
        reason = RETURN_REASON_LABELS.get(tracker.get_slot("return_reason"), {}).get(language, "-")
        dispatcher.utter_message(text=say("return_confirm", language, product=item.name if item else "-", reason=reason),
                                 buttons=yes_no_buttons(language))
        return []


# --- return status ---

class ValidateReturnStatusForm(OrderAccessValidation):
    """Asks for a return code or an order number, then for proof of owning that order."""

    def name(self) -> Text:
        return "validate_return_status_form"

    def extract_return_key(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("return_key"):
            return {}
        text = tracker.latest_message.get("text") or ""
        rma, order_no = RMA_CODE.search(text), ORDER_NO.search(text)
        if rma:
            return {"return_key": f"IADE-{rma.group('number')}"}
        if order_no:
            return {"return_key": order_no.group("value")}
        return {"return_key": text.strip()} if answering(tracker, "return_key") else {}

    def validate_return_key(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> Dict[Text, Any]:
        if self._locked(tracker):
            return {"flow_error": REASON_VERIFICATION_LOCKED}
        key = str(value or "")
        if ORDER_NO.fullmatch(key):
            order_no = key
        elif key.startswith("IADE-"):
            try:
                found = context.store().find_return(key)
            except StoreUnavailable:
                return {"flow_error": REASON_STORE_UNAVAILABLE}
            # An unknown code goes on to the proof step and fails there, like an unknown order.
            order_no = found.order_no if found else "000000"
        else:
            dispatcher.utter_message(text=say("return_key_invalid", context.language(tracker)))
            return {"return_key": None}
        return {"return_key": key, **self.validate_order_no(order_no, dispatcher, tracker, domain)}


class ActionReturnStatus(Action):
    def name(self) -> Text:
        return "action_return_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        if flow_error(tracker):
            return end_with_error(dispatcher, tracker, flow_error(tracker))
        language = context.language(tracker)
        order_no, key = tracker.get_slot("verified_order_no"), tracker.get_slot("return_key") or ""
        order, error = find_order(order_no)
        if error or order is None or not has_access(tracker, order_no):
            return end_with_error(dispatcher, tracker, error or "verification_failed")
        returns = [r for r in order.returns if not key.startswith("IADE-") or r.rma_code == key]
        if not returns:
            dispatcher.utter_message(text=say("no_returns_on_order", language, order_no=order_no))
            return reset_flow()
        today = context.today()
        for ret in returns:
            dispatcher.utter_message(text=return_stage(ret, language) + refund_outlook(ret, today, language))
        late = [ret for ret in returns if refund_missed(ret, today)]
        if late:
            follow_missed_refund(dispatcher, tracker, order, late, language)
        return reset_flow()


# --- refunds past the promised date ----------------------------------------------------------

WAITING_FOR_THE_SHOPPER = "acildi"  # the item was not sent yet: the refund date counts from its arrival


def refund_missed(ret: Return, today: date) -> bool:
    """The refund date told to the shopper passed while the return was still in our hands."""
    return (ret.status in OPEN_RETURN_STATUSES and ret.status != WAITING_FOR_THE_SHOPPER
            and today > expected_refund_by(ret.opened_at))


def refund_outlook(ret: Return, today: date, language: str) -> str:
    """What the status line adds about the money: the date, or honestly that it has passed."""
    if ret.status not in OPEN_RETURN_STATUSES:
        return ""
    refund_by = expected_refund_by(ret.opened_at)
    if today <= refund_by:
        return say("refund_expected", language, refund_by=format_date(refund_by, language))
    if ret.status == WAITING_FOR_THE_SHOPPER:
        return say("refund_after_arrival", language)
    return say("refund_overdue", language, promised=format_day_on(refund_by, language))


def follow_missed_refund(dispatcher: CollectingDispatcher, tracker: Tracker, order: Order, late: List[Return],
                         language: str) -> None:
    """A missed refund date becomes a ticket by itself, once per order while it is open."""
    items = "; ".join(say("missed_refund_item", language, rma_code=r.rma_code, product=r.product_name,
                          stage=RETURN_STAGES.get(r.status, {}).get(language, r.status),
                          refund_by=format_date(expected_refund_by(r.opened_at), language)) for r in late)
    try:
        ticket, opened = tickets.follow_up_once(NewTicket(
            source="missed_promise", category="iade", language=language,
            text=say("missed_refund_ticket", language, returns=items), customer_id=order.owner.id,
            email=order.owner.email or None, conversation_id=tracker.sender_id, order_no=order.order_no))
    except StoreUnavailable:
        dispatcher.utter_message(text=say("refund_followup_failed", language))
        offer_human(dispatcher, language, REASON_STORE_UNAVAILABLE)
        return
    if opened:
        dispatcher.utter_message(text=say("refund_followup_opened", language, code=ticket.code,
                                          due=format_due(ticket.first_response_due, language)))
        dispatcher.utter_message(json_message=TicketOpened(ticket.code).to_json())
    else:
        dispatcher.utter_message(text=say("refund_followup_exists", language, code=ticket.code))
