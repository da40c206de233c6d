import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select

from actions.store.database import make_engine, make_sessionmaker
from actions.store.models import Order, OrderItem, ReturnRequest, StoreMeta
from actions.store.migrate import upgrade
from actions.store.seed import ANCHOR_KEY, DEMO_STORE, seed

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


def test_reset_moves_the_anchor_to_now_and_the_dates_with_it(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    long_ago = datetime(2020, 3, 1, 9, 30, tzinfo=timezone.utc)  # as if the demo store had been loaded then
    with make_sessionmaker(engine).begin() as session:
        session.merge(StoreMeta(key=ANCHOR_KEY, value=long_ago.isoformat()))
    delivered = DATA["edge_cases"]["delivered_within_return_window"]
    source = next(o for o in DATA["orders"] if o["order_no"] == delivered)

    def dates():
        with make_sessionmaker(engine)() as session:
            order = session.get(Order, delivered)
            return order.placed_at, order.shipment.delivered_at

    def expected(anchor):
        return anchor - timedelta(days=source["placed_days_ago"]), anchor - timedelta(days=source["delivered_days_ago"])

    assert seed(engine).anchor == long_ago and seed(engine).anchor == long_ago  # re-runs keep the stored anchor
    assert dates() == expected(long_ago)

    started = datetime.now(timezone.utc).replace(microsecond=0)
    report = seed(engine, reset=True)
    assert started <= report.anchor <= datetime.now(timezone.utc)
    assert seed(engine).anchor == report.anchor  # the new anchor is the stored one from now on
    assert dates() == expected(report.anchor)


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
