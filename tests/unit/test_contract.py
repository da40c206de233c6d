"""The contract between the actions and the bridge (bot/contract.py), and the shop as the bridge
reads it: only through the store interface (actions/store/interface.py), on one engine per database.
"""
import ast
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from actions.store import interface as api
from actions.store import models as db
from actions.store.database import engine_for, make_engine
from actions.store.sql_store import SqlStore
from bot import contract
from bot.contract import (
    ESCALATING_OFFERS, HUMAN_BUTTON, HUMAN_BUTTON_PAYLOADS, ORDER_DELIVERED, SIGNAL_TYPES, ComplaintRecorded, Fallback,
    HandoffOffer, HandoffRequest, NluReading, ProofAlert, TicketOpened, read_signal,
)
from bot.desk.customers import CustomerDirectory
from bot.desk.store import DeskStore
from bot.followup.job import select_candidates
from bot.settings import Settings
from tests.conftest import DEMO, EDGE, demo_customer

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONTRACT = PROJECT_ROOT / "bot" / "contract.py"
# Every module of both sides but the contract itself (migrations keep the names they were written with).
SOURCES = sorted(path for side in ("actions", "bot") for path in (PROJECT_ROOT / side).rglob("*.py")
                 if path != CONTRACT and "migrations" not in path.parts)
# Where the signals are sent from: the action server and the REST channel inside Rasa.
SENDING_SIDE = sorted((PROJECT_ROOT / "actions").rglob("*.py")) + [PROJECT_ROOT / "bot" / "channels.py"]


def relative(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT))


def syntax(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


# --- the signals -------------------------------------------------------------------------------

SAMPLES = [
    HandoffRequest(), HandoffRequest("frustration"), HandoffOffer(contract.REASON_REPEATED_FALLBACK),
    HandoffOffer("return_window_passed"), Fallback(), Fallback(2), ComplaintRecorded("SKT-2024-000012", "kargo"), TicketOpened("DST-2026-000045"),
    ProofAlert("400142", failures=5, clients=3, window_minutes=15, raised_at="2024-05-01T10:00:00.000Z"),
    NluReading({"intent": "faq/shipping_cost", "confidence": 0.97, "topic_confidence": 0.99}),
]


def test_the_samples_cover_every_signal():
    assert {type(signal) for signal in SAMPLES} == set(SIGNAL_TYPES)


@pytest.mark.parametrize("signal", SAMPLES, ids=repr)
def test_every_signal_survives_the_trip_through_json(signal):
    sent = json.loads(json.dumps(signal.to_json()))  # as Rasa's custom payload travels
    assert read_signal(sent) == signal
    assert list(sent) == [signal.key]


def test_only_the_escalating_reasons_hand_over_at_once():
    assert all(HandoffOffer(reason).escalating for reason in ESCALATING_OFFERS)
    assert not HandoffOffer("return_window_passed").escalating and not HandoffOffer("").escalating


@pytest.mark.parametrize("custom", [
    None, "handoff_offer", [], {}, {"attachment": {"type": "image"}}, {"handoff_offer": "repeated_fallback"},
    {"fallback": {"count": 1}, "nlu": {}}, {"fallback": {"count": "many"}}, {"fallback": {"count": None}},
    {"complaint": {}}, {"complaint": {"reference": None, "category": "kargo"}}, {"complaint": {"reference": ""}},
    {"proof_alert": {"order_no": "400142"}}, {"proof_alert": {"order_no": "400142", "failures": "x", "clients": 1}},
    {"proof_alert": {"order_no": 400142, "failures": 5, "clients": 1}}, {"nlu": ["faq"]}, {"surprise": {}},
])
def test_malformed_payloads_are_no_signal(custom):
    assert read_signal(custom) is None


def test_a_handoff_request_without_a_reason_is_a_request():
    assert read_signal({"handoff_request": {}}) == HandoffRequest(contract.REASON_REQUESTED)


# --- one spelling for each name ----------------------------------------------------------------

def test_every_escalating_reason_is_sent_by_the_actions_side():
    """A reason nobody sends is a dead escalation; a reason spelled out elsewhere drifts from this one."""
    names = {name for name, value in vars(contract).items() if name.startswith("REASON_") and value in ESCALATING_OFFERS}
    assert {getattr(contract, name) for name in names} == ESCALATING_OFFERS  # each reason has its constant
    used = set()
    for path in SENDING_SIDE:
        for node in ast.walk(syntax(path)):
            if isinstance(node, ast.Name) and node.id in names:
                used.add(node.id)
            elif isinstance(node, ast.Attribute) and node.attr in names:
                used.add(node.attr)
    assert used == names


def test_the_flows_offer_a_person_on_every_escalating_flow_error():
    from actions.flow import HUMAN_OFFERED_AFTER

    assert {contract.REASON_VERIFICATION_LOCKED, contract.REASON_STORE_UNAVAILABLE} <= HUMAN_OFFERED_AFTER


def _is_to_json(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "to_json"


def _custom_payloads(tree: ast.AST):
    """What is sent as custom JSON: `utter_message(json_message=...)` and `send_custom_json(id, ...)`."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        yield from (keyword.value for keyword in node.keywords if keyword.arg == "json_message")
        if isinstance(node.func, ast.Attribute) and node.func.attr == "send_custom_json" and len(node.args) > 1:
            yield node.args[1]


def test_every_custom_payload_is_a_signal_of_the_contract():
    offenders = [f"{relative(path)}:{payload.lineno}" for path in SOURCES for payload in _custom_payloads(syntax(path))
                 if not _is_to_json(payload)]
    assert offenders == [], "send Signal(...).to_json() from bot/contract.py"


def test_the_delivered_status_is_spelled_only_in_the_contract():
    offenders = [relative(path) for path in SOURCES if ORDER_DELIVERED in path.read_text(encoding="utf-8")]
    assert offenders == [], "use bot.contract.ORDER_DELIVERED"


def test_the_human_button_texts_are_spelled_only_in_the_contract():
    offenders = [f"{relative(path)}:{node.lineno}" for path in SOURCES for node in ast.walk(syntax(path))
                 if isinstance(node, ast.Constant) and node.value in HUMAN_BUTTON_PAYLOADS]
    assert offenders == [], "use bot.contract.HUMAN_BUTTON"


def test_the_offered_button_is_the_one_the_bridge_recognises():
    from actions.suggestions import human_offer_buttons

    assert [human_offer_buttons(language)[0]["payload"] for language in ("tr", "en")] == [HUMAN_BUTTON["tr"], HUMAN_BUTTON["en"]]


def test_the_contract_imports_nothing_of_the_project():
    imported = {alias.name for node in ast.walk(syntax(CONTRACT)) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(syntax(CONTRACT)) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.split(".")[0] in ("actions", "bot", "tests")}


def test_the_bridge_reads_the_shop_only_through_the_store_interface():
    bridge = [PROJECT_ROOT / "bot" / "desk" / "customers.py", *sorted((PROJECT_ROOT / "bot" / "followup").glob("*.py"))]
    offenders = [f"{relative(path)}:{node.lineno}" for path in bridge for node in ast.walk(syntax(path))
                 if isinstance(node, ast.ImportFrom) and node.module == "actions.store.models"]
    assert offenders == []


# --- the store's reads for the bridge (SqlStore on the demo store) -----------------------------

def customer_with_returns():
    order_no = DEMO["returns"][0]["order_no"]
    return next(o["customer_id"] for o in DEMO["orders"] if o["order_no"] == order_no)


def test_a_customer_comes_with_what_the_desk_shows(seeded_store):
    source = demo_customer(DEMO["customers"][0]["id"])
    customer = seeded_store.customer(source["id"])
    assert customer.full_name == f"{source['first_name']} {source['last_name']}"
    assert (customer.phone, customer.city, customer.marketing_consent) == (source["phone"], source["city"],
                                                                            source["marketing_consent"])
    assert seeded_store.customer(999999) is None


def test_a_customers_orders_are_the_newest_with_their_returns(seeded_store):
    customer_id = customer_with_returns()
    orders = seeded_store.customer_orders(customer_id, limit=3)
    mine = sorted((o for o in DEMO["orders"] if o["customer_id"] == customer_id), key=lambda o: o["placed_days_ago"])
    assert [o.order_no for o in orders] == [o["order_no"] for o in mine[:3]]
    assert all(o.owner.id == customer_id for o in orders)
    assert orders == [seeded_store.find_order(o.order_no) for o in orders]  # the same records as one by one
    everything = seeded_store.customer_orders(customer_id, limit=50)
    assert {r.rma_code for o in everything for r in o.returns} == {
        r["rma_code"] for r in DEMO["returns"] if r["order_no"] in {o["order_no"] for o in mine}}


def legacy_complaint(shop, category, now, customer_id=None):
    """A complaint as the store recorded them before tickets (complaints are tickets now)."""
    with shop.sessions() as session:
        row = db.ComplaintTicket(reference=f"tmp-{category}-{now.timestamp()}", customer_id=customer_id,
                                 category=category, text="geç geldi", language="tr", status="acik", created_at=now,
                                 respond_by=now + timedelta(hours=48))
        session.add(row)
        session.flush()
        row.reference = f"SKT-{now:%Y}-{row.id:06d}"
        session.commit()
        return api.Complaint(row.reference, row.category, row.created_at, row.respond_by, row.status)


def test_a_customers_complaints_newest_first(seeded_store):
    customer_id, now = DEMO["customers"][1]["id"], seeded_store.anchor
    first = legacy_complaint(seeded_store, "kargo", now, customer_id)
    second = legacy_complaint(seeded_store, "urun", now + timedelta(hours=1), customer_id)
    legacy_complaint(seeded_store, "diger", now)
    complaints = seeded_store.customer_complaints(customer_id)
    assert [c.reference for c in complaints] == [second.reference, first.reference]
    assert {c.status for c in complaints} == {first.status} and first.status


def test_proof_alerts_since_a_moment(seeded_store):
    now = seeded_store.anchor
    for minute in range(3):
        seeded_store.record_failed_proof("400142", now + timedelta(minutes=minute), f"chat-{minute}", f"10.0.0.{minute}")
    assert seeded_store.raise_proof_alert("400142", now + timedelta(minutes=3), timedelta(minutes=15), 3) is not None
    (alert,) = seeded_store.proof_alerts_since(now)
    assert (alert.order_no, alert.failures, alert.clients) == ("400142", 3, 3)
    assert seeded_store.proof_alerts_since(now + timedelta(minutes=4)) == []


def test_delivered_orders_are_those_still_delivered_in_the_window(seeded_store):
    start, end = seeded_store.anchor - timedelta(days=14), seeded_store.anchor - timedelta(days=2)
    deliveries = seeded_store.delivered_orders(start, end)
    orders = [seeded_store.find_order(o["order_no"]) for o in DEMO["orders"]]
    in_window = [o for o in orders if o.shipment and o.shipment.delivered_at and start <= o.shipment.delivered_at <= end]
    assert any(o.status != ORDER_DELIVERED for o in in_window)  # returned since: left out
    assert {d.order_no for d in deliveries} == {o.order_no for o in in_window if o.status == ORDER_DELIVERED}
    assert [d.delivered_at for d in deliveries] == sorted(d.delivered_at for d in deliveries)
    order = seeded_store.find_order(deliveries[0].order_no)
    assert (deliveries[0].customer_id, deliveries[0].email, deliveries[0].first_name) == (
        order.owner.id, order.owner.email, order.owner.first_name)


def test_the_marketing_choice_reaches_the_customer(seeded_store):
    customer_id = next(c["id"] for c in DEMO["customers"] if not c["marketing_consent"])
    assert seeded_store.set_marketing_consent(customer_id, True) is True
    assert seeded_store.customer(customer_id).marketing_consent is True
    assert seeded_store.set_marketing_consent(999999, True) is False


@pytest.mark.parametrize("read", [
    lambda shop: shop.customer_complaints(1000), lambda shop: shop.proof_alerts_since(datetime(2024, 1, 1, tzinfo=timezone.utc)),
    lambda shop: shop.delivered_orders(datetime(2024, 1, 1, tzinfo=timezone.utc), datetime(2024, 2, 1, tzinfo=timezone.utc)),
    lambda shop: shop.set_marketing_consent(1000, True), lambda shop: shop.customer_orders(1000),
])
def test_a_shop_without_its_tables_is_unavailable(read):
    with pytest.raises(api.StoreUnavailable):
        read(SqlStore.on(make_engine("sqlite://")))


# --- the bridge's customer panel ---------------------------------------------------------------

def test_the_panel_shows_the_customer_their_latest_orders_returns_and_complaints(seeded_store):
    customer_id = customer_with_returns()
    complaint = legacy_complaint(seeded_store, "kargo", seeded_store.anchor, customer_id)
    directory = CustomerDirectory(seeded_store)
    context = directory.context(customer_id)
    source = demo_customer(customer_id)
    assert context["customer"]["name"] == directory.name(customer_id) == f"{source['first_name']} {source['last_name']}"
    assert context["customer"]["email"] == directory.email(customer_id) == source["email"].lower()
    mine = sorted((o for o in DEMO["orders"] if o["customer_id"] == customer_id), key=lambda o: o["placed_days_ago"])
    assert [o["order_no"] for o in context["orders"]] == [o["order_no"] for o in mine[:20]]
    assert {r["rma_code"] for r in context["returns"]} == {
        r["rma_code"] for r in DEMO["returns"] if r["order_no"] in {o["order_no"] for o in mine[:20]}}
    assert [r["opened_at"] for r in context["returns"]] == sorted((r["opened_at"] for r in context["returns"]), reverse=True)
    assert [c["reference"] for c in context["complaints"]] == [complaint.reference]
    assert directory.customer_of_order(mine[0]["order_no"]) == customer_id
    assert directory.order_status(EDGE["delivered_within_return_window"]) == ORDER_DELIVERED
    assert directory.customer_of_order(None) is None and directory.order_status("999999") is None
    assert directory.context(999999) == {"customer": None, "orders": [], "returns": [], "complaints": []}


def test_the_panel_survives_a_shop_that_does_not_answer():
    directory = CustomerDirectory(SqlStore.on(make_engine("sqlite://")))  # no tables
    assert directory.context(1000)["unavailable"] is True
    assert (directory.name(1000), directory.email(1000), directory.customer_of_order("400142")) == (None, None, None)
    assert directory.recent_proof_alerts() == [] and directory.set_marketing_consent(1000, True) is False


def test_alerts_for_an_agent_who_logs_in_later_are_shaped_like_the_live_event(seeded_store):
    now = datetime.now(timezone.utc)
    for minute in range(5):
        seeded_store.record_failed_proof("400142", now - timedelta(minutes=minute), f"chat-{minute}", "10.0.0.9")
    seeded_store.raise_proof_alert("400142", now, timedelta(minutes=15), 5)
    (alert,) = CustomerDirectory(seeded_store).recent_proof_alerts()
    assert alert["kind"] == ProofAlert.key
    assert read_signal({ProofAlert.key: {k: v for k, v in alert.items() if k != "kind"}}) == ProofAlert(
        "400142", failures=5, clients=1, window_minutes=15, raised_at=alert["raised_at"])
    assert alert["raised_at"].endswith("Z")


# --- any shop behind the interface -------------------------------------------------------------

class InMemoryShop:
    """A shop that is no database: what the bridge reads of it, from plain records."""

    def __init__(self):
        self.owner = api.Customer(7, "Ada", "ada@example.com", "1234", last_name="Yılmaz", phone="+90 555 000 12 34",
                                  city="İzmir", marketing_consent=True)
        self.order = api.Order("500001", self.owner, ORDER_DELIVERED, datetime(2024, 5, 1, 10, tzinfo=timezone.utc), 12990,
                               "kredi_karti", (), None, date(2024, 5, 3), None)
        self.deliveries = [api.Delivery("500001", 7, "Ada", "ada@example.com", True, datetime(2024, 5, 3, 12, tzinfo=timezone.utc)),
                           api.Delivery("500002", 8, "Can", "can@example.com", False, datetime(2024, 5, 4, 12, tzinfo=timezone.utc))]
        self.asked = []

    def find_order(self, order_no):
        return self.order if order_no == self.order.order_no else None

    def customer(self, customer_id):
        return self.owner if customer_id == self.owner.id else None

    def customer_orders(self, customer_id, limit=10):
        return [self.order][:limit] if customer_id == self.owner.id else []

    def customer_complaints(self, customer_id):
        return [api.Complaint("SKT-2024-000001", "kargo", datetime(2024, 5, 5, tzinfo=timezone.utc),
                              datetime(2024, 5, 7, tzinfo=timezone.utc), "acik")]

    def proof_alerts_since(self, since):
        return []

    def delivered_orders(self, delivered_from, delivered_until):
        self.asked.append((delivered_from, delivered_until))
        return [d for d in self.deliveries if delivered_from <= d.delivered_at <= delivered_until]


def test_the_panel_works_on_any_shop_behind_the_interface():
    shop = InMemoryShop()
    context = CustomerDirectory(shop).context(7)
    assert context["customer"]["name"] == "Ada Yılmaz" and context["customer"]["phone_last4"] == "1234"
    assert "000" not in context["customer"]["phone_masked"]
    assert [o["order_no"] for o in context["orders"]] == ["500001"] and context["complaints"][0]["status"] == "acik"
    assert CustomerDirectory(shop).customer_of_order("500001") == 7


def test_the_followup_job_takes_its_deliveries_from_the_shop(tmp_path):
    shop, store = InMemoryShop(), DeskStore.open("sqlite://")
    settings = Settings(state_dir=tmp_path, followup_delay_days=2, followup_window_days=14, followup_needs_consent=True)
    now = datetime(2024, 5, 10, 9, tzinfo=timezone.utc)
    selection = select_candidates(settings, store, shop, now)
    assert shop.asked == [(now - timedelta(days=14), now - timedelta(days=2))]
    assert [(c.order_no, c.email, c.language) for c in selection.candidates] == [("500001", "ada@example.com", "tr")]
    assert selection.skipped == {"no marketing consent": 1}


# --- one engine per database per process -------------------------------------------------------

def test_the_parts_of_a_process_share_one_engine_per_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'kuzey.db'}"
    desk = DeskStore.open(url)
    assert engine_for(url) is desk.engine and DeskStore.open(url).engine is desk.engine
    assert engine_for(f"sqlite:///{tmp_path / 'other.db'}") is not desk.engine
    assert engine_for("sqlite://") is not engine_for("sqlite://")  # an in-memory database is its engine


def test_the_shop_and_the_desk_on_one_engine_share_connections(seeded_db_url):
    desk = DeskStore.open(seeded_db_url)
    shop = SqlStore.on(desk.engine)
    directory = CustomerDirectory(shop)
    assert directory.name(DEMO["customers"][0]["id"]) and directory.session.kw["bind"] is desk.engine
