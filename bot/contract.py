"""The contract between the custom actions and the bridge: every signal, button payload and
status name that crosses that border is spelled here once.

The actions send signals as Rasa custom JSON (`dispatcher.utter_message(json_message=...)`);
the bridge reads them back into the typed classes below. Renaming anything here changes both
sides at once. This module imports nothing of the project (both sides import it).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Union

# --- order statuses the bridge reasons about (the shop's own names) ----------------------------
ORDER_DELIVERED = "teslim_edildi"

# --- the "talk to a person" button -------------------------------------------------------------
HUMAN_BUTTON = {"tr": "Müşteri temsilcisiyle görüşmek istiyorum", "en": "I want to talk to an agent"}
HUMAN_BUTTON_PAYLOADS = frozenset(HUMAN_BUTTON.values())

# --- why the assistant hands over ------------------------------------------------------------
REASON_REQUESTED = "requested"
REASON_REPEATED_FALLBACK = "repeated_fallback"
REASON_ASSISTANT_FAILED = "assistant_failed"          # an action raised or the action server is down
REASON_VERIFICATION_LOCKED = "verification_locked"    # too many failed order proofs
REASON_STORE_UNAVAILABLE = "store_unavailable"        # the shop's database does not answer
# Offers after which a person takes over without asking the shopper again.
ESCALATING_OFFERS = frozenset({REASON_REPEATED_FALLBACK, REASON_ASSISTANT_FAILED,
                               REASON_VERIFICATION_LOCKED, REASON_STORE_UNAVAILABLE})


@dataclass(frozen=True)
class HandoffRequest:
    """The shopper asked for a person: the bridge queues them."""
    reason: str = REASON_REQUESTED
    key = "handoff_request"

    def to_json(self) -> Dict[str, Any]:
        return {self.key: {"reason": self.reason}}


@dataclass(frozen=True)
class HandoffOffer:
    """The assistant offers a person; an escalating reason means the bridge hands over at once."""
    reason: str
    key = "handoff_offer"

    @property
    def escalating(self) -> bool:
        return self.reason in ESCALATING_OFFERS

    def to_json(self) -> Dict[str, Any]:
        return {self.key: {"reason": self.reason}}


@dataclass(frozen=True)
class Fallback:
    """The assistant did not understand the message."""
    count: int = 1
    key = "fallback"

    def to_json(self) -> Dict[str, Any]:
        return {self.key: {"count": self.count}}


@dataclass(frozen=True)
class ComplaintRecorded:
    reference: str
    category: str
    key = "complaint"

    def to_json(self) -> Dict[str, Any]:
        return {self.key: {"reference": self.reference, "category": self.category}}


@dataclass(frozen=True)
class TicketOpened:
    """The action server opened a ticket that is not a complaint (a missed refund date): the
    bridge finds its owner and sends the acknowledgement, as for complaints."""
    code: str
    key = "ticket_opened"

    def to_json(self) -> Dict[str, Any]:
        return {self.key: {"code": self.code}}


@dataclass(frozen=True)
class ProofAlert:
    """Someone keeps guessing the proof of one order: agents are alerted."""
    order_no: str
    failures: int
    clients: int
    window_minutes: int
    raised_at: str  # ISO 8601, UTC
    key = "proof_alert"

    def to_json(self) -> Dict[str, Any]:
        return {self.key: {"order_no": self.order_no, "failures": self.failures, "clients": self.clients,
                           "window_minutes": self.window_minutes, "raised_at": self.raised_at}}

    def fields(self) -> Dict[str, Any]:
        return self.to_json()[self.key]


@dataclass(frozen=True)
class NluReading:
    """What the model read (added by bot/channels.py for the bridge's reports, not shown)."""
    reading: Dict[str, Any]
    key = "nlu"

    def to_json(self) -> Dict[str, Any]:
        return {self.key: self.reading}


Signal = Union[HandoffRequest, HandoffOffer, Fallback, ComplaintRecorded, TicketOpened, ProofAlert, NluReading]
SIGNAL_TYPES = (HandoffRequest, HandoffOffer, Fallback, ComplaintRecorded, TicketOpened, ProofAlert, NluReading)


def _text(body: Dict[str, Any], name: str) -> str:
    """A field that must be a non-empty string (a reference, an order number)."""
    value = body[name]
    if not isinstance(value, str) or not value:
        raise ValueError(name)
    return value


def read_signal(custom: Any) -> Optional[Signal]:
    """A custom JSON payload as its typed signal; None for anything else (a card, a malformed one)."""
    if not isinstance(custom, dict) or len(custom) != 1:
        return None
    (key, body), = custom.items()
    if not isinstance(body, dict):
        return None
    try:
        if key == HandoffRequest.key:
            return HandoffRequest(str(body.get("reason") or REASON_REQUESTED))
        if key == HandoffOffer.key:
            return HandoffOffer(str(body.get("reason") or ""))
        if key == Fallback.key:
            return Fallback(int(body.get("count", 1)))
        if key == ComplaintRecorded.key:
            return ComplaintRecorded(_text(body, "reference"), str(body.get("category") or ""))
        if key == TicketOpened.key:
            return TicketOpened(_text(body, "code"))
        if key == ProofAlert.key:
            return ProofAlert(_text(body, "order_no"), int(body["failures"]), int(body["clients"]),
                              int(body.get("window_minutes", 0)), str(body.get("raised_at", "")))
        if key == NluReading.key:
            return NluReading(body)
    except (KeyError, TypeError, ValueError):
        return None
    return None
