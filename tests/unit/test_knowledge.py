import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot import knowledge

ROOT = Path(__file__).resolve().parents[2]
FAQ_DIR = ROOT / "data" / "faq"
POLICIES = json.loads((ROOT / "data" / "demo_store.json").read_text(encoding="utf-8"))["policies"]


def test_the_knowledge_base_is_valid_and_covers_the_contract_topics():
    kb = knowledge.load(FAQ_DIR)
    assert kb.problems == []
    assert set(knowledge.REQUIRED_TOPICS) <= {t.name for t in kb.topics}


def _facts(text):
    """Numbers, times and amounts of a policy text: what an answer must not lose."""
    return set(re.findall(r"\d[\d.,:-]*\d|\d", text))


@pytest.mark.parametrize("topic", knowledge.REQUIRED_TOPICS)
def test_every_answer_states_the_store_policy_in_both_languages(topic):
    kb_topic = knowledge.load(FAQ_DIR).topic(topic)
    policy = POLICIES[topic]["fact"]
    for language in knowledge.LANGUAGES:
        answer = kb_topic.answer[language]
        missing = {fact for fact in _facts(policy) if fact not in answer}
        assert not missing, f"{topic}/{language} misses {missing}"
    if topic == "carriers":
        for carrier in ("Yurtiçi", "Aras", "MNG", "PTT", "Sürat"):
            assert carrier in kb_topic.answer["tr"] and carrier in kb_topic.answer["en"]


@pytest.fixture
def faq_copy(tmp_path):
    target = tmp_path / "faq"
    shutil.copytree(FAQ_DIR, target)
    return target


def _edit(path: Path, change):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _messages(faq_dir):
    return [str(p) for p in knowledge.validate(faq_dir)]


def test_a_question_under_two_topics_is_explained(faq_copy):
    _edit(faq_copy / "invoice.yml", lambda d: d["questions"]["tr"].append("Kargo ücreti ne kadar?"))
    _edit(faq_copy / "shipping_cost.yml", lambda d: d["questions"]["tr"].append("kargo ucreti ne kadar"))
    messages = _messages(faq_copy)
    assert any("hem" in m and "shipping_cost" in m and "invoice" in m for m in messages), messages


def test_a_missing_language_is_explained(faq_copy):
    _edit(faq_copy / "warranty.yml", lambda d: d["answer"].pop("en"))
    assert any("warranty.yml" in m and "İngilizce cevap" in m for m in _messages(faq_copy))


def test_too_few_variants_are_explained(faq_copy):
    _edit(faq_copy / "exchange.yml", lambda d: d["questions"].update(en=d["questions"]["en"][:2]))
    assert any("exchange.yml" in m and "en az 5" in m for m in _messages(faq_copy))


@pytest.mark.parametrize("answer, words", [
    ("Kargo {fee} TL.", "yer tutucu"),
    ("Kargo ücreti (500 TL üzeri ücretsiz.", "parantez"),
    ("Kargo ücreti 500 TL üzeri", "yarım kalmış"),
    ("", "cevap ('answer') eksik"),
])
def test_a_broken_answer_is_explained(faq_copy, answer, words):
    _edit(faq_copy / "shipping_cost.yml", lambda d: d["answer"].update(tr=answer))
    assert any(words in m for m in _messages(faq_copy)), _messages(faq_copy)


def test_a_yaml_mistake_names_the_line(faq_copy):
    (faq_copy / "invoice.yml").write_text("topic: invoice\nquestions:\n  tr: [\"a\"\n", encoding="utf-8")
    assert any("invoice.yml" in m and "satır" in m for m in _messages(faq_copy))


def test_order_numbers_and_markup_do_not_belong_in_questions(faq_copy):
    _edit(faq_copy / "invoice.yml", lambda d: d["questions"]["tr"].extend(["400142 faturası", "fatura [link](x)"]))
    messages = _messages(faq_copy)
    assert any("sipariş numarası" in m for m in messages) and any("parantez" in m for m in messages)


def test_generated_rasa_files_carry_every_topic_in_both_languages(tmp_path):
    kb = knowledge.load(FAQ_DIR)
    knowledge.generate(kb, ROOT / "domain.yml", tmp_path / "faq.yml", tmp_path / "domain.yml")
    nlu = yaml.safe_load((tmp_path / "faq.yml").read_text(encoding="utf-8"))["nlu"]
    responses = yaml.safe_load((tmp_path / "domain.yml").read_text(encoding="utf-8"))["responses"]
    assert "utter_greet" in responses  # the hand-written domain is kept
    assert {entry["intent"] for entry in nlu} == {f"faq/{t}" for t in knowledge.REQUIRED_TOPICS}
    for topic in kb.topics:
        tr, en = responses[f"utter_faq/{topic.name}"]
        assert tr == {"text": topic.answer["tr"]}
        assert en["text"] == topic.answer["en"]
        assert en["condition"] == [{"type": "slot", "name": "language", "value": "en"}]


def test_generation_refuses_a_broken_knowledge_base(faq_copy, tmp_path):
    _edit(faq_copy / "warranty.yml", lambda d: d["answer"].pop("en"))
    with pytest.raises(ValueError):
        knowledge.generate(knowledge.load(faq_copy), ROOT / "domain.yml", tmp_path / "a.yml", tmp_path / "b.yml")
