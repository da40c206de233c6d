"""Rasa's responses with the live version's answers (bot/studio/nlg.py), on a real database."""
import time

from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.events import SlotSet

from bot.desk.store import DeskStore
from bot.studio import live as live_module
from bot.studio.nlg import LiveKnowledgeNLG
from bot.studio.publishing import DESK_CONFIG
from bot.studio.repository import Studio
from bot.training import FAQ_DIR
from tests.asyncio_thread import run_async

DOMAIN = Domain.from_dict({
    "slots": {"language": {"type": "text", "mappings": [{"type": "custom"}]}},
    "responses": {"utter_faq/carriers": [{"text": "model tr"}, {"text": "model en", "condition": [
        {"type": "slot", "name": "language", "value": "en"}]}], "utter_greet": [{"text": "Merhaba {name}"}]},
})


def tracker(language="tr"):
    t = DialogueStateTracker.from_events("s", [SlotSet("language", language)], slots=DOMAIN.slots)
    return t


def say(nlg, action, language="tr", **kwargs):
    return run_async(lambda: nlg.generate(action, tracker(language), "rest", **kwargs))["text"]


def test_without_a_studio_the_model_answers(tmp_path):
    nlg = LiveKnowledgeNLG(domain=DOMAIN, database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    assert say(nlg, "utter_faq/carriers") == "model tr"
    assert say(nlg, "utter_greet", name="Ayşe") == "Merhaba Ayşe"


def test_the_live_version_answers_in_both_languages_and_a_new_one_within_a_second(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    store = DeskStore.open(url)
    studio = Studio(store.session, FAQ_DIR)
    studio.seed_if_empty(DESK_CONFIG)
    seeded = studio.live_version().content["carriers"]["answer"]
    nlg = LiveKnowledgeNLG(domain=DOMAIN, database_url=url)
    assert say(nlg, "utter_faq/carriers") == seeded["tr"]
    assert say(nlg, "utter_faq/carriers", "en") == seeded["en"]
    assert say(nlg, "utter_greet", name="Ayşe") == "Merhaba Ayşe"  # the rest of the domain is untouched

    topic = studio.topic("carriers")
    content = {**topic["content"], "answer": {"tr": "Yeni cevap.", "en": "New answer."}}
    studio.save_topic("carriers", content, topic["revision"], "editor")
    from bot.studio.publishing import publish

    publish(studio, "editor")
    monkeypatch.setattr(live_module, "CHECK_EVERY_SECONDS", 0.05)
    time.sleep(0.1)
    assert say(nlg, "utter_faq/carriers") == "Yeni cevap."
    store.engine.dispose()


def test_responses_rasa_assigns_after_loading_a_model_keep_the_live_answers(tmp_path):
    """Rasa makes the generator before the model (empty domain) and assigns `responses` later."""
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    store = DeskStore.open(url)
    Studio(store.session, FAQ_DIR).seed_if_empty(DESK_CONFIG)
    nlg = LiveKnowledgeNLG(domain=Domain.empty(), database_url=url)
    nlg.responses = DOMAIN.responses  # what rasa.core.agent.Agent.load_model does
    assert say(nlg, "utter_greet", name="Ayşe") == "Merhaba Ayşe"
    assert say(nlg, "utter_faq/carriers") != "model tr"
    store.engine.dispose()
