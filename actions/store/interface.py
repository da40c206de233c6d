"""What the actions need from a shop: plain records and a small interface.

The dialogue depends only on this module. `SqlStore` (actions/store/sql_store.py) implements it
on the demo database; a real shop platform can be plugged in with another implementation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import List, Optional, Protocol, Tuple


class StoreUnavailable(Exception):
    """The shop's data cannot be reached right now (the dialogue says so honestly)."""


class StoreRefused(Exception):
    """The shop refused a change, e.g. the order changed state meanwhile."""


@dataclass(frozen=True)
class Customer:
    id: int
    first_name: str
    email: str
    phone_last4: str


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    category: str
    quantity: int
    unit_price_kurus: int
    returnable: bool
    warranty_months: int


@dataclass(frozen=True)
class Shipment:
    carrier_name: str
    tracking_no: str
    tracking_url: str
    shipped_at: datetime
    delivered_at: Optional[datetime]


@dataclass(frozen=True)
class Return:
    rma_code: str
    order_no: str
    sku: str
    product_name: str
    quantity: int
    reason: str
    status: str
    opened_at: datetime
    return_cargo_code: Optional[str]
    refund_amount_kurus: Optional[int]


@dataclass(frozen=True)
class Order:
    order_no: str
    owner: Customer
    status: str
    placed_at: datetime
    total_kurus: int
    payment_method: str
    items: Tuple[Item, ...]
    shipment: Optional[Shipment]
    estimated_delivery: Optional[date]
    cancelled_at: Optional[datetime]
    returns: Tuple[Return, ...] = field(default=())

    def item(self, sku: str) -> Optional[Item]:
        return next((i for i in self.items if i.sku == sku), None)


@dataclass(frozen=True)
class FailureCount:
    """Failed ownership proofs matching a filter, and when the latest of them happened."""
    count: int
    last_at: Optional[datetime]


@dataclass(frozen=True)
class ProofAlert:
    """Many failed proofs for one order number from anywhere: someone may be targeting it."""
    order_no: str
    raised_at: datetime
    failures: int
    clients: int  # distinct clients (addresses, else conversations) among those failures


@dataclass(frozen=True)
class Complaint:
    reference: str
    category: str
    created_at: datetime
    respond_by: datetime


class Store(Protocol):
    def find_order(self, order_no: str) -> Optional[Order]: ...

    def customer(self, customer_id: int) -> Optional[Customer]: ...

    def customer_orders(self, customer_id: int, limit: int = 10) -> List[Order]: ...

    def find_return(self, rma_code: str) -> Optional[Return]: ...

    def open_return(self, order_no: str, sku: str, reason: str, now: datetime) -> Return: ...

    def cancel_order(self, order_no: str, now: datetime) -> Order: ...

    def record_failed_proof(self, order_no: str, now: datetime, conversation_id: str, client: str) -> None: ...

    def proof_failures(self, since: datetime, *, conversation_id: Optional[str] = None, order_no: Optional[str] = None,
                       client: Optional[str] = None) -> FailureCount:
        """Failures since `since` matching every filter given."""

    def raise_proof_alert(self, order_no: str, now: datetime, window: timedelta, threshold: int) -> Optional[ProofAlert]:
        """Stores and returns an alert when the order number has `threshold` failures within
        `window` and no alert within `window` yet (once per window, also between processes)."""

    def record_complaint(
        self, *, category: str, text: str, language: str, now: datetime,
        customer_id: Optional[int] = None, order_no: Optional[str] = None, conversation_id: Optional[str] = None,
    ) -> Complaint: ...
