"""The privacy notice and shoppers' choices (bot/privacy/): what is recorded, when the notice is due,
how the marketing choice reaches the store's customer, the notice document and its pages, and
"end chat" on a shared device — on real SQLite databases, without Rasa."""
import asyncio
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from actions.store.database import make_engine, make_sessionmaker
from actions.store.models import Customer
from bot.desk.models import Conversation, DeskUser, Handoff, HandoffEvent, Message
from bot.desk.rasa_client import RasaClient, RasaUnavailable
from bot.desk.store import DeskStore, utcnow
from bot.privacy import consent, notice, shopper_choices
from bot.privacy.models import Consent
from bot.privacy.shopper_web import render_page, render_text
from bot.settings import Settings
from bot.studio.repository import Conflict, StudioError
from tests.asyncio_thread import run_async

DEMO_STORE = Path(__file__).resolve().parents[2] / "data" / "demo_store.json"


@pytest.fixture
def desk_store(tmp_path):
    store = DeskStore.open(f"sqlite:///{tmp_path / 'desk.db'}")  # a file: "end chat" runs on another thread
    yield store
    store.engine.dispose()


@pytest.fixture
def shop(seeded_db_url):
    """The seeded demo store's sessions."""
    engine = make_engine(seeded_db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def customer_id(shop):
    """A demo customer who gave no marketing consent."""
    with shop() as s:
        return s.execute(select(Customer.id).where(Customer.marketing_consent.is_(False)).limit(1)).scalar_one()


def marketing_of(shop, customer_id):
    with shop() as s:
        return s.get(Customer, customer_id).marketing_consent


def rows(desk_store, conversation_id):
    with desk_store.session() as s:
        return s.execute(select(Consent).where(Consent.conversation_id == conversation_id)
                         .order_by(Consent.id)).scalars().all()


def state(desk_store, conversation_id, language="tr"):
    return shopper_choices.privacy_state(desk_store.session, conversation_id, language)


def choice(desk_store, conversation_id, language="tr", **overrides):
    """The choice the widget would send for what `privacy_state` showed it."""
    shown = state(desk_store, conversation_id, language)
    kind = overrides.get("kind", "notice")
    version = shown["notice"]["version"] if kind == "notice" else shown["marketing"]["version"]
    return {"kind": kind, "granted": True, "language": language, "version": version, **overrides}


# --- choices ------------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [
    None, "notice", [], {},
    {"kind": "cookies", "granted": True, "language": "tr", "version": "1"},
    {"kind": "marketing", "granted": 1, "language": "tr", "version": "1"},
    {"kind": "marketing", "granted": "true", "language": "tr", "version": "1"},
    {"kind": "marketing", "granted": True, "language": "de", "version": "1"},
    {"kind": "marketing", "granted": True, "language": "tr"},
    {"kind": "marketing", "granted": True, "language": "tr", "version": True},
    {"kind": "marketing", "granted": True, "language": "tr", "version": "x" * 33},
    {"kind": "notice", "granted": False, "language": "tr", "version": "1"},
])
def test_a_malformed_choice_is_refused(data):
    with pytest.raises(consent.ConsentError) as refused:
        consent.parse_choice(data)
    assert refused.value.code == "invalid_consent"
    answer = refused.value.answer("en")
    assert answer["ok"] is False and answer["error"]["code"] == "invalid_consent" and "notice" in answer["error"]["message"]


def test_a_refused_choice_is_worded_in_the_shoppers_language_from_the_catalogue():
    assert consent.failure("wording_changed", "tr") == {"ok": False, "error": {
        "code": "wording_changed", "message": "Metin az önce güncellendi. Lütfen yeni metni okuyup tekrar seçin."}}
    assert consent.failure("server_error", "en")["error"]["message"] == \
        "Your choice could not be saved right now. Please try again in a moment."
    # A language the catalogue does not have gets Turkish.
    assert consent.failure("no_session", "de")["error"]["message"] == "Önce oturum açılmalı (session_request)."
    assert consent.ConsentError("no_session").answer("en")["error"]["message"] == \
        "Start a session first (session_request)."


def test_a_choice_names_its_kind_answer_language_and_version():
    assert consent.parse_choice({"kind": "marketing", "granted": False, "language": "en", "version": 3}) == \
        consent.Choice("marketing", False, "en", "3")


def test_the_notice_is_due_once_before_the_first_message(desk_store):
    fresh = "fresh-session-id"
    assert state(desk_store, fresh)["notice"]["needed"]
    answer = shopper_choices.choose(desk_store.session, None, fresh, choice(desk_store, fresh))
    assert answer["ok"] and answer["consent"]["kind"] == "notice"
    assert not state(desk_store, fresh)["notice"]["needed"]
    # Acknowledging stores the conversation, so that a reload finds the session again.
    assert desk_store.conversation(fresh) is not None
    # A chat that already has messages (e.g. begun by another client) does not get it in between.
    talked = desk_store.create_conversation()
    desk_store.add_message(talked.id, "shopper", "kargo ücreti ne kadar")
    assert not state(desk_store, talked.id)["notice"]["needed"]


@pytest.mark.parametrize("language", ["tr", "en"])
def test_the_acknowledgement_records_the_exact_short_text_and_its_version(desk_store, language):
    shown = state(desk_store, "session-a", language)
    shopper_choices.choose(desk_store.session, None, "session-a", choice(desk_store, "session-a", language))
    [row] = rows(desk_store, "session-a")
    assert (row.kind, row.granted, row.language) == ("notice", True, language)
    assert row.wording == shown["notice"]["text"] == notice.default_content()[language]["short"]
    assert row.wording_version == shown["notice"]["version"] == "1"


def test_an_outdated_wording_is_refused_and_nothing_is_stored(desk_store):
    data = choice(desk_store, "session-b", version="0")
    with pytest.raises(consent.ConsentError) as refused:
        shopper_choices.choose(desk_store.session, None, "session-b", data)
    assert refused.value.code == "wording_changed"
    assert rows(desk_store, "session-b") == [] and desk_store.conversation("session-b") is None


def test_marketing_is_never_chosen_for_the_shopper(desk_store):
    assert state(desk_store, "session-c")["marketing"]["granted"] is None
    shopper_choices.choose(desk_store.session, None, "session-c", choice(desk_store, "session-c"))
    assert state(desk_store, "session-c")["marketing"]["granted"] is None  # the notice says nothing about it


def test_marketing_given_then_withdrawn_is_two_rows_and_the_known_customer_follows(desk_store, shop, customer_id):
    conversation = desk_store.create_conversation()
    desk_store.update_conversation(conversation.id, customer_id=customer_id)
    given = shopper_choices.choose(desk_store.session, shop, conversation.id,
                                   choice(desk_store, conversation.id, kind="marketing", granted=True))
    assert given["applied_to_customer"] is True and marketing_of(shop, customer_id) is True
    assert state(desk_store, conversation.id)["marketing"]["granted"] is True
    shopper_choices.choose(desk_store.session, shop, conversation.id,
                           choice(desk_store, conversation.id, kind="marketing", granted=False))
    assert marketing_of(shop, customer_id) is False
    first, second = rows(desk_store, conversation.id)
    wording, version = notice.marketing_wording("tr")
    assert [(r.granted, r.customer_id) for r in (first, second)] == [(True, customer_id), (False, customer_id)]
    assert first.wording == second.wording == wording and first.wording_version == version
    assert first.created_at <= second.created_at
    assert state(desk_store, conversation.id)["marketing"]["granted"] is False


def test_a_pending_choice_reaches_the_customer_once_known(desk_store, shop, customer_id):
    shopper_choices.choose(desk_store.session, shop, "session-d", choice(desk_store, "session-d"))
    given = shopper_choices.choose(desk_store.session, shop, "session-d",
                                   choice(desk_store, "session-d", kind="marketing", granted=True))
    assert given["applied_to_customer"] is None and marketing_of(shop, customer_id) is False  # nobody known yet
    assert consent.apply_pending_marketing_consent(desk_store.session, shop, "session-d", customer_id) is True
    assert marketing_of(shop, customer_id) is True
    assert {r.customer_id for r in rows(desk_store, "session-d")} == {customer_id}


def test_without_a_marketing_choice_the_customer_keeps_theirs(desk_store, shop, customer_id):
    with shop() as s:
        consenting = s.execute(select(Customer.id).where(Customer.marketing_consent.is_(True)).limit(1)).scalar_one()
    shopper_choices.choose(desk_store.session, shop, "session-e", choice(desk_store, "session-e"))  # notice only
    assert consent.apply_pending_marketing_consent(desk_store.session, shop, "session-e", consenting) is None
    assert marketing_of(shop, consenting) is True


def test_an_unreachable_store_does_not_lose_the_choice(desk_store):
    broken = make_sessionmaker(make_engine("sqlite://"))  # no customers table
    conversation = desk_store.create_conversation()
    desk_store.update_conversation(conversation.id, customer_id=7)
    answer = shopper_choices.choose(desk_store.session, broken, conversation.id,
                                    choice(desk_store, conversation.id, kind="marketing", granted=True))
    assert answer["applied_to_customer"] is False and [r.granted for r in rows(desk_store, conversation.id)] == [True]


# --- the notice document and its pages ----------------------------------------------------------

def test_the_default_notice_names_the_controller_bases_rights_and_the_stores_address():
    address = json.loads(DEMO_STORE.read_text(encoding="utf-8"))["store"]["support_email"]
    content = notice.default_content()
    for language in ("tr", "en"):
        full, short = content[language]["full"], content[language]["short"]
        assert "Kuzey Market" in full and address in full and "5/2-c" in full.replace("5(2)(c)", "5/2-c")
        assert "11" in full and len(short) < notice.MAX_SHORT_CHARS
    assert "T.C. kimlik" in content["tr"]["short"] and "maskelenir" in content["tr"]["short"]
    assert "masked" in content["en"]["short"] and "card" in content["en"]["short"]


def test_admins_edits_bump_the_version_and_conflicts_keep_both(desk_store):
    studio = notice.studio_for(desk_store.session)
    seeded = notice.notice_document(studio)
    assert seeded["revision"] == 1 and seeded["content"]["version"] == 1
    edit = {language: dict(seeded["content"][language]) for language in ("tr", "en")}
    edit["tr"]["short"] = "Yeni kısa metin."
    saved = notice.save(studio, edit, 1, "yonetici")
    assert (saved["revision"], saved["content"]["version"], saved["updated_by"]) == (2, 2, "yonetici")
    assert state(desk_store, "session-f")["notice"] == {"needed": True, "text": "Yeni kısa metin.", "version": "2"}
    with pytest.raises(Conflict):
        notice.save(studio, edit, 1, "someone-else")
    for bad in (None, {"tr": edit["tr"]}, {**edit, "en": {"short": " ", "full": "x"}},
                {**edit, "tr": {"short": "x" * (notice.MAX_SHORT_CHARS + 1), "full": "x"}}):
        with pytest.raises(StudioError):
            notice.save(studio, bad, 2, "yonetici")
    assert notice.notice_document(studio)["revision"] == 2


def test_the_full_text_is_escaped_with_paragraphs_lines_and_headings():
    html = render_text("Veri sorumlusu\n\n<b>Kuzey</b> & co.\nikinci satır\n\n\nBu bir cümle.")
    assert html == ("<h2>Veri sorumlusu</h2>\n<p>&lt;b&gt;Kuzey&lt;/b&gt; &amp; co.<br>\nikinci satır</p>\n"
                    "<p>Bu bir cümle.</p>")
    page = render_page("en", notice.default_content())
    assert '<html lang="en">' in page and 'href="/gizlilik"' in page and "<h2>Your rights (KVKK art. 11)</h2>" in page


@pytest.mark.parametrize("updated_at, day", [
    ("2026-11-20T22:30:00Z", "2026-11-21"),        # after 21:00 UTC it is already the next day in Istanbul
    ("2026-11-20T20:59:59+00:00", "2026-11-20"),
    (datetime(2026, 12, 31, 21, 0, tzinfo=timezone.utc), "2027-01-01"),
])
def test_the_page_says_the_shops_day_of_the_last_update(updated_at, day):
    page = render_page("tr", notice.default_content(), updated_at)
    assert f"Son güncelleme: {day}</p>" in page
    assert "Son güncelleme" not in render_page("tr", notice.default_content(), None)


# --- "end chat" ---------------------------------------------------------------------------------

@pytest.fixture
def harness(tmp_path):
    from tests.unit.desk_harness import build

    h = build(tmp_path)
    h.add_agent("ayse")
    return h


def handoff_of(desk_store, conversation_id):
    with desk_store.session() as s:
        handoff = s.execute(select(Handoff).where(Handoff.conversation_id == conversation_id)).scalar_one()
        events = s.execute(select(HandoffEvent.kind).where(HandoffEvent.handoff_id == handoff.id)
                           .order_by(HandoffEvent.id)).scalars().all()
        return handoff, events


@pytest.mark.parametrize("state_before", ["queued", "agent"])
def test_ending_a_chat_with_people_closes_it_for_them(harness, state_before):
    desk_store = harness.store
    conversation = desk_store.create_conversation()
    desk_store.add_message(conversation.id, "shopper", "bir temsilci lütfen")
    desk_store.open_handoff(conversation.id, "requested", 0.0)
    agent_id = 1 if state_before == "agent" else None
    desk_store.update_conversation(conversation.id, state=state_before, agent_id=agent_id, queued_at=utcnow())

    assert run_async(lambda: harness.desk.conversations.end(conversation.id, "tr")) is True

    ended = desk_store.conversation(conversation.id)
    assert ended.ended_at is not None and (ended.state, ended.agent_id, ended.queued_at) == ("bot", None, None)
    handoff, events = handoff_of(desk_store, conversation.id)
    assert handoff.status == "closed" and handoff.closed_at is not None and handoff.close_note == "Müşteri sohbeti bitirdi."
    assert events[-1] == ("closed" if state_before == "agent" else "shopper_ended")
    assert [m.text for m in desk_store.messages(conversation.id, include_notes=False)][-1] == "Müşteri sohbeti bitirdi."
    assert ("restart", conversation.id) in harness.rasa.calls
    assert harness.shopper_saw(conversation.id) == []  # their devices are reset, not told
    if state_before == "agent":
        assert harness.sio.to("agent:1", "conversation_closed") == [{"conversation_id": conversation.id}]


def test_ending_twice_or_before_any_message_is_harmless(harness):
    assert run_async(lambda: harness.desk.conversations.end("never-wrote", "en")) is True
    assert harness.store.conversation("never-wrote").ended_at is not None  # remembered as ended
    assert run_async(lambda: harness.desk.conversations.end("never-wrote", "en")) is False
    assert harness.rasa.calls == [("restart", "never-wrote")]
    with harness.store.session() as s:
        assert s.execute(select(Message)).first() is None


def test_rasa_forgets_the_ended_chat_once_it_answers_again(harness):
    from bot.desk.assistant_turn import FORGET_RETRY_SECONDS

    async def end_while_rasa_is_down_then_wait():
        harness.rasa.down = True
        await harness.desk.conversations.end("rasa-was-down", "tr")
        await harness.clock.advance(FORGET_RETRY_SECONDS[0])  # still down: tried again, failed
        harness.rasa.down = False
        await harness.clock.advance(FORGET_RETRY_SECONDS[1])

    run_async(end_while_rasa_is_down_then_wait)
    assert harness.rasa.calls == [("restart", "rasa-was-down")] * 3
    assert harness.store.conversation("rasa-was-down").ended_at is not None
    assert len(harness.desk.tasks) == 0
