from datetime import timedelta

import pytest

from actions.store.interface import StoreRefused
from actions.store.policy import can_cancel, can_return_item, can_return_order
from actions.store.types import shop_date
from tests.conftest import DEMO, EDGE, demo_customer, demo_order


def test_an_order_comes_with_owner_items_shipment_and_returns(seeded_store):
    order = seeded_store.find_order(EDGE["in_transit"])
    source = demo_order(EDGE["in_transit"])
    owner = demo_customer(source["customer_id"])
    assert order.owner.email == owner["email"].lower()
    assert order.owner.phone_last4 == "".join(ch for ch in owner["phone"] if ch.isdigit())[-4:]
    assert [i.sku for i in order.items] == [i["sku"] for i in source["items"]]
    assert order.shipment.tracking_no == source["tracking_no"]
    assert source["tracking_no"] in order.shipment.tracking_url
    assert seeded_store.find_order("999999") is None


@pytest.mark.parametrize("edge, allowed", [
    ("preparing_cancellable", True), ("awaiting_payment", True), ("in_transit", False),
    ("out_for_delivery", False), ("delivered_within_return_window", False), ("cancelled", False),
    ("return_in_progress", False), ("refunded", False), ("delivery_failed", False),
])
def test_cancellation_only_before_shipping(seeded_store, edge, allowed):
    assert can_cancel(seeded_store.find_order(EDGE[edge])).allowed is allowed


def test_cancelling_changes_the_order_once(seeded_store):
    order_no = EDGE["preparing_cancellable"]
    cancelled = seeded_store.cancel_order(order_no, seeded_store.anchor)
    assert cancelled.status == "iptal_edildi" and cancelled.cancelled_at == seeded_store.anchor
    with pytest.raises(StoreRefused):
        seeded_store.cancel_order(order_no, seeded_store.anchor)


def test_return_window_is_fourteen_days_after_delivery(seeded_store):
    today = shop_date(seeded_store.anchor)
    inside = seeded_store.find_order(EDGE["delivered_within_return_window"])
    outside = seeded_store.find_order(EDGE["delivered_outside_return_window"])
    assert can_return_order(inside, today).allowed
    assert can_return_order(outside, today).why == "return_window_passed"
    assert can_return_order(seeded_store.find_order(EDGE["in_transit"]), today).why == "return_not_delivered"
    assert can_return_order(seeded_store.find_order(EDGE["cancelled"]), today).why == "return_cancelled_order"
    last_day = shop_date(inside.shipment.delivered_at) + timedelta(days=14)
    assert can_return_order(inside, last_day).allowed and not can_return_order(inside, last_day + timedelta(days=1)).allowed


def test_non_returnable_items_only_when_the_store_is_at_fault(seeded_store):
    order = seeded_store.find_order(EDGE["non_returnable_item_delivered"])
    today = shop_date(seeded_store.anchor)
    digital = next(i for i in order.items if i.category == "dijital")
    assert can_return_item(order, digital, "vazgectim", today).why == "return_non_returnable"
    assert can_return_item(order, digital, "ayipli_urun", today).allowed
    other = next(i for i in order.items if i.category != "dijital")
    assert can_return_item(order, other, "vazgectim", today).allowed


def test_one_open_return_per_item_and_codes_count_up(seeded_store):
    order_no = EDGE["delivered_within_return_window"]
    order = seeded_store.find_order(order_no)
    sku = order.items[0].sku
    opened = seeded_store.open_return(order_no, sku, "beden_uymadi", seeded_store.anchor)
    highest = max(int(r["rma_code"].split("-")[1]) for r in DEMO["returns"])
    assert opened.rma_code == f"IADE-{highest + 1}" and len(opened.return_cargo_code) == 8
    assert opened.refund_amount_kurus == order.items[0].unit_price_kurus * order.items[0].quantity
    again = seeded_store.find_order(order_no)
    assert can_return_item(again, again.item(sku), "beden_uymadi", shop_date(seeded_store.anchor)).why == "return_already_open"
    with pytest.raises(StoreRefused):
        seeded_store.open_return(order_no, sku, "beden_uymadi", seeded_store.anchor)
