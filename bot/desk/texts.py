"""What the bridge itself says to shoppers and agents: thin wrappers over the `bridge` domain of the
text catalogue (locale/<language>/LC_MESSAGES/bridge.po, read by bot/i18n.py).

Kept for the code that calls them (`say`, `error`, `TEXTS`, `quick_reply`, `rating_replies`,
`is_skip`, `CANCEL_WORDS`); the words themselves live only in the catalogue. Recognising what a
shopper typed (cancel, skip) goes through the project's Turkish-aware folding (bot/text.py), since
`"İptal".lower()` is `"i̇ptal"` (an i and a combining dot), not `"iptal"`.
"""
from __future__ import annotations

import logging
from typing import Dict, FrozenSet, List, Optional

from bot import i18n
from bot.text import fold

log = logging.getLogger(__name__)

DOMAIN = "bridge"
# {key: {language: text}}, unformatted: for code that recognises a text the bridge sent.
TEXTS = i18n.TextsByKey(DOMAIN)

# The "one moment" notice a shopper gets when their turn waits for a busy Rasa
# (bot/desk/rasa_client.py): a system message, never an answer. Its stored `data` carries
# {NOTICE: ASSISTANT_BUSY}, which the widget and the benchmark read to tell it from an answer.
ASSISTANT_BUSY = "assistant_busy"
NOTICE = "notice"

# What a shopper types to drop the e-mail question of an after-hours ticket. Compared folded, so
# "İPTAL", "Vazgeç", "vazgec" and "VAZGEÇ!" are all the same word.
CANCEL_WORDS = {"vazgec", "vazgeç", "vazgectim", "vazgeçtim", "iptal", "iptal et", "cancel", "skip", "hayir", "hayır",
                "istemiyorum", "gerek yok", "no"}
# What a shopper types to leave out a survey comment or reason (the buttons' own titles count too).
SKIP_WORDS = {"yorum yok", "no comment", "geç", "gec", "skip", "yok", "hayır", "hayir", "no", "-"}


def say(key: str, language: str, /, **values: object) -> str:
    """A text of the bridge in the shopper's language (Turkish for an unknown one)."""
    return i18n.say(f"{DOMAIN}:{key}", language, **values)


def error(code: str, language: str, /, **values: object) -> Dict[str, str]:
    """A shopper socket error as sent: {"code", "message"}."""
    return {"code": code, "message": say(f"shopper_error.{code}", language, **values)}


def error_text(code: str, language: str = "tr", **params: object) -> str:
    """The words of a desk error code (`DeskError(code)`, the agents' socket) in a language.

    An unknown code is a bug (tests/unit/test_catalogue.py checks every code raised in bot/), but
    an agent still gets words rather than a second error: the server error's, and a log line."""
    try:
        return say(f"error.{code}", language, **params)
    except KeyError:
        log.error("no text for the desk error code %r (or a parameter missing: %r)", code, sorted(params))
        return say("error.server_error", language)


def _folded(text: str) -> str:
    """The comparable form of a short answer: folded, outer spaces and end punctuation removed."""
    return " ".join(fold(text).strip().rstrip(".!?").split())


def _folded_set(words) -> FrozenSet[str]:
    return frozenset(_folded(word) for word in words)


_CANCEL = _folded_set(CANCEL_WORDS)
_SKIP = _folded_set(SKIP_WORDS)


def is_cancel(text: str) -> bool:
    """The shopper declined to give what was asked ("İptal", "IPTAL", "iptal et", "Vazgeç", "cancel")."""
    return _folded(text) in _CANCEL


def is_skip(text: str) -> bool:
    """The shopper declined to write a comment or a reason (also by tapping "Geç" / "Yorum yok")."""
    buttons = (title for key in ("skip", "no_comment") for title in TEXTS[key].values())
    folded = _folded(text)
    return folded in _SKIP or folded in _folded_set(buttons)


def is_busy_notice(text: str) -> bool:
    """Is this the "one moment" notice, in any language (for readers that only have the text)?"""
    return text in TEXTS.get(ASSISTANT_BUSY, {}).values()


def quick_reply(title: str, payload: Optional[str] = None) -> Dict[str, str]:
    """A quick reply in Rasa's socket shape; its payload is what the shopper's tap sends."""
    return {"content_type": "text", "title": title, "payload": title if payload is None else payload}


def rating_replies() -> List[Dict[str, str]]:
    return [quick_reply(label, str(score)) for score, label in enumerate(("1 😞", "2 🙁", "3 😐", "4 🙂", "5 😀"), start=1)]
