"""The FAQ knowledge base: one editor-friendly YAML file per topic under `data/faq/`.

Editors change only those files. At training time `generate()` derives Rasa's retrieval-intent
training data (`faq/<topic>`) and the `utter_faq/<topic>` responses (Turkish by default, English
when the `language` slot says so) into the build folder; nothing is kept in sync by hand.
`validate()` explains editors' mistakes in plain Turkish so that the build can fail early.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from bot import i18n
from bot.patterns import find_entities
from bot.text import fold_words

LANGUAGES = ("tr", "en")
MESSAGES_LANGUAGE = "tr"  # the language the validation's messages are in
REQUIRED_TOPICS = (
    "shipping_cost", "shipping_time", "return_policy", "refund_time", "payment_methods",
    "installments", "invoice", "warranty", "change_address", "exchange", "carriers",
    "contact_hours",
)
MIN_QUESTIONS = {"tr": 20, "en": 5}
MAX_ANSWER_CHARS = 700
ALLOWED_KEYS = {"topic", "title", "questions", "answer"}
TOPIC_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Characters that Rasa's training format reads as entity markup or that break the answer.
MARKUP_IN_QUESTION = re.compile(r"[\[\]{}()]")
PLACEHOLDER = re.compile(r"[{}]|\bTODO\b|\bXXX\b|\?\?\?")
# Answers are shown as plain text (never as HTML): a tag or an entity would appear as typed.
HTML = re.compile(r"</?[a-zA-Z][^<>]*>|&(?:[a-zA-Z]+|#[0-9]+|#x[0-9a-fA-F]+);")

# Web addresses in answers (also without a scheme: "www.kuzeymarket.com/iade").
LINK = re.compile(r"(?:https?://|www\.)[^\s)]+", re.IGNORECASE)


def language_label(language: str) -> str:
    """A language as the (Turkish) validation messages name it: "Türkçe", "İngilizce" (the text
    catalogue's `language.<code>`)."""
    return i18n.say(f"language.{language}", MESSAGES_LANGUAGE)


def _link_opens(link: str) -> bool:
    """Whether a shopper's phone can open the address as written (checked offline: the form of the
    address, not the site, which may be unreachable from the machine that checks)."""
    from urllib.parse import urlsplit

    parts = urlsplit(link.rstrip(".,;:!?"))
    host = parts.hostname or ""
    return parts.scheme in ("http", "https") and "." in host and all(part for part in host.split("."))


@dataclass
class Topic:
    name: str
    path: Path
    title: Dict[str, str]
    questions: Dict[str, List[str]]
    answer: Dict[str, str]


@dataclass
class Problem:
    path: Path
    message: str
    field: str = ""  # "title.tr", "questions.en", "answer.tr", "topic"; empty for the whole file
    other_topic: str = ""  # a clash with another topic: the studio shows it on both

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class KnowledgeBase:
    topics: List[Topic] = field(default_factory=list)
    problems: List[Problem] = field(default_factory=list)

    def topic(self, name: str) -> Optional[Topic]:
        return next((t for t in self.topics if t.name == name), None)


def _texts(value: object) -> Optional[List[str]]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return [v.strip() for v in value]


def _load_topic(path: Path, problems: List[Problem]) -> Optional[Topic]:
    def problem(message: str) -> None:
        problems.append(Problem(path, message))

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (satır {mark.line + 1})" if mark else ""
        problem(f"dosya okunamadı{where}: girinti, tırnak ya da iki nokta üst üste hatası olabilir.")
        return None
    except UnicodeDecodeError:
        problem("dosya UTF-8 değil; editörünüzde UTF-8 olarak kaydedin.")
        return None
    except OSError as error:  # a folder with a topic file's name, no permission to read it
        problem(f"dosya okunamadı ({error.strerror or error}).")
        return None
    return topic_from_mapping(raw, path, problems)


def topic_from_mapping(raw: object, path: Path, problems: List[Problem]) -> Optional[Topic]:
    """Checks one topic's document (a topic file's YAML, or a draft in the editors' studio).
    Each problem names the field it is about, so the studio can show it next to that field."""
    def problem(message: str, field: str = "") -> None:
        problems.append(Problem(path, message, field))

    if not isinstance(raw, dict):
        problem("dosya 'topic', 'title', 'questions' ve 'answer' alanlarını içermeli.")
        return None

    for key in sorted(set(raw) - ALLOWED_KEYS):
        problem(f"bilinmeyen alan '{key}' (izin verilenler: {', '.join(sorted(ALLOWED_KEYS))}).")
    name = raw.get("topic")
    if not isinstance(name, str) or not TOPIC_NAME.match(name):
        problem("'topic' küçük harf, rakam ve alt çizgiden oluşan bir ad olmalı (ör. shipping_cost).", "topic")
        return None
    if name != path.stem:
        problem(f"'topic: {name}' dosya adıyla aynı olmalı ('{path.stem}').", "topic")

    title, questions, answer = {}, {}, {}
    for language in LANGUAGES:
        language_name = language_label(language)
        title_text = (raw.get("title") or {}).get(language) if isinstance(raw.get("title"), dict) else None
        if not isinstance(title_text, str) or not title_text.strip():
            problem(f"{language_name} başlık ('title: {language}:') eksik.", f"title.{language}")
        title[language] = (title_text or "").strip() if isinstance(title_text, str) else ""

        listed = _texts((raw.get("questions") or {}).get(language)) if isinstance(raw.get("questions"), dict) else None
        if listed is None:
            problem(f"{language_name} soru listesi ('questions: {language}:') eksik ya da liste değil.", f"questions.{language}")
            listed = []
        questions[language] = _check_questions(listed, language, lambda m, f=f"questions.{language}": problem(m, f))

        answer_text = (raw.get("answer") or {}).get(language) if isinstance(raw.get("answer"), dict) else None
        answer[language] = _check_answer(answer_text, language_name, lambda m, f=f"answer.{language}": problem(m, f))
    return Topic(name, path, title, questions, answer)


def _check_questions(listed: List[str], language: str, problem) -> List[str]:
    language_name = language_label(language)
    seen: Dict[str, str] = {}
    kept: List[str] = []
    for question in listed:
        if not question:
            problem(f"{language_name} sorular arasında boş bir satır var.")
            continue
        if MARKUP_IN_QUESTION.search(question):
            problem(f"'{question}': sorularda köşeli/süslü parantez ya da parantez kullanılmaz.")
            continue
        if find_entities(question):
            problem(f"'{question}': soruda sipariş numarası, e-posta ya da iade kodu olmamalı; genel bir soru yazın.")
            continue
        key = fold_words(question)
        if key in seen:
            problem(f"'{question}' sorusu bu konuda iki kez yazılmış ('{seen[key]}'); birini silin.")
            continue
        seen[key] = question
        kept.append(question)
    if len(kept) < MIN_QUESTIONS[language]:
        problem(
            f"{language_name} soru sayısı {len(kept)}; en az {MIN_QUESTIONS[language]} farklı soru "
            "yazın ki asistan bu konuyu tanıyabilsin."
        )
    return kept


def _check_answer(text: object, language_name: str, problem) -> str:
    if not isinstance(text, str) or not text.strip():
        problem(f"{language_name} cevap ('answer') eksik.")
        return ""
    text = " ".join(text.split())
    if len(text) > MAX_ANSWER_CHARS:
        problem(f"{language_name} cevap {len(text)} karakter; telefonda okunabilmesi için en fazla {MAX_ANSWER_CHARS}.")
    if HTML.search(text):
        problem(f"{language_name} cevapta HTML var (ör. <b>, <a href>, &amp;); cevaplar düz metin gösterilir, "
                "etiketleri silin.")
    if PLACEHOLDER.search(text):
        problem(f"{language_name} cevapta doldurulmamış yer tutucu var ({{ }}, TODO, ???); cevabı tamamlayın.")
    if text.count("(") != text.count(")") or text.count("[") != text.count("]"):
        problem(f"{language_name} cevapta açılıp kapanmayan bir parantez var.")
    for link in LINK.findall(text):
        if not _link_opens(link):
            problem(f"{language_name} cevaptaki '{link}' bağlantısı açılmıyor: https:// ile başlayan tam bir adres yazın.")
    if not text.rstrip().endswith((".", "!", "?", ")")):
        problem(f"{language_name} cevap yarım kalmış görünüyor (nokta ile bitmiyor).")
    return text


def load(faq_dir: Path) -> KnowledgeBase:
    """Reads every topic file and collects all problems (never stops at the first one)."""
    kb = KnowledgeBase()
    paths = sorted(faq_dir.glob("*.yml")) + sorted(faq_dir.glob("*.yaml"))
    for path in paths:
        topic = _load_topic(path, kb.problems)
        if topic:
            kb.topics.append(topic)
    _check_across_topics(kb, faq_dir)
    return kb


def _check_across_topics(kb: KnowledgeBase, faq_dir: Path) -> None:
    names = [t.name for t in kb.topics]
    for missing in REQUIRED_TOPICS:
        if missing not in names:
            kb.problems.append(Problem(faq_dir, f"'{missing}' konusu eksik ({missing}.yml)."))
    owner: Dict[str, Topic] = {}
    for topic in kb.topics:
        for language in LANGUAGES:
            for question in topic.questions[language]:
                key = fold_words(question)
                other = owner.setdefault(key, topic)
                if other is not topic:
                    kb.problems.append(Problem(
                        topic.path,
                        f"'{question}' sorusu hem '{other.name}' hem '{topic.name}' konusunda var; "
                        "asistan hangisini cevaplayacağını bilemez, birinden silin.",
                        f"questions.{language}", other.name,
                    ))


def from_documents(documents: Dict[str, object], folder: Path = Path("data/faq")) -> KnowledgeBase:
    """The same checks as `load()`, on topic documents held elsewhere (the studio's database).
    Each document is checked as if it were `<folder>/<name>.yml`."""
    kb = KnowledgeBase()
    for name in sorted(documents):
        document = documents[name]
        raw = {"topic": name, **document} if isinstance(document, dict) else document
        topic = topic_from_mapping(raw, folder / f"{name}.yml", kb.problems)
        if topic:
            kb.topics.append(topic)
    _check_across_topics(kb, folder)
    return kb


def topic_document(topic: Topic) -> Dict[str, object]:
    """A topic as the studio stores it (and as a topic file holds it, without `topic:`)."""
    return {"title": dict(topic.title), "questions": {k: list(v) for k, v in topic.questions.items()},
            "answer": dict(topic.answer)}


def topic_yaml(name: str, document: Dict[str, object]) -> str:
    """A topic file as an editor would write it: `data/faq/<name>.yml`."""
    ordered = {"topic": name, **{key: document[key] for key in ("title", "questions", "answer") if key in document}}
    return yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, width=100)


def validate(faq_dir: Path) -> List[Problem]:
    return load(faq_dir).problems


def nlu_yaml(kb: KnowledgeBase) -> str:
    lines = ["# Generated from data/faq/ by `python -m bot generate`. Do not edit.", 'version: "3.1"', "nlu:"]
    for topic in kb.topics:
        lines.append(f"- intent: faq/{topic.name}")
        lines.append("  examples: |")
        examples = topic.questions["tr"] + topic.questions["en"] + [topic.title["tr"], topic.title["en"]]
        unique = list(dict.fromkeys(" ".join(e.split()) for e in examples if e))
        lines += [f"    - {example}" for example in unique]
    return "\n".join(lines) + "\n"


def faq_responses(kb: KnowledgeBase) -> Dict[str, list]:
    return answer_responses({topic.name: topic.answer for topic in kb.topics})


def answer_responses(answers: Dict[str, Dict[str, str]]) -> Dict[str, list]:
    """`utter_faq/<topic>`: the Turkish answer, and the English one when the language slot is en.
    The model's domain is made with it, and the live answers of the studio (bot/studio/nlg.py)."""
    return {
        f"utter_faq/{name}": [
            {"text": answer.get("tr", "")},
            {"text": answer.get("en", ""), "condition": [{"type": "slot", "name": "language", "value": "en"}]},
        ]
        for name, answer in answers.items()
    }


def domain_yaml(kb: KnowledgeBase, base_domain: Path) -> str:
    """The project's domain.yml with the knowledge base's responses added (one file, so Rasa
    sees the `faq` retrieval intent once)."""
    document = yaml.safe_load(base_domain.read_text(encoding="utf-8"))
    clashes = set(document.get("responses") or {}) & {f"utter_faq/{t.name}" for t in kb.topics}
    if clashes:
        raise ValueError(f"domain.yml must not define knowledge-base responses: {sorted(clashes)}")
    document["responses"] = {**(document.get("responses") or {}), **faq_responses(kb)}
    header = "# Generated from domain.yml and data/faq/ by `python -m bot generate`. Do not edit.\n"
    return header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=10_000)


def generate(kb: KnowledgeBase, base_domain: Path, nlu_path: Path, domain_path: Path) -> None:
    if kb.problems:
        raise ValueError("knowledge base has problems:\n" + "\n".join(map(str, kb.problems)))
    for path in (nlu_path, domain_path):
        path.parent.mkdir(parents=True, exist_ok=True)
    nlu_path.write_text(nlu_yaml(kb), encoding="utf-8")
    domain_path.write_text(domain_yaml(kb, base_domain), encoding="utf-8")
