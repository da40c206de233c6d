"""The part every order flow shares: which order, and is this shopper its owner?

Each form validation action of an order flow extends `OrderAccessValidation`. When a flow
cannot go on (look-ups paused, store unreachable, the policy says no), it sets `flow_error`
to the key of the explanation and asks for no more slots, so the form ends and the flow's
final action explains it.
"""
from __future__ import annotations

from abc import abstractmethod
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import context
from actions.store.interface import Order, StoreUnavailable
from actions.texts import say
from actions.verification import LOCKOUT, MAX_FAILURES, MAX_FAILURES_PER_ORDER, is_locked, owns, proof_from_text
from bot.patterns import ORDER_NO

# Intents that interrupt a form; rules answer them and return to the form or end it.
INTERRUPTIONS = ("faq", "stop", "request_human", "bot_challenge", "out_of_scope", "bot_misunderstood")
# Slots every order flow resets when it ends (verified_order_no stays: no second proof).
FLOW_SLOTS = ("order_no", "order_proof", "flow_error", "cancel_confirm", "return_item", "return_reason",
              "return_confirm", "return_key", "complaint_category", "complaint_text")


def reset_flow() -> List[Dict[Text, Any]]:
    return [SlotSet(slot, None) for slot in FLOW_SLOTS]


def answering(tracker: Tracker, slot: str) -> bool:
    """The shopper's last message is meant as the answer to `slot` (not an interruption)."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    return tracker.get_slot("requested_slot") == slot and intent not in INTERRUPTIONS


def has_access(tracker: Tracker, order_no: Optional[str]) -> bool:
    return bool(order_no) and tracker.get_slot("verified_order_no") == order_no


def verified_order(tracker: Tracker) -> Tuple[Optional[Order], Optional[str]]:
    """The order of this flow, only if the shopper proved to own it (else None)."""
    order_no = tracker.get_slot("order_no")
    return find_order(order_no) if has_access(tracker, order_no) else (None, None)


# Slots that belong to one order: asked again when the shopper switches to another order.
ORDER_BOUND_SLOTS = ("order_proof", "cancel_confirm", "return_item", "return_reason", "return_confirm")


def find_order(order_no: Optional[str]) -> Tuple[Optional[Order], Optional[str]]:
    """The order, or the key of the text explaining why the store could not be asked."""
    if not order_no:
        return None, None
    try:
        return context.store().find_order(order_no), None
    except StoreUnavailable:
        return None, "store_unavailable"


class OrderAccessValidation(FormValidationAction):
    """Asks for the order number and a proof of ownership; skips the proof when already given
    in this conversation or when the storefront's customer token covers the order."""

    @abstractmethod
    def name(self) -> Text:
        """Each flow's form has its own validation action (`validate_<form>`)."""

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        if tracker.slots.get("flow_error"):
            return []
        slots = list(domain_slots)
        if "order_proof" in slots and has_access(tracker, tracker.slots.get("order_no")):
            slots.remove("order_proof")
        return slots

    # --- order number ---
    def extract_order_no(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if not answering(tracker, "order_no") or tracker.slots.get("order_no"):
            return {}
        match = ORDER_NO.search(tracker.latest_message.get("text") or "")
        # Anything else is kept as written so that validation can explain what is expected.
        return {"order_no": match.group("value") if match else (tracker.latest_message.get("text") or "").strip()}

    def validate_order_no(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: DomainDict) -> Dict[Text, Any]:
        language = context.language(tracker)
        if self._locked(tracker):
            return {"flow_error": "verification_locked"}
        match = ORDER_NO.fullmatch(str(value or "").strip().lstrip("#"))
        if not match:
            dispatcher.utter_message(text=say("order_no_invalid", language))
            return {"order_no": None}
        order_no = match.group("value")
        if self._order_locked(order_no):
            return {"flow_error": "verification_locked"}
        customer_id = context.token_customer(tracker)
        if has_access(tracker, order_no) or customer_id is not None:
            order, error = find_order(order_no)
            if error:
                return {"flow_error": error}
            if has_access(tracker, order_no) or (order is not None and order.owner.id == customer_id):
                return {"order_no": order_no, "verified_order_no": order_no, **self.after_access(order, tracker)}
        # A new (unproven) order: nothing proven or chosen for another order carries over.
        return {"order_no": order_no, **{slot: None for slot in ORDER_BOUND_SLOTS}}

    # --- proof of ownership ---
    def extract_order_proof(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if not answering(tracker, "order_proof"):
            return {}
        proof = proof_from_text(tracker.latest_message.get("text") or "")
        if proof is None:
            dispatcher.utter_message(text=say("proof_invalid", context.language(tracker)))
            return {"order_proof": None}
        return {"order_proof": proof}

    def validate_order_proof(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> Dict[Text, Any]:
        if value is None:
            return {"order_proof": None}
        order_no = tracker.slots.get("order_no")
        order, error = find_order(order_no)
        if error:
            return {"flow_error": error}
        if owns(order, value):
            return {"order_proof": value, "verified_order_no": order_no, "verification_failures": 0,
                    **self.after_access(order, tracker)}
        failures = int(tracker.slots.get("verification_failures") or 0) + 1
        try:
            context.store().record_failed_proof(order_no or "", context.now())
        except StoreUnavailable:
            return {"flow_error": "store_unavailable"}
        # Both the number and the proof may be wrong, so both are asked again.
        result: Dict[Text, Any] = {"order_proof": None, "order_no": None, "return_key": None,
                                   "verification_failures": failures, "last_failure_at": context.now().timestamp()}
        if failures >= MAX_FAILURES or self._order_locked(order_no):
            result["flow_error"] = "verification_locked"
        else:
            # Same words for an unknown order and a wrong proof: numbers cannot be probed.
            dispatcher.utter_message(text=say("verification_failed", context.language(tracker)))
        return result

    # --- hooks and helpers ---
    def after_access(self, order: Optional[Order], tracker: Tracker) -> Dict[Text, Any]:
        """Slots a flow sets once the shopper may see the order (e.g. a policy decision)."""
        return {}

    @staticmethod
    def _order_locked(order_no: Optional[str]) -> bool:
        if not order_no:
            return False
        try:
            recent = context.store().failed_proofs_since(order_no, context.now() - LOCKOUT)
        except StoreUnavailable:
            return False  # the look-up that follows reports the store honestly
        return recent >= MAX_FAILURES_PER_ORDER

    @staticmethod
    def _locked(tracker: Tracker) -> bool:
        return is_locked(int(tracker.slots.get("verification_failures") or 0), tracker.slots.get("last_failure_at"),
                         context.now())
