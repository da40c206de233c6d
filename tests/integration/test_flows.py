"""Order, return and complaint conversations against the running Rasa server and action server,
on a store database seeded from the demo store (see conftest.py)."""
import pytest

from tests.conftest import DEMO, EDGE, demo_customer, demo_order

pytestmark = pytest.mark.integration


def texts(messages):
    return " ".join(m.get("text", "") for m in messages)


def buttons(messages):
    return [b["title"] for m in messages for b in m.get("buttons", [])]


def owner(order_no):
    return demo_customer(demo_order(order_no)["customer_id"])


def test_order_status_after_proving_ownership(shopper):
    order_no = EDGE["in_transit"]
    chat = shopper()
    asked = chat.say(f"{order_no} nolu siparişim nerede")
    assert "e-posta" in texts(asked)
    answer = texts(chat.say(f"mailim {owner(order_no)['email']}"))
    assert "kargoya verildi" in answer and demo_order(order_no)["tracking_no"] in answer


def test_a_wrong_email_is_refused_without_revealing_the_order(shopper):
    chat = shopper()
    chat.say(f"{EDGE['in_transit']} siparişim ne durumda")
    answer = texts(chat.say("mailim yanlis.kisi@example.com"))
    assert "bulamadım" in answer and demo_order(EDGE["in_transit"])["tracking_no"] not in answer


def test_cancellation_in_english_with_confirmation(shopper, running_store):
    order_no = EDGE["preparing_cancellable"]
    chat = shopper()
    chat.say("I want to cancel my order")
    chat.say(order_no)
    digits = "".join(ch for ch in owner(order_no)["phone"] if ch.isdigit())[-4:]
    confirm = chat.say(f"last four digits {digits}")
    assert "Shall I cancel" in texts(confirm) and "Yes" in buttons(confirm)
    assert "cancelled order" in texts(chat.say("yes"))
    assert running_store.find_order(order_no).status == "iptal_edildi"


def test_a_question_in_the_middle_of_a_return_is_answered_and_the_flow_goes_on(shopper):
    order_no = EDGE["delivered_within_return_window"]
    chat = shopper()
    chat.say("ürün iade etmek istiyorum")
    faq = texts(chat.say("iade kargosu ücretli mi"))
    assert "14 gün" in faq and "Sipariş numaranızı" in faq
    chat.say(order_no)
    items = chat.say(owner(order_no)["email"])
    assert "Hangi ürünü" in texts(items)
    first_item = buttons(items)[0]
    reasons = chat.say(first_item)
    assert "Beden veya renk uymadı" in buttons(reasons)
    confirm = chat.say("Beden veya renk uymadı")
    assert "iade talebi oluşturayım mı" in texts(confirm)
    created = texts(chat.say("evet"))
    assert "IADE-" in created and "Yurtiçi Kargo" in created


def test_vazgec_leaves_the_flow(shopper):
    chat = shopper()
    chat.say("siparişimi iptal etmek istiyorum")
    assert "durdurdum" in texts(chat.say("vazgeç"))
    assert "kargo" in texts(chat.say("kargo ücreti ne kadar")).lower()


def test_an_anonymous_complaint_asks_where_to_answer_then_gets_a_ticket_with_that_address(shopper, running_store):
    chat = shopper()
    assert "e-posta" in texts(chat.say("kargom bir haftadır gelmedi kurye telefonu açmıyor, rezalet!!"))
    answer = texts(chat.say("deniz.kaya@example.com"))
    assert "SKT-" in answer and "kaydettim" in answer and "deniz.kaya@example.com" in answer


def test_return_status_by_code(shopper):
    ret = next(r for r in DEMO["returns"] if r["status"] == "kargo_bekleniyor")
    chat = shopper()
    chat.say(f"{ret['rma_code']} kodlu iadem ne durumda")
    answer = texts(chat.say(owner(ret["order_no"])["email"]))
    assert ret["rma_code"] in answer and "yolda" in answer
