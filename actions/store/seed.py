"""Loads the demo store (`data/demo_store.json`) into the store database.

The demo data gives dates as day offsets. They are resolved against an anchor moment that is
stored with the data. The offsets count the shop's days: "3 days ago" is the same Istanbul wall
clock time three calendar days earlier, stored (like every time) as UTC (actions/store/types.py);
the anchor is stored with its offset. Re-running the seed only adds rows that are missing: it
never duplicates anything and never undoes what happened since (a cancelled order stays cancelled);
`reset=True` deletes the demo rows and starts over with "now" as the new anchor.
"""
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Dict, Optional

from sqlalchemy import delete, func, inspect, select
from sqlalchemy.engine import Engine

from actions.store.database import make_sessionmaker
from actions.store.models import (
    Carrier, ComplaintTicket, Customer, Order, OrderItem, Product, ReturnRequest, Shipment, StoreMeta,
)
from actions.store.migrate import upgrade
from actions.store.types import UTC, as_utc, from_shop_wall_clock, shop_local, utcnow

DEMO_STORE = Path(__file__).resolve().parents[2] / "data" / "demo_store.json"
ANCHOR_KEY = "demo_anchor"


@dataclass
class SeedReport:
    anchor: datetime  # aware UTC
    counts: Dict[str, int]


def kurus(amount: float) -> int:
    return int(round(amount * 100))


def _ago(anchor: datetime, days: Optional[int]) -> Optional[datetime]:
    """`days` shop days before the anchor, at the same Istanbul wall-clock time, as aware UTC."""
    if days is None:
        return None
    # Arithmetic on an aware datetime moves its wall clock; astimezone then applies the zone's
    # offset of the day reached (which differed from the anchor's in the summer-time years).
    return (shop_local(anchor) - timedelta(days=days)).astimezone(UTC)


def _day(anchor: datetime, days_ahead: int) -> date:
    """The Istanbul calendar day `days_ahead` days after the anchor's (negative: before)."""
    return shop_local(anchor).date() + timedelta(days=days_ahead)


def _add_missing(session, row) -> None:
    key = tuple(inspect(row).mapper.primary_key_from_instance(row))
    if session.get(type(row), key) is None:
        session.add(row)


def read_anchor(value: str) -> datetime:
    """The stored anchor as aware UTC. It is written with its offset (`...+00:00`); a value
    without one is from before times were UTC and is the shop's wall clock (Istanbul)."""
    anchor = datetime.fromisoformat(value)
    return from_shop_wall_clock(anchor) if anchor.tzinfo is None else as_utc(anchor)


def _current_anchor(session, reset: bool) -> datetime:
    row = session.get(StoreMeta, ANCHOR_KEY)
    if row and not reset:
        return read_anchor(row.value)
    anchor = utcnow().replace(microsecond=0)
    session.merge(StoreMeta(key=ANCHOR_KEY, value=anchor.isoformat()))
    session.flush()
    return anchor


def seed(engine: Engine, reset: bool = False, source: Path = DEMO_STORE) -> SeedReport:
    data: Dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    upgrade(engine)
    with make_sessionmaker(engine).begin() as session:
        if reset:
            for table in (ComplaintTicket, ReturnRequest, Shipment, OrderItem, Order, Customer, Product, Carrier):
                session.execute(delete(table))
        anchor = _current_anchor(session, reset)
        for carrier in data["carriers"]:
            _add_missing(session, Carrier(**carrier))
        session.flush()
        for p in data["products"]:
            _add_missing(session, Product(sku=p["sku"], name=p["name"], category=p["category"], price_kurus=kurus(p["price"]),
                                  returnable=p["returnable"], warranty_months=p["warranty_months"]))
        for c in data["customers"]:
            _add_missing(session, Customer(
                id=c["id"], first_name=c["first_name"], last_name=c["last_name"], email=c["email"].lower(),
                phone=c["phone"], city=c["city"], member_since=_day(anchor, -c["member_since_days_ago"]),
                marketing_consent=c["marketing_consent"],
            ))
        session.flush()
        for o in data["orders"]:
            estimated = o["estimated_delivery_in_days"]
            _add_missing(session, Order(
                order_no=o["order_no"], customer_id=o["customer_id"], status=o["status"],
                subtotal_kurus=kurus(o["subtotal"]), shipping_fee_kurus=kurus(o["shipping_fee"]),
                total_kurus=kurus(o["total"]),
                payment_method=o["payment_method"], installments=o["installments"],
                shipping_city=o["shipping_city"], invoice_no=o["invoice_no"],
                placed_at=_ago(anchor, o["placed_days_ago"]),
                estimated_delivery=None if estimated is None else _day(anchor, estimated),
                cancelled_at=_ago(anchor, o["cancelled_days_ago"]),
            ))
            if o["carrier"]:
                _add_missing(session, Shipment(
                    order_no=o["order_no"], carrier_code=o["carrier"], tracking_no=o["tracking_no"],
                    shipped_at=_ago(anchor, o["shipped_days_ago"]), delivered_at=_ago(anchor, o["delivered_days_ago"]),
                ))
            session.flush()
            existing = set(session.scalars(select(OrderItem.sku).where(OrderItem.order_no == o["order_no"])))
            for item in o["items"]:
                if item["sku"] not in existing:
                    session.add(OrderItem(order_no=o["order_no"], sku=item["sku"], quantity=item["quantity"],
                                          unit_price_kurus=kurus(item["unit_price"])))
        session.flush()
        for r in data["returns"]:
            _add_missing(session, ReturnRequest(
                rma_code=r["rma_code"], order_no=r["order_no"], sku=r["sku"], quantity=r["quantity"],
                reason=r["reason"], status=r["status"], opened_at=_ago(anchor, r["opened_days_ago"]),
                return_cargo_code=r["return_cargo_code"], refund_amount_kurus=None if r["refund_amount"] is None else kurus(r["refund_amount"]),
            ))
        session.flush()
        counts = {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (Customer, Product, Carrier, Order, OrderItem, Shipment, ReturnRequest)
        }
    return SeedReport(anchor, counts)
