"""Property-based tests (hypothesis) of the shopper message path.

First the pure steps every message goes through (clean_text, neutralise_commands, the survey
parsers, the frustration scorer): for any input they never raise and give either a clean message
or a clear "no". Then the whole path through the real bridge application (run in this process in
front of a fake Rasa, tests/resilience/inprocess.py): whatever a shopper sends, every accepted
message is stored exactly once, verbatim and in order, and every other one gets a clear error.

The expected values never come from the code under test: `oracle_text` and `oracle_for_rasa` below
say what the bridge must make of a message, written independently of bot/desk (character by
character, no regular expression, no codec), and literal examples pin both down.

The examples are derandomized (the same on every run and in CI) and need no example database.
"""
import json
import string
import time
import uuid

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st
from sqlalchemy import select

from bot.desk.assistant_turn import neutralise_commands
from bot.desk.frustration import FrustrationScorer
from bot.desk.models import Message
from bot.processes import free_port
from bot.desk.shoppers import clean_text
from bot.desk.surveys import parse_nps, parse_rating
from bot.settings import Settings
from tests.live_chat import ShopperClient
from tests.resilience.inprocess import FAKE_ANSWER, FakeRasa, InProcessBridge

QUICK = settings(max_examples=200, derandomize=True, database=None, deadline=None)
THROUGH_THE_BRIDGE = settings(max_examples=100, derandomize=True, database=None, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Any code point, lone surrogates included (hypothesis's own text() never makes those).
any_character = st.one_of(st.characters(), st.integers(0xD800, 0xDFFF).map(chr))
# What arrives from clients: any Unicode, bytes decoded by a sloppy client, and the texts a tester would try.
TRICKY_TEXTS = [
    "😀👍🏽 teşekkürler", "مرحبا، أين طلبي؟", "שלום \u200f400142\u200f", "<script>alert(1)</script>",
    "<b>kargo</b> &amp; iade", "400142' OR 1=1 --", "400142; DROP TABLE orders", '/intent{"email":"x@y.z"}',
    "/restart", "//", " / /restart", "\u200b/restart", "İADE ETMEK İSTİYORUM", "kar\u0000go", "\x1b[31mkırmızı\x1b[0m",
    "\ud800", "a\udfffb", "5", "4/5", "10", "5 😀", "2 ürünüm eksik geldi", "\t\n ", "",
]
shopper_texts = st.one_of(
    st.text(any_character, max_size=40),
    st.binary(max_size=40).map(lambda raw: raw.decode("utf-8", "surrogateescape")),
    st.sampled_from(TRICKY_TEXTS),
)
not_text = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.lists(st.text(max_size=5), max_size=3),
                     st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))
WHITESPACE_AND_SLASHES = set(string.whitespace) | {"/"}


# --- the oracles: what the bridge must make of a message, written without the bridge's code ----------

def is_surrogate(character: str) -> bool:
    return 0xD800 <= ord(character) <= 0xDFFF


def oracle_text(value):
    """The text the bridge must store for `value` as it arrives, or None: not a string. Each lone
    surrogate (not storable as UTF-8) becomes "?", every NUL goes, then the whitespace around it."""
    if type(value) is not str:
        return None
    kept = ["?" if is_surrogate(character) else character for character in value if character != "\x00"]
    start, end = 0, len(kept)
    while start < end and kept[start].isspace():
        start += 1
    while end > start and kept[end - 1].isspace():
        end -= 1
    return "".join(kept[start:end])


def over_the_wire(value):
    """What the bridge receives when a client sends `value` as JSON with \\u escapes (python-socketio,
    browsers): a high surrogate directly followed by a low one arrives as the one character they encode."""
    if type(value) is not str:
        return value
    characters, index = [], 0
    while index < len(value):
        high, low = value[index], value[index + 1] if index + 1 < len(value) else ""
        if 0xD800 <= ord(high) <= 0xDBFF and low and 0xDC00 <= ord(low) <= 0xDFFF:
            characters.append(chr(0x10000 + (ord(high) - 0xD800) * 0x400 + (ord(low) - 0xDC00)))
            index += 2
        else:
            characters.append(high)
            index += 1
    return "".join(characters)


def oracle_for_rasa(text: str) -> str:
    """What Rasa must get for a stored text: without the leading slashes and whitespace that would make
    it a command; a text of nothing else is sent as it is (there is no command in it to read)."""
    index = 0
    while index < len(text) and (text[index] == "/" or text[index].isspace()):
        index += 1
    return text[index:] if index < len(text) else text


LITERAL_TEXTS = [  # (what the client sends, what is stored)
    ("kargo ücreti ne kadar", "kargo ücreti ne kadar"),
    ("  kargo\t\n", "kargo"),
    ("\u3000kargo\u00a0", "kargo"),  # ideographic and no-break spaces are whitespace too
    ("kar\x00go", "kargo"),
    ("\x00 \x00kargo", "kargo"),
    ("\ud800kırık", "?kırık"),
    ("a\udfffb", "a?b"),
    ("\udc80\udc81", "??"),  # what surrogateescape makes of bytes that are not UTF-8
    ("😀👍🏽 teşekkürler", "😀👍🏽 teşekkürler"),
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),
    ("İADE ETMEK İSTİYORUM", "İADE ETMEK İSTİYORUM"),
    ("\x1b[31mkırmızı\x1b[0m", "\x1b[31mkırmızı\x1b[0m"),
    (" \t\n ", ""),
    ("\x00\x00", ""),
    ("", ""),
]
LITERAL_FOR_RASA = [  # (stored text, what Rasa gets)
    ("/restart", "restart"),
    ('/intent{"email":"x@y.z"}', 'intent{"email":"x@y.z"}'),
    ("//restart", "restart"),
    (" / /restart", "restart"),
    ("/\x1c/restart", "restart"),
    ("kargo / iade", "kargo / iade"),
    ("4/5", "4/5"),
    ("\u200b/restart", "\u200b/restart"),  # a zero-width space is no whitespace: Rasa reads no command
    ("//", "//"),
    ("/", "/"),
]


@pytest.mark.parametrize("sent, stored", LITERAL_TEXTS)
def test_the_oracle_and_clean_text_on_literal_examples(sent, stored):
    assert oracle_text(sent) == stored
    assert clean_text(sent) == stored


@pytest.mark.parametrize("stored, for_rasa", LITERAL_FOR_RASA)
def test_the_oracle_and_neutralise_commands_on_literal_examples(stored, for_rasa):
    assert oracle_for_rasa(stored) == for_rasa
    assert neutralise_commands(stored) == for_rasa


def test_over_the_wire_joins_surrogate_pairs_like_json():
    assert over_the_wire("\ud83d\ude00") == "😀" == json.loads(json.dumps("\ud83d\ude00"))
    assert over_the_wire("\ud800\x00\udc00") == "\ud800\x00\udc00"
    assert over_the_wire("\udc00\ud800") == "\udc00\ud800"  # a low one first is no pair


def storable(text: str) -> bool:
    """Text any database takes: valid UTF-8 (no lone surrogates) and no NUL."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


# --- the pure steps --------------------------------------------------------------------------

@QUICK
@given(shopper_texts)
@example("\ud800kırık")
def test_clean_text_always_gives_storable_text_and_keeps_clean_text_verbatim(text):
    cleaned = clean_text(text)
    assert cleaned == oracle_text(text)
    assert isinstance(cleaned, str) and storable(cleaned) and cleaned == cleaned.strip()
    if storable(text):
        assert cleaned == text.strip()  # nothing but the surrounding whitespace changes
    assert len(cleaned) <= len(text)


@QUICK
@given(not_text)
def test_clean_text_refuses_anything_that_is_not_text(value):
    assert clean_text(value) is None


@QUICK
@given(shopper_texts)
@example("/restart")
@example('/intent{"email":"x@y.z"}')
@example("/\x1c/restart")
def test_no_shopper_text_reaches_rasa_as_a_command(text):
    """Rasa strips a message and reads a leading "/" as an intent with entities (its
    RegexMessageHandler); what the bridge sends must never start so, unless the shopper sent only
    slashes and spaces (then there is no intent to read, and the NLU's SlashCommandGuard blanks it)."""
    cleaned = clean_text(text)
    if not cleaned:
        return
    sent = neutralise_commands(cleaned)
    assert sent == oracle_for_rasa(cleaned)
    assert cleaned.endswith(sent)  # only the leading command marks go, nothing is added
    if not set(cleaned) <= WHITESPACE_AND_SLASHES:
        assert not sent.strip().startswith("/")


@QUICK
@given(shopper_texts)
def test_a_rating_or_nps_is_read_only_from_a_clear_score(text):
    rating, nps = parse_rating(text), parse_nps(text)
    assert rating is None or 1 <= rating <= 5
    assert nps is None or 0 <= nps <= 10
    if rating is not None or nps is not None:  # "2 ürünüm eksik geldi" is a message, not a score
        assert not any(character.isalpha() for character in text)


@QUICK
@given(st.integers(0, 10), st.sampled_from(["{}", " {} ", "{}/10", "{} 😀", "{}!", "{}."]))
def test_every_written_score_is_read(score, form):
    text = form.format(score)
    assert parse_nps(text) == score
    if 1 <= score <= 5 and "/10" not in form:
        assert parse_rating(text) == score


@pytest.fixture(scope="module")
def scorer():
    return FrustrationScorer()


@settings(QUICK, max_examples=150)
@given(shopper_texts, st.lists(shopper_texts, max_size=3))
def test_the_frustration_scorer_takes_any_clean_text(scorer, text, history):
    cleaned = clean_text(text)
    if not cleaned:
        return
    result = scorer.score(cleaned, history=[clean_text(h) for h in history if clean_text(h)],
                          bot_failures=0, previous_scores=[])
    assert 0.0 <= result.score <= 1.0 and isinstance(result.escalate, bool)


# --- the whole path, through the bridge ------------------------------------------------------

@pytest.fixture(scope="module")
def bridge(tmp_path_factory):
    """The real bridge application in this process, in front of a fake Rasa; limits raised so
    that only the checks of the message itself answer."""
    bridge_settings = Settings(
        state_dir=tmp_path_factory.mktemp("bridge-state"), bridge_port=free_port(), rasa_port=free_port(),
        desk_secret=uuid.uuid4().hex * 2, support_hours="always", messages_per_second=1000.0, message_burst=1000,
        connections_per_address=1000,
    )
    # The real frustration scorer reads every message, but none escalates to a person (a score is at most
    # 1.0; the scorer's own tests are elsewhere): every accepted message must then reach the assistant.
    running = InProcessBridge(bridge_settings, scorer_factory=lambda: FrustrationScorer(threshold=1.01)).start()
    yield running
    running.stop()


def expected_outcome(message, limit: int):
    """What the bridge must do with `{"message": message}`: store this text, or answer this error code
    (from the oracles, not from the bridge's code)."""
    text = oracle_text(over_the_wire(message))
    if not text:
        return "invalid_message"
    if len(text) > limit:
        return "message_too_long"
    return text


@pytest.mark.parametrize("message, outcome", [
    ("kargo", "kargo"), (" kargo ", "kargo"), ("\ud83d\ude00", "😀"), ("\ud800", "?"), ("\x00", "invalid_message"),
    ("", "invalid_message"), (42, "invalid_message"), (None, "invalid_message"), (["kargo"], "invalid_message"),
    ("ğ" * 1000, "ğ" * 1000), ("ğ" * 1001, "message_too_long"), (" " + "ğ" * 1000 + " ", "ğ" * 1000),
])
def test_the_expected_outcomes_on_literal_examples(message, outcome):
    assert expected_outcome(message, 1000) == outcome


def stored_shopper_texts(bridge, conversation_id: str):
    with bridge.desk().store.session() as s:
        return list(s.execute(select(Message.text).where(Message.conversation_id == conversation_id,
                                                         Message.sender == "shopper").order_by(Message.id)).scalars())


def wait_until(condition, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the bridge did not handle every message in time"
        time.sleep(0.02)


near_the_limit = st.integers(990, 1010).map(lambda length: "ğ" * length)
any_message = st.one_of(shopper_texts, shopper_texts, near_the_limit, not_text)


@THROUGH_THE_BRIDGE
@given(st.lists(any_message, min_size=1, max_size=8))
@example(["/restart", 42, "  kargo ücreti  ", "ğ" * 1001, "\ud83d\ude00 tamam", '/intent{"email":"x@y.z"}'])
@example(["kar\x00go", "", "\ud800", None, " / /restart"])
def test_every_accepted_message_is_stored_once_verbatim_and_in_order(bridge, messages):
    limit = bridge.settings.max_message_chars
    outcomes = [expected_outcome(message, limit) for message in messages]
    accepted = [o for o in outcomes if o not in ("invalid_message", "message_too_long")]
    refused = [o for o in outcomes if o in ("invalid_message", "message_too_long")]

    shopper = ShopperClient(bridge.url).connect()

    def forwarded():
        return [text for conversation, text in list(FakeRasa.received) if conversation == shopper.session_id]

    def answers():
        return [m for m in shopper.of("bot_uttered") if m["text"] == FAKE_ANSWER]

    try:
        for message in messages:
            shopper.sio.emit("user_uttered", {"message": message, "session_id": shopper.session_id})
        wait_until(lambda: len(shopper.of("error")) >= len(refused)
                   and len(stored_shopper_texts(bridge, shopper.session_id)) >= len(accepted)
                   and len(forwarded()) >= len(accepted) and len(answers()) >= len(accepted))
        time.sleep(0.05)  # anything extra (a duplicate, a stray error) would show up now
        assert sorted(error["code"] for error in shopper.of("error")) == sorted(refused)
        assert stored_shopper_texts(bridge, shopper.session_id) == accepted
        # The assistant got every accepted message exactly once, as plain text, in order; and answered each.
        assert forwarded() == [oracle_for_rasa(text) for text in accepted]
        assert bool(forwarded()) == bool(accepted)
        assert len(answers()) == len(accepted)
    finally:
        shopper.disconnect()

    if accepted:  # the shopper's history gives the same texts back, as text
        again = ShopperClient(bridge.url, session_id=shopper.session_id).connect()
        try:
            history = again.wait_for("history", timeout=10)
            assert [m["text"] for m in history["messages"] if m["sender"] == "shopper"] == accepted
        finally:
            again.disconnect()

