"""Card numbers, CVVs, TCKNs and IBANs never reach storage, Rasa, agents or logs (KVKK), on the real
stack: the bridge, the Rasa server (through its pool) and the action server.

Shoppers write the secrets in many styles (hypothesis draws them, derandomized, a few examples);
afterwards their digits are found nowhere: not in any table of the database (the desk's, the
store's and Rasa's tracker events share it), not in Rasa's tracker through its HTTP API, not in
any file of the state folder (logs, spool, the database file itself). The shopper is told once
per conversation, and the assistant's flows go on as before.
"""
import json
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List

import pytest
import requests
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import MetaData, select

from actions.store.database import make_engine
from bot.desk import texts
from bot.privacy.masking import MASKS
from tests.conftest import EDGE, demo_customer, demo_order
from tests.resilience.conftest import release_open_chats
from tests.unit.test_masking import (
    cards, digit_strings, digits, iban_from, luhn_check_digit, tckn_from, tckns, tr_ibans, written,
)

pytestmark = pytest.mark.integration

NOTICES = set(texts.TEXTS["sensitive_data_masked"].values())
_ESCAPED = re.compile(r"\\u([0-9a-fA-F]{4})")
_DIGIT = re.compile(r"\d")
_BINARY_GAP = re.compile("[\x00-\x08\x0e-\x1f\ufffd]+")


@dataclass
class Secrets:
    card: str
    tckn: str
    iban: str
    expiry: str
    cvv: str

    def long_ones(self) -> List[str]:
        """The secrets long enough to look for everywhere (a CVV's 3 digits are everywhere)."""
        return [self.card, self.tckn, digits(self.iban)]


TEMPLATES = [
    ("tr", "kargo ücreti ne kadar? kartım {card} skt {expiry} cvv {cvv}, TC kimlik {tckn}, iade için IBAN {iban}"),
    ("tr", "İADE PARAM NE ZAMAN YATAR? IBAN'ım:{iban} kart numaram:{card} {expiry} {cvv} tc no {tckn}"),
    ("tr", "iade süresi kaç gün; kartin arkasindaki kod {cvv}, kart {card} son kullanma {expiry}, kimlik no {tckn}, iban {iban}"),
    ("en", "How much is shipping? My card is {card}, expiry {expiry}, security code {cvv}. ID {tckn}, IBAN: {iban}"),
]


@st.composite
def secret_messages(draw):
    secrets = Secrets(draw(cards), draw(tckns), draw(tr_ibans), "", draw(digit_strings(draw(st.sampled_from([3, 4])))))
    month, year = draw(st.integers(1, 12)), draw(st.integers(26, 35))
    secrets.expiry = draw(st.sampled_from([f"{month:02d}/{year}", f"{month:02d}/20{year}", f"{month:02d}-{year}",
                                           f"{month:02d} / {year}"]))
    language, template = draw(st.sampled_from(TEMPLATES))
    text = template.format(card=draw(written(secrets.card)), tckn=draw(written(secrets.tckn)),
                           iban=draw(written(secrets.iban, first_group_at_least=2)), expiry=secrets.expiry, cvv=secrets.cvv)
    return language, text, secrets


# --- where to look -----------------------------------------------------------------------------
def digits_of(value: str) -> str:
    """Every decimal digit, in any script, as ASCII (quick on large texts)."""
    return "".join(str(unicodedata.decimal(ch)) for ch in _DIGIT.findall(value))


def readable(value: str) -> str:
    """JSON escapes (`\\uff14`) read back, so that a full-width digit stored escaped is a digit."""
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), value)


def database_values(url: str) -> Iterable[str]:
    engine = make_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(bind=engine)
        with engine.connect() as connection:
            for table in metadata.sorted_tables:
                for row in connection.execute(select(table)):
                    yield from (readable(str(value)) for value in row if value is not None)
    finally:
        engine.dispose()


def file_texts(folder: Path) -> Iterable[str]:
    """Every file of the state folder (logs, spool, the database file itself), line by line."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            raw = path.read_bytes()
        except FileNotFoundError:  # a journal that was there a moment ago
            continue
        # Split at control bytes too: in a binary file (the database's pages) they separate one stored
        # value from the next, and digits joined across them are no secret anyone wrote (a time
        # "20:00:00.000000" followed by a row named "…s8" reads 2000000000008).
        for line in raw.decode("utf-8", "replace").splitlines():
            yield from (readable(part) for part in _BINARY_GAP.split(line) if part)


def tracker_of(settings, conversation_id: str) -> Dict:
    response = requests.get(f"{settings.rasa_url}/conversations/{conversation_id}/tracker",
                            params={"token": settings.rasa_api_token()}, timeout=30)
    response.raise_for_status()
    return response.json()


def assert_found_nowhere(settings, secrets: List[str]) -> None:
    places = {"database": database_values(settings.store_database_url), "state folder": file_texts(settings.state_dir)}
    for place, values in places.items():
        for value in values:
            value_digits = digits_of(value)
            found = [secret for secret in secrets if secret in value_digits]
            assert not found, f"{found} in the {place}: {value[:300]!r}"


def notices_stored(bridge, conversation_id: str) -> int:
    return sum(1 for m in bridge.stored_messages(conversation_id) if m.sender == "system" and m.text in NOTICES)


def wait_for_notice(shopper, mark: int) -> Dict:
    return shopper.wait_for("bot_uttered", lambda d: d["text"] in NOTICES, after=mark, timeout=15)


# --- tests ---------------------------------------------------------------------------------------
def test_secrets_written_in_any_style_are_stored_nowhere_and_the_shopper_is_told(running_bridge):
    settings_ = running_bridge.settings
    sent: List[Secrets] = []
    reached_rasa: List[str] = []

    @settings(max_examples=15, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(secret_messages())
    def one_conversation(case):
        language, text, secrets = case
        sent.append(secrets)
        shopper = running_bridge.shopper(language=language)
        shopper.metadata["page_url"] = f"https://kuzey.example/odeme?kart={secrets.card}&tc={secrets.tckn}"
        try:
            mark = shopper.mark()
            shopper.say(text)
            notice = wait_for_notice(shopper, mark)
            assert notice["metadata"]["sender"] == "system" and notice["text"] == texts.say("sensitive_data_masked", language)
            stored = [m for m in running_bridge.stored_messages(shopper.session_id) if m.sender == "shopper"]
            assert len(stored) == 1
            # The template has no other digits: none may be left, not even the CVV's or the expiry's.
            assert digits(stored[0].text) == "", stored[0].text
            # (A date written with dashes may be masked together with the card before it.)
            assert all(MASKS[kind] in stored[0].text for kind in ("card", "tckn", "iban")), stored[0].text
            assert digits(json.dumps(stored[0].data, ensure_ascii=False)) == "", stored[0].data
            tracker = tracker_of(settings_, shopper.session_id)
            said = [e for e in tracker["events"] if e["event"] == "user"]  # none if frustration brought a person
            assert all(digits(e["text"] or "") == "" for e in said), said
            reached_rasa.extend(e["text"] for e in said)
            assert not any(secret in digits_of(readable(json.dumps(tracker))) for secret in secrets.long_ones())
            assert len(shopper.of("bot_uttered", after=mark)) >= 2  # the assistant answered too
        finally:
            shopper.disconnect()

    try:
        one_conversation()
        assert any(MASKS["card"] in text for text in reached_rasa)
        time.sleep(1.0)  # whatever a process still logs about these messages
        assert_found_nowhere(settings_, [secret for secrets in sent for secret in secrets.long_ones()])
    finally:
        release_open_chats(running_bridge)


def test_the_notice_comes_once_per_conversation_also_after_a_reconnect(running_bridge):
    shopper = running_bridge.shopper()
    again = None
    try:
        mark = shopper.mark()
        shopper.say("kargo ücreti ne kadar? kartım 4111 1111 1111 1111")
        wait_for_notice(shopper, mark)
        second = shopper.mark()
        answer = shopper.say("iade süresi kaç gün, TC kimlik numaram 10000000146")
        assert "iade" in answer[0]["text"].lower()  # the masked message is still understood
        time.sleep(1.0)
        assert not [d for d in shopper.of("bot_uttered", after=second) if d["text"] in NOTICES]
        shopper.disconnect()
        again = running_bridge.shopper(session_id=shopper.session_id)
        mark = again.mark()
        again.say("kargo ücreti ne kadar, IBAN TR33 0006 1005 1978 6457 8413 26")
        time.sleep(1.0)
        assert not [d for d in again.of("bot_uttered", after=mark) if d["text"] in NOTICES]
        assert notices_stored(running_bridge, shopper.session_id) == 1
        history = again.of("history")[-1]["messages"]
        assert [m["sender"] for m in history if m["text"] in NOTICES] == ["system"]
        assert "4111" not in json.dumps(history) and "10000000146" not in json.dumps(history)
    finally:
        shopper.disconnect()
        if again:
            again.disconnect()
        release_open_chats(running_bridge)


def test_after_a_masked_message_the_order_flow_works_and_agents_see_only_masked_data(running_bridge):
    order_no = EDGE["in_transit"]
    customer = demo_customer(demo_order(order_no)["customer_id"])
    # Valid, and unlike the usual test numbers no other test of the session writes them.
    card_digits = "549123456789012" + luhn_check_digit("549123456789012")
    card = " ".join(card_digits[i:i + 4] for i in range(0, 16, 4))
    iban, tckn = iban_from("TR", "0001200998877665544332"), tckn_from("246813579")
    shopper = running_bridge.shopper()
    ayse = running_bridge.agent("ayse")
    try:
        shopper.say(f"siparişimi kartım {card} ile ödedim, cvv 321")
        asked = " ".join(m["text"] for m in shopper.say(f"{order_no} nolu siparişim nerede"))
        assert "e-posta" in asked
        answer = " ".join(m["text"] for m in shopper.say(f"mailim {customer['email']}"))
        assert "kargoya verildi" in answer and demo_order(order_no)["tracking_no"] in answer
        mark = shopper.mark()
        shopper.say("bir temsilciyle görüşmek istiyorum")
        shopper.wait_for("handoff_status", lambda s: s["state"] == "queued", after=mark)
        ack = ayse.call("accept", {"conversation_id": shopper.session_id})
        assert ack["ok"], ack
        detail = ack["conversation"]
        # The agent's panel: the verified customer, whose phone is never shown in full.
        phone_digits = digits(customer["phone"])
        assert detail["context"]["customer"]["email"] == customer["email"]
        assert phone_digits not in digits(json.dumps(detail)) and digits(detail["context"]["customer"]["phone_masked"]) == phone_digits[-4:]
        assert card_digits not in digits(json.dumps(detail))
        assert all("321" not in m["text"] for m in detail["messages"] if m["sender"] == "shopper")
        # The agent's own texts are masked as well: the message, a note, the closing note.
        sent = ayse.call("send", {"conversation_id": shopper.session_id, "text": f"IBAN'ınız {iban} mi?"})
        assert sent["ok"] and sent["message"]["text"] == "IBAN'ınız [gizlendi: IBAN] mi?"
        shopper.wait_for("bot_uttered", lambda d: d["text"] == "IBAN'ınız [gizlendi: IBAN] mi?")
        note = ayse.call("note", {"conversation_id": shopper.session_id, "text": f"müşterinin TC'si {tckn}"})
        assert note["ok"] and note["message"]["text"] == "müşterinin TC'si [gizlendi: TCKN]"
        assert ayse.call("close", {"conversation_id": shopper.session_id, "tags": [],
                                   "note": f"kart {card} ile ödemiş"})["ok"]
        time.sleep(1.0)
        assert_found_nowhere(running_bridge.settings, [card_digits, digits(iban), tckn])
    finally:
        shopper.disconnect()
        ayse.disconnect()
        release_open_chats(running_bridge)


def test_a_client_of_rasas_rest_channel_gets_no_card_into_the_tracker(shopper, running_assistant):
    chat = shopper({"page_url": "https://kuzey.example/?kart=4242424242424242"})
    chat.say("kargo ücreti ne kadar, kartım 4242-4242-4242-4242 cvv 987")
    events = [e for e in chat.tracker()["events"] if e["event"] == "user"]
    assert events[-1]["text"] == "kargo ücreti ne kadar, kartım [gizlendi: kart] cvv [gizlendi: CVV]"
    assert "4242424242424242" not in json.dumps(events) and "987" not in events[-1]["text"]
