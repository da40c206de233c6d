"""The agents' Tickets API (bot/tickets/agent_web.py) on the real bridge application, in this process
in front of a fake Rasa (tests/resilience/inprocess.py), on a database with the demo store.

Tickets are seeded with the ticket core (TicketStore) on the bridge's own database, with support
open around the clock so that deadlines are plain arithmetic. Agents log in with the demo accounts.
Checked: the views (mine, unassigned, breaching) and the search by code, e-mail and order number;
the ticket page with its notes, customer, chat and canned responses (and the audit log entry);
a reply (stored, the ticket waits for the customer) and a note (never public); a reassignment that
raced another one (409, nothing changed); who may call (401, 403); bad input (400 with words, in
the console's language, and nothing changed); HTML written by an agent comes back as the same text."""
import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from actions.store.database import make_engine
from actions.store.seed import seed
from bot.desk.models import Conversation, DeskUser
from bot.desk.store import DeskStore, utcnow
from bot.privacy.models import AuditEntry
from bot.processes import free_port
from bot.settings import Settings
from bot.tickets.models import Ticket, TicketEntry
from bot.tickets.setup import ticket_store
from bot.tickets.store import NewTicket
from tests.resilience.inprocess import InProcessBridge
from tests.stack import DESK_PASSWORDS, desk_passwords

pytestmark = pytest.mark.integration

DEMO = json.loads((Path(__file__).resolve().parents[2] / "data" / "demo_store.json").read_text(encoding="utf-8"))
NUR = DEMO["customers"][0]  # Nur Güneş, with orders
NUR_ORDER = next(o["order_no"] for o in DEMO["orders"] if o["customer_id"] == NUR["id"])
HTML = '<img src=x onerror="alert(1)"><b>Merhaba</b> & "tırnak"'


class Scorer:
    """No shopper writes in these tests; the frustration model is not needed."""

    def score(self, *args, **kwargs):
        raise AssertionError("no shopper message is expected here")


@pytest.fixture(scope="module")
def bridge(tmp_path_factory):
    settings = Settings(state_dir=tmp_path_factory.mktemp("tickets-api"), bridge_port=free_port(), rasa_port=free_port(),
                        desk_secret=uuid.uuid4().hex * 2, support_hours="always", smtp_host="", ticket_warn_hours=2.0)
    engine = make_engine(settings.store_database_url)
    seed(engine)
    engine.dispose()
    with desk_passwords():
        running = InProcessBridge(settings, scorer_factory=Scorer).start()
    running.tokens = {}
    yield running
    running.stop()


@pytest.fixture(scope="module")
def world(bridge):
    """Four tickets: Ayşe's, breaching in an hour (Nur's complaint, with a chat and a note); an
    unassigned one already past its deadline; Mehmet's, with time to spare; one long resolved."""
    desk = DeskStore(make_engine(bridge.settings.store_database_url))
    store = ticket_store(bridge.settings, desk.engine)
    now = utcnow()
    with desk.session() as s:
        ids = {u.username: u.id for u in s.execute(select(DeskUser)).scalars()}
    chat = desk.create_conversation("tr")
    desk.update_conversation(chat.id, customer_id=NUR["id"])
    desk.add_message(chat.id, "shopper", "Siparişim hasarlı geldi, çok kızgınım")
    desk.add_message(chat.id, "bot", "Şikâyetinizi kaydettim.")
    near = store.open(NewTicket("complaint", "kargo", "tr", "Kutu ezik geldi", customer_id=NUR["id"],
                                email=NUR["email"], conversation_id=chat.id, order_no=NUR_ORDER, segments=["vip"]),
                      now - timedelta(hours=7))  # first response due in an hour: within the 2-hour warning
    store.assign(near.id, ids["ayse"], now - timedelta(hours=6))
    store.note(near.id, ids["mehmet"], "Kargo firmasını aradım, dönüş bekliyorum", now - timedelta(hours=5))
    late = store.open(NewTicket("after_hours", "diger", "en", "Where is my refund?", email="late@example.com"),
                      now - timedelta(hours=10))  # first response was due 2 hours ago
    calm = store.open(NewTicket("chat_followup", "iade", "tr", "İade kodu istiyor", email="calm@example.com"), now)
    store.assign(calm.id, ids["mehmet"], now)
    done = store.open(NewTicket("complaint", "urun", "tr", "Renk farklı", email="done@example.com"),
                      now - timedelta(days=3))
    store.set_status(done.id, "resolved", now - timedelta(days=2))
    desk.engine.dispose()
    return {"ids": ids, "near": near, "late": late, "calm": calm, "done": done, "chat": chat.id}


def token(bridge, username):
    if username not in bridge.tokens:
        response = requests.post(f"{bridge.url}/api/login",
                                 json={"username": username, "password": DESK_PASSWORDS[username]}, timeout=30)
        response.raise_for_status()
        bridge.tokens[username] = response.json()["token"]
    return bridge.tokens[username]


def call(bridge, method, path, username="ayse", **kwargs):
    headers = {"Authorization": f"Bearer {token(bridge, username)}"} if username else {}
    return requests.request(method, f"{bridge.url}{path}", headers=headers, timeout=30, **kwargs)


def listed(bridge, username="ayse", **params):
    response = call(bridge, "GET", "/api/tickets", username, params=params)
    assert response.status_code == 200, response.text
    return response.json()["tickets"]


def codes(rows):
    return [row["code"] for row in rows]


def snapshot(bridge):
    """Every ticket and thread entry as stored: what "nothing changed" compares."""
    engine = make_engine(bridge.settings.store_database_url)
    try:
        with engine.connect() as connection:
            return ([tuple(row) for row in connection.execute(select(Ticket.__table__).order_by(Ticket.id))],
                    [tuple(row) for row in connection.execute(select(TicketEntry.__table__).order_by(TicketEntry.id))])
    finally:
        engine.dispose()


def stored(bridge, ticket_id):
    desk = DeskStore(make_engine(bridge.settings.store_database_url))
    try:
        store = ticket_store(bridge.settings, desk.engine)
        return store.get(ticket_id), store.entries(ticket_id), store.entries(ticket_id, public_only=True)
    finally:
        desk.engine.dispose()


# --- who may call ----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/tickets", "/api/tickets/agents", "/api/tickets/1"])
def test_without_a_login_the_answer_is_401_in_words(bridge, world, path):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        response = requests.get(f"{bridge.url}{path}", headers=headers, timeout=30)
        assert response.status_code == 401
        assert response.json() == {"code": "unauthorized", "message": "Oturum açmanız gerekiyor.",
                                   "error": "Oturum açmanız gerekiyor."}


def test_an_editor_is_refused_and_changes_nothing(bridge, world):
    before = snapshot(bridge)
    assert call(bridge, "GET", "/api/tickets", "editor").status_code == 403
    response = call(bridge, "POST", f"/api/tickets/{world['near'].id}/reply", "editor", json={"text": "selam"},
                    params={"lang": "en"})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert response.json()["message"] == "Tickets are for agents and admins only."
    assert snapshot(bridge) == before


def test_an_admin_may_read_the_tickets(bridge, world):
    assert world["near"].code in codes(listed(bridge, "yonetici", view="all"))


# --- lists ------------------------------------------------------------------------------------

def test_mine_unassigned_and_breaching(bridge, world):
    near, late, calm, done = (world[k] for k in ("near", "late", "calm", "done"))
    assert codes(listed(bridge, "ayse", view="mine")) == [near.code]
    assert codes(listed(bridge, "mehmet", view="mine")) == [calm.code]
    assert codes(listed(bridge, view="unassigned")) == [late.code]
    breaching = listed(bridge, view="breaching")
    assert codes(breaching) == [late.code, near.code]  # the most urgent first
    by_code = {row["code"]: row for row in breaching}
    assert by_code[late.code]["breached"] is True and by_code[late.code]["breaching"] is True
    assert by_code[near.code]["breached"] is False and by_code[near.code]["breaching"] is True
    assert by_code[near.code]["next_due_kind"] == "first_response"
    assert 3000 < by_code[near.code]["due_in_seconds"] <= 3600
    open_rows = listed(bridge, view="open")
    assert codes(open_rows) == [late.code, near.code, calm.code]
    assert next(r for r in open_rows if r["code"] == calm.code)["breaching"] is False
    assert codes(listed(bridge, view="resolved")) == [done.code]
    assert done.code in codes(listed(bridge, view="all")) and len(listed(bridge, view="all")) == 4


def test_a_row_says_who_owns_it_and_whose_it_is(bridge, world):
    row = next(r for r in listed(bridge, view="mine") if r["code"] == world["near"].code)
    assert row["owner"] == {"id": world["ids"]["ayse"], "name": "Ayşe K."}
    assert row["customer_first_name"] == NUR["first_name"]
    assert row["status"] == "open" and row["category"] == "kargo" and row["source"] == "complaint"
    assert row["segments"] == ["vip"] and row["channel"] == "chat" and row["language"] == "tr"
    for key in ("created_at", "first_response_due", "resolution_due", "next_due", "last_activity"):
        assert row[key].endswith("Z"), key
    assert "email" not in row  # an address is on the ticket page (audited), not in lists


def test_search_by_code_e_mail_and_order_number(bridge, world):
    near = world["near"]
    assert codes(listed(bridge, view="all", q=near.code.lower())) == [near.code]
    assert codes(listed(bridge, view="all", q=NUR["email"].upper())) == [near.code]
    assert codes(listed(bridge, view="all", q=f"#{NUR_ORDER}")) == [near.code]
    assert codes(listed(bridge, view="all", q="late@example.com")) == [world["late"].code]
    assert listed(bridge, view="all", q="nobody@example.com") == []


def test_the_category_filter(bridge, world):
    assert codes(listed(bridge, view="all", category="iade")) == [world["calm"].code]
    response = call(bridge, "GET", "/api/tickets", params={"view": "all"})
    assert {"kargo", "iade", "diger", "urun"} <= set(response.json()["categories"])


@pytest.mark.parametrize("params, code", [({"view": "everything"}, "bad_view"), ({"category": "<script>"}, "bad_category"),
                                          ({"q": "x" * 300}, "bad_query")])
def test_bad_list_parameters_get_400_with_words(bridge, world, params, code):
    response = call(bridge, "GET", "/api/tickets", params=params)
    assert response.status_code == 400
    assert response.json()["code"] == code and response.json()["message"]


def test_the_agents_who_can_own_a_ticket(bridge, world):
    agents = call(bridge, "GET", "/api/tickets/agents").json()["agents"]
    by_name = {agent["name"]: agent for agent in agents}
    assert {"Ayşe K.", "Mehmet D.", "Zeynep Ş."} <= set(by_name)
    assert by_name["Mehmet D."]["languages"] == ["tr"] and by_name["Mehmet D."]["open_tickets"] >= 1
    assert "Editör" not in " ".join(by_name)  # editors own no tickets


# --- the ticket page --------------------------------------------------------------------------

def test_the_ticket_page_has_notes_customer_chat_and_canned_responses_and_is_audited(bridge, world):
    near = world["near"]
    response = call(bridge, "GET", f"/api/tickets/{near.id}")
    assert response.status_code == 200
    ticket = response.json()["ticket"]
    assert ticket["code"] == near.code and ticket["email"] == NUR["email"] and ticket["order_no"] == NUR_ORDER
    assert ticket["text"] == "Kutu ezik geldi"
    kinds = [entry["kind"] for entry in ticket["thread"]]
    assert kinds == ["event", "event", "note"]
    note = ticket["thread"][-1]
    assert note["text"] == "Kargo firmasını aradım, dönüş bekliyorum" and note["author"]["name"] == "Mehmet D."
    assigned = ticket["thread"][1]["event"]
    assert assigned["event"] == "assigned" and assigned["to_name"] == "Ayşe K."
    assert ticket["context"]["customer"]["name"] == f"{NUR['first_name']} {NUR['last_name']}"
    assert NUR_ORDER in [order["order_no"] for order in ticket["context"]["orders"]]
    assert [m["text"] for m in ticket["transcript"]] == ["Siparişim hasarlı geldi, çok kızgınım",
                                                          "Şikâyetinizi kaydettim."]
    assert "greeting" in [response["key"] for response in ticket["canned"]]
    desk = DeskStore(make_engine(bridge.settings.store_database_url))
    try:
        with desk.session() as s:
            audited = s.execute(select(AuditEntry).where(AuditEntry.subject == near.code)).scalars().all()
    finally:
        desk.engine.dispose()
    assert [(a.actor, a.action, a.customer_id) for a in audited] == [("ayse", "view_customer", NUR["id"])]


def test_an_unknown_ticket_is_404_in_words(bridge, world):
    response = call(bridge, "GET", "/api/tickets/999999", params={"lang": "en"})
    assert response.status_code == 404
    assert response.json()["message"] == "There is no such ticket."


# --- changes ----------------------------------------------------------------------------------

def test_a_reply_is_stored_and_the_ticket_waits_for_the_customer(bridge, world):
    calm = world["calm"]
    response = call(bridge, "POST", f"/api/tickets/{calm.id}/reply", "mehmet", json={"text": "  İade kodunuz yolda.  "})
    assert response.status_code == 200, response.text
    assert response.json()["ticket"]["status"] == "waiting"
    assert response.json()["entry"]["text"] == "İade kodunuz yolda."
    ticket, _, public = stored(bridge, calm.id)
    assert ticket.status == "waiting" and ticket.first_response_at is not None
    assert [(e.kind, e.text, e.channel) for e in public] == [("reply", "İade kodunuz yolda.", "page")]


def test_a_note_is_never_in_the_public_thread(bridge, world):
    calm = world["calm"]
    response = call(bridge, "POST", f"/api/tickets/{calm.id}/note", json={"text": "Müşteri iki kez aradı"})
    assert response.status_code == 200
    assert response.json()["entry"]["kind"] == "note" and response.json()["entry"]["author"]["name"] == "Ayşe K."
    _, everything, public = stored(bridge, calm.id)
    assert "Müşteri iki kez aradı" in [e.text for e in everything]
    assert "Müşteri iki kez aradı" not in [e.text for e in public]
    page = call(bridge, "GET", f"/api/tickets/{calm.id}").json()["ticket"]
    assert page["thread"][-1]["kind"] == "note"


def test_html_in_a_reply_comes_back_as_the_same_text(bridge, world):
    late = world["late"]
    response = call(bridge, "POST", f"/api/tickets/{late.id}/reply", json={"text": HTML})
    assert response.status_code == 200
    page = call(bridge, "GET", f"/api/tickets/{late.id}").json()["ticket"]
    assert page["thread"][-1]["text"] == HTML and page["thread"][-1]["kind"] == "reply"
    assert page["owner"]["name"] == "Ayşe K."  # whoever answers an unowned ticket owns it


def test_a_reassignment_that_raced_another_is_refused_and_changes_nothing(bridge, world):
    near, ids = world["near"], world["ids"]
    before = snapshot(bridge)
    response = call(bridge, "POST", f"/api/tickets/{near.id}/assign", "zeynep",
                    json={"agent_id": ids["zeynep"], "seen_owner": None})  # she saw it unassigned: stale
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert response.json()["message"].startswith("Siz bakarken başka biri talebin sahibini değiştirdi")
    assert snapshot(bridge) == before
    moved = call(bridge, "POST", f"/api/tickets/{near.id}/assign", "zeynep",
                 json={"agent_id": ids["zeynep"], "seen_owner": ids["ayse"]})
    assert moved.status_code == 200 and moved.json()["ticket"]["owner"]["name"] == "Zeynep Ş."
    assert stored(bridge, near.id)[0].owner_id == ids["zeynep"]


def test_the_status_changes_and_a_closed_ticket_stays_closed(bridge, world):
    done = world["done"]
    assert call(bridge, "POST", f"/api/tickets/{done.id}/status", json={"status": "open"}).json()["ticket"]["status"] == "open"
    assert call(bridge, "POST", f"/api/tickets/{done.id}/status", json={"status": "closed"}).status_code == 200
    before = snapshot(bridge)
    for path, body in (("status", {"status": "open"}), ("reply", {"text": "Merhaba"}),
                       ("assign", {"agent_id": world["ids"]["ayse"], "seen_owner": None})):
        response = call(bridge, "POST", f"/api/tickets/{done.id}/{path}", json=body)
        assert response.status_code == 409, path
        assert response.json()["code"] in ("ticket_closed", "not_open")
    assert snapshot(bridge) == before


BAD_BODIES = [
    ("reply", b"{not json", "bad_json", "İstek okunamadı"),
    ("reply", b'["a list"]', "bad_json", "İstek okunamadı"),
    ("reply", b'{"text": "   "}', "empty", "Boş bir metin"),
    ("note", b'{"text": 42}', "empty", "Boş bir metin"),
    ("note", json.dumps({"text": "x" * 5001}).encode(), "too_long", "Metin en fazla 5000 karakter"),
    ("status", b'{"status": "deleted"}', "bad_status", "Durum şunlardan biri olmalı"),
    ("status", b'{"status": "new"}', "bad_status", "Durum şunlardan biri olmalı"),
    ("assign", b'{"agent_id": true, "seen_owner": null}', "bad_agent", "Böyle bir temsilci yok"),
    ("assign", b'{"agent_id": 987654, "seen_owner": null}', "bad_agent", "Böyle bir temsilci yok"),
    ("assign", b'{"agent_id": null}', "bad_owner", "İstekte talebin şu anki sahibi"),
]


@pytest.mark.parametrize("path, body, code, words", BAD_BODIES,
                         ids=[f"{path}-{code}-{i}" for i, (path, _, code, _) in enumerate(BAD_BODIES)])
def test_bad_input_gets_400_with_words_and_changes_nothing(bridge, world, path, body, code, words):
    before = snapshot(bridge)
    response = requests.post(f"{bridge.url}/api/tickets/{world['near'].id}/{path}", data=body, timeout=30,
                             headers={"Authorization": f"Bearer {token(bridge, 'ayse')}",
                                      "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == code
    assert response.json()["message"].startswith(words)
    assert snapshot(bridge) == before


def test_refusals_are_worded_in_english_for_an_english_console(bridge, world):
    response = requests.post(f"{bridge.url}/api/tickets/{world['near'].id}/note", params={"lang": "en"},
                             data=b'{"text": ""}', timeout=30,
                             headers={"Authorization": f"Bearer {token(bridge, 'ayse')}"})
    assert response.status_code == 400
    assert response.json()["message"] == "An empty text cannot be sent."


def test_the_conversation_is_left_alone(bridge, world):
    """Reading a ticket does not touch its chat (the transcript is read only)."""
    desk = DeskStore(make_engine(bridge.settings.store_database_url))
    try:
        with desk.session() as s:
            conversation = s.get(Conversation, world["chat"])
            assert conversation.state == "bot" and conversation.agent_id is None
    finally:
        desk.engine.dispose()


# --- the warning window is support time ------------------------------------------------------

def test_near_breach_counts_support_time_not_the_wall_clock():
    """Due on Monday at 10:00 (Istanbul): on Friday at 17:30, with support until 18:00, only 1.5 support
    hours are left (half an hour on Friday, one on Monday), inside a 2-hour warning: breaching, although
    the wall clock says 64 hours. On Friday at 15:00 there are 4 support hours left: not yet."""
    from datetime import datetime, timezone

    from bot.tickets.sla import SupportCalendar
    from bot.tickets.views import due_state

    calendar = SupportCalendar.from_settings("mon-fri 09:00-18:00", "none")
    utc = timezone.utc
    ticket = Ticket(status="open", first_response_due=datetime(2026, 12, 7, 7, 0, tzinfo=utc),  # Mon 10:00 +03
                    resolution_due=datetime(2026, 12, 9, 7, 0, tzinfo=utc), first_response_at=None)
    friday_evening = datetime(2026, 12, 4, 14, 30, tzinfo=utc)  # Fri 17:30 +03
    state = due_state(ticket, friday_evening, calendar, timedelta(hours=2))
    assert state["breaching"] is True and state["breached"] is False and state["next_due_kind"] == "first_response"
    assert state["due_in_seconds"] == int(timedelta(hours=64, minutes=30).total_seconds())
    assert due_state(ticket, datetime(2026, 12, 4, 12, 0, tzinfo=utc), calendar, timedelta(hours=2))["breaching"] is False
    ticket.status = "resolved"
    assert due_state(ticket, friday_evening, calendar, timedelta(hours=2))["next_due"] is None
