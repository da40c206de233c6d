"""Bad input on the shoppers' socket ("/"): every wrong event gets a clear error or is ignored, the
bridge stays up, and nothing stored changes. Text that is merely unusual (emoji, right-to-left,
HTML, SQL-looking) is a valid message: stored and given back verbatim, as text.

What tests/integration/test_live_chat_security.py already covers is not repeated here.
"""
import time

import pytest
import requests

from actions.store.models import ComplaintTicket, Customer, Order, OrderItem, ReturnRequest, Shipment
from bot.desk.shoppers import SESSION_ID, clean_text
from tests.conftest import DEMO, EDGE
from tests.live_chat import ShopperClient
from tests.resilience.conftest import assert_still_serving, desk_rows, release_open_chats, row_changes, stored_rows
from tests.resilience.raw_socket import RawSocket

pytestmark = pytest.mark.integration


def raw_shopper(bridge) -> ShopperClient:
    """Connected, but no session_request sent yet."""
    client = ShopperClient(bridge.url)
    client.sio.connect(bridge.url, transports=["websocket"], wait_timeout=10)
    return client


# --- user_uttered of the wrong shape ----------------------------------------------------------

def wrong_messages(own_session):
    """(what the client sends as user_uttered, the error code it must get)"""
    return {
        "a string instead of an object": ("kargo ücreti", "invalid_message"),
        "a number instead of an object": (42, "invalid_message"),
        "a list instead of an object": (["kargo ücreti"], "invalid_message"),
        "no message field": ({"session_id": own_session}, "invalid_message"),
        "message is null": ({"message": None}, "invalid_message"),
        "message is a number": ({"message": 400142}, "invalid_message"),
        "message is a fraction": ({"message": 4.5}, "invalid_message"),
        "message is true": ({"message": True}, "invalid_message"),
        "message is a list": ({"message": ["kargo", "ücreti"]}, "invalid_message"),
        "message is an object": ({"message": {"text": "kargo ücreti"}}, "invalid_message"),
        "message is empty": ({"message": ""}, "invalid_message"),
        "message is only whitespace": ({"message": " \t\n\u3000 "}, "invalid_message"),
        "message is only NUL characters": ({"message": "\x00\x00"}, "invalid_message"),
        "one character over the limit": ({"message": "ğ" * 1001}, "message_too_long"),
        "session_id is a number": ({"message": "kargo ücreti", "session_id": 42}, "no_session"),
        "session_id is a list": ({"message": "kargo ücreti", "session_id": [own_session]}, "no_session"),
        "session_id is an object": ({"message": "kargo ücreti", "session_id": {"$ne": None}}, "no_session"),
        "session_id looks like SQL": ({"message": "kargo ücreti", "session_id": "1' OR '1'='1"}, "no_session"),
    }


def test_a_user_uttered_of_the_wrong_shape_gets_a_clear_error_and_stores_nothing(running_bridge, unchanged_desk):
    shopper = running_bridge.shopper()
    try:
        with unchanged_desk():
            for case, (payload, code) in wrong_messages(shopper.session_id).items():
                mark = shopper.mark()
                shopper.sio.emit("user_uttered", payload)
                error = shopper.wait_for("error", after=mark, timeout=10)
                assert error["code"] == code, (case, error)
                assert error["message"] and "{" not in error["message"], (case, error)  # a sentence for people
            mark = shopper.mark()
            shopper.sio.emit("user_uttered")  # no data at all
            assert shopper.wait_for("error", after=mark, timeout=10)["code"] == "invalid_message"
        assert "49,90" in shopper.say("kargo ücreti ne kadar")[0]["text"]  # the same socket goes on
    finally:
        shopper.disconnect()
    assert_still_serving(running_bridge)


def test_events_before_session_request_are_refused_or_ignored(running_bridge, unchanged_desk):
    client = raw_shopper(running_bridge)
    try:
        with unchanged_desk():
            client.sio.emit("user_uttered", {"message": "kargo ücreti ne kadar", "session_id": "x"})
            assert client.wait_for("error", timeout=10)["code"] == "no_session"
            client.sio.emit("typing", {"active": True})  # nobody to tell: ignored
            client.sio.emit("typing", "yes")
            client.sio.emit("typing")
            time.sleep(0.5)
            assert [name for name, _ in client.events] == ["error"]
        client.sio.emit("session_request", {"session_id": None})
        client.session_id = client.wait_for("session_confirm")
        assert "49,90" in client.say("kargo ücreti ne kadar")[0]["text"]
    finally:
        client.disconnect()


WRONG_SESSION_REQUESTS = {
    "no data": None,
    "a string": "abc",
    "a number": 42,
    "a list": ["abc"],
    "session_id is a number": {"session_id": 42},
    "session_id is a list": {"session_id": ["abc"]},
    "session_id is an object": {"session_id": {"$ne": None}},
    "session_id is empty": {"session_id": ""},
    "session_id is 10 000 characters": {"session_id": "a" * 10_000},
    "session_id looks like SQL": {"session_id": "1' OR '1'='1"},
    "session_id is a path": {"session_id": "../../etc/passwd"},
    "session_id has a lone surrogate": {"session_id": "\ud800"},
    "session_id has a NUL": {"session_id": "abc\x00def"},
    "session_id is an emoji": {"session_id": "😀"},
}


def test_a_session_request_with_a_wrong_id_gets_a_new_session(running_bridge, unchanged_desk):
    client = raw_shopper(running_bridge)
    try:
        with unchanged_desk():
            for case, payload in WRONG_SESSION_REQUESTS.items():
                mark = client.mark()
                if payload is None:
                    client.sio.emit("session_request")
                else:
                    client.sio.emit("session_request", payload)
                confirmed = client.wait_for("session_confirm", after=mark, timeout=10)
                assert SESSION_ID.fullmatch(confirmed) and len(confirmed) >= 24, (case, confirmed)
                time.sleep(0.2)
                assert client.of("history", after=mark) == [] and client.of("error", after=mark) == [], case
        client.session_id = confirmed
        assert "49,90" in client.say("kargo ücreti ne kadar")[0]["text"]
    finally:
        client.disconnect()


def test_unknown_events_and_the_servers_own_event_names_are_ignored(running_bridge, unchanged_desk):
    shopper = running_bridge.shopper()
    try:
        with unchanged_desk():
            mark = shopper.mark()
            for event in ("no_such_event", "bot_uttered", "session_confirm", "history", "handoff_status", "error",
                          "message", "accept", "__proto__", "constructor", "on_user_uttered", "user_uttered "):
                shopper.sio.emit(event, {"message": "kargo ücreti", "session_id": shopper.session_id})
            time.sleep(0.5)
            assert shopper.events[mark:] == []
        assert "49,90" in shopper.say("kargo ücreti ne kadar")[0]["text"]
    finally:
        shopper.disconnect()


# --- metadata of the wrong shape: ignored, the message itself is fine ----------------------------

WRONG_METADATA = {
    "a string": {"metadata": "tr"},
    "a number": {"metadata": 7},
    "a list": {"metadata": ["tr"]},
    "null": {"metadata": None},
    "fields of the wrong type": {"metadata": {"language": 42, "customer_token": ["x"], "page_url": {"a": 1}}},
    "an unknown language": {"metadata": {"language": "de", "locale": "xx-YY"}},
    "a lone surrogate and a NUL": {"metadata": {"page_url": "https://kuzey.example/\ud800\x00", "customer_token": "\udfff"}},
    "300 KB of keys": {"metadata": {f"key{n}": "v" * 10 for n in range(20_000)}},
    "a deep nesting": {"metadata": {"page_url": "x", "extra": [[[[[[[[[[[]]]]]]]]]]]}},
    "customData as a string": {"customData": "tr"},
}


@pytest.mark.parametrize("case", WRONG_METADATA, ids=list(WRONG_METADATA))
def test_metadata_of_the_wrong_shape_is_ignored_and_the_message_answered(running_bridge, case):
    shopper = running_bridge.shopper()
    try:
        mark = shopper.mark()
        shopper.sio.emit("user_uttered", {"message": "kargo ücreti ne kadar", "session_id": shopper.session_id,
                                          **WRONG_METADATA[case]})
        assert "49,90" in shopper.wait_for("bot_uttered", after=mark)["text"]  # Turkish, as the session started
    finally:
        shopper.disconnect()
    stored = [m for m in running_bridge.stored_messages(shopper.session_id) if m.sender == "shopper"]
    assert [m.text for m in stored] == ["kargo ücreti ne kadar"]
    kept = stored[0].data or {}
    assert set(kept) <= {"language", "page_url"}, kept  # never the token, never unknown keys
    for value in kept.values():
        assert isinstance(value, str) and "\x00" not in value
        value.encode("utf-8")  # storable on any database


# --- unusual but valid text: stored and given back verbatim -----------------------------------

UNUSUAL_TEXTS = {
    "emoji": "😀👍🏽 kargom nerede 🚚📦",
    "right-to-left": "مرحبا، أين طلبي؟",
    "mixed directions": "שלום \u200f400142\u200f nolu sipariş",
    "HTML": "<b>kargo</b> <i>ücreti</i> ne kadar?",
    "a script": "<script>alert('xss')</script><img src=x onerror=alert(1)>",
    "HTML entities": "kargo &amp; iade &lt;hemen&gt;",
    "quotes and backslashes": "\"kargo\" 'ücreti' \\n \\u0000 ne kadar",
    "a zero-width joiner family": "👨‍👩‍👧‍👦 aile paketi",
    "combining marks": "İ̇ADE ETMEK İSTİYORUM",
    "terminal escape codes": "\x1b[31mkırmızı\x1b[0m kargo",
    "exactly the length limit": "ğ" * 1000,
}


@pytest.mark.parametrize("case", UNUSUAL_TEXTS, ids=list(UNUSUAL_TEXTS))
def test_unusual_text_is_a_message_stored_and_given_back_verbatim(running_bridge, case):
    text = UNUSUAL_TEXTS[case]
    shopper = running_bridge.shopper()
    try:
        assert shopper.say(text), "the assistant did not answer"
    finally:
        shopper.disconnect()
    assert [m.text for m in running_bridge.stored_messages(shopper.session_id) if m.sender == "shopper"] == [text]
    again = running_bridge.shopper(session_id=shopper.session_id)
    try:
        history = again.wait_for("history")["messages"]
        assert history[0]["sender"] == "shopper" and history[0]["text"] == text
    finally:
        again.disconnect()
    release_open_chats(running_bridge)  # an angry-looking text may have brought a person


def test_a_broken_character_is_replaced_and_the_rest_kept(running_bridge):
    """A lone surrogate cannot be stored as UTF-8: it becomes "?" and the message goes on."""
    shopper = running_bridge.shopper()
    try:
        assert "49,90" in shopper.say("kargo ücreti ne kadar \ud800")[0]["text"]
    finally:
        shopper.disconnect()
    stored = [m.text for m in running_bridge.stored_messages(shopper.session_id) if m.sender == "shopper"]
    assert stored == [clean_text("kargo ücreti ne kadar \ud800")] == ["kargo ücreti ne kadar ?"]


# --- what only a hand-written client can send -----------------------------------------------------

def test_a_one_megabyte_message_as_a_browser_sends_it_gets_message_too_long(running_bridge, unchanged_desk):
    socket = RawSocket(running_bridge.url)
    try:
        session_id = socket.session()
        with unchanged_desk():
            for text in ("ğ" * 500_000, "😀" * 250_000, "a" * 1_048_576):  # 1 MB of UTF-8 each
                socket.emit("user_uttered", {"message": text, "session_id": session_id})
                assert socket.wait_for("error")["code"] == "message_too_long"
        socket.emit("user_uttered", {"message": "kargo ücreti ne kadar", "session_id": session_id})
        assert "49,90" in socket.wait_for("bot_uttered")["text"]
    finally:
        socket.close()


# Not "1": that is Engine.IO's own "close this connection", which the server rightly does.
BROKEN_PACKETS = ["42", "42[", '42["user_uttered"', '42{"message":"x"}', "42[1,2]", "42[null]", "42[[]]",
                  '42["user_uttered",{"message":"x"},1,2,3]', "4", "9", "99", "6", "3", "2probe", "0",
                  '42["user_uttered",{"message":"x","metadata":' + "[" * 50_000 + "]" * 50_000 + "}]"]


def test_broken_packets_are_ignored_and_the_socket_goes_on(running_bridge, unchanged_desk):
    socket = RawSocket(running_bridge.url)
    try:
        session_id = socket.session()
        with unchanged_desk():
            for packet in BROKEN_PACKETS:
                socket.send_raw(packet)
            events = socket.drain(1.0)
            assert all(name == "error" and data["code"] == "server_error" for name, data in events) \
                or events == [], events
        socket.emit("user_uttered", {"message": "kargo ücreti ne kadar", "session_id": session_id})
        assert "49,90" in socket.wait_for("bot_uttered")["text"]
    finally:
        socket.close()
    assert_still_serving(running_bridge)


def test_a_frame_that_is_not_utf8_closes_only_that_socket(running_bridge, unchanged_desk):
    socket = RawSocket(running_bridge.url)
    try:
        session_id = socket.session()
        with unchanged_desk():
            packet = '42["user_uttered",{"message":"kargo @@","session_id":"%s"}]' % session_id
            socket.send_raw(packet.encode("utf-8").replace(b"@@", b"\xff\xfe \xc3("))
            socket.drain(1.0)
        assert socket.closed_by_server
    finally:
        socket.close()
    assert_still_serving(running_bridge)


# --- commands and SQL in a message reach the assistant as words -----------------------------------

def tracker(bridge, conversation_id):
    settings = bridge.settings
    response = requests.get(f"{settings.rasa_url}/conversations/{conversation_id}/tracker",
                            params={"token": settings.rasa_api_token()}, timeout=30)
    response.raise_for_status()
    return response.json()


def user_events(events):
    return [e for e in events if e["event"] == "user"]


def say_to_rasa(bridge, shopper, text):
    """Says `text`; returns Rasa's tracker once it has the message (and has answered it), and the
    message as Rasa read it (its last user event: a fallback may revert `latest_message`)."""
    before = len(user_events(tracker(bridge, shopper.session_id)["events"]))
    shopper.say(text)
    deadline = time.monotonic() + 30
    while len(user_events(tracker(bridge, shopper.session_id)["events"])) == before:
        assert time.monotonic() < deadline, f"Rasa never got {text!r}"
        time.sleep(0.2)
    time.sleep(1.0)  # the actions that answer it
    state = tracker(bridge, shopper.session_id)
    return state, user_events(state["events"])[-1]


def test_slash_commands_are_plain_text_for_the_assistant(running_bridge):
    """Rasa would read "/restart" as its restart intent (wiping the conversation) and
    `/intent{"email": ...}` as an intent with an entity, skipping NLU: the bridge sends them as words."""
    shopper = running_bridge.shopper()
    try:
        say_to_rasa(running_bridge, shopper, f"{EDGE['in_transit']} nolu siparişim nerede")
        state, read = say_to_rasa(running_bridge, shopper, "/restart")
        assert "restart" not in [event["event"] for event in state["events"]]
        # the conversation was not wiped (the word "restart" may end the order flow like "vazgeç")
        assert f"{EDGE['in_transit']} nolu siparişim nerede" in [e.get("text") for e in user_events(state["events"])]
        assert read["text"].strip() == "restart" and read["parse_data"]["intent"]["name"] != "restart"

        _, read = say_to_rasa(running_bridge, shopper, '/intent{"email": "x@y.z"}')
        assert read["text"].strip() == 'intent{"email": "x@y.z"}'
        assert read["parse_data"]["intent"]["name"] != "intent" and read["parse_data"]["intent"]["confidence"] < 1.0
    finally:
        shopper.disconnect()
    stored = [m.text for m in running_bridge.stored_messages(shopper.session_id) if m.sender == "shopper"]
    assert stored[1:] == ["/restart", '/intent{"email": "x@y.z"}']  # the shopper's words, kept as written
    release_open_chats(running_bridge)


STORE_TABLES = (Customer, Order, OrderItem, Shipment, ReturnRequest, ComplaintTicket)


def store_rows(bridge):
    """Every row of the store's tables (orders, customers, returns...), not only how many."""
    return stored_rows(bridge, [model.__tablename__ for model in STORE_TABLES])


SQL_LOOKING = ["400142' OR 1=1 --", "400142; DROP TABLE orders", "' OR '1'='1",
               "400142 UNION SELECT email, phone FROM customers --", "siparişim 400142'); DELETE FROM customers; --"]
SECRETS = [customer["email"] for customer in DEMO["customers"]] + \
          [order["tracking_no"] for order in DEMO["orders"] if order.get("tracking_no")]


@pytest.mark.parametrize("text", SQL_LOOKING)
def test_sql_looking_order_numbers_leak_nothing_and_change_no_table(running_bridge, text):
    before = store_rows(running_bridge)
    shopper = running_bridge.shopper()
    try:
        answer = " ".join(m["text"] for m in shopper.say(text))
    finally:
        shopper.disconnect()
    assert answer and not [secret for secret in SECRETS if secret in answer]
    changes = row_changes(before, store_rows(running_bridge))
    assert not changes, changes
    assert [m.text for m in running_bridge.stored_messages(shopper.session_id) if m.sender == "shopper"] == [text]
    release_open_chats(running_bridge)


# --- a flood ------------------------------------------------------------------------------------

def test_200_messages_in_one_second_none_lost_none_twice(running_bridge):
    """The rate limit refuses most of them with a clear error; every other one is stored exactly once."""
    shopper = running_bridge.shopper()
    sent = [f"mesaj numarası {n}" for n in range(200)]
    rows_before = desk_rows(running_bridge)
    try:
        mark = shopper.mark()
        started = time.monotonic()
        for n, text in enumerate(sent):
            shopper.sio.emit("user_uttered", {"message": text, "session_id": shopper.session_id})
            time.sleep(max(0.0, started + (n + 1) / 200 - time.monotonic()))  # 200 in one second
        assert time.monotonic() - started < 2.0

        def refused():
            return [e for e in shopper.of("error", after=mark) if e["code"] == "rate_limited"]

        def kept():
            return [m.text for m in running_bridge.stored_messages(shopper.session_id) if m.sender == "shopper"]

        deadline = time.monotonic() + 120
        while len(refused()) + len(kept()) < len(sent):
            assert time.monotonic() < deadline, (len(refused()), len(kept()))
            time.sleep(0.5)
        time.sleep(1.0)
        assert len(refused()) + len(kept()) == len(sent)  # each either refused or stored
        assert len(kept()) == len(set(kept())) and kept() == [t for t in sent if t in kept()]  # none twice, in order
        assert 5 <= len(kept()) <= 5 + 2 * 3  # the burst, then two a second
        assert {e["code"] for e in shopper.of("error", after=mark)} == {"rate_limited"}
    finally:
        shopper.disconnect()
    rows_after = desk_rows(running_bridge)
    assert rows_after["messages"] - rows_before["messages"] >= len(kept())
    release_open_chats(running_bridge)
    assert_still_serving(running_bridge)
