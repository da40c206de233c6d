"""Bad input on the agents' socket ("/agents"): every event with missing or wrongly typed fields,
unknown or SQL-looking conversation ids gets `{"ok": false}` with a clear code (never a
server error), the chat stays where it was, nothing stored changes, and the bridge stays up."""
import pytest

from tests.resilience.conftest import assert_still_serving, release_open_chats

pytestmark = pytest.mark.integration

EVENTS = ("open", "accept", "decline", "send", "note", "typing", "transfer", "close", "hand_back", "set_available")
NOT_A_CONVERSATION = {
    "no conversation_id": {},
    "null": {"conversation_id": None},
    "a number": {"conversation_id": 42},
    "a list": {"conversation_id": ["abc"]},
    "an object": {"conversation_id": {"$ne": None}},
    "unknown": {"conversation_id": "abcdefghijklmnopqrstuvwx"},
    "SQL-looking": {"conversation_id": "1' OR '1'='1"},
    "SQL-looking too": {"conversation_id": "x'; DROP TABLE conversations; --"},
    "a lone surrogate": {"conversation_id": "\ud800"},
    "a NUL": {"conversation_id": "abc\x00"},
    "100 000 characters": {"conversation_id": "a" * 100_000},
}
CLEAR_CODES = {"invalid", "unknown_conversation", "not_yours", "no_offer", "not_available", "too_long", "bad_target"}


def test_events_about_no_real_conversation_get_a_clear_refusal(running_bridge, unchanged_desk):
    zeynep = running_bridge.agent("zeynep")
    try:
        with unchanged_desk():
            for event in EVENTS:
                if event == "set_available":
                    continue  # takes no conversation; below
                for case, data in NOT_A_CONVERSATION.items():
                    ack = zeynep.call(event, {"text": "merhaba", "tags": [], "agent_id": 1, "active": True, **data})
                    assert ack["ok"] is False and ack["error"]["code"] in CLEAR_CODES, (event, case, ack)
                    assert ack["error"]["message"], (event, case)
                for data in (None, "text", 42, ["conversation_id"], True):
                    ack = zeynep.sio.call(event, data, namespace="/agents", timeout=10) if data is not None \
                        else zeynep.sio.call(event, namespace="/agents", timeout=10)
                    assert ack == {"ok": False, "error": {"code": "invalid", "message": "Geçersiz istek."}}, (event, data)
            for name in ("no_such_event", "message", "desk", "offer", "__proto__"):
                assert zeynep.call(name, {})["error"]["code"] == "unknown_event"
    finally:
        zeynep.disconnect()
    assert_still_serving(running_bridge)


@pytest.mark.parametrize("value", [None, "no", "false", 0, 1, [], {}, "true"])
def test_set_available_takes_only_true_or_false(running_bridge, value):
    zeynep = running_bridge.agent("zeynep")
    try:
        data = {} if value is None else {"available": value}
        ack = zeynep.call("set_available", data)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid", ack
        me = zeynep.call("set_available", {"available": True})
        assert me == {"ok": True, "available": True}
    finally:
        zeynep.disconnect()


def test_bad_fields_on_a_real_chat_are_refused_and_the_chat_stays(running_bridge, unchanged_desk):
    ayse = running_bridge.agent("ayse")
    shopper = running_bridge.shopper()
    try:
        mark = shopper.mark()
        shopper.say("bir temsilciyle görüşmek istiyorum")
        shopper.wait_for("handoff_status", lambda s: s["state"] == "queued", after=mark)
        assert ayse.call("accept", {"conversation_id": shopper.session_id})["ok"]
        chat = {"conversation_id": shopper.session_id}
        refusals = [
            ("send", {}), ("send", {"text": None}), ("send", {"text": 42}), ("send", {"text": ["merhaba"]}),
            ("send", {"text": {"tr": "merhaba"}}), ("send", {"text": ""}), ("send", {"text": " \n\t "}),
            ("send", {"text": "a" * 1_000_000}), ("note", {"text": 7}), ("note", {"text": "ğ" * 4001}),
            ("transfer", {}), ("transfer", {"agent_id": "2"}), ("transfer", {"agent_id": None}),
            ("transfer", {"agent_id": 99_999}), ("transfer", {"agent_id": ayse.user["id"]}),
            ("transfer", {"agent_id": 2.5}),
            ("transfer", {"agent_id": True}),
            ("close", {"tags": "solved"}), ("close", {"tags": [1, 2]}), ("close", {"tags": ["x" * 65]}),
            ("close", {"tags": ["solved"] * 21}), ("close", {"tags": [], "note": 42}),
            ("close", {"tags": [], "note": "n" * 4001}),
            ("decline", {}),
        ]
        with unchanged_desk():
            for event, data in refusals:
                ack = ayse.call(event, {**chat, **data})
                assert ack["ok"] is False and ack["error"]["code"] in CLEAR_CODES, (event, str(data)[:80], ack)
            assert ayse.call("typing", {**chat, "active": "yes"})["ok"]  # harmless: shown as typing
        opened = ayse.call("open", chat)
        assert opened["ok"] and opened["conversation"]["state"] == "agent"
        assert opened["conversation"]["agent"]["id"] == ayse.user["id"]

        # Unusual but valid text from an agent is stored and reaches the shopper verbatim.
        for text in ("<b>kalın değil</b> <script>alert(1)</script>", "😀 مرحبا שלום", "kırık \ud800 karakter"):
            mark = shopper.mark()
            ack = ayse.call("send", {**chat, "text": text})
            assert ack["ok"], ack
            expected = text.replace("\ud800", "?")
            assert ack["message"]["text"] == expected
            assert shopper.wait_for("bot_uttered", after=mark)["text"] == expected
        assert ayse.call("hand_back", chat)["ok"]
    finally:
        shopper.disconnect()
        ayse.disconnect()
        release_open_chats(running_bridge)
    assert_still_serving(running_bridge)
