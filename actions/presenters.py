"""Turns store records into what the shopper reads (plain functions, tested without Rasa)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Iterable, Optional, Union

from actions.store.interface import Order, Return
from actions.store.policy import return_deadline
from actions.store.types import shop_date
from actions.texts import RETURN_STAGES, format_date, language_of, say
from bot.contract import ORDER_DELIVERED


def return_stage(ret: Return, language: Optional[str]) -> str:
    stage = RETURN_STAGES.get(ret.status, {"tr": ret.status, "en": ret.status})[language_of(language)]
    return say("return_stage", language, rma_code=ret.rma_code, product=ret.product_name, stage=stage)


def returns_summary(returns: Iterable[Return], language: Optional[str]) -> str:
    return "; ".join(return_stage(r, language) for r in returns) or "-"


def order_status(order: Order, language: Optional[str], today: Union[date, datetime]) -> str:
    """The order's state in the shopper's words; its dates are Istanbul days (format_date), and
    `today` is the shop's day (a moment counts as its day in Istanbul)."""
    shipment = order.shipment
    deadline = return_deadline(order)
    values = dict(
        order_no=order.order_no,
        estimated=format_date(order.estimated_delivery, language),
        cancelled=format_date(order.cancelled_at, language),
        returns=returns_summary(order.returns, language),
        return_deadline=format_date(deadline, language),
        carrier=shipment.carrier_name if shipment else "-",
        tracking_no=shipment.tracking_no if shipment else "-",
        tracking_url=shipment.tracking_url if shipment else "-",
        shipped=format_date(shipment.shipped_at if shipment else None, language),
        delivered=format_date(shipment.delivered_at if shipment else None, language),
    )
    key = f"status_{order.status}"
    if order.status == ORDER_DELIVERED and deadline is not None and shop_date(today) > deadline:
        key += "_window_passed"
    return say(key, language, **values)


def items_summary(order: Order) -> str:
    return ", ".join(f"{i.quantity} x {i.name}" if i.quantity > 1 else i.name for i in order.items)


def order_button_title(order: Order, language: Optional[str]) -> str:
    first = order.items[0].name if order.items else ""
    more = len(order.items) - 1
    suffix = (f" +{more}" if more else "")
    return f"{order.order_no} · {format_date(order.placed_at, language)} · {first}{suffix}"
