"""What the admins' personal data API refuses, by a stable code.

The words are in the text catalogue, `admin_error.<code>` in the `privacy` domain
(locale/<language>/LC_MESSAGES/privacy.po), and are chosen when the answer is written, in the
language of the admin's page (bot/privacy/web.py answers `{"error": words, "code": code}`).
tests/unit/test_catalogue.py finds the codes raised (`AdminError("<code>")`, `RequestError(...)`,
`BadIdentifier(...)`) and checks that each has its words.
"""
from __future__ import annotations

from typing import Any

from bot import i18n

PREFIX = "privacy:admin_error."


class AdminError(ValueError):
    """Bad input or a request in the wrong state. `str()` gives the Turkish words (logs, the CLI)."""

    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params

    def words(self, language: str = i18n.DEFAULT_LANGUAGE) -> str:
        return i18n.say(PREFIX + self.code, language, **self.params)

    def __str__(self) -> str:
        return self.words()
