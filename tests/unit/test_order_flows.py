"""The order, return and complaint actions on a real SQLite store seeded from the demo store.

Rasa is not running here: each test builds the tracker the action would receive.
"""
from datetime import timedelta

import jwt
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions import context, tickets
from actions.access import utc_iso
from actions.complaints import ActionRecordComplaint, ValidateComplaintForm
from actions.orders import ActionCancelOrder, ActionOrderStatus, ValidateCancelForm, ValidateOrderStatusForm
from actions.returns import (
    ActionOpenReturn, ActionReturnStatus, ValidateReturnForm, ValidateReturnStatusForm, item_from_text, reason_from_text,
)
from actions.store.interface import FailureCount, StoreUnavailable
from actions.store.models import ProofAlert
from actions.store.types import shop_local
from actions.verification import describe_wait, wait_after, wait_left
from tests.conftest import DEMO, EDGE, demo_customer, demo_order
from tests.unit.test_ticket_actions import ticket_store_on

SECRET = "test-secret-for-customer-tokens-0123456789"


@pytest.fixture(autouse=True)
def store(seeded_store, seeded_db_url, monkeypatch):
    monkeypatch.setattr(context, "store", lambda: seeded_store)
    monkeypatch.setattr(context, "now", lambda: seeded_store.anchor)
    monkeypatch.setenv("CUSTOMER_TOKEN_SECRET", SECRET)
    desk = ticket_store_on(seeded_db_url)  # complaints and missed refunds become tickets in the same database
    monkeypatch.setattr(tickets, "ticket_store", lambda: desk)
    yield seeded_store
    desk.engine.dispose()


def owner_email(order_no):
    return demo_customer(demo_order(order_no)["customer_id"])["email"].lower()


def owner_last4(order_no):
    phone = demo_customer(demo_order(order_no)["customer_id"])["phone"]
    return "".join(ch for ch in phone if ch.isdigit())[-4:]


def make_tracker(slots=None, text="", intent="inform", requested=None, metadata=None, language="tr", form=None,
                 sender="shopper-1"):
    all_slots = {"language": language, "requested_slot": requested, **(slots or {})}
    latest = {"text": text, "intent": {"name": intent}, "metadata": metadata or {}}
    return Tracker(sender, all_slots, latest, [], False, None, {"name": form} if form else {}, "action_listen")


def texts(dispatcher):
    return " ".join(m.get("text") or "" for m in dispatcher.messages)


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, {})
    return dispatcher, {e["name"]: e.get("value") for e in events if e.get("event") == "slot"}


def verify(validation, order_no, proof, slots=None, sender="shopper-1", metadata=None):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker({"order_no": order_no, **(slots or {})}, text=proof, requested="order_proof", sender=sender,
                           metadata=metadata)
    extracted = validation.extract_order_proof(dispatcher, tracker, {})
    return dispatcher, validation.validate_order_proof(extracted["order_proof"], dispatcher, tracker, {})


# --- verification -------------------------------------------------------------------------

def test_the_email_or_the_phones_last_four_digits_prove_ownership():
    order_no = EDGE["in_transit"]
    for proof in (f"mailim {owner_email(order_no).upper()}", f"son 4 hane {owner_last4(order_no)}"):
        _, result = verify(ValidateOrderStatusForm(), order_no, proof)
        assert result["verified_order_no"] == order_no


def test_a_wrong_email_and_an_unknown_order_get_the_same_answer():
    wrong, wrong_result = verify(ValidateOrderStatusForm(), EDGE["in_transit"], "someone@example.com")
    unknown, unknown_result = verify(ValidateOrderStatusForm(), "999999", owner_email(EDGE["in_transit"]))
    assert texts(wrong) == texts(unknown) != ""
    assert wrong_result == unknown_result
    assert "verified_order_no" not in wrong_result and wrong_result["order_no"] is None


def test_a_proof_that_is_neither_email_nor_digits_is_asked_again():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker({"order_no": EDGE["in_transit"]}, text="bilmiyorum", requested="order_proof")
    assert ValidateOrderStatusForm().extract_order_proof(dispatcher, tracker, {}) == {"order_proof": None}
    assert "e-posta" in texts(dispatcher)


def _token(customer_id, minutes=10, secret=SECRET):
    return jwt.encode({"sub": str(customer_id), "exp": context.now() + timedelta(minutes=minutes)}, secret, "HS256")


def test_a_signed_customer_token_opens_that_customers_orders_only():
    order_no = EDGE["in_transit"]
    owner = demo_order(order_no)["customer_id"]
    other = next(c["id"] for c in DEMO["customers"] if c["id"] != owner)

    def validate(token):
        tracker = make_tracker(metadata={"customer_token": token}, text=order_no, requested="order_no")
        return ValidateOrderStatusForm().validate_order_no(order_no, CollectingDispatcher(), tracker, {})

    assert validate(_token(owner))["verified_order_no"] == order_no
    assert "verified_order_no" not in validate(_token(other))
    assert "verified_order_no" not in validate(_token(owner, secret="forged"))


def test_order_numbers_are_checked_and_normalised():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="12345", requested="order_no")
    assert ValidateOrderStatusForm().validate_order_no("12345", dispatcher, tracker, {}) == {"order_no": None}
    assert "6 haneli" in texts(dispatcher)
    result = ValidateOrderStatusForm().validate_order_no("#400142", dispatcher, tracker, {})
    assert result["order_no"] == "400142" and result["order_proof"] is None


def test_switching_to_another_order_midway_asks_for_proof_again():
    proven = EDGE["preparing_cancellable"]
    other = EDGE["awaiting_payment"]
    tracker = make_tracker({"order_no": proven, "verified_order_no": proven, "order_proof": "x@example.com"},
                           text=other, requested="cancel_confirm", form="cancel_form")
    result = ValidateCancelForm().validate_order_no(other, CollectingDispatcher(), tracker, {})
    assert result["order_no"] == other and result["order_proof"] is None and result["cancel_confirm"] is None
    assert "verified_order_no" not in result
    switched = make_tracker({"order_no": other, "verified_order_no": proven}, requested="cancel_confirm")
    from actions.orders import ActionAskCancelConfirm
    dispatcher, _ = run(ActionAskCancelConfirm(), switched)
    other_items = [i["sku"] for i in demo_order(other)["items"]]
    assert "-" in texts(dispatcher) and not any(sku in texts(dispatcher) for sku in other_items)


# --- limits on guessing proofs: where the guesses come from, never the order ------------------

@pytest.fixture
def clock(store, monkeypatch):
    """The actions' clock, moved by the test."""
    class Clock:
        now = store.anchor

        def advance(self, **delta):
            self.now += timedelta(**delta)

    moved = Clock()
    monkeypatch.setattr(context, "now", lambda: moved.now)
    return moved


def asks_for_proof(order_no, sender, metadata=None):
    tracker = make_tracker(text=order_no, requested="order_no", sender=sender, metadata=metadata)
    result = ValidateOrderStatusForm().validate_order_no(order_no, CollectingDispatcher(), tracker, {})
    return result.get("order_no") == order_no and "flow_error" not in result


def alerts(dispatcher):
    return [m["custom"]["proof_alert"] for m in dispatcher.messages if "proof_alert" in (m.get("custom") or {})]


def test_waits_begin_at_the_third_failure_double_and_are_capped(store):
    assert [wait_after(n) for n in range(6)] == [timedelta(0)] * 3 + [timedelta(seconds=s) for s in (30, 60, 120)]
    assert wait_after(40) == wait_after(400) == timedelta(minutes=15)
    last = store.anchor
    assert wait_left(FailureCount(3, last), last + timedelta(seconds=10)) == timedelta(seconds=20)
    assert wait_left(FailureCount(3, last), last + timedelta(seconds=31)) == timedelta(0)
    assert wait_left(FailureCount(0, None), last) == timedelta(0)
    assert describe_wait(timedelta(seconds=19.2), "tr") == "20 saniye"
    assert describe_wait(timedelta(seconds=90), "en") == "2 minutes"


def test_the_third_failure_in_a_conversation_stops_the_flow_and_tells_the_wait(clock):
    order_no = EDGE["in_transit"]
    first, _ = verify(ValidateOrderStatusForm(), order_no, "a@example.com", sender="guesser")
    second, _ = verify(ValidateOrderStatusForm(), "999999", "b@example.com", sender="guesser")  # any order counts
    assert "bulamadım" in texts(first) and "bulamadım" in texts(second)
    third, stopped = verify(ValidateOrderStatusForm(), order_no, "c@example.com", sender="guesser")
    assert stopped["flow_error"] == "verification_locked" and texts(third) == ""
    locked = make_tracker({"flow_error": "verification_locked", "order_no": order_no}, sender="guesser")
    dispatcher, _ = run(ActionOrderStatus(), locked)
    assert "30 saniye" in texts(dispatcher)
    assert any(m.get("custom", {}).get("handoff_offer") for m in dispatcher.messages)
    assert not asks_for_proof(EDGE["preparing_cancellable"], "guesser")  # the conversation waits for every order
    clock.advance(seconds=31)
    assert asks_for_proof(order_no, "guesser")
    _, fourth = verify(ValidateOrderStatusForm(), order_no, "d@example.com", sender="guesser")
    assert fourth["flow_error"] == "verification_locked"
    dispatcher, _ = run(ActionOrderStatus(), make_tracker({"flow_error": "verification_locked", "order_no": order_no},
                                                          sender="guesser", language="en"))
    assert "1 minute " in texts(dispatcher)  # doubled


def test_failures_from_other_conversations_never_refuse_the_owner(clock):
    order_no = EDGE["in_transit"]
    for attacker in range(8):
        verify(ValidateOrderStatusForm(), order_no, f"guess{attacker}@example.com", sender=f"attacker-{attacker}")
    assert asks_for_proof(order_no, "owner")
    _, result = verify(ValidateOrderStatusForm(), order_no, owner_email(order_no), sender="owner")
    assert result["verified_order_no"] == order_no


def test_one_client_waits_across_conversations_for_that_order_only(clock):
    order_no, other_order = EDGE["in_transit"], EDGE["preparing_cancellable"]
    address = {"client_address": "203.0.113.7"}
    for conversation in range(2):
        _, result = verify(ValidateOrderStatusForm(), order_no, "x@example.com", sender=f"c{conversation}", metadata=address)
        assert "flow_error" not in result
    _, third = verify(ValidateOrderStatusForm(), order_no, "x@example.com", sender="c2", metadata=address)
    assert third["flow_error"] == "verification_locked"
    assert not asks_for_proof(order_no, "c3", address)  # a fresh conversation from the same address
    assert asks_for_proof(other_order, "c3", address)  # others behind that address asking about their orders
    assert asks_for_proof(order_no, "c3", {"client_address": "198.51.100.9"})  # the owner from elsewhere
    clock.advance(seconds=31)
    assert asks_for_proof(order_no, "c3", address)


def test_a_proof_given_while_waiting_is_not_even_checked(clock):
    order_no = EDGE["in_transit"]
    address = {"client_address": "203.0.113.7"}
    for conversation in range(3):
        verify(ValidateOrderStatusForm(), order_no, "x@example.com", sender=f"c{conversation}", metadata=address)
    # A conversation already at the proof step when its client started to wait:
    _, result = verify(ValidateOrderStatusForm(), order_no, owner_email(order_no), sender="c9", metadata=address)
    assert result["flow_error"] == "verification_locked" and "verified_order_no" not in result


@pytest.mark.parametrize("order_no", [EDGE["in_transit"], "999999"])  # an unknown number alike: nothing to probe
def test_many_failures_for_one_order_raise_one_alert_per_window(clock, store, order_no):
    raised = []
    for attempt in range(6):
        dispatcher, _ = verify(ValidateOrderStatusForm(), order_no, "x@example.com", sender=f"a{attempt}")
        raised.append(alerts(dispatcher))
        clock.advance(seconds=10)
    assert raised[:4] == [[]] * 4 and raised[5] == []
    assert raised[4] == [{"order_no": order_no, "failures": 5, "clients": 5, "window_minutes": 15,
                          "raised_at": utc_iso(store.anchor + timedelta(seconds=40))}]
    clock.advance(minutes=15)
    for attempt in range(5):
        dispatcher, _ = verify(ValidateOrderStatusForm(), order_no, "x@example.com", sender=f"b{attempt}")
    assert alerts(dispatcher)[0]["failures"] == 5
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ProofAlert)) == 2


def test_a_mistyped_proof_in_return_status_can_be_corrected():
    ret = next(r for r in DEMO["returns"] if r["status"] == "inceleniyor")
    validation = ValidateReturnStatusForm()
    _, failed = verify(validation, ret["order_no"], "wrong@example.com", {"return_key": ret["rma_code"]})
    assert failed["return_key"] is None and failed["order_no"] is None  # both asked again
    key = validation.validate_return_key(ret["rma_code"], CollectingDispatcher(), make_tracker(), {})
    _, retried = verify(validation, key["order_no"], owner_email(ret["order_no"]), {"return_key": ret["rma_code"]})
    assert retried["verified_order_no"] == ret["order_no"]


# --- order status for every status of the demo store ---------------------------------------

@pytest.mark.parametrize("edge, expected", [
    ("awaiting_payment", ["ödeme bekliyor"]),
    ("preparing_cancellable", ["hazırlanıyor", "Tahmini teslim"]),
    ("in_transit", ["kargoya verildi", "Takip numarası", "http"]),
    ("out_for_delivery", ["dağıtımda", "http"]),
    ("delivered_within_return_window", ["teslim edildi", "İade hakkınız"]),
    ("delivered_outside_return_window", ["iade süresi", "doldu"]),
    ("delivery_failed", ["teslim edilemedi", "http"]),
    ("cancelled", ["iptal edildi"]),
    ("return_in_progress", ["iade süreci", "IADE-"]),
    ("refunded", ["iadesi tamamlandı", "IADE-"]),
    ("non_returnable_item_delivered", ["teslim edildi"]),
])
def test_order_status_says_what_happens_for_every_status(edge, expected):
    order_no = EDGE[edge]
    dispatcher, slots = run(ActionOrderStatus(), make_tracker({"verified_order_no": order_no, "order_no": order_no}))
    answer = texts(dispatcher)
    assert order_no in answer
    for words in expected:
        assert words in answer, answer
    assert slots["order_no"] is None  # the flow is reset for the next question
    if edge == "delivery_failed":
        assert any(m.get("custom", {}).get("handoff_offer") for m in dispatcher.messages)


def test_order_status_in_english_with_carrier_tracking_and_date():
    order_no = EDGE["in_transit"]
    source = demo_order(order_no)
    carrier = next(c for c in DEMO["carriers"] if c["code"] == source["carrier"])
    dispatcher, _ = run(ActionOrderStatus(), make_tracker({"verified_order_no": order_no}, language="en"))
    answer = texts(dispatcher)
    assert "was shipped with" in answer and carrier["name"] in answer and source["tracking_no"] in answer
    assert carrier["tracking_url"].format(tracking_no=source["tracking_no"]) in answer


# --- cancellation ----------------------------------------------------------------------------

def test_cancellation_after_confirmation(store):
    order_no = EDGE["preparing_cancellable"]
    dispatcher, _ = run(ActionCancelOrder(), make_tracker({"verified_order_no": order_no, "cancel_confirm": True}))
    assert "iptal ettim" in texts(dispatcher)
    assert store.find_order(order_no).status == "iptal_edildi"


def test_no_cancellation_without_confirmation(store):
    order_no = EDGE["awaiting_payment"]
    dispatcher, _ = run(ActionCancelOrder(), make_tracker({"verified_order_no": order_no, "cancel_confirm": False}))
    assert "iptal edilmedi" in texts(dispatcher)
    assert store.find_order(order_no).status == "odeme_bekleniyor"


def test_a_shipped_order_is_explained_and_a_return_offered(store):
    order_no = EDGE["in_transit"]
    result = ValidateCancelForm().after_access(store.find_order(order_no), make_tracker())
    assert result == {"flow_error": "cancel_shipped"}
    dispatcher, _ = run(ActionCancelOrder(), make_tracker({"verified_order_no": order_no, **result}))
    assert "iptal edilemiyor" in texts(dispatcher) and "iade" in texts(dispatcher)
    assert store.find_order(order_no).status == "kargoya_verildi"


# --- returns ---------------------------------------------------------------------------------

def test_return_request_creates_a_code_and_says_what_happens_next(store):
    order_no = EDGE["delivered_within_return_window"]
    order = store.find_order(order_no)
    validation = ValidateReturnForm()
    assert validation.after_access(order, make_tracker()) == {}
    item_tracker = make_tracker({"order_no": order_no, "verified_order_no": order_no}, text=order.items[0].name,
                                requested="return_item")
    picked = validation.validate_return_item(validation.extract_return_item(CollectingDispatcher(), item_tracker, {})["return_item"],
                                             CollectingDispatcher(), item_tracker, {})
    assert picked == {"return_item": order.items[0].sku}
    reason_tracker = make_tracker({"order_no": order_no, "verified_order_no": order_no, **picked},
                                  text="Beden veya renk uymadı", requested="return_reason")
    reason = validation.extract_return_reason(CollectingDispatcher(), reason_tracker, {})
    assert validation.validate_return_reason(reason["return_reason"], CollectingDispatcher(), reason_tracker, {}) == {
        "return_reason": "beden_uymadi"}
    dispatcher, _ = run(ActionOpenReturn(), make_tracker({
        "verified_order_no": order_no, "return_item": picked["return_item"], "return_reason": "beden_uymadi",
        "return_confirm": True}))
    answer = texts(dispatcher)
    assert "IADE-" in answer and "Yurtiçi Kargo" in answer and "14 gün" in answer and "2-10 iş günü" in answer
    assert len(store.find_order(order_no).returns) == len(order.returns) + 1


def test_no_return_without_confirmation(store):
    order_no = EDGE["delivered_within_return_window"]
    before = len(store.find_order(order_no).returns)
    sku = store.find_order(order_no).items[0].sku
    dispatcher, _ = run(ActionOpenReturn(), make_tracker({
        "verified_order_no": order_no, "return_item": sku, "return_reason": "vazgectim", "return_confirm": False}))
    assert "oluşturmadım" in texts(dispatcher)
    assert len(store.find_order(order_no).returns) == before


def test_a_delivered_order_cannot_be_cancelled_but_a_return_is_one_tap_away(store):
    order_no = EDGE["delivered_within_return_window"]
    result = ValidateCancelForm().after_access(store.find_order(order_no), make_tracker())
    dispatcher, _ = run(ActionCancelOrder(), make_tracker({"verified_order_no": order_no, **result}))
    assert "iptal edilemiyor" in texts(dispatcher)
    assert dispatcher.messages[0]["buttons"][0]["payload"] == "İade etmek istiyorum"


def test_a_return_after_the_window_is_explained_and_a_person_offered(store):
    order_no = EDGE["delivered_outside_return_window"]
    result = ValidateReturnForm().after_access(store.find_order(order_no), make_tracker())
    assert result == {"flow_error": "return_window_passed"}
    dispatcher, _ = run(ActionOpenReturn(), make_tracker({"verified_order_no": order_no, **result}))
    assert "14 günlük iade süresi" in texts(dispatcher)
    assert any(m.get("custom", {}).get("handoff_offer") for m in dispatcher.messages)


def test_a_guessed_store_fault_does_not_open_a_non_returnable_item(store):
    order_no = EDGE["non_returnable_item_delivered"]
    digital = next(i for i in store.find_order(order_no).items if i.category == "dijital")
    slots = {"order_no": order_no, "verified_order_no": order_no, "return_item": digital.sku}
    typed = make_tracker(slots, text="kod bozuk galiba", requested="return_reason")
    assert ValidateReturnForm().validate_return_reason("ayipli_urun", CollectingDispatcher(), typed, {}) == {
        "return_reason": None}
    tapped = make_tracker(slots, text="Ürün kusurlu/arızalı", requested="return_reason")
    assert ValidateReturnForm().validate_return_reason("ayipli_urun", CollectingDispatcher(), tapped, {}) == {
        "return_reason": "ayipli_urun"}


def test_a_non_returnable_item_only_with_a_store_fault(store):
    order_no = EDGE["non_returnable_item_delivered"]
    order = store.find_order(order_no)
    digital = next(i for i in order.items if i.category == "dijital")
    slots = {"order_no": order_no, "verified_order_no": order_no, "return_item": digital.sku}
    validation = ValidateReturnForm()
    changed_mind = validation.validate_return_reason("vazgectim", CollectingDispatcher(), make_tracker(slots), {})
    assert changed_mind["flow_error"] == "return_non_returnable"
    dispatcher, _ = run(ActionOpenReturn(), make_tracker({"verified_order_no": order_no, **slots, **changed_mind}))
    assert "iade alınamayan" in texts(dispatcher) and digital.name in texts(dispatcher)
    tapped = make_tracker(slots, text="Ürün kusurlu/arızalı")
    assert validation.validate_return_reason("ayipli_urun", CollectingDispatcher(), tapped, {}) == {
        "return_reason": "ayipli_urun"}


def test_a_second_return_for_the_same_item_is_refused(store):
    order_no = EDGE["return_in_progress"]
    order = store.find_order(order_no)
    open_sku = order.returns[0].sku
    tracker = make_tracker({"order_no": order_no, "verified_order_no": order_no}, text=order.item(open_sku).name,
                           requested="return_item")
    result = ValidateReturnForm().validate_return_item(order.item(open_sku).name, CollectingDispatcher(), tracker, {})
    assert result["flow_error"] == "return_already_open"
    dispatcher, _ = run(ActionOpenReturn(), make_tracker({"verified_order_no": order_no, **result}))
    assert order.returns[0].rma_code in texts(dispatcher)


@pytest.mark.parametrize("text, reason", [
    ("kutusu ezik geldi", "hasarli_urun"), ("YANLIŞ ÜRÜN GÖNDERMİŞSİNİZ", "yanlis_urun"), ("bir parçası eksik", "eksik_urun"),
    ("beden küçük geldi", "beden_uymadi"), ("fikrimi değiştirdim", "vazgectim"), ("hiç çalışmıyor", "ayipli_urun"),
    ("it arrived damaged", "hasarli_urun"), ("asdf", None), ("yanlış beden aldım", "beden_uymadi"),
    ("wrong size", "beden_uymadi"), ("hasarlı değil, vazgeçtim", None), ("size uymadı mı", "beden_uymadi"),
])
def test_reasons_are_understood_as_shoppers_write_them(text, reason):
    assert reason_from_text(text) == reason


def test_items_are_picked_by_name_or_position(store):
    order = store.find_order(EDGE["delivered_within_return_window"])
    assert item_from_text(order, "1") == order.items[0].sku
    assert item_from_text(order, order.items[-1].name.upper()) == order.items[-1].sku
    assert item_from_text(order, "olmayan bir ürün xyz") is None


# --- return status ---------------------------------------------------------------------------

def test_return_status_by_code_after_verification(store):
    ret = next(r for r in DEMO["returns"] if r["status"] == "inceleniyor")
    validation = ValidateReturnStatusForm()
    tracker = make_tracker(text=f"{ret['rma_code'].lower()} ne oldu", intent="return_status")
    key = validation.extract_return_key(CollectingDispatcher(), tracker, {})
    assert key == {"return_key": ret["rma_code"]}
    assert validation.validate_return_key(key["return_key"], CollectingDispatcher(), tracker, {})["order_no"] == ret["order_no"]
    dispatcher, _ = run(ActionReturnStatus(), make_tracker({
        "verified_order_no": ret["order_no"], "order_no": ret["order_no"], "return_key": ret["rma_code"]}))
    assert ret["rma_code"] in texts(dispatcher) and "inceleniyor" in texts(dispatcher)
    assert "para iadesi" in texts(dispatcher)  # its date, or that it passed (tests/unit/test_ticket_actions.py)


def test_return_status_by_order_lists_its_returns(store):
    order_no = EDGE["refunded"]
    dispatcher, _ = run(ActionReturnStatus(), make_tracker({"verified_order_no": order_no, "order_no": order_no,
                                                            "return_key": order_no}))
    assert "ödeme iadesi yapıldı" in texts(dispatcher)


# --- complaints ------------------------------------------------------------------------------

def test_a_complaint_is_recorded_with_the_shoppers_words(store):
    words = "Kargom 5 gündür gelmedi, kurye telefonu da açmıyor!!"
    tracker = make_tracker(text=words, intent="complaint")
    validation = ValidateComplaintForm()
    assert validation.extract_complaint_text(CollectingDispatcher(), tracker, {}) == {"complaint_text": words}
    assert validation.extract_complaint_category(CollectingDispatcher(), tracker, {}) == {"complaint_category": "kargo"}
    dispatcher, _ = run(ActionRecordComplaint(), make_tracker({"complaint_text": words, "complaint_category": "kargo"}))
    assert f"SKT-{shop_local(store.anchor):%Y}-000001" in texts(dispatcher)
    assert any(m.get("custom", {}).get("complaint") for m in dispatcher.messages)
    assert not any(m.get("buttons") for m in dispatcher.messages)  # a late parcel: nothing to send back


def test_a_broken_item_complaint_also_offers_a_return(store):
    words = "ürünüm kırık geldi ne yapmalıyım"
    assert ValidateComplaintForm().extract_complaint_category(
        CollectingDispatcher(), make_tracker(text=words, intent="complaint"), {}) == {"complaint_category": "urun"}
    dispatcher, _ = run(ActionRecordComplaint(), make_tracker({"complaint_text": words, "complaint_category": "urun"}))
    assert "SKT-" in texts(dispatcher) and "iade" in texts(dispatcher)
    assert [b["title"] for m in dispatcher.messages for b in m.get("buttons") or []] == ["İade etmek istiyorum"]


# --- failures --------------------------------------------------------------------------------

class BrokenStore:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise StoreUnavailable("database is down")
        return fail


def test_an_unreachable_store_gets_an_honest_answer_and_a_person(monkeypatch):
    monkeypatch.setattr(context, "store", lambda: BrokenStore())
    monkeypatch.setattr(tickets, "ticket_store", lambda: BrokenStore())  # one database: tickets are down too
    _, result = verify(ValidateOrderStatusForm(), EDGE["in_transit"], owner_email(EDGE["in_transit"]))
    assert result == {"flow_error": "store_unavailable"}
    dispatcher, _ = run(ActionOrderStatus(), make_tracker(result))
    assert "ulaşamıyorum" in texts(dispatcher)
    assert any(m.get("custom", {}).get("handoff_offer") for m in dispatcher.messages)
    dispatcher, _ = run(ActionRecordComplaint(), make_tracker({"complaint_text": "kırık", "complaint_category": "urun"}))
    assert "ulaşamıyorum" in texts(dispatcher)
