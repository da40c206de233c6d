"""The privacy notice (aydınlatma metni, KVKK art. 10): the short paragraph the widget shows before a
chat's first message, and the full text of the public pages /gizlilik and /en/privacy.

Admins edit it, so it lives in the studio's documents (optimistic locking and history, see
bot/studio/repository.py) under "privacy_notice": `{"tr": {"short", "full"}, "en": {...}, "version"}`.
The first read seeds it from notice_default.yml. Every save bumps `version` (it equals the
document's revision), and each acknowledgement records the version and the exact short text seen.
The marketing e-mail wording is not edited there: it comes from the same file with its own version.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Callable, Dict, Tuple

import yaml
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import i18n
from bot.desk.store import utcnow
from bot.studio.models import KbChange, KbDocument
from bot.studio.repository import Studio, StudioError
from bot.training import FAQ_DIR

DOCUMENT = "privacy_notice"
DEFAULTS = Path(__file__).resolve().with_name("notice_default.yml")
LANGUAGES = ("tr", "en")
# Admins' edits are refused in Turkish (the words are in locale/*/LC_MESSAGES/privacy.po).
ADMIN_LANGUAGE = "tr"
LANGUAGE_NAMES = {"tr": i18n.say("language.tr", ADMIN_LANGUAGE), "en": i18n.say("language.en", ADMIN_LANGUAGE)}
# Limits for admins' edits: the short text must stay one readable paragraph in the widget.
MAX_SHORT_CHARS = 800
MAX_FULL_CHARS = 30_000


@functools.lru_cache(maxsize=1)
def defaults() -> Dict[str, Any]:
    return yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))


def default_content() -> Dict[str, Any]:
    data = defaults()
    content: Dict[str, Any] = {language: {"short": data[language]["short"].strip(), "full": data[language]["full"].strip()}
                               for language in LANGUAGES}
    content["version"] = int(data["version"])
    return content


def marketing_wording(language: str) -> Tuple[str, str]:
    """The marketing choice as the widget shows it, and its version."""
    marketing = defaults()["marketing"]
    return marketing[language if language in LANGUAGES else "tr"].strip(), str(marketing["version"])


def studio_for(sessions: Callable[[], Session]) -> Studio:
    return Studio(sessions, FAQ_DIR)


def notice_document(studio: Studio) -> Dict[str, Any]:
    """{"content", "revision", "updated_by", "updated_at"}, seeded from the defaults the first time."""
    try:
        return studio.document(DOCUMENT)
    except StudioError as missing:
        if missing.status != 404:
            raise
    seed(studio.sessions)
    return studio.document(DOCUMENT)


def seed(sessions: Callable[[], Session]) -> None:
    now, content, source = utcnow(), default_content(), "bot/privacy/notice_default.yml"
    with sessions() as s:
        s.add(KbDocument(name=DOCUMENT, content=content, revision=1, updated_by=source, updated_at=now))
        s.add(KbChange(subject=DOCUMENT, action="seed", revision=1, after=content, by=source, at=now))
        try:
            s.commit()
        except IntegrityError:  # another process seeded it at the same moment: theirs stands
            s.rollback()


def current(sessions: Callable[[], Session]) -> Dict[str, Any]:
    """The notice's content now: {"tr": {"short", "full"}, "en": {...}, "version"}."""
    return notice_document(studio_for(sessions))["content"]


def short_text(content: Dict[str, Any], language: str) -> str:
    return content[language if language in LANGUAGES else "tr"]["short"]


def check_content(raw: Any) -> Dict[str, Any]:
    """An admin's edit, cleaned (NUL and broken UTF-8 removed, trimmed); refuses a missing or
    oversized text in either language with a message in Turkish. `version` is not taken from it."""
    if not isinstance(raw, dict):
        raise StudioError(i18n.say("privacy:notice.invalid_content", ADMIN_LANGUAGE))
    cleaned: Dict[str, Any] = {}
    for language in LANGUAGES:
        texts = raw.get(language)
        if not isinstance(texts, dict):
            raise StudioError(i18n.say("privacy:notice.missing_language", ADMIN_LANGUAGE,
                                       language_name=LANGUAGE_NAMES[language], language=language))
        cleaned[language] = {}
        for field, label, limit in (("short", "privacy:notice.short", MAX_SHORT_CHARS),
                                    ("full", "privacy:notice.full", MAX_FULL_CHARS)):
            words = {"language_name": LANGUAGE_NAMES[language], "label": i18n.say(label, ADMIN_LANGUAGE),
                     "language": language, "field": field}
            value = texts.get(field)
            if not isinstance(value, str) or not value.strip():
                raise StudioError(i18n.say("privacy:notice.empty", ADMIN_LANGUAGE, **words))
            value = value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "").replace("\r\n", "\n").strip()
            if len(value) > limit:
                raise StudioError(i18n.say("privacy:notice.too_long", ADMIN_LANGUAGE, limit=limit, length=len(value),
                                           **words))
            cleaned[language][field] = value
    return cleaned


def save(studio: Studio, raw: Any, revision: Any, by: str) -> Dict[str, Any]:
    """Saves an admin's edit over `revision` (Conflict if someone saved since) as a new version."""
    content = check_content(raw)
    notice_document(studio)  # seeded, so that there is a revision to edit
    if not isinstance(revision, int) or isinstance(revision, bool):
        raise StudioError(i18n.say("studio:revision_missing", ADMIN_LANGUAGE))
    # The save succeeds only over `revision`, so the new version is unique: it is the new revision.
    content["version"] = revision + 1
    return studio.save_document(content, revision, by, DOCUMENT)
