"""The privacy notice, marketing consent and "end chat" against the real bridge, Rasa and action server:
the shopper socket's `privacy_state` / `consent` / `end_session`, the public notice pages and the
admins' notice API (docs/live-chat.md)."""
import pytest
import requests
from sqlalchemy import select

from actions.store.database import make_engine, make_sessionmaker
from actions.store.models import Customer
from bot.desk.models import Handoff, Message
from bot.privacy.models import Consent
from tests.conftest import DEMO, EDGE

pytestmark = pytest.mark.integration


def consents(running_bridge, conversation_id):
    with running_bridge.desk_store().session() as s:
        return s.execute(select(Consent).where(Consent.conversation_id == conversation_id)
                         .order_by(Consent.id)).scalars().all()


def rasa_slots(running_bridge, conversation_id):
    settings = running_bridge.settings
    response = requests.get(f"{settings.rasa_url}/conversations/{conversation_id}/tracker",
                            params={"token": settings.rasa_api_token(), "include_events": "NONE"}, timeout=30)
    response.raise_for_status()
    return response.json()["slots"]


def prove_order(shopper, order_no, email):
    shopper.say(f"{order_no} nolu siparişim nerede")
    shopper.say(f"mailim {email}")


def escalate(shopper):
    mark = shopper.mark()
    shopper.say("bir temsilciyle görüşmek istiyorum")
    return shopper.wait_for("handoff_status", lambda s: s["state"] == "queued", after=mark)


@pytest.fixture
def store_customers(running_bridge):
    engine = make_engine(running_bridge.settings.store_database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def unconsenting_customer_with_an_order():
    """A demo customer without marketing consent, and an order of theirs no other test talks about."""
    customers = {c["id"]: c for c in DEMO["customers"] if not c["marketing_consent"]}
    used = set(EDGE.values())
    order = [o for o in DEMO["orders"] if o["customer_id"] in customers and o["status"] == "kargoya_verildi"
             and o["order_no"] not in used][-1]
    return order["order_no"], customers[order["customer_id"]]


# --- the notice ---------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["tr", "en"])
def test_the_notice_acknowledgement_is_recorded_with_its_wording_and_version(running_bridge, language):
    shopper = running_bridge.shopper(language=language)
    try:
        state = shopper.call("privacy_state", {"language": language})
        assert state["ok"] and state["notice"]["needed"] is True and state["marketing"]["granted"] is None
        assert ("maskelenir" if language == "tr" else "masked") in state["notice"]["text"]
        # A bad choice is refused with a clear message and stores nothing.
        for bad in ({"kind": "notice", "granted": False, "language": language, "version": state["notice"]["version"]},
                    {"kind": "notice", "granted": True, "language": language, "version": "not-the-one-shown"},
                    {"kind": "cookies", "granted": True, "language": language, "version": "1"}, "notice", None):
            answer = shopper.call("consent", bad)
            assert answer["ok"] is False and answer["error"]["code"] in ("invalid_consent", "wording_changed"), answer
            assert answer["error"]["message"]
        assert consents(running_bridge, shopper.session_id) == []

        answer = shopper.acknowledge_notice(language)
        assert answer["consent"]["kind"] == "notice"
        [row] = consents(running_bridge, shopper.session_id)
        assert (row.kind, row.granted, row.language) == ("notice", True, language)
        assert (row.wording, row.wording_version) == (state["notice"]["text"], state["notice"]["version"])
    finally:
        shopper.disconnect()

    # The returning session (a reload before any message) keeps its id and is not asked again.
    again = running_bridge.shopper(session_id=shopper.session_id, language=language)
    try:
        assert again.session_id == shopper.session_id
        assert again.call("privacy_state", {"language": language})["notice"]["needed"] is False
    finally:
        again.disconnect()


def test_the_protocol_does_not_require_the_notice(running_bridge):
    """Rasa's webchat and the benchmarks know nothing of it and chat as before."""
    shopper = running_bridge.shopper()
    try:
        assert "49,90" in shopper.say("kargo ücreti ne kadar")[0]["text"]
        assert shopper.call("privacy_state", {"language": "tr"})["notice"]["needed"] is False  # the chat has begun
    finally:
        shopper.disconnect()


# --- marketing consent --------------------------------------------------------------------------

def test_marketing_consent_given_then_withdrawn_follows_the_customer(running_bridge, store_customers):
    order_no, customer = unconsenting_customer_with_an_order()
    shopper = running_bridge.shopper()
    try:
        shopper.acknowledge_notice()
        version = shopper.call("privacy_state", {"language": "tr"})["marketing"]["version"]
        given = shopper.call("consent", {"kind": "marketing", "granted": True, "language": "tr", "version": version})
        assert given["ok"] and given["applied_to_customer"] is None  # nobody known yet: pending
        with store_customers() as s:
            assert s.get(Customer, customer["id"]).marketing_consent is False

        # The shopper proves an order of theirs and asks for a person: now the bridge knows them.
        prove_order(shopper, order_no, customer["email"])
        escalate(shopper)
        assert running_bridge.desk_store().conversation(shopper.session_id).customer_id == customer["id"]
        with store_customers() as s:
            assert s.get(Customer, customer["id"]).marketing_consent is True

        withdrawn = shopper.call("consent", {"kind": "marketing", "granted": False, "language": "tr",
                                             "version": version})
        assert withdrawn["ok"] and withdrawn["applied_to_customer"] is True
        with store_customers() as s:
            assert s.get(Customer, customer["id"]).marketing_consent is False
        marketing = [r for r in consents(running_bridge, shopper.session_id) if r.kind == "marketing"]
        assert [(r.granted, r.customer_id) for r in marketing] == [(True, customer["id"]), (False, customer["id"])]
        assert marketing[0].wording == marketing[1].wording and "e-posta" in marketing[0].wording
        assert shopper.call("privacy_state", {"language": "tr"})["marketing"]["granted"] is False
    finally:
        if shopper.sio.connected:
            shopper.call("end_session", {})  # out of the queue
        shopper.disconnect()
        with store_customers() as s:
            s.get(Customer, customer["id"]).marketing_consent = False
            s.commit()


# --- end chat -----------------------------------------------------------------------------------

def test_end_chat_forgets_the_session_on_every_side(running_bridge):
    order_no = EDGE["in_transit"]
    email = next(c["email"] for c in DEMO["customers"]
                 if c["id"] == next(o["customer_id"] for o in DEMO["orders"] if o["order_no"] == order_no))
    shopper = running_bridge.shopper()
    shopper.acknowledge_notice()
    other_tab = running_bridge.shopper(session_id=shopper.session_id)  # the same chat in a second tab
    try:
        assert other_tab.session_id == shopper.session_id
        prove_order(shopper, order_no, email)
        assert rasa_slots(running_bridge, shopper.session_id)["verified_order_no"] == order_no

        assert shopper.call("end_session", {"session_id": "someone-elses"})["ok"] is False  # only one's own
        answer = shopper.call("end_session", {"session_id": shopper.session_id})
        assert answer == {"ok": True}
        for client in (shopper, other_tab):
            assert client.wait_for("session_ended")["session_id"] == shopper.session_id
        assert running_bridge.desk_store().conversation(shopper.session_id).ended_at is not None
        assert rasa_slots(running_bridge, shopper.session_id).get("verified_order_no") is None
        # The tab that did not press the button is let go too: it must ask for a session again.
        mark = other_tab.mark()
        other_tab.say("hâlâ burada mıyım", wait=False)
        assert other_tab.wait_for("error", after=mark)["code"] == "no_session"
    finally:
        shopper.disconnect()
        other_tab.disconnect()

    later = running_bridge.shopper(session_id=shopper.session_id)
    try:
        assert later.session_id != shopper.session_id
        assert later.of("history") == []
        assert later.call("privacy_state", {"language": "tr"})["notice"]["needed"] is True  # a new chat
    finally:
        later.disconnect()
    with running_bridge.desk_store().session() as s:  # the transcript stays for the shop's records
        assert s.execute(select(Message.id).where(Message.conversation_id == shopper.session_id)).first() is not None


def test_end_chat_with_an_agent_closes_it_and_tells_the_agent(running_bridge):
    ayse = running_bridge.agent("ayse")
    shopper = running_bridge.shopper()
    try:
        escalate(shopper)
        assert ayse.call("accept", {"conversation_id": shopper.session_id})["ok"]
        mark = ayse.mark()
        assert shopper.call("end_session", {})["ok"]
        told = ayse.wait_for("message", lambda m: m["conversation_id"] == shopper.session_id, after=mark)
        assert told["message"]["text"] == "Müşteri sohbeti bitirdi." and told["message"]["sender"] == "system"
        ayse.wait_for("conversation_closed", lambda c: c["conversation_id"] == shopper.session_id, after=mark)
        conversation = running_bridge.desk_store().conversation(shopper.session_id)
        assert (conversation.state, conversation.agent_id) == ("bot", None) and conversation.ended_at is not None
        with running_bridge.desk_store().session() as s:
            handoff = s.execute(select(Handoff).where(Handoff.conversation_id == shopper.session_id)).scalar_one()
        assert handoff.status == "closed" and handoff.closed_at is not None
        assert ayse.call("send", {"conversation_id": shopper.session_id, "text": "Merhaba?"})["ok"] is False
    finally:
        shopper.disconnect()
        ayse.disconnect()


# --- the full notice: public pages and the admins' API -------------------------------------------

def test_the_full_notice_is_a_public_page_in_both_languages(running_bridge):
    for path, language, words in (("/gizlilik", "tr", "Haklarınız (KVKK md. 11)"),
                                  ("/en/privacy", "en", "Your rights (KVKK art. 11)")):
        response = requests.get(running_bridge.url + path, timeout=10)
        assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
        assert f'<html lang="{language}">' in response.text and f"<h2>{words}</h2>" in response.text
        assert 'name="viewport"' in response.text and "destek@kuzeymarket.example" in response.text


def test_admins_edit_the_notice_and_shoppers_see_the_new_version(running_bridge):
    url = running_bridge.url + "/api/privacy/notice"
    admin = running_bridge.auth_headers("yonetici")
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, headers=running_bridge.auth_headers("ayse"), timeout=10).status_code == 403
    before = requests.get(url, headers=admin, timeout=10).json()
    original = {language: before["content"][language] for language in ("tr", "en")}

    bad = requests.put(url, headers=admin, json={"content": {"tr": original["tr"]}, "revision": before["revision"]},
                       timeout=10)
    assert bad.status_code == 400 and "İngilizce" in bad.json()["error"]
    assert bad.json()["code"] == "invalid"
    # The API's own refusals speak the admin page's language (`lang`), with a code.
    not_object = requests.put(url + "?lang=en", headers=admin, json=["content"], timeout=10)
    assert not_object.status_code == 400 and not_object.json() == {
        "error": 'Invalid request: {"content", "revision"} expected.', "code": "not_object"}
    assert requests.put(url, headers=admin, json=["content"], timeout=10).json()["error"].startswith("Geçersiz istek")
    assert requests.get(url, headers=admin, timeout=10).json()["revision"] == before["revision"]

    edited = {**original, "tr": {**original["tr"], "short": original["tr"]["short"] + " <b>Deneme.</b>"}}
    saved = requests.put(url, headers=admin, json={"content": edited, "revision": before["revision"]}, timeout=10)
    try:
        assert saved.status_code == 200, saved.text
        document = saved.json()
        assert document["revision"] == before["revision"] + 1
        assert document["content"]["version"] == before["content"]["version"] + 1
        stale = requests.put(url, headers=admin, json={"content": original, "revision": before["revision"]}, timeout=10)
        assert stale.status_code == 409 and stale.json()["conflict"]["theirs"]["tr"] == edited["tr"]

        shopper = running_bridge.shopper()
        try:
            state = shopper.call("privacy_state", {"language": "tr"})
            assert state["notice"]["text"].endswith("<b>Deneme.</b>") and state["notice"]["version"] == str(
                document["content"]["version"])
        finally:
            shopper.disconnect()
        history = requests.get(url + "/history", headers=admin, timeout=10).json()["changes"]
        assert (history[0]["by"], history[0]["revision"]) == ("yonetici", document["revision"])
    finally:
        current = requests.get(url, headers=admin, timeout=10).json()
        restored = requests.put(url, headers=admin, json={"content": original, "revision": current["revision"]},
                                timeout=10)
        assert restored.status_code == 200
