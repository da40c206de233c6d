"""What the follow-up e-mail and its pages say: thin wrappers over the `emails` domain of the text
catalogue (locale/<language>/LC_MESSAGES/emails.po, read by bot/i18n.py).

Plain strings with `{placeholders}`; callers escape values for HTML.
"""
from typing import Dict

from bot import i18n

DOMAIN = "emails"


def say(key: str, language: str, /, **values: object) -> str:
    """A text of the e-mail or its pages in `language` (Turkish for an unknown one)."""
    return i18n.say(f"{DOMAIN}:{key}", language, **values)


def bad_link_title() -> str:
    """A link that does not check out: we cannot know the reader's language, so both."""
    return " / ".join(say("bad_link_title", language) for language in i18n.LANGUAGES)


def bad_link() -> Dict[str, str]:
    """{language: why the link does not work} in every language."""
    return {language: say("bad_link", language) for language in i18n.LANGUAGES}
