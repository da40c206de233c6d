"""The store's rules for cancellations and returns, as plain functions tests call without Rasa.

The numbers come from the `policies` of data/demo_store.json, the same facts the knowledge base
states, so an answer and a decision can never disagree.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Optional, Union

from actions.store.interface import Item, Order
from actions.store.types import shop_date
from bot.contract import ORDER_DELIVERED

_POLICIES = json.loads((Path(__file__).resolve().parents[2] / "data" / "demo_store.json").read_text(encoding="utf-8"))["policies"]

RETURN_WINDOW_DAYS: int = _POLICIES["return_policy"]["window_days"]
NON_RETURNABLE_CATEGORIES = frozenset(_POLICIES["return_policy"]["non_returnable_categories"])
REFUND_WITHIN_DAYS: int = _POLICIES["refund_time"]["refund_within_days"]
BANK_DAYS: str = _POLICIES["refund_time"]["bank_days"]

CANCELLABLE_STATUSES = ("hazirlaniyor", "odeme_bekleniyor")
# Reasons that are the store's fault: they override the non-returnable categories.
STORE_FAULT_REASONS = ("hasarli_urun", "yanlis_urun", "eksik_urun", "ayipli_urun")
RETURN_REASONS = ("hasarli_urun", "yanlis_urun", "eksik_urun", "beden_uymadi", "vazgectim", "ayipli_urun")
OPEN_RETURN_STATUSES = ("acildi", "kargo_bekleniyor", "depoya_ulasti", "inceleniyor", "onaylandi")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    why: str  # a key of actions/texts.py that explains the decision


def can_cancel(order: Order) -> Decision:
    if order.status in CANCELLABLE_STATUSES:
        return Decision(True, "cancel_possible")
    explanations = {
        "kargoya_verildi": "cancel_shipped", "dagitimda": "cancel_shipped", "teslim_edilemedi": "cancel_shipped",
        ORDER_DELIVERED: "cancel_delivered", "iptal_edildi": "cancel_already", "iade_surecinde": "cancel_in_return",
        "iade_edildi": "cancel_in_return",
    }
    return Decision(False, explanations.get(order.status, "cancel_shipped"))


def return_deadline(order: Order) -> Optional[date]:
    """The last day of the return window: RETURN_WINDOW_DAYS calendar days in Istanbul after the
    day of delivery (delivered at 23:30 Istanbul on the 1st, 14 days: until the 15th)."""
    if order.shipment is None or order.shipment.delivered_at is None:
        return None
    return shop_date(order.shipment.delivered_at) + timedelta(days=RETURN_WINDOW_DAYS)


def can_return_order(order: Order, today: Union[date, datetime]) -> Decision:
    """Whether any item of the order may still be returned (before asking which one).

    `today` is the shop's calendar day (actions/context.today); a moment counts as its Istanbul day."""
    if order.status in ("iptal_edildi",):
        return Decision(False, "return_cancelled_order")
    deadline = return_deadline(order)
    if deadline is None:
        return Decision(False, "return_not_delivered")
    if shop_date(today) > deadline:
        return Decision(False, "return_window_passed")
    return Decision(True, "return_possible")


def can_return_item(order: Order, item: Item, reason: Optional[str], today: Union[date, datetime]) -> Decision:
    if any(r.sku == item.sku and r.status in OPEN_RETURN_STATUSES for r in order.returns):
        return Decision(False, "return_already_open")
    whole_order = can_return_order(order, today)
    if not whole_order.allowed:
        return whole_order
    store_fault = reason in STORE_FAULT_REASONS
    if (not item.returnable or item.category in NON_RETURNABLE_CATEGORIES) and not store_fault:
        return Decision(False, "return_non_returnable")
    return Decision(True, "return_possible")


def expected_refund_by(opened_at: datetime) -> date:
    """Latest day (in Istanbul) the refund is started if the parcel reaches us within a week of opening."""
    return shop_date(opened_at) + timedelta(days=7 + REFUND_WITHIN_DAYS)
