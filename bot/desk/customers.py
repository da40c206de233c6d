"""What an agent sees about the shopper: the verified customer, their orders, returns, complaints.

A read model over the store's tables (actions/store/models.py). The bridge only learns who the
shopper is once they proved it: an order they verified in the conversation (Rasa's
`verified_order_no` slot) or the storefront's signed customer token.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from actions.store.database import make_engine, make_sessionmaker
from actions.store.models import ComplaintTicket, Customer, Order, ProofAlert, ReturnRequest
from actions.verification import ALERT_WINDOW
from actions.texts import format_money
from bot.desk.store import iso
from bot.privacy.masking import mask_phone

EMPTY_CONTEXT = {"customer": None, "orders": [], "returns": [], "complaints": []}


class CustomerDirectory:
    def __init__(self, url: str):
        self.session = make_sessionmaker(make_engine(url))

    def customer_of_order(self, order_no: Optional[str]) -> Optional[int]:
        return self._of_order(order_no, Order.customer_id)

    def order_status(self, order_no: Optional[str]) -> Optional[str]:
        return self._of_order(order_no, Order.status)

    def _of_order(self, order_no: Optional[str], column) -> Any:
        if not order_no:
            return None
        try:
            with self.session() as s:
                return s.execute(select(column).where(Order.order_no == str(order_no))).scalar_one_or_none()
        except SQLAlchemyError:  # the store is down: the chat goes on without it
            return None

    def name(self, customer_id: Optional[int]) -> Optional[str]:
        if customer_id is None:
            return None
        try:
            with self.session() as s:
                customer = s.get(Customer, customer_id)
                return f"{customer.first_name} {customer.last_name}" if customer else None
        except SQLAlchemyError:
            return None

    def email(self, customer_id: Optional[int]) -> Optional[str]:
        try:
            with self.session() as s:
                customer = s.get(Customer, customer_id) if customer_id is not None else None
                return customer.email if customer else None
        except SQLAlchemyError:
            return None

    def context(self, customer_id: Optional[int]) -> Dict[str, Any]:
        if customer_id is None:
            return dict(EMPTY_CONTEXT)
        try:
            return self._context(customer_id)
        except SQLAlchemyError:  # the store is down: the agent still gets the chat
            return dict(EMPTY_CONTEXT, unavailable=True)

    def _context(self, customer_id: int) -> Dict[str, Any]:
        with self.session() as s:
            customer = s.get(Customer, customer_id)
            if customer is None:
                return dict(EMPTY_CONTEXT)
            orders = s.execute(select(Order).where(Order.customer_id == customer_id)
                               .order_by(Order.placed_at.desc()).limit(20)).scalars().all()
            order_nos = [order.order_no for order in orders]
            returns = s.execute(select(ReturnRequest).where(ReturnRequest.order_no.in_(order_nos))
                                .order_by(ReturnRequest.opened_at.desc())).scalars().all() if order_nos else []
            complaints = s.execute(select(ComplaintTicket).where(ComplaintTicket.customer_id == customer_id)
                                   .order_by(ComplaintTicket.created_at.desc())).scalars().all()
            # Agents never see a phone number in full (KVKK): its last digits are enough to check a proof.
            return {
                "customer": {"id": customer.id, "name": f"{customer.first_name} {customer.last_name}",
                             "email": customer.email, "phone_masked": mask_phone(customer.phone, keep=4),
                             "phone_last4": "".join(ch for ch in customer.phone if ch.isdigit())[-4:], "city": customer.city},
                "orders": [{"order_no": o.order_no, "status": o.status, "total": format_money(o.total_kurus, "tr"),
                            "placed_at": iso(o.placed_at)} for o in orders],
                "returns": [{"rma_code": r.rma_code, "order_no": r.order_no, "status": r.status,
                             "opened_at": iso(r.opened_at)} for r in returns],
                "complaints": [{"reference": c.reference, "category": c.category, "status": c.status,
                                "created_at": iso(c.created_at)} for c in complaints],
            }

    def recent_proof_alerts(self, since: timedelta = timedelta(hours=1)) -> List[Dict[str, Any]]:
        """Targeted-order alerts of the last hour, shaped like the live `alert` event, for an agent
        who logs in after one was raised (the store keeps naive local times)."""
        try:
            with self.session() as s:
                rows = s.execute(select(ProofAlert).where(ProofAlert.raised_at >= datetime.now() - since)
                                 .order_by(ProofAlert.raised_at)).scalars().all()
        except SQLAlchemyError:
            return []
        return [{"kind": "proof_alert", "order_no": row.order_no, "failures": row.failures, "clients": row.clients,
                 "window_minutes": int(ALERT_WINDOW.total_seconds() // 60),
                 "raised_at": iso(row.raised_at.astimezone(timezone.utc).replace(tzinfo=None))} for row in rows]

