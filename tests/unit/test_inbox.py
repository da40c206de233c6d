"""The editors' inbox (bot/studio/inbox.py) on a real (SQLite) database: what counts as not
understood, grouping, topic suggestions and their fallback, and the editors' and agents' steps."""
import copy

import pytest
from sqlalchemy import select

from bot.desk.models import DeskUser
from bot.desk.rasa_client import BotReply, fallback_threshold, nlu_reading, understood
from bot.desk.store import DeskStore, utcnow
from bot.reports.html import knowledge_lines
from bot.reports.metrics import build_report
from bot.reports.periods import local_today
from bot.studio import inbox as inbox_module
from bot.studio.inbox import (
    Inbox, InboxError, check_question, cluster_keys, group_key, record_missed, similar, suggested_topics,
    topic_name_for, topics_by_words, topics_from_parse,
)
from bot.studio.models import KbInboxItem
from bot.studio.publishing import DESK_CONFIG
from bot.studio.repository import Studio, StudioError
from bot.training import FAQ_DIR
from tests import report_fixtures as fx


# --- what counts as not understood -------------------------------------------------------------

def test_the_threshold_is_the_fallback_classifiers(tmp_path):
    assert fallback_threshold() == 0.4  # config.yml
    config = tmp_path / "config.yml"
    config.write_text("pipeline:\n  - name: FallbackClassifier\n    threshold: 0.55\n", encoding="utf-8")
    assert fallback_threshold(config) == 0.55
    other = tmp_path / "other.yml"  # read once per file
    other.write_text("pipeline:\n  - name: WhitespaceTokenizer\n", encoding="utf-8")
    assert fallback_threshold(other) == 0.4


@pytest.mark.parametrize("nlu, expected", [
    ({"intent": "faq/shipping_cost", "confidence": 0.97, "topic_confidence": 0.99}, True),
    ({"intent": "order_status", "confidence": 0.81}, True),
    ({"intent": "nlu_fallback", "confidence": 0.16, "guess": "thank"}, False),     # asked back
    ({"intent": "out_of_scope", "confidence": 0.99}, False),                       # "I can't help with that"
    ({"intent": "order_status", "confidence": 0.35}, False),                       # unsure
    ({"intent": "faq/contact_hours", "confidence": 0.52, "topic_confidence": 0.39}, False),  # unsure of the topic
    ({}, True),                                                                    # not told: as before
])
def test_fallbacks_out_of_scope_and_low_confidence_are_not_understood(nlu, expected):
    assert understood(nlu) is expected


def test_the_bridge_reads_the_channels_nlu_payload():
    replies = [BotReply(text="Kargo 49,90 TL."), BotReply(custom={"nlu": {"intent": "faq/shipping_cost", "confidence": 0.9}})]
    assert nlu_reading(replies) == {"intent": "faq/shipping_cost", "confidence": 0.9}
    assert nlu_reading([BotReply(text="hi")]) == {}


def test_the_channel_tells_the_confidence_of_the_intent_the_fallback_was_unsure_about():
    from bot.channels import reading

    fallback = {"intent": {"name": "nlu_fallback", "confidence": 0.4},
                "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "faq", "confidence": 0.3646},
                                   {"name": "out_of_scope", "confidence": 0.25}]}
    assert reading(fallback) == {"intent": "nlu_fallback", "confidence": 0.3646, "guess": "faq"}
    faq = {"intent": {"name": "faq", "confidence": 0.93},
           "response_selector": {"faq": {"response": {"intent_response_key": "faq/invoice", "confidence": 0.951}}}}
    assert reading(faq) == {"intent": "faq/invoice", "confidence": 0.93, "topic_confidence": 0.951}
    assert reading({"intent": {}}) is None


# --- grouping ----------------------------------------------------------------------------------

def test_keys_ignore_case_turkish_letters_punctuation_and_numbers():
    assert group_key("İADE KODUM 4711 ÇALIŞMIYOR!!!") == group_key("iade kodum 12 calismiyor") == "iade kodum # calismiyor"
    assert group_key("😡") == ""


@pytest.mark.parametrize("a, b, same", [
    ("kupon kodu calismiyor", "kupon kodu calismiyor", True),
    ("hediye paketi var mi", "var mi hediye paketi", True),           # the same words in another order
    ("kupon kodu calismiyor", "kupon kodum calismiyor", True),         # a near duplicate
    ("kargom nerede", "kargom nerde", True),
    ("kargo ne zaman gelir", "kargo ne kadar", False),
    ("hediye paketi var mi", "fatura nasil alirim", False),
    ("hmm", "hm", False),
    ("", "", True), ("", "kargo", False),
])
def test_similar_texts(a, b, same):
    assert similar(a, b) is same


def test_clusters_join_through_a_chain_and_keep_the_rest_apart():
    roots = cluster_keys(["kupon kodu calismiyor", "kupon kodum calismiyor", "kupon kodum calismiyor ki",
                          "calismiyor kupon kodu", "fatura nasil alirim"])
    assert len({roots[k] for k in ("kupon kodu calismiyor", "kupon kodum calismiyor", "kupon kodum calismiyor ki",
                                   "calismiyor kupon kodu")}) == 1
    assert roots["fatura nasil alirim"] == "fatura nasil alirim"


# --- topic suggestions -------------------------------------------------------------------------

TOPICS = {
    "shipping_cost": {"title": {"tr": "Kargo ücreti", "en": "Shipping cost"},
                      "questions": {"tr": ["Kargo ücreti ne kadar?", "Kargo bedava mı?"], "en": ["How much is shipping?"]}},
    "invoice": {"title": {"tr": "Fatura", "en": "Invoice"},
                "questions": {"tr": ["Faturamı nasıl alırım?", "E-fatura gönderiyor musunuz?"], "en": ["Where is my invoice?"]}},
    "warranty": {"title": {"tr": "Garanti", "en": "Warranty"}, "questions": {"tr": ["Garanti süresi ne kadar?"], "en": []}},
}


def test_the_live_models_topic_ranking_comes_first():
    parse = {"response_selector": {"faq": {"ranking": [
        {"intent_response_key": "faq/invoice", "confidence": 0.81},
        {"intent_response_key": "faq/retired_topic", "confidence": 0.1},   # not an active topic
        {"intent_response_key": "faq/warranty", "confidence": 0.02},       # too unlikely
        {"intent_response_key": "faq/shipping_cost", "confidence": 0.09}]}}}
    assert topics_from_parse(parse, TOPICS) == [("invoice", 0.81), ("shipping_cost", 0.09)]
    suggested = suggested_topics("faturami e-posta ile alabilir miyim", TOPICS, parse)
    assert [(s["name"], s["source"]) for s in suggested][:2] == [("invoice", "assistant"), ("shipping_cost", "assistant")]
    assert suggested[0]["title"] == {"tr": "Fatura", "en": "Invoice"}


def test_without_the_assistant_topics_are_suggested_by_shared_words():
    assert topics_by_words("kargomun ücreti ne kadar tutar", TOPICS)[0][0] == "shipping_cost"
    assert [s["name"] for s in suggested_topics("FATURAMI nasil alabilirim", TOPICS, None)][:1] == ["invoice"]
    assert all(s["source"] == "words" for s in suggested_topics("fatura", TOPICS, None))
    assert suggested_topics("qxzv plmok", TOPICS, None) == []
    assert suggested_topics("fatura", TOPICS, {"unexpected": "shape"})[0]["name"] == "invoice"


def test_questions_must_be_usable_as_they_are():
    assert check_question("  hediye   paketi var mı ") == "hediye paketi var mı"
    for text in ("", "400142 nolu siparişim", "ali@example.com adresime", "hediye (paket)"):
        with pytest.raises(StudioError):
            check_question(text)
    assert topic_name_for("Hediye paketi yapıyor musunuz?", ["hediye_paketi_yapiyor"]) == "hediye_paketi_yapiyor_2"
    assert topic_name_for("123 ???", []) == "konu_123" and topic_name_for("?!", []) == "yeni_konu"


# --- the inbox on a database -------------------------------------------------------------------

@pytest.fixture
def world(tmp_path):
    store = DeskStore.open(f"sqlite:///{tmp_path / 'desk.db'}")
    studio = Studio(store.session, FAQ_DIR)
    studio.seed_if_empty(DESK_CONFIG)
    with store.session() as s:
        for username, name, role in (("ayse", "Ayşe K.", "agent"), ("mehmet", "Mehmet T.", "agent")):
            s.add(DeskUser(username=username, display_name=name, role=role, password_hash="x", languages=["tr"],
                           max_chats=3, active=True, created_at=utcnow()))
        s.commit()
        ids = dict(s.execute(select(DeskUser.username, DeskUser.id)).all())
    yield store, studio, Inbox(store.session, studio), ids
    store.engine.dispose()


def shopper_says(store, conversation_id, text, intent="nlu_fallback", understood_=False, nlu=None, language="tr"):
    if store.conversation(conversation_id) is None:
        store.create_conversation(language, conversation_id)
    message = store.add_message(conversation_id, "shopper", text)
    store.record_turn(message.id, intent, understood_, reason=None, answered=False)
    if not understood_:
        record_missed(store.session, message, nlu if nlu is not None else {"intent": intent, "confidence": 0.2}, language)
    return message


def test_what_was_not_understood_becomes_an_item_once_with_its_confidence(world):
    store, _, inbox, _ = world
    message = shopper_says(store, "c1", "hediye paketi var mı", nlu={"intent": "faq/invoice", "confidence": 0.9,
                                                                       "topic_confidence": 0.31})
    assert record_missed(store.session, message, {"intent": "faq/invoice"}, "tr") is None  # not twice
    shopper_says(store, "c1", "😡")  # nothing an editor could learn from
    with store.session() as s:
        items = s.execute(select(KbInboxItem)).scalars().all()
    assert [(i.source, i.text, i.intent, i.confidence, i.language, i.conversation_id, i.message_id) for i in items] == [
        ("assistant", "hediye paketi var mı", "faq/invoice", 0.31, "tr", "c1", message.id)]


def test_you_dont_understand_me_puts_the_message_before_it_in(world):
    store, _, inbox, _ = world
    wrong = shopper_says(store, "c2", "kapıda ödeme var mı", intent="faq/payment_methods", understood_=True)
    store.add_message("c2", "bot", "Kredi kartı ve havale ile ödeyebilirsiniz.")
    shopper_says(store, "c2", "beni anlamıyorsun", intent="bot_misunderstood")
    groups = inbox.groups()["groups"]
    assert [(g["text"], g["intents"]) for g in groups] == [("kapıda ödeme var mı", [{"intent": "faq/payment_methods", "count": 1}])]
    assert groups[0]["items"] == [inbox.group(groups[0]["id"])["entries"][0]["id"]]
    assert inbox.group(groups[0]["id"])["entries"][0]["message_id"] == wrong.id


def test_groups_are_similar_texts_most_frequent_then_newest_first(world):
    store, _, inbox, _ = world
    shopper_says(store, "a", "Kupon kodu çalışmıyor!!")
    shopper_says(store, "b", "kupon kodum calismiyor")
    shopper_says(store, "c", "hediye paketi var mı")
    shopper_says(store, "d", "KUPON KODU ÇALIŞMIYOR")
    shopper_says(store, "e", "fatura adresi değişir mi", language="en")
    listed = inbox.groups()
    assert [(g["count"], g["conversations"]) for g in listed["groups"]] == [(3, 3), (1, 1), (1, 1)]
    first = listed["groups"][0]
    assert first["text"] == "KUPON KODU ÇALIŞMIYOR" and first["examples"][0] == first["text"]  # each once: the newest
    assert [g["text"] for g in listed["groups"][1:]] == ["fatura adresi değişir mi", "hediye paketi var mı"]  # newer first
    assert [g["text"] for g in inbox.groups(sort="recent")["groups"]] == [
        "fatura adresi değişir mi", "KUPON KODU ÇALIŞMIYOR", "hediye paketi var mı"]
    assert [g["text"] for g in inbox.groups(query="HEDİYE")["groups"]] == ["hediye paketi var mı"]
    assert listed["counts"] == {"new": 5, "added": 0, "new_topic": 0, "dismissed": 0}
    with pytest.raises(StudioError):
        inbox.groups(status="everything")


def test_an_editor_adds_a_group_as_a_question_and_a_conflict_is_retried_once(world, monkeypatch):
    store, studio, inbox, _ = world
    shopper_says(store, "a", "hediye paketi yapıyor musunuz")
    shopper_says(store, "b", "Hediye paketi yapıyor musunuz?")
    group = inbox.groups()["groups"][0]
    original = studio.save_topic
    raced = []

    def someone_saves_first(name, content, revision, by):
        if not raced:  # another editor saves the same topic between our read and our save
            raced.append(True)
            theirs = studio.topic(name)
            changed = copy.deepcopy(theirs["content"])
            changed["questions"]["tr"].append("paketleme ücretli mi")
            original(name, changed, theirs["revision"], "zeynep")
        return original(name, content, revision, by)

    monkeypatch.setattr(studio, "save_topic", someone_saves_first)
    answer = inbox.add_to_topic(group["id"], "shipping_cost", "editor")
    questions = studio.topic("shipping_cost")["content"]["questions"]["tr"]
    assert answer["added"] and answer["question"] in questions and "paketleme ücretli mi" in questions  # both kept
    assert answer["group"]["status"] == "added" and answer["group"]["topic"] == "shipping_cost"
    assert answer["group"]["resolved_by"] == "editor" and answer["group"]["resolved_at"]
    assert inbox.groups()["groups"] == [] and inbox.groups(status="added")["groups"][0]["count"] == 2
    with pytest.raises(StudioError) as decided:
        inbox.dismiss(group["id"], "editor")
    assert decided.value.status == 409


def test_adding_what_the_topic_has_changes_nothing_and_bad_questions_are_refused(world):
    store, studio, inbox, _ = world
    existing = studio.topic("shipping_cost")["content"]["questions"]["tr"][0]
    shopper_says(store, "a", existing.upper())
    revision = studio.topic("shipping_cost")["revision"]
    answer = inbox.add_to_topic(inbox.groups()["groups"][0]["id"], "shipping_cost", "editor")
    assert answer["added"] is False and studio.topic("shipping_cost")["revision"] == revision
    shopper_says(store, "b", "400142 nolu siparişim hediye paketli mi")
    group = inbox.groups()["groups"][0]["id"]
    with pytest.raises(StudioError, match="sipariş numarası"):
        inbox.add_to_topic(group, "shipping_cost", "editor")
    with pytest.raises(StudioError, match="'shipping_cost' konusunda var"):
        inbox.add_to_topic(group, "invoice", "editor", text=existing)
    answer = inbox.add_to_topic(group, "shipping_cost", "editor", text="siparişim hediye paketli mi")
    assert "siparişim hediye paketli mi" in answer["topic"]["content"]["questions"]["tr"]


def test_a_new_topic_starts_from_a_draft_and_dismissed_groups_can_come_back(world):
    store, studio, inbox, users = world
    shopper_says(store, "a", "hediye paketi yapıyor musunuz")
    store.update_conversation("a", state="agent", agent_id=users["ayse"])
    inbox.suggest(users["ayse"], "agent", "a", None, "Evet, 25 TL karşılığında hediye paketi yapıyoruz.")
    group = inbox.groups()["groups"][0]
    assert group["count"] == 2 and group["marks"][0]["agent"] == "Ayşe K."
    draft = inbox.draft(group["id"])["draft"]
    assert draft["name"] == "hediye_paketi_yapiyor"
    assert draft["content"]["questions"] == {"tr": ["hediye paketi yapıyor musunuz"], "en": []}
    assert draft["content"]["answer"]["tr"] == "Evet, 25 TL karşılığında hediye paketi yapıyoruz."
    assert draft["content"]["title"]["tr"] == "Hediye paketi yapıyor musunuz"
    with pytest.raises(StudioError, match="önce taslaktan"):
        inbox.mark_new_topic(group["id"], draft["name"], "editor")
    studio.create_topic(draft["name"], draft["content"], "editor")
    marked = inbox.mark_new_topic(group["id"], draft["name"], "editor")["group"]
    assert marked["status"] == "new_topic" and marked["topic"] == "hediye_paketi_yapiyor"
    mine = inbox.agent_suggestions(users["ayse"])
    assert mine[0]["status"] == "new_topic" and "Yeni bir konu oldu" in mine[0]["outcome"]

    shopper_says(store, "b", "qxzv plmok wrrt")
    gibberish = inbox.groups()["groups"][0]["id"]
    assert inbox.dismiss(gibberish, "editor")["group"]["status"] == "dismissed"
    assert inbox.groups()["groups"] == []
    assert inbox.reopen(gibberish, "editor")["group"]["status"] == "new"
    assert inbox.groups()["groups"][0]["id"] == gibberish


def test_agents_mark_only_chats_they_have_had_and_see_what_became_of_them(world):
    store, studio, inbox, users = world
    message = shopper_says(store, "chat", "kargo sigortası var mı", intent="faq/shipping_cost", understood_=True)
    store.add_message("chat", "bot", "Kargo ücreti 49,90 TL.")
    with pytest.raises(InboxError) as refused:
        inbox.suggest(users["ayse"], "agent", "chat", message.id)
    assert refused.value.code == "not_yours"
    store.update_conversation("chat", state="agent", agent_id=users["ayse"])
    for bad in ({"message_id": 10 ** 6}, {"message_id": True}, {"message_id": 10 ** 30}, {"suggested_answer": ["x"]},
                {"suggested_answer": "x" * 2001}):
        with pytest.raises(InboxError):
            inbox.suggest(users["ayse"], "agent", "chat", **{"message_id": message.id, **bad})
    with pytest.raises(InboxError) as unknown:
        inbox.suggest(users["ayse"], "agent", "nope", message.id)
    assert unknown.value.code == "unknown_conversation"
    first = inbox.suggest(users["ayse"], "agent", "chat", message.id)
    again = inbox.suggest(users["ayse"], "agent", "chat", message.id, "Evet, 2.000 TL'ye kadar sigortalı.")
    assert again["id"] == first["id"] and again["updated"] and again["suggested_answer"].startswith("Evet")
    assert inbox.suggest(users["mehmet"], "admin", "chat", message.id)["id"] != first["id"]  # an admin may mark any chat
    shopper_says(store, "chat", "bir temsilciyle görüşmek istiyorum", intent="request_human", understood_=True)
    assert inbox.suggest(users["ayse"], "agent", "chat")["text"] == "kargo sigortası var mı"  # the whole chat

    group = inbox.groups()["groups"][0]
    assert group["agent_marks"] == 3 and {m["agent"] for m in group["marks"]} == {"Ayşe K.", "Mehmet T."}
    inbox.add_to_topic(group["id"], "shipping_cost", "editor", item_ids=[first["id"]])
    mine = inbox.agent_suggestions(users["ayse"])
    by_id = {s["id"]: s for s in mine}
    assert by_id[first["id"]]["status"] == "added" and by_id[first["id"]]["topic"] == "shipping_cost"
    assert by_id[first["id"]]["outcome"].startswith("'Kargo") and "(editor)" in by_id[first["id"]]["outcome"]
    assert [s["status"] for s in mine if s["id"] != first["id"]] == ["new"]
    assert inbox.groups()["groups"][0]["agent_marks"] == 2  # the rest stays open


def test_the_transcript_shows_the_conversation_around_the_message(world):
    store, _, inbox, _ = world
    store.create_conversation("tr", "long")
    for number in range(12):
        store.add_message("long", "bot", f"cevap {number}")
    missed = shopper_says(store, "long", "hediye paketi var mı")
    store.add_message("long", "note", "iç not")
    for number in range(12):
        store.add_message("long", "bot", f"sonra {number}")
    group = inbox.groups()["groups"][0]["id"]
    shown = inbox.transcript(group)
    texts = [m["text"] for m in shown["messages"]]
    assert shown["conversation_id"] == "long" and shown["earlier"] and shown["later"]
    assert texts[inbox_module.TRANSCRIPT_AROUND] == "hediye paketi var mı" and "iç not" not in texts
    assert len(texts) == 2 * inbox_module.TRANSCRIPT_AROUND + 1
    assert [m["id"] for m in shown["messages"] if m["marked"]] == [missed.id]
    with pytest.raises(StudioError):
        inbox.transcript(group, item_id=10 ** 6)
    with pytest.raises(StudioError):
        inbox.group(10 ** 6)


# --- the reports count it ----------------------------------------------------------------------

def test_reports_count_what_was_not_understood_and_what_became_knowledge(world):
    store, _, inbox, users = world
    agents = fx.load(store)
    with store.session() as s:
        from bot.desk.models import Message
        missed = s.execute(select(Message).where(Message.understood.is_(False))).scalars().all()
    for message in missed:
        record_missed(store.session, message, {"intent": "nlu_fallback"}, "tr")
    coupon = next(g for g in inbox.groups()["groups"] if g["text"].lower().startswith("kupon"))
    inbox.add_to_topic(coupon["id"], "payment_methods", "editor", text="kupon kodum çalışmıyor")
    report = build_report(store, "week", fx.WEEK)
    assert report["totals"]["not_understood"] == 3
    assert report["totals"]["turned_into_knowledge"] == 2  # both coupon messages, not "asdfgh 123"
    assert report["totals"]["turned_into_knowledge_rate"] == 0.6667
    # The editors' work happened today, not in the fixtures' week.
    assert report["knowledge"] == {"added": 0, "new_topic": 0, "turned_into_knowledge": 0, "dismissed": 0, "agent_marks": 0}
    today = build_report(store, "day", local_today("Europe/Istanbul"))
    assert today["knowledge"]["added"] == 2 and today["knowledge"]["turned_into_knowledge"] == 2
    assert knowledge_lines(report)[0] == ("Asistanın anlamadığı 3 mesajdan 2 tanesi bilgi bankasına eklendi "
                                          "(bir konuya soru olarak ya da yeni konu olarak).")
    assert "2 mesajı bilgi bankasına ekledi" in knowledge_lines(today)[-1]
    assert agents  # the fixtures' agents were created
