import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from actions.store.database import make_engine, make_sessionmaker
from actions.store.models import Order, OrderItem, ReturnRequest
from actions.store.seed import DEMO_STORE, seed

DATA = json.loads(Path(DEMO_STORE).read_text(encoding="utf-8"))


def test_seed_loads_the_demo_store_and_can_be_re_run(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    first = seed(engine)
    second = seed(engine)
    items = sum(len(o["items"]) for o in DATA["orders"])
    expected = {"customers": len(DATA["customers"]), "orders": len(DATA["orders"]), "order_items": items,
                "return_requests": len(DATA["returns"])}
    assert {k: first.counts[k] for k in expected} == expected
    assert second.counts == first.counts and second.anchor == first.anchor


def test_day_offsets_become_dates_from_the_anchor(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    report = seed(engine)
    delivered = DATA["edge_cases"]["delivered_within_return_window"]
    source = next(o for o in DATA["orders"] if o["order_no"] == delivered)
    with make_sessionmaker(engine)() as session:
        order = session.get(Order, delivered)
        assert order.shipment.delivered_at == report.anchor - timedelta(days=source["delivered_days_ago"])
        assert session.scalar(select(func.count()).select_from(ReturnRequest)) == len(DATA["returns"])
        assert session.scalar(select(func.count()).select_from(OrderItem).where(OrderItem.order_no == delivered)) == len(source["items"])


def test_reset_moves_the_anchor(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    first = seed(engine)
    assert seed(engine, reset=True).anchor >= first.anchor


def test_re_seeding_keeps_what_happened_since(tmp_path):
    from actions.store.sql_store import SqlStore

    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    report = seed(engine)
    store = SqlStore(make_sessionmaker(engine))
    order_no = DATA["edge_cases"]["preparing_cancellable"]
    store.cancel_order(order_no, report.anchor)
    seed(engine)
    assert store.find_order(order_no).status == "iptal_edildi"
    seed(engine, reset=True)
    assert store.find_order(order_no).status == "hazirlaniyor"
