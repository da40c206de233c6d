"""What an agent sees about the shopper: the verified customer, their orders, returns, complaints.

A read model over the shop's store interface (actions/store/interface.py), so a real shop platform
plugged in there shows up here too. The bridge only learns who the shopper is once they proved
it: an order they verified in the conversation (Rasa's `verified_order_no` slot) or the
storefront's signed customer token. A shop that does not answer never stops the chat: the
methods answer "unknown" instead.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, List, Optional

from sqlalchemy.orm import sessionmaker

from actions.store.interface import Customer, Order, Store, StoreUnavailable
from actions.texts import format_money
from actions.verification import ALERT_WINDOW
from bot import contract
from bot.desk.segments import SegmentRules, segments_of
from bot.desk.store import iso, utcnow
from bot.privacy.masking import mask_phone
from bot.tickets.models import OPEN_STATUSES

EMPTY_CONTEXT = {"customer": None, "orders": [], "returns": [], "complaints": []}
PANEL_ORDERS = 20  # the latest orders beside a chat


class CustomerDirectory:
    def __init__(self, shop: Store, tickets: Any = None, rules: SegmentRules = SegmentRules()):
        self.shop = shop
        self.tickets = tickets  # bot/tickets/store.TicketStore: the customer's complaints and other tickets
        self.rules = rules

    def segments(self, customer_id: Optional[int]) -> List[str]:
        """vip / open_ticket / recent_return (bot/desk/segments.py); none for an unknown shopper."""
        if customer_id is None:
            return []
        try:
            orders = self.shop.customer_orders(customer_id, limit=200)
        except StoreUnavailable:
            return []
        open_tickets = sum(1 for t in self._tickets(customer_id) if t.status in OPEN_STATUSES)
        return segments_of(orders, open_tickets, utcnow(), self.rules)

    def _tickets(self, customer_id: int) -> list:
        return self.tickets.of_customer(customer_id=customer_id) if self.tickets is not None else []

    @property
    def session(self) -> sessionmaker:
        """The SQL store's sessions, for bot/privacy/consent.py and shopper_choices.py until they
        write through `set_marketing_consent`; only an SQL store has them."""
        return self.shop.sessions  # type: ignore[attr-defined]

    def customer_of_order(self, order_no: Optional[str]) -> Optional[int]:
        order = self._order(order_no)
        return order.owner.id if order else None

    def order_status(self, order_no: Optional[str]) -> Optional[str]:
        order = self._order(order_no)
        return order.status if order else None

    def _order(self, order_no: Optional[str]) -> Optional[Order]:
        if not order_no:
            return None
        try:
            return self.shop.find_order(str(order_no))
        except StoreUnavailable:  # the store is down: the chat goes on without it
            return None

    def _customer(self, customer_id: Optional[int]) -> Optional[Customer]:
        if customer_id is None:
            return None
        try:
            return self.shop.customer(customer_id)
        except StoreUnavailable:
            return None

    def name(self, customer_id: Optional[int]) -> Optional[str]:
        customer = self._customer(customer_id)
        return customer.full_name if customer else None

    def email(self, customer_id: Optional[int]) -> Optional[str]:
        customer = self._customer(customer_id)
        return customer.email if customer else None

    def set_marketing_consent(self, customer_id: int, granted: bool) -> bool:
        """The shopper's marketing choice on their customer record; False when it could not be written."""
        try:
            return self.shop.set_marketing_consent(customer_id, granted)
        except StoreUnavailable:
            return False

    def context(self, customer_id: Optional[int]) -> Dict[str, Any]:
        if customer_id is None:
            return dict(EMPTY_CONTEXT)
        try:
            return self._context(customer_id)
        except StoreUnavailable:  # the store is down: the agent still gets the chat
            return dict(EMPTY_CONTEXT, unavailable=True)

    def _context(self, customer_id: int) -> Dict[str, Any]:
        customer = self.shop.customer(customer_id)
        if customer is None:
            return dict(EMPTY_CONTEXT)
        orders = self.shop.customer_orders(customer_id, limit=PANEL_ORDERS)
        returns = sorted((r for order in orders for r in order.returns), key=lambda r: r.opened_at, reverse=True)
        tickets = self._tickets(customer_id)
        # Agents never see a phone number in full (KVKK): its last digits are enough to check a proof.
        return {
            "customer": {"id": customer.id, "name": customer.full_name, "email": customer.email,
                         "phone_masked": mask_phone(customer.phone, keep=4), "phone_last4": customer.phone_last4,
                         "city": customer.city},
            "orders": [{"order_no": o.order_no, "status": o.status, "total": format_money(o.total_kurus, "tr"),
                        "placed_at": iso(o.placed_at)} for o in orders],
            "returns": [{"rma_code": r.rma_code, "order_no": r.order_no, "status": r.status,
                         "opened_at": iso(r.opened_at)} for r in returns],
            "complaints": self._complaints(customer_id, tickets),
            "segments": segments_of(orders, sum(1 for t in tickets if t.status in OPEN_STATUSES), utcnow(), self.rules),
        }

    def _complaints(self, customer_id: int, tickets: list) -> List[Dict[str, Any]]:
        """The customer's tickets (complaints and the rest); a shop without tickets beside it: its own records."""
        if self.tickets is None:
            return [{"reference": c.reference, "category": c.category, "status": c.status,
                     "created_at": iso(c.created_at)} for c in self.shop.customer_complaints(customer_id)]
        return [{"reference": t.code, "ticket_id": t.id, "category": t.category, "status": t.status,
                 "source": t.source, "created_at": iso(t.created_at)} for t in tickets]

    def recent_proof_alerts(self, since: timedelta = timedelta(hours=1)) -> List[Dict[str, Any]]:
        """Targeted-order alerts of the last hour, shaped like the live `alert` event, for an agent
        who logs in after one was raised."""
        try:
            alerts = self.shop.proof_alerts_since(utcnow() - since)
        except StoreUnavailable:
            return []
        window_minutes = int(ALERT_WINDOW.total_seconds() // 60)
        events = []
        for alert in alerts:
            raised_at = iso(alert.raised_at)
            signal = contract.ProofAlert(alert.order_no, alert.failures, alert.clients, window_minutes, raised_at)
            events.append({"kind": signal.key, **signal.fields()})
        return events
