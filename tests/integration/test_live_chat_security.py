"""The bridge's doors: logins, other shoppers' sessions, limits and bad input change nothing."""
import time

import pytest
import requests
import socketio
from sqlalchemy import func, select

from bot.desk.accounts import issue_token
from bot.desk.models import DeskUser, Message
from tests.conftest import DEMO
from tests.live_chat import ShopperClient
from tests.resilience.conftest import DESK_TABLES, row_changes, settled_rows, stored_rows

pytestmark = pytest.mark.integration
DESK_TABLE_NAMES = list(DESK_TABLES)


def stored_messages(running_bridge) -> int:
    with running_bridge.desk_store().session() as s:
        return s.execute(select(func.count(Message.id))).scalar_one()


@pytest.mark.parametrize("auth", [None, {}, {"token": "not-a-token"}, {"token": 42}])
def test_the_agent_namespace_refuses_anyone_not_logged_in(running_bridge, auth):
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(running_bridge.url, namespaces=["/agents"], auth=auth, transports=["websocket"], wait_timeout=5)
    client.disconnect()


def test_editors_log_in_but_do_not_take_chats(running_bridge):
    response = requests.post(f"{running_bridge.url}/api/login",
                             json={"username": "editor", "password": running_bridge.passwords["editor"]}, timeout=10)
    assert response.status_code == 200 and response.json()["user"]["role"] == "editor"
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(running_bridge.url, namespaces=["/agents"], auth={"token": response.json()["token"]},
                       transports=["websocket"], wait_timeout=5)


def test_a_token_signed_with_another_secret_is_refused(running_bridge):
    with running_bridge.desk_store().session() as s:
        ayse = s.execute(select(DeskUser).where(DeskUser.username == "ayse")).scalar_one()
    forged = issue_token(ayse, "not-the-secret-but-just-as-long-as-one", hours=1)
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(running_bridge.url, namespaces=["/agents"], auth={"token": forged}, transports=["websocket"],
                       wait_timeout=5)


@pytest.mark.parametrize("body", [{"username": "ayse", "password": "wrong"}, {"username": "nobody", "password": "x"}])
def test_a_wrong_login_gets_the_same_clear_answer(running_bridge, body):
    response = requests.post(f"{running_bridge.url}/api/login", json=body, timeout=10)
    assert response.status_code == 401
    assert response.json() == {"error": "Kullanıcı adı veya şifre hatalı.", "code": "wrong_login"}


def test_console_rest_needs_a_login(running_bridge):
    assert requests.get(f"{running_bridge.url}/api/desk/canned", timeout=10).status_code == 401
    assert requests.post(f"{running_bridge.url}/api/login", data="no json", timeout=10).status_code == 400


def test_an_agent_cannot_touch_a_chat_that_is_not_theirs(running_bridge):
    ayse, zeynep = running_bridge.agent("ayse"), running_bridge.agent("zeynep")
    shopper = running_bridge.shopper()
    try:
        shopper.say("bir temsilciyle görüşmek istiyorum")
        assert ayse.call("accept", {"conversation_id": shopper.session_id})["ok"]
        for event, data in [("send", {"text": "merhaba"}), ("close", {"tags": []}), ("hand_back", {}),
                            ("note", {"text": "x"}), ("open", {})]:
            ack = zeynep.call(event, {"conversation_id": shopper.session_id, **data})
            assert ack["ok"] is False and ack["error"]["code"] == "not_yours", (event, ack)
        assert zeynep.call("accept", {"conversation_id": shopper.session_id})["error"]["code"] == "not_waiting"
        assert zeynep.call("send", "not a dict")["error"]["code"] == "invalid"
        assert zeynep.call("fly", {})["error"]["code"] == "unknown_event"
        assert ayse.call("send", {"conversation_id": shopper.session_id, "text": "   "})["error"]["code"] == "invalid"
        ayse.call("hand_back", {"conversation_id": shopper.session_id})
    finally:
        shopper.disconnect()
        ayse.disconnect()
        zeynep.disconnect()


def test_a_shopper_socket_speaks_only_for_its_own_session(running_bridge):
    owner = running_bridge.shopper()
    owner.say("merhaba")
    other = running_bridge.shopper()
    before = settled_rows(running_bridge, DESK_TABLE_NAMES)
    try:
        mark = other.mark()
        other.sio.emit("user_uttered", {"message": "benim siparişim", "session_id": owner.session_id})
        assert other.wait_for("error", after=mark)["code"] == "no_session"
        time.sleep(0.3)
        changes = row_changes(before, stored_rows(running_bridge, DESK_TABLE_NAMES))
        assert not changes, changes  # not a row added or changed, in the owner's conversation or anywhere
    finally:
        owner.disconnect()
        other.disconnect()


def test_bad_shopper_input_gets_a_clear_error_and_stores_nothing(running_bridge):
    raw = ShopperClient(running_bridge.url)
    raw.sio.connect(running_bridge.url, transports=["websocket"], wait_timeout=10)
    try:
        raw.sio.emit("user_uttered", {"message": "merhaba"})
        assert raw.wait_for("error")["code"] == "no_session"  # before session_request
        raw.sio.emit("session_request", {"session_id": None})
        raw.session_id = raw.wait_for("session_confirm")
        before = stored_messages(running_bridge)
        cases = [({"message": ""}, "invalid_message"), ({"message": 42}, "invalid_message"), ("text", "invalid_message"),
                 ({"message": "a" * 1_000_000}, "message_too_long")]
        for payload, code in cases:
            mark = raw.mark()
            raw.sio.emit("user_uttered", payload)
            assert raw.wait_for("error", after=mark)["code"] == code
        raw.sio.emit("no_such_event", {"x": 1})  # ignored; the socket stays usable
        assert "49,90" in raw.say("kargo ücreti ne kadar")[0]["text"]
        assert stored_messages(running_bridge) == before + 2
    finally:
        raw.disconnect()


def test_a_flood_from_one_shopper_is_cut_and_the_rest_is_not_stored(running_bridge):
    shopper = running_bridge.shopper()

    def kept() -> int:
        with running_bridge.desk_store().session() as s:
            return s.execute(select(func.count(Message.id)).where(Message.conversation_id == shopper.session_id,
                                                                  Message.sender == "shopper")).scalar_one()

    try:
        mark = shopper.mark()
        for n in range(20):
            shopper.sio.emit("user_uttered", {"message": f"merhaba {n}", "session_id": shopper.session_id})
        limited = lambda: len([e for e in shopper.of("error", after=mark) if e["code"] == "rate_limited"])  # noqa: E731
        deadline = time.monotonic() + 60
        while limited() + kept() < 20:  # every message is either refused or stored, none lost
            assert time.monotonic() < deadline, (limited(), kept())
            time.sleep(0.2)
        assert limited() >= 10 and limited() + kept() == 20
    finally:
        shopper.disconnect()


def rasa_tracker(bridge, conversation_id: str) -> dict:
    settings = bridge.settings
    response = requests.get(f"{settings.rasa_url}/conversations/{conversation_id}/tracker",
                            params={"token": settings.rasa_api_token()}, timeout=30)
    response.raise_for_status()
    return response.json()


def test_slash_commands_from_shoppers_are_plain_text(running_bridge):
    """Rasa reads a text starting with "/" as an intent with its entities, skipping NLU
    (`/inform{...}` would be `inform` at confidence 1.0 with an order number and a "proof" as
    given): the bridge sends it without the slash, as words, and keeps what the shopper wrote."""
    command = '/inform{"order_no": "400142", "order_proof": "x@y.z"}'
    order = next(o for o in DEMO["orders"] if o["order_no"] == "400142")
    owner = next(c for c in DEMO["customers"] if c["id"] == order["customer_id"])
    shopper = running_bridge.shopper()
    try:
        answer = shopper.say(command)
    finally:
        shopper.disconnect()
    assert answer, "the assistant did not answer"
    tracker = rasa_tracker(running_bridge, shopper.session_id)
    read = [event for event in tracker["events"] if event["event"] == "user"]
    assert [event["text"] for event in read] == [command[1:]]  # what Rasa got: the words, no slash
    # Read by the NLU, not as a command: only a command gives an "order_proof" entity (the NLU has no
    # such entity) or an entity that no extractor found.
    entities = read[0]["parse_data"]["entities"]
    assert "order_proof" not in [entity["entity"] for entity in entities], entities
    assert all(entity.get("extractor") for entity in entities), entities
    assert tracker["slots"].get("verified_order_no") is None  # no order counts as proved
    said = " ".join(m["text"] for m in answer)
    private = [order["tracking_no"], owner["first_name"], owner["last_name"], owner["email"], "Takip numarası",
               "kargoya verildi"]
    assert not [secret for secret in private if secret and secret in said], said  # nothing of the order told
    assert [m.text for m in running_bridge.stored_messages(shopper.session_id) if m.sender == "shopper"] == [command]


def test_clients_cannot_fake_connect_or_disconnect_events(running_bridge):
    ayse = running_bridge.agent("ayse")
    shopper = running_bridge.shopper()
    try:
        shopper.sio.emit("disconnect")
        shopper.sio.emit("connect", {"REMOTE_ADDR": "203.0.113.7"})
        ayse.sio.emit("disconnect", namespace="/agents")
        time.sleep(0.5)
        ack = ayse.call("set_available", {"available": True})
        assert ack["ok"], ack  # still online: the fake disconnect was ignored
        assert "49,90" in shopper.say("kargo ücreti ne kadar")[0]["text"]
    finally:
        shopper.disconnect()
        ayse.disconnect()


def test_of_two_agents_accepting_at_once_exactly_one_gets_the_chat(running_bridge):
    import threading

    ayse, zeynep = running_bridge.agent("ayse"), running_bridge.agent("zeynep")
    shopper = running_bridge.shopper()
    try:
        shopper.say("bir temsilciyle görüşmek istiyorum")
        results = {}
        threads = [threading.Thread(target=lambda a=a: results.setdefault(a.user["username"], a.call(
            "accept", {"conversation_id": shopper.session_id}))) for a in (ayse, zeynep)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners = [name for name, ack in results.items() if ack["ok"]]
        assert len(winners) == 1, results
        loser = next(ack for ack in results.values() if not ack["ok"])
        assert loser["error"]["code"] == "not_waiting"
        joined = [m["text"] for m in shopper.of("bot_uttered") if "sohbete katıldı" in m["text"]]
        assert len(joined) == 1
        winner = ayse if winners == ["ayse"] else zeynep
        winner.call("hand_back", {"conversation_id": shopper.session_id})
    finally:
        shopper.disconnect()
        ayse.disconnect()
        zeynep.disconnect()
