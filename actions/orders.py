"""Order status and cancellation."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import context
from actions.access import OrderAccessValidation, answering, find_order, reset_flow, verified_order
from actions.flow import HUMAN_OFFERED_AFTER, end_with_error, flow_error, offer_human
from actions.presenters import items_summary, order_status
from actions.store.interface import Order, StoreRefused, StoreUnavailable
from actions.store.policy import can_cancel
from actions.texts import option_buttons, say
from bot.contract import REASON_STORE_UNAVAILABLE


class ValidateOrderStatusForm(OrderAccessValidation):
    def name(self) -> Text:
        return "validate_order_status_form"


class ActionOrderStatus(Action):
    def name(self) -> Text:
        return "action_order_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        if flow_error(tracker):
            return end_with_error(dispatcher, tracker, flow_error(tracker))
        order, error = find_order(tracker.get_slot("verified_order_no"))
        if error or order is None:
            return end_with_error(dispatcher, tracker, error or "verification_failed")
        language = context.language(tracker)
        dispatcher.utter_message(text=order_status(order, language, context.today()))
        if f"status_{order.status}" in HUMAN_OFFERED_AFTER:
            offer_human(dispatcher, language, order.status)
        return reset_flow()


class ValidateCancelForm(OrderAccessValidation):
    def name(self) -> Text:
        return "validate_cancel_form"

    def after_access(self, order: Optional[Order], tracker: Tracker) -> Dict[Text, Any]:
        decision = can_cancel(order) if order else None
        return {} if decision is None or decision.allowed else {"flow_error": decision.why}

    def extract_cancel_confirm(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> Dict[Text, Any]:
        return extract_yes_no(dispatcher, tracker, "cancel_confirm")


class ActionCancelOrder(Action):
    def name(self) -> Text:
        return "action_cancel_order"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        order_no = tracker.get_slot("verified_order_no")
        if flow_error(tracker):
            return end_with_error(dispatcher, tracker, flow_error(tracker), order_no=order_no)
        language = context.language(tracker)
        if not tracker.get_slot("cancel_confirm"):
            dispatcher.utter_message(text=say("cancel_kept", language, order_no=order_no))
            return reset_flow()
        try:
            context.store().cancel_order(order_no, context.now())
        except StoreUnavailable:
            return end_with_error(dispatcher, tracker, REASON_STORE_UNAVAILABLE)
        except StoreRefused:  # the order moved on meanwhile: explain with its state now
            order, _ = find_order(order_no)
            return end_with_error(dispatcher, tracker, can_cancel(order).why if order else REASON_STORE_UNAVAILABLE,
                                  order_no=order_no)
        dispatcher.utter_message(text=say("cancel_done", language, order_no=order_no))
        return reset_flow()


class ActionAskCancelConfirm(Action):
    def name(self) -> Text:
        return "action_ask_cancel_confirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        language = context.language(tracker)
        order, _ = verified_order(tracker)
        items = items_summary(order) if order else "-"
        dispatcher.utter_message(text=say("cancel_confirm", language, order_no=tracker.get_slot("order_no"), items=items),
                                 buttons=yes_no_buttons(language))
        return []


def yes_no_buttons(language: str) -> List[Dict[str, str]]:
    return option_buttons([{"tr": "Evet", "en": "Yes"}, {"tr": "Hayır", "en": "No"}], language)


def extract_yes_no(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str) -> Dict[Text, Any]:
    """affirm -> True, deny -> False; anything else is asked again with the buttons."""
    if tracker.get_slot("requested_slot") != slot:
        return {}
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent in ("affirm", "deny"):
        return {slot: intent == "affirm"}
    if not answering(tracker, slot):
        return {}
    language = context.language(tracker)
    dispatcher.utter_message(text=say("confirm_invalid", language))
    return {slot: None}
