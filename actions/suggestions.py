"""Quick-reply suggestions offered when the assistant is not sure what the shopper meant.

Pure functions over the parse data that Rasa stored for the last message, so they are tested
without Rasa. Payloads are plain questions, not `/intent` shortcuts: the shopper's tap goes
through NLU like typed text.
"""
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

from actions.texts import quick_reply
from bot import knowledge
from bot.contract import HUMAN_BUTTON
from bot.studio.live import LiveContent

FAQ_DIR = Path(__file__).resolve().parent.parent / "data" / "faq"
MAX_SUGGESTIONS = 3
MIN_CONFIDENCE = 0.05

INTENT_SUGGESTIONS = {
    "order_status": {"tr": "Siparişim nerede?", "en": "Where is my order?"},
    "cancel_order": {"tr": "Siparişimi iptal etmek istiyorum", "en": "I want to cancel my order"},
    "return_request": {"tr": "Ürün iade etmek istiyorum", "en": "I want to return an item"},
    "return_status": {"tr": "İademin durumu ne?", "en": "What is the status of my return?"},
    "complaint": {"tr": "Şikayetim var", "en": "I have a complaint"},
    "request_human": HUMAN_BUTTON,  # the bridge recognises these payloads
}
FALLBACK_TOPICS = ("shipping_time", "return_policy", "payment_methods")
_file_titles: Optional[Dict[str, Dict[str, str]]] = None
_live: Optional[LiveContent] = None


def faq_titles() -> Dict[str, Dict[str, str]]:
    """Topic -> {language: title}: the version editors published last (bot/studio/), or the
    knowledge base files while the studio has published nothing (Rasa without the bridge)."""
    global _file_titles, _live
    if _live is None:
        _live = LiveContent()
    live = _live.current()
    if live:
        return {name: document.get("title", {}) for name, document in live.items()}
    if _file_titles is None:
        _file_titles = {t.name: t.title for t in knowledge.load(FAQ_DIR).topics}
    return _file_titles


def suggestions(parse_data: Mapping[str, Any], language: str, titles: Mapping[str, Mapping[str, str]]) -> List[Dict[str, str]]:
    """Up to three likely meanings of the last message, most likely first."""
    language = language if language in ("tr", "en") else "tr"
    candidates: List[str] = []
    for ranked in parse_data.get("intent_ranking") or []:
        name, confidence = ranked.get("name"), ranked.get("confidence") or 0
        if confidence < MIN_CONFIDENCE:
            continue
        if name == "faq":
            faq = (parse_data.get("response_selector") or {}).get("faq") or {}
            for topic in faq.get("ranking") or []:
                key = str(topic.get("intent_response_key", "")).removeprefix("faq/")
                if key in titles:
                    candidates.append(titles[key][language])
        elif name in INTENT_SUGGESTIONS:
            candidates.append(INTENT_SUGGESTIONS[name][language])
    for topic in FALLBACK_TOPICS:
        if topic in titles:
            candidates.append(titles[topic][language])
    unique = list(dict.fromkeys(candidates))[:MAX_SUGGESTIONS]
    return [quick_reply(title) for title in unique]


def human_offer_buttons(language: str) -> List[Dict[str, str]]:
    retry = {"tr": "Sorumu başka şekilde yazacağım", "en": "I'll rephrase my question"}
    return [quick_reply(HUMAN_BUTTON[language]), quick_reply(retry[language])]
