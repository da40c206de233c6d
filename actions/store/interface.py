"""What the actions and the bridge need from a shop: plain records and a small interface.

The dialogue depends only on this module, and so does the bridge (bot/desk/customers.py, the
follow-up e-mails). `SqlStore` (actions/store/sql_store.py) implements it on the demo database;
a real shop platform can be plugged in with another implementation. Every method raises
`StoreUnavailable` when the shop cannot be reached. Every `datetime` in and out is aware UTC
(actions/store/types.py); a `date` is a calendar day in Istanbul.
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
    # What the support desk shows an agent (a shop that does not know them leaves them empty).
    last_name: str = ""
    phone: str = ""  # as the shop keeps it: the desk masks it before an agent sees it
    city: str = ""
    marketing_consent: bool = False  # may the shop e-mail them (follow-ups after delivery)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


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
    status: str


@dataclass(frozen=True)
class Delivery:
    """A delivered order (still delivered: not returned or cancelled since) and whom to write to."""
    order_no: str
    customer_id: int
    first_name: str
    email: str
    marketing_consent: bool
    delivered_at: datetime


class Store(Protocol):
    def find_order(self, order_no: str) -> Optional[Order]: ...

    def customer(self, customer_id: int) -> Optional[Customer]: ...

    def customer_orders(self, customer_id: int, limit: int = 10) -> List[Order]:
        """The customer's latest orders, newest first."""

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

    # --- what the bridge reads (and the one choice it writes) ---
    def customer_complaints(self, customer_id: int) -> List[Complaint]:
        """The customer's complaints recorded before tickets (bot/tickets/), newest first. Complaints
        are tickets now (actions/complaints.py): nothing writes these any more."""

    def proof_alerts_since(self, since: datetime) -> List[ProofAlert]:
        """Alerts raised at `since` or later, oldest first."""

    def delivered_orders(self, delivered_from: datetime, delivered_until: datetime) -> List[Delivery]:
        """Orders delivered within [delivered_from, delivered_until] and still delivered, oldest
        delivery first (then by order number)."""

    def set_marketing_consent(self, customer_id: int, granted: bool) -> bool:
        """Records the customer's marketing choice; False when there is no such customer."""
