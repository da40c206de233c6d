"""The part every order flow shares: which order, and is this shopper its owner?

Each form validation action of an order flow extends `OrderAccessValidation`. When a flow
cannot go on (a wait after failed proofs, store unreachable, the policy says no), it sets
`flow_error` to the key of the explanation and asks for no more slots, so the form ends and
the flow's final action explains it.

Failed proofs slow down the conversation and the client they come from (actions/verification.py),
never the order's owner elsewhere; many of them for one order number alert the agents through
a `proof_alert` signal that the bridge broadcasts (docs/live-chat.md).
"""
from __future__ import annotations

from abc import abstractmethod
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import context
from actions.store.interface import Order, StoreUnavailable
from actions.store.types import as_utc
from actions.texts import say
from actions.verification import (
    ALERT_FAILURES, ALERT_WINDOW, FAILURE_MEMORY, MAX_WAIT, describe_wait, owns, proof_from_text, wait_left,
)
from bot.contract import REASON_STORE_UNAVAILABLE, REASON_VERIFICATION_LOCKED, ProofAlert
from bot.patterns import ORDER_NO

# Intents that interrupt a form; rules answer them and return to the form or end it.
INTERRUPTIONS = ("faq", "stop", "request_human", "bot_challenge", "out_of_scope", "bot_misunderstood")
# Slots every order flow resets when it ends (verified_order_no stays: no second proof).
FLOW_SLOTS = ("order_no", "order_proof", "flow_error", "cancel_confirm", "return_item", "return_reason",
              "return_confirm", "return_key", "complaint_category", "complaint_text", "ticket_key")


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


# The shopper's address, added to the message metadata by the bridge (bot/desk/desk.py).
CLIENT_ADDRESS = "client_address"


def client_of(tracker: Tracker) -> str:
    """Who is guessing: the shopper's address when the bridge passed it, else the conversation."""
    address = (tracker.latest_message.get("metadata") or {}).get(CLIENT_ADDRESS)
    return address if isinstance(address, str) and address else tracker.sender_id


def proof_wait(tracker: Tracker, order_no: Optional[str]) -> timedelta:
    """How long this shopper waits before the next proof: the longer of their conversation's
    wait (failures on any order) and their client's wait for this order number. Counting per
    order for a client keeps shoppers who share an address (offices, mobile carriers) apart."""
    store, now = context.store(), context.now()
    since = now - FAILURE_MEMORY
    waits = [wait_left(store.proof_failures(since, conversation_id=tracker.sender_id), now)]
    if order_no:
        waits.append(wait_left(store.proof_failures(since, order_no=order_no, client=client_of(tracker)), now))
    return max(waits)


def proof_wait_text(tracker: Tracker, language: str) -> str:
    """The wait a flow that stopped for it tells the shopper (`REASON_VERIFICATION_LOCKED`)."""
    try:
        return describe_wait(proof_wait(tracker, tracker.get_slot("order_no")), language)
    except StoreUnavailable:
        return describe_wait(MAX_WAIT, language)  # at most this


def utc_iso(moment: datetime) -> str:
    """An aware moment as the bridge's protocols write times (ISO 8601, UTC, like bot/desk/store.iso)."""
    return as_utc(moment).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


# Slots that belong to one order: asked again when the shopper switches to another order.
ORDER_BOUND_SLOTS = ("order_proof", "cancel_confirm", "return_item", "return_reason", "return_confirm")


def find_order(order_no: Optional[str]) -> Tuple[Optional[Order], Optional[str]]:
    """The order, or the key of the text explaining why the store could not be asked."""
    if not order_no:
        return None, None
    try:
        return context.store().find_order(order_no), None
    except StoreUnavailable:
        return None, REASON_STORE_UNAVAILABLE


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
        match = ORDER_NO.fullmatch(str(value or "").strip().lstrip("#"))
        if not match:
            dispatcher.utter_message(text=say("order_no_invalid", language))
            return {"order_no": None}
        order_no = match.group("value")
        customer_id = context.token_customer(tracker)
        if has_access(tracker, order_no) or customer_id is not None:
            order, error = find_order(order_no)
            if error:
                return {"flow_error": error}
            if has_access(tracker, order_no) or (order is not None and order.owner.id == customer_id):
                return {"order_no": order_no, "verified_order_no": order_no, **self.after_access(order, tracker)}
        if self._waiting(tracker, order_no):
            # The number stays for the explanation, which tells the wait for this order.
            return {"order_no": order_no, "flow_error": REASON_VERIFICATION_LOCKED}
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
        if self._waiting(tracker, order_no):  # e.g. another conversation of this client failed meanwhile
            return {"order_proof": None, "flow_error": REASON_VERIFICATION_LOCKED}
        order, error = find_order(order_no)
        if error:
            return {"flow_error": error}
        if owns(order, value):
            return {"order_proof": value, "verified_order_no": order_no, **self.after_access(order, tracker)}
        try:
            self._record_failure(dispatcher, tracker, order_no or "")
            waiting = proof_wait(tracker, order_no) > timedelta(0)
        except StoreUnavailable:
            return {"flow_error": REASON_STORE_UNAVAILABLE}
        if waiting:
            return {"order_proof": None, "return_key": None, "flow_error": REASON_VERIFICATION_LOCKED}
        # Same words for an unknown order and a wrong proof: numbers cannot be probed.
        dispatcher.utter_message(text=say("verification_failed", context.language(tracker)))
        # Both the number and the proof may be wrong, so both are asked again.
        return {"order_proof": None, "order_no": None, "return_key": None}

    # --- hooks and helpers ---
    def after_access(self, order: Optional[Order], tracker: Tracker) -> Dict[Text, Any]:
        """Slots a flow sets once the shopper may see the order (e.g. a policy decision)."""
        return {}

    @staticmethod
    def _record_failure(dispatcher: CollectingDispatcher, tracker: Tracker, order_no: str) -> None:
        store, now = context.store(), context.now()
        store.record_failed_proof(order_no, now, tracker.sender_id, client_of(tracker))
        alert = store.raise_proof_alert(order_no, now, ALERT_WINDOW, ALERT_FAILURES)
        if alert is not None:  # for the bridge, which tells the agents; a shopper never sees it
            dispatcher.utter_message(json_message=ProofAlert(
                alert.order_no, alert.failures, alert.clients, window_minutes=int(ALERT_WINDOW.total_seconds() // 60),
                raised_at=utc_iso(alert.raised_at)).to_json())

    @staticmethod
    def _waiting(tracker: Tracker, order_no: Optional[str]) -> bool:
        try:
            return proof_wait(tracker, order_no) > timedelta(0)
        except StoreUnavailable:
            return False  # the look-up that follows reports the store honestly

    @classmethod
    def _locked(cls, tracker: Tracker) -> bool:
        """This conversation waits after its failed proofs, whatever the order (before the number is known)."""
        return cls._waiting(tracker, None)
