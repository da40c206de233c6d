"""The demo store as the history sees it: customers, their orders and returns, read once.

Plain values (no ORM objects), so the planners can run without a session. What an order looked
like at a moment of the history (`order_state`) follows from its dates: an order delivered today
was "in transit" in a chat three days ago.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Dict, List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from actions.store.models import Carrier, Customer, Order, OrderItem, ReturnRequest, Shipment
from actions.store.policy import OPEN_RETURN_STATUSES, expected_refund_by
from actions.store.types import shop_date
from bot.contract import ORDER_DELIVERED

RETURN_WINDOW_DAYS = 14
WAITING_FOR_THE_SHOPPER = "acildi"  # the item was not sent yet: the refund date counts from its arrival


@dataclass(frozen=True)
class ShopReturn:
    rma_code: str
    order_no: str
    product: str
    reason: str
    status: str
    opened_at: datetime
    cargo_code: Optional[str]
    refund_kurus: Optional[int]

    @property
    def open(self) -> bool:
        return self.status in OPEN_RETURN_STATUSES

    @property
    def refund_by(self) -> date:
        """The day the assistant promised the refund by when the return was opened."""
        return expected_refund_by(self.opened_at)

    def refund_late(self, moment: datetime) -> bool:
        """The promised day passed while the return was in the shop's hands (actions/returns.py's rule)."""
        return self.open and self.status != WAITING_FOR_THE_SHOPPER and shop_date(moment) > self.refund_by


@dataclass(frozen=True)
class ShopOrder:
    order_no: str
    customer_id: int
    status: str
    placed_at: datetime
    estimated_delivery: Optional[date]
    cancelled_at: Optional[datetime]
    shipped_at: Optional[datetime]
    delivered_at: Optional[datetime]
    carrier: Optional[str]
    tracking_no: Optional[str]
    tracking_url: Optional[str]
    items: Tuple[str, ...]  # product names

    def state_at(self, moment: datetime) -> str:
        """The store's status the order had at `moment` (its current one for what has no date)."""
        if self.cancelled_at is not None and self.cancelled_at <= moment:
            return "iptal_edildi"
        if self.delivered_at is not None and self.delivered_at <= moment:
            return self.status if self.status.startswith("iade") else ORDER_DELIVERED
        if self.shipped_at is not None and self.shipped_at <= moment:
            failed = self.status == "teslim_edilemedi" and moment - self.shipped_at > timedelta(days=2)
            return "teslim_edilemedi" if failed else "kargoya_verildi"
        return "odeme_bekleniyor" if self.status == "odeme_bekleniyor" else "hazirlaniyor"


@dataclass(frozen=True)
class ShopCustomer:
    id: int
    first_name: str
    email: str
    phone_last4: str
    marketing_consent: bool


@dataclass
class Shop:
    customers: List[ShopCustomer]
    orders: Dict[str, ShopOrder]
    returns: List[ShopReturn]
    orders_of: Dict[int, List[ShopOrder]] = field(default_factory=dict)
    returns_of: Dict[str, List[ShopReturn]] = field(default_factory=dict)  # by order number

    def customer(self, customer_id: int) -> ShopCustomer:
        return next(c for c in self.customers if c.id == customer_id)

    def orders_before(self, customer_id: int, moment: datetime) -> List[ShopOrder]:
        return [o for o in self.orders_of.get(customer_id, []) if o.placed_at < moment]

    def returns_before(self, customer_id: int, moment: datetime) -> List[ShopReturn]:
        return [r for o in self.orders_before(customer_id, moment) for r in self.returns_of.get(o.order_no, [])
                if r.opened_at < moment]

    def delivered_between(self, start: datetime, end: datetime) -> List[ShopOrder]:
        return sorted((o for o in self.orders.values() if o.delivered_at is not None and start <= o.delivered_at < end),
                      key=lambda o: (o.delivered_at, o.order_no))


def return_deadline(order: ShopOrder) -> Optional[datetime]:
    return order.delivered_at + timedelta(days=RETURN_WINDOW_DAYS) if order.delivered_at else None


def load_shop(session: Session) -> Shop:
    """Everything the history needs from the shop, in a stable order (so the same data gives the same history)."""
    customers = [ShopCustomer(c.id, c.first_name, c.email, "".join(ch for ch in c.phone if ch.isdigit())[-4:],
                              bool(c.marketing_consent))
                 for c in session.execute(select(Customer).order_by(Customer.id)).scalars()]
    carriers = {c.code: c for c in session.execute(select(Carrier)).scalars()}
    orders: Dict[str, ShopOrder] = {}
    query = select(Order).options(selectinload(Order.items).selectinload(OrderItem.product),
                                  selectinload(Order.shipment)).order_by(Order.order_no)
    for order in session.execute(query).scalars():
        shipment: Optional[Shipment] = order.shipment
        carrier = carriers.get(shipment.carrier_code) if shipment else None
        orders[order.order_no] = ShopOrder(
            order.order_no, order.customer_id, order.status, order.placed_at, order.estimated_delivery,
            order.cancelled_at, shipment.shipped_at if shipment else None, shipment.delivered_at if shipment else None,
            carrier.name if carrier else None, shipment.tracking_no if shipment else None,
            carrier.tracking_url.format(tracking_no=shipment.tracking_no) if carrier else None,
            tuple(item.product.name for item in order.items))
    returns = [ShopReturn(r.rma_code, r.order_no, r.product.name, r.reason, r.status, r.opened_at,
                          r.return_cargo_code, r.refund_amount_kurus)
               for r in session.execute(select(ReturnRequest).options(selectinload(ReturnRequest.product))
                                            .order_by(ReturnRequest.rma_code)).scalars()]
    shop = Shop(customers, orders, returns)
    for order in orders.values():
        shop.orders_of.setdefault(order.customer_id, []).append(order)
    for item in returns:
        shop.returns_of.setdefault(item.order_no, []).append(item)
    return shop
