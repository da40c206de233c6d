"""The assistant's side of tickets: complaints become tickets, the status in the chat, and a
missed refund date that opens a ticket by itself.

A real SQLite database seeded from the demo store and migrated with the desk's migrations too
(tickets, agents), as the action server shares it with the bridge. Rasa is not running: each
test builds the tracker the action would receive.
"""
from datetime import timedelta

import jwt
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import context, tickets
from actions.complaints import NO_EMAIL, ActionRecordComplaint, ValidateComplaintForm
from actions.returns import ActionReturnStatus
from actions.store.database import make_engine, make_sessionmaker
from actions.store.policy import expected_refund_by
from actions.store.sql_store import SqlStore
from actions.store.types import shop_date
from actions.texts import SKIP_EMAIL, format_day_on, format_due, format_moment
from actions.tickets import ActionTicketStatus, ValidateTicketStatusForm
from bot.desk.models import DeskUser
from bot.desk.store import migrate
from bot.patterns import ticket_code_in
from bot.settings import Settings
from bot.tickets import setup
from bot.tickets.models import Ticket
from bot.tickets.sla import target_for
from bot.tickets.store import NewTicket
from tests.asyncio_thread import run_async
from tests.conftest import DEMO, EDGE, demo_customer, demo_order

SECRET = "test-secret-for-customer-tokens-0123456789"
HOURS = "mon-fri 09:00-22:00, sat-sun 10:00-18:00"


def ticket_store_on(url):
    """The ticket store of the action server on the database at `url`, migrated with the desk's migrations."""
    engine = make_engine(url)
    migrate(engine)
    return setup.ticket_store(Settings(support_hours=HOURS, support_holidays="tr"), engine)


@pytest.fixture
def shop(seeded_db_url, seeded_template, monkeypatch):
    engine = make_engine(seeded_db_url)
    store = SqlStore(make_sessionmaker(engine))
    store.anchor = seeded_template[1]
    monkeypatch.setattr(context, "store", lambda: store)
    monkeypatch.setattr(context, "now", lambda: store.anchor)
    monkeypatch.setenv("CUSTOMER_TOKEN_SECRET", SECRET)
    yield store
    engine.dispose()


@pytest.fixture
def desk(shop, seeded_db_url, monkeypatch):
    """Tickets in the same database as the shop, as in production."""
    store = ticket_store_on(seeded_db_url)
    monkeypatch.setattr(tickets, "ticket_store", lambda: store)
    yield store
    store.engine.dispose()


def token(customer_id):
    return jwt.encode({"sub": str(customer_id), "exp": context.now() + timedelta(minutes=10)}, SECRET, "HS256")


def make_tracker(slots=None, text="", intent="inform", requested=None, metadata=None, language="tr", sender="chat-1"):
    all_slots = {"language": language, "requested_slot": requested, **(slots or {})}
    latest = {"text": text, "intent": {"name": intent}, "metadata": metadata or {}}
    return Tracker(sender, all_slots, latest, [], False, None, {}, "action_listen")


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, {})
    return dispatcher, {e["name"]: e.get("value") for e in events if e.get("event") == "slot"}


def texts(dispatcher):
    return " ".join(m.get("text") or "" for m in dispatcher.messages)


def required(validation, tracker, domain_slots):
    # on a thread of its own: the browser tests keep Playwright's event loop in the main thread
    return run_async(lambda: validation.required_slots(domain_slots, CollectingDispatcher(), tracker, {}))


def all_tickets(desk):
    with desk.session() as s:
        return list(s.execute(select(Ticket).order_by(Ticket.id)).scalars())


def customer_of(order_no):
    return demo_customer(demo_order(order_no)["customer_id"])


COMPLAINT = {"complaint_text": "Kargom 5 gündür gelmedi, kurye telefonu da açmıyor!!", "complaint_category": "kargo"}
COMPLAINT_SLOTS = ["complaint_text", "complaint_category", "contact_email"]


# --- complaints become tickets ------------------------------------------------------------------

def test_a_known_customers_complaint_is_a_ticket_with_their_email_and_the_sla_promise(desk, shop):
    customer = DEMO["customers"][0]
    metadata = {"customer_token": token(customer["id"])}
    # a known customer is not asked where to answer: the address is on file
    assert required(ValidateComplaintForm(), make_tracker(metadata=metadata), COMPLAINT_SLOTS) == COMPLAINT_SLOTS[:2]
    dispatcher, slots = run(ActionRecordComplaint(), make_tracker(COMPLAINT, metadata=metadata))
    (ticket,) = all_tickets(desk)
    assert (ticket.source, ticket.category, ticket.text, ticket.customer_id, ticket.email, ticket.conversation_id) == (
        "complaint", "kargo", COMPLAINT["complaint_text"], customer["id"], customer["email"].lower(), "chat-1")
    # the promise told is the ticket's first-response deadline, to the minute, in Istanbul time
    target = target_for(desk.targets, "kargo", "complaint")
    assert ticket.first_response_due == desk.calendar.add(shop.anchor, target.first_response)
    said = texts(dispatcher)
    assert ticket.code in said and format_due(ticket.first_response_due, "tr") in said and "e-postayla" in said
    assert customer["email"].lower() not in said and "•••@" in said  # the address on file is only hinted at
    signal = next(m["custom"]["complaint"] for m in dispatcher.messages if m.get("custom"))
    assert signal == {"reference": ticket.code, "category": "kargo"}
    assert slots["complaint_text"] is None


def test_a_complaint_after_a_proven_order_is_linked_to_it(desk, shop):
    order_no = EDGE["in_transit"]
    run(ActionRecordComplaint(), make_tracker({**COMPLAINT, "verified_order_no": order_no}))
    (ticket,) = all_tickets(desk)
    assert (ticket.order_no, ticket.customer_id, ticket.email) == (
        order_no, customer_of(order_no)["id"], customer_of(order_no)["email"].lower())


def test_an_anonymous_complaint_asks_for_an_email_and_the_answer_goes_there(desk, shop):
    validation = ValidateComplaintForm()
    assert required(validation, make_tracker(), COMPLAINT_SLOTS) == COMPLAINT_SLOTS
    asking = make_tracker(COMPLAINT, text="mailim Deniz.Kaya@Example.com", requested="contact_email")
    extracted = validation.extract_contact_email(CollectingDispatcher(), asking, {})
    assert validation.validate_contact_email(extracted["contact_email"], CollectingDispatcher(), asking, {}) == {
        "contact_email": "deniz.kaya@example.com"}
    dispatcher, slots = run(ActionRecordComplaint(), make_tracker({**COMPLAINT, "contact_email": "deniz.kaya@example.com"}))
    (ticket,) = all_tickets(desk)
    assert (ticket.email, ticket.customer_id, ticket.order_no) == ("deniz.kaya@example.com", None, None)
    said = texts(dispatcher)
    assert "deniz.kaya@example.com" in said and format_due(ticket.first_response_due, "tr") in said
    assert "contact_email" not in slots  # the address stays for this chat's next complaint


def test_an_anonymous_complaint_may_go_on_without_an_email_and_is_told_so_honestly(desk, shop):
    validation = ValidateComplaintForm()
    for text, intent in ((SKIP_EMAIL["tr"], "stop"), (SKIP_EMAIL["en"], "inform"), ("hayır", "deny")):
        tracker = make_tracker(COMPLAINT, text=text, intent=intent, requested="contact_email")
        assert validation.extract_contact_email(CollectingDispatcher(), tracker, {}) == {"contact_email": NO_EMAIL}
    dispatcher = CollectingDispatcher()
    wrong = make_tracker(COMPLAINT, text="deniz at example", requested="contact_email")
    value = validation.extract_contact_email(dispatcher, wrong, {})["contact_email"]
    assert validation.validate_contact_email(value, dispatcher, wrong, {}) == {"contact_email": None}
    assert "e-posta adresine benzemiyor" in texts(dispatcher) and dispatcher.messages[-1]["buttons"]

    dispatcher, slots = run(ActionRecordComplaint(), make_tracker({**COMPLAINT, "contact_email": NO_EMAIL}))
    (ticket,) = all_tickets(desk)
    assert ticket.email is None and ticket.customer_id is None
    said = texts(dispatcher)
    assert "ulaşamayacağız" in said and f"{ticket.code} ne durumda" in said and "e-postayla dönüş" not in said
    assert slots["contact_email"] is None  # asked again at the next complaint


def test_an_order_named_but_not_proven_stays_in_the_words_only(desk, shop):
    order_no = EDGE["in_transit"]
    words = f"{order_no} nolu siparişim bir haftadır gelmedi, rezalet"
    stranger, _ = run(ActionRecordComplaint(), make_tracker(
        {"complaint_text": words, "complaint_category": "kargo", "contact_email": "biri@example.com"}))
    owner, _ = run(ActionRecordComplaint(), make_tracker(
        {"complaint_text": words, "complaint_category": "kargo", "contact_email": customer_of(order_no)["email"].lower()}))
    guessed, proven = all_tickets(desk)
    assert (guessed.order_no, guessed.customer_id) == (None, None) and order_no in guessed.text
    # the order's own address proves it (silently: the chat says the same either way)
    assert (proven.order_no, proven.customer_id) == (order_no, customer_of(order_no)["id"])
    assert texts(stranger).replace("biri@example.com", "X").replace(guessed.code, "C") == texts(owner).replace(
        customer_of(order_no)["email"].lower(), "X").replace(proven.code, "C")


def test_a_database_without_tickets_gets_the_store_unavailable_answer(shop, monkeypatch):
    broken = setup.ticket_store(Settings(support_hours=HOURS), make_engine("sqlite://"))  # no tables
    monkeypatch.setattr(tickets, "ticket_store", lambda: broken)
    dispatcher, _ = run(ActionRecordComplaint(), make_tracker({**COMPLAINT, "contact_email": NO_EMAIL}))
    assert "ulaşamıyorum" in texts(dispatcher)
    assert any(m.get("custom", {}).get("handoff_offer") for m in dispatcher.messages)
    assert not any(m.get("custom", {}).get("complaint") for m in dispatcher.messages)



def test_the_action_server_brings_the_ticket_tables_up_itself(shop, seeded_db_url, monkeypatch):
    """Without a bridge having started (`make talk`, Rasa-only tests) a complaint is still recorded."""
    monkeypatch.setenv("DATABASE_URL", seeded_db_url)  # the seeded shop only: no desk tables yet
    tickets.ticket_store.cache_clear()
    try:
        dispatcher, _ = run(ActionRecordComplaint(), make_tracker({**COMPLAINT, "contact_email": NO_EMAIL}))
        store = tickets.ticket_store()
        assert [t.code for t in all_tickets(store)] == [ticket_code_in(texts(dispatcher))]
    finally:
        tickets.ticket_store.cache_clear()

# --- status in the chat ---------------------------------------------------------------------------

def open_for(desk, shop, customer_id=None, conversation_id="elsewhere", category="kargo", email=None):
    return desk.open(NewTicket(source="complaint", category=category, language="tr", text="kargo gecikti",
                               customer_id=customer_id, email=email, conversation_id=conversation_id), shop.anchor)


def add_agent(desk, display_name="Ayşe Demir"):
    with desk.session() as s:
        user = DeskUser(username="ayse", display_name=display_name, role="agent", password_hash="-",
                        languages=["tr"], created_at=context.now())
        s.add(user)
        s.commit()
        return user.id


def status(tracker):
    return run(ActionTicketStatus(), tracker)


@pytest.mark.parametrize("typed, code", [
    ("SKT-2026-000123 ne durumda", "SKT-2026-000123"), ("skt 2026 000123?", "SKT-2026-000123"),
    ("any update on dst-2026-000045", "DST-2026-000045"), ("SKT-2026-1234567", "SKT-2026-1234567"),  # past a million tickets the number grows
    ("SKT-2026-0001234567", None), ("IADE-7014", None),
])
def test_ticket_codes_are_read_as_shoppers_type_them(typed, code):
    assert ticket_code_in(typed) == code


def test_status_by_code_of_ones_own_ticket_in_plain_words(desk, shop):
    customer = DEMO["customers"][2]
    ticket = open_for(desk, shop, customer["id"], email=customer["email"])
    metadata = {"customer_token": token(customer["id"])}
    dispatcher, slots = status(make_tracker({"ticket_key": ticket.code}, metadata=metadata))
    said = texts(dispatcher)
    assert ticket.code in said and "ekibimiz inceliyor" in said and "Henüz yanıt verilmedi" in said
    assert format_due(ticket.first_response_due, "tr") in said and "atanmayı bekliyor" in said
    assert slots["ticket_key"] is None

    agent = add_agent(desk)
    desk.assign(ticket.id, agent, shop.anchor + timedelta(minutes=5))
    desk.reply(ticket.id, agent, "Kargo firmasıyla görüştük.", shop.anchor + timedelta(hours=1))
    dispatcher, _ = status(make_tracker({"ticket_key": ticket.code}, metadata=metadata, language="en"))
    said = texts(dispatcher)
    assert "Ayşe is handling it" in said and "Demir" not in said  # the first name only
    assert "waiting for your answer" in said and format_moment(shop.anchor + timedelta(hours=1), "en") in said
    assert "Kargo firmasıyla" not in said  # the reply itself goes by e-mail, not into a chat anyone may open



def test_a_missed_deadline_is_admitted_and_a_resolved_ticket_says_when(desk, shop, monkeypatch):
    customer = DEMO["customers"][2]
    ticket = open_for(desk, shop, customer["id"])
    metadata = {"customer_token": token(customer["id"])}
    monkeypatch.setattr(context, "now", lambda: ticket.first_response_due + timedelta(minutes=1))
    dispatcher, _ = status(make_tracker({"ticket_key": ticket.code}, metadata=metadata))
    assert f"{format_due(ticket.first_response_due, 'tr')} dönüş yapmamız gerekiyordu" in texts(dispatcher)
    resolved_at = ticket.first_response_due + timedelta(hours=2)
    desk.set_status(ticket.id, "resolved", resolved_at)
    dispatcher, _ = status(make_tracker({"ticket_key": ticket.code}, metadata=metadata))
    said = texts(dispatcher)
    assert "çözüldü" in said and format_moment(resolved_at, "tr") in said and "gerekiyordu" not in said

def test_another_customers_code_gets_the_answer_of_an_unknown_code(desk, shop):
    mine, theirs = DEMO["customers"][3], DEMO["customers"][4]
    other = open_for(desk, shop, theirs["id"], category="odeme")
    metadata = {"customer_token": token(mine["id"])}
    validation = ValidateTicketStatusForm()
    for code in (other.code, "SKT-2026-999999"):
        tracker = make_tracker({"ticket_key": code}, metadata=metadata)
        assert required(validation, tracker, []) == ["ticket_key"]  # a proven customer: no further proof asked
    refused, _ = status(make_tracker({"ticket_key": other.code}, metadata=metadata))
    unknown, _ = status(make_tracker({"ticket_key": "SKT-2026-999999"}, metadata=metadata))
    assert texts(refused).replace(other.code, "C") == texts(unknown).replace("SKT-2026-999999", "C")
    assert "size ait bir talep bulamadım" in texts(refused) and "Ödeme" not in texts(refused)


def test_status_without_proof_asks_for_a_code_or_an_order_and_its_proof(desk, shop):
    validation = ValidateTicketStatusForm()
    asking = make_tracker(text="şikayetim ne oldu", intent="ticket_status")
    assert validation.extract_ticket_key(CollectingDispatcher(), asking, {}) == {"ticket_key": None}
    assert required(validation, asking, []) == ["ticket_key"]  # asked for

    order_no = EDGE["in_transit"]
    owner = customer_of(order_no)
    ticket = open_for(desk, shop, owner["id"], email=owner["email"])
    by_code = make_tracker({"ticket_key": ticket.code})
    assert required(validation, by_code, []) == ["ticket_key", "order_no", "order_proof"]
    # the order proof of the order flows; once given, the customer's own ticket is shown
    proven = make_tracker({"ticket_key": ticket.code, "order_no": order_no, "verified_order_no": order_no})
    assert required(validation, proven, []) == ["ticket_key"]
    dispatcher, _ = status(proven)
    assert ticket.code in texts(dispatcher) and "inceliyor" in texts(dispatcher)
    # a proof of somebody else's order shows nothing of this ticket
    other_order = next(o["order_no"] for o in DEMO["orders"] if o["customer_id"] != owner["id"])
    dispatcher, _ = status(make_tracker({"ticket_key": ticket.code, "verified_order_no": other_order}))
    assert "bulamadım" in texts(dispatcher) and "inceliyor" not in texts(dispatcher)
    # an order number as the key: its proof is asked like in the order flows
    by_order = make_tracker(text=order_no, intent="ticket_status")
    key = validation.extract_ticket_key(CollectingDispatcher(), by_order, {})
    assert key == {"ticket_key": order_no}
    assert validation.validate_ticket_key(order_no, CollectingDispatcher(), by_order, {})["order_no"] == order_no
    assert required(validation, make_tracker({"ticket_key": order_no, "order_no": order_no}), []) == [
        "ticket_key", "order_no", "order_proof"]
    dispatcher, _ = status(make_tracker({"ticket_key": order_no, "order_no": order_no}))  # not proven
    assert ticket.code not in texts(dispatcher)


def test_tickets_of_this_chat_need_no_proof(desk, shop):
    here = open_for(desk, shop, conversation_id="chat-1")
    elsewhere = open_for(desk, shop, conversation_id="chat-2")
    validation = ValidateTicketStatusForm()
    starting = make_tracker(text="şikayetim ne oldu", intent="ticket_status")
    assert validation.extract_ticket_key(CollectingDispatcher(), starting, {}) == {"ticket_key": "mine"}
    assert required(validation, make_tracker({"ticket_key": here.code}), []) == ["ticket_key"]
    assert required(validation, make_tracker({"ticket_key": elsewhere.code}), []) == [
        "ticket_key", "order_no", "order_proof"]
    dispatcher, _ = status(make_tracker({"ticket_key": "mine"}))
    assert here.code in texts(dispatcher) and elsewhere.code not in texts(dispatcher)
    assert "e-posta" not in texts(dispatcher)  # no address: nothing is promised by e-mail


def test_several_open_tickets_are_listed_with_their_codes(desk, shop):
    customer = DEMO["customers"][5]
    opened = [open_for(desk, shop, customer["id"]) for _ in range(4)]
    desk.set_status(opened[0].id, "resolved", shop.anchor)
    dispatcher, _ = status(make_tracker({"ticket_key": "mine"}, metadata={"customer_token": token(customer["id"])}))
    said = texts(dispatcher)
    assert "Açık 3 talebiniz var" in said and opened[0].code not in said
    assert all(t.code in said for t in opened[1:])
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == [f"{t.code} ne durumda" for t in reversed(opened[1:])]


# --- a refund date that passed ------------------------------------------------------------------

def return_status_of(order_no, sender="chat-1"):
    return run(ActionReturnStatus(), make_tracker({"verified_order_no": order_no, "order_no": order_no,
                                                   "return_key": order_no}, sender=sender))


def test_an_overdue_refund_is_said_honestly_and_opens_one_ticket_once(desk, shop):
    order_no = EDGE["return_in_progress"]
    late = next(r for r in shop.find_order(order_no).returns if r.status == "inceleniyor")
    assert shop_date(shop.anchor) > expected_refund_by(late.opened_at)  # the demo's return is past its date
    dispatcher, _ = return_status_of(order_no)
    said = texts(dispatcher)
    assert f"en geç {format_day_on(expected_refund_by(late.opened_at), 'tr')} başlaması gerekiyordu" in said
    assert "özür dileriz" in said and "tahmini para iadesi en geç" not in said
    (ticket,) = all_tickets(desk)
    owner = customer_of(order_no)
    assert (ticket.source, ticket.category, ticket.order_no, ticket.customer_id, ticket.email) == (
        "missed_promise", "iade", order_no, owner["id"], owner["email"])
    assert late.rma_code in ticket.text and ticket.code.startswith("DST-") and ticket.code in said
    again, _ = return_status_of(order_no, sender="chat-2")  # another chat, the same promise
    assert "zaten takip ediliyor" in texts(again) and ticket.code in texts(again)
    assert len(all_tickets(desk)) == 1
    desk.set_status(ticket.id, "resolved", shop.anchor)
    return_status_of(order_no)  # still late after the ticket was resolved: followed up again
    assert len(all_tickets(desk)) == 2


def test_a_refund_still_on_time_or_waiting_for_the_parcel_opens_nothing(desk, shop):
    fresh = next(r for r in DEMO["returns"] if r["status"] == "kargo_bekleniyor" and r["opened_days_ago"] <= 7)
    dispatcher, _ = return_status_of(fresh["order_no"])
    assert "tahmini para iadesi en geç" in texts(dispatcher)
    unsent = next(r for r in DEMO["returns"] if r["status"] == "acildi" and r["opened_days_ago"] > 30)
    dispatcher, _ = return_status_of(unsent["order_no"])
    assert "depomuza ulaştıktan sonra" in texts(dispatcher) and "gerekiyordu" not in texts(dispatcher)
    assert all_tickets(desk) == []


def test_an_overdue_refund_that_cannot_be_recorded_offers_a_person(shop, monkeypatch):
    broken = setup.ticket_store(Settings(support_hours=HOURS), make_engine("sqlite://"))
    monkeypatch.setattr(tickets, "ticket_store", lambda: broken)
    dispatcher, _ = return_status_of(EDGE["return_in_progress"])
    assert "gerekiyordu" in texts(dispatcher) and "kayda geçiremedim" in texts(dispatcher)
    assert any(m.get("custom", {}).get("handoff_offer") for m in dispatcher.messages)

