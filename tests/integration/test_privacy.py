"""A data subject's requests through the admins' API of the running stack: a customer who chatted,
proved an order and talked to an agent is exported, then erased; afterwards nothing outside the
kept order records names them: no table, no Rasa tracker, no file of the state folder."""
import re

import pytest
import requests
from sqlalchemy import MetaData, String, Table, Text, func, inspect, select

from bot.privacy.models import AuditEntry
from tests.conftest import demo_customer
from tests.integration.test_live_chat import escalate, finish, take

pytestmark = pytest.mark.integration

# A customer no other test chats as (erasing them must not change what other tests expect).
ORDER_NO, CUSTOMER_ID = "402729", 1009
KEPT = {("customers", column) for column in ("email", "phone", "first_name", "last_name")}


def api(running_bridge, method, path, username="yonetici", **kwargs):
    return requests.request(method, f"{running_bridge.url}{path}", headers=running_bridge.auth_headers(username),
                            timeout=60, **kwargs)


def where_found(engine, needle):
    """(table, column) pairs whose text holds `needle`, in every table of the database."""
    found = set()
    for name in inspect(engine).get_table_names():
        table = Table(name, MetaData(), autoload_with=engine)
        with engine.connect() as connection:
            for column in table.columns:
                if isinstance(column.type, (String, Text)) or column.type.__class__.__name__ == "JSON":
                    query = select(func.count()).select_from(table).where(
                        func.lower(func.cast(column, Text)).contains(needle.lower()))
                    if connection.execute(query).scalar_one():
                        found.add((name, column.name))
    return found


def files_mentioning(folder, needles):
    hits = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.name.startswith("kuzey.db"):
            text = path.read_text(encoding="utf-8", errors="replace").lower()
            digits = re.sub(r"\D", "", text)
            hits += [(path.name, n) for n in needles if n.lower() in text or (n.isdigit() and n in digits)]
    return hits


def test_an_agent_may_not_use_the_privacy_pages_and_the_attempt_is_audited(running_bridge):
    assert requests.get(f"{running_bridge.url}/api/privacy/requests", timeout=10).status_code == 401
    for method, path in (("GET", "/api/privacy/requests"), ("GET", "/api/privacy/audit"),
                         ("POST", "/api/privacy/retention/run")):
        response = api(running_bridge, method, path, username="ayse")
        assert response.status_code == 403, path
    with running_bridge.desk_store().session() as s:
        refused = s.execute(select(AuditEntry).where(AuditEntry.actor == "ayse", AuditEntry.action == "refused")).scalars()
        assert {"/api/privacy/requests", "/api/privacy/audit", "/api/privacy/retention/run"} <= {e.subject for e in refused}


def test_bad_input_gets_a_clear_message_and_opens_no_request(running_bridge):
    before = api(running_bridge, "GET", "/api/privacy/requests").json()["requests"]
    for body in ({"kind": "access", "identifier_kind": "email", "identifier": "not-an-email"},
                 {"kind": "everything", "identifier_kind": "email", "identifier": "a@b.co"},
                 {"kind": "access", "identifier_kind": "phone", "identifier": ["0532"]}):
        response = api(running_bridge, "POST", "/api/privacy/requests", json=body)
        assert response.status_code == 400 and response.json()["error"], body
    assert api(running_bridge, "POST", "/api/privacy/requests", data="not json").status_code == 400
    assert api(running_bridge, "POST", "/api/privacy/requests/999999/answer", json={}).status_code == 400
    assert api(running_bridge, "POST", "/api/privacy/requests/99999999999999999999/answer", json={}).status_code == 404
    assert api(running_bridge, "GET", "/api/privacy/audit?customer_id=²").status_code == 400
    assert api(running_bridge, "GET", "/api/privacy/requests").json()["requests"] == before


def test_a_refusal_has_a_code_and_the_words_of_the_pages_language(running_bridge):
    bad_email = {"kind": "access", "identifier_kind": "email", "identifier": "not-an-email"}
    turkish = api(running_bridge, "POST", "/api/privacy/requests", json=bad_email)
    english = api(running_bridge, "POST", "/api/privacy/requests?lang=en", json=bad_email)
    in_the_body = api(running_bridge, "POST", "/api/privacy/requests", json={**bad_email, "lang": "en"})
    assert turkish.status_code == english.status_code == in_the_body.status_code == 400
    assert turkish.json() == {"error": "Geçerli bir e-posta adresi girin.", "code": "bad_email"}
    assert english.json() == in_the_body.json() == {"error": "Enter a valid e-mail address.", "code": "bad_email"}
    assert api(running_bridge, "GET", "/api/privacy/audit?customer_id=x&lang=en").json() == {
        "error": "A customer number is made of digits only.", "code": "bad_customer"}
    assert api(running_bridge, "POST", "/api/privacy/requests?lang=en", data="[]").json() == {
        "error": "The request must be a JSON object.", "code": "not_object"}
    assert api(running_bridge, "POST", "/api/privacy/requests/999999/answer?lang=en", json={}).json() == {
        "error": "There is no such request.", "code": "no_such_request"}
    refused = api(running_bridge, "GET", "/api/privacy/requests?lang=en", username="ayse")
    assert refused.status_code == 403 and refused.json() == {"error": "You are not allowed to open this page."}


def test_export_then_erase_a_customer_who_chatted(running_bridge):
    customer = demo_customer(CUSTOMER_ID)
    name = f"{customer['first_name']} {customer['last_name']}"
    phone_digits = re.sub(r"\D", "", customer["phone"])[-10:]
    ayse, shopper = running_bridge.agent("ayse"), running_bridge.shopper()
    try:
        shopper.say(f"{ORDER_NO} nolu siparişim nerede")
        shopper.say(f"mailim {customer['email']}")
        shopper.say(f"Ben {name}, telefonum {customer['phone']}")
        escalate(shopper)
        conversation = take(ayse, shopper.session_id)
        assert conversation["customer"]["id"] == CUSTOMER_ID
        ayse.call("send", {"conversation_id": shopper.session_id, "text": f"Merhaba {customer['first_name']} Hanım"})
        finish(ayse, shopper.session_id)
    finally:
        shopper.disconnect()
        ayse.disconnect()

    # Access: the export holds the chat, the customer record and who looked at it.
    opened = api(running_bridge, "POST", "/api/privacy/requests",
                 json={"kind": "access", "identifier_kind": "email", "identifier": customer["email"], "note": "e-posta ile"})
    assert opened.status_code == 201 and opened.json()["status"] == "open" and opened.json()["days_left"] == 30
    preview = api(running_bridge, "GET", f"/api/privacy/requests/{opened.json()['id']}/preview").json()
    assert preview["found"] and preview["counts"]["conversations"] >= 1 and preview["counts"]["kept_orders"] >= 1
    answered = api(running_bridge, "POST", f"/api/privacy/requests/{opened.json()['id']}/answer",
                   json={"reason": "KVKK m.11 başvurusu"}).json()
    document = answered["document"]
    [chat] = [c for c in document["conversations"] if c["id"] == shopper.session_id]
    assert any(customer["email"] in m["text"] for m in chat["messages"])
    assert document["customer"][0]["id"] == CUSTOMER_ID and "kept_records" in document
    assert any(e["actor"] == "ayse" and e["action"] == "view_customer" for e in document["access_log"])
    assert customer["email"] in answered["html"] and answered["request"]["status"] == "answered"
    assert any(m.get("said") for m in document["assistant_memory"])

    # Erasure: nothing outside the kept order records names them any more.
    erasure = api(running_bridge, "POST", "/api/privacy/requests",
                  json={"kind": "erasure", "identifier_kind": "phone", "identifier": customer["phone"]}).json()
    destroyed = api(running_bridge, "POST", f"/api/privacy/requests/{erasure['id']}/answer", json={}).json()["destroyed"]
    assert destroyed["messages"] >= 6 and destroyed["rasa_events"] > 0
    engine = running_bridge.desk_store().engine
    for needle in (customer["email"], name, phone_digits, customer["phone"]):
        assert where_found(engine, needle) <= KEPT, needle
    tracker = requests.get(f"{running_bridge.settings.rasa_url}/conversations/{shopper.session_id}/tracker",
                           params={"token": running_bridge.settings.rasa_api_token()}, timeout=30).json()
    assert customer["email"] not in str(tracker) and phone_digits not in re.sub(r"\D", "", str(tracker))
    assert files_mentioning(running_bridge.settings.state_dir, [customer["email"], phone_digits, name]) == []

    # The log keeps who did what, without the data itself; reading it is audited too.
    entries = api(running_bridge, "GET", f"/api/privacy/audit?customer_id={CUSTOMER_ID}").json()["entries"]
    assert {"view_customer", "export", "erase"} <= {e["action"] for e in entries}
    csv_export = api(running_bridge, "GET", "/api/privacy/audit?format=csv")
    assert csv_export.headers["Content-Type"].startswith("text/csv") and "view_customer" in csv_export.text
    listed = api(running_bridge, "GET", "/api/privacy/requests").json()["requests"]
    assert {r["id"]: r["status"] for r in listed}[erasure["id"]] == "answered"
