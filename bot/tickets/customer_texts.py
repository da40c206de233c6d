"""What a customer reads about their ticket, in their language: the `ticket_page` domain of the text
catalogue (locale/<language>/LC_MESSAGES/ticket_page.po), the status in plain words, due times on
the Istanbul wall clock and an agent's first name. Shared by the e-mails and the ticket page.

Plain strings with `{placeholders}`; callers escape values for HTML.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from babel.dates import format_datetime

from actions.store.types import shop_local
from bot import i18n
from bot.tickets.models import Ticket

DOMAIN = "ticket_page"
# A status as the customer reads it: "new" and "open" are the same to them (someone is on it).
STATUS_WORDS = {"new": "status.review", "open": "status.review", "waiting": "status.waiting",
                "resolved": "status.resolved", "closed": "status.closed"}
# "3 Aralık 2026 Perşembe 17:00" / "Thursday 3 December 2026, 17:00": the day named, so nobody
# has to work out what "3 December" is.
DUE_PATTERN = {"tr": "d MMMM y EEEE HH:mm", "en": "EEEE d MMMM y, HH:mm"}
# The thread's times: shorter, the day is seen from the order.
SHORT_PATTERN = {"tr": "d MMMM y HH:mm", "en": "d MMMM y, HH:mm"}


def say(key: str, language: str, /, **values: object) -> str:
    return i18n.say(f"{DOMAIN}:{key}", language, **values)


def status_words(status: str, language: str) -> str:
    return say(STATUS_WORDS.get(status, "status.review"), language)


def when(moment: datetime, language: str, short: bool = False) -> str:
    """An aware moment on the shop's (Istanbul) wall clock, as the customer reads dates."""
    language = i18n.language_of(language)
    pattern = (SHORT_PATTERN if short else DUE_PATTERN)[language]
    return format_datetime(shop_local(moment), pattern, locale=language)


def expected_answer(ticket: Ticket) -> Optional[datetime]:
    """When the customer may expect us to write: the first response until there is one, then the
    resolution. None while the ticket waits for the customer or is finished."""
    if ticket.status not in ("new", "open"):
        return None
    if ticket.first_response_at is None and ticket.first_response_due is not None:
        return ticket.first_response_due
    return ticket.resolution_due


def first_name(display_name: Optional[str]) -> str:
    """"Ayşe Yılmaz" -> "Ayşe": customers see who handles their ticket, not their full name."""
    parts = (display_name or "").split()
    return parts[0] if parts else ""


def kind(ticket: Ticket) -> str:
    """"complaint" or "request": the assistant calls complaints complaints, the rest requests."""
    return "complaint" if ticket.source == "complaint" else "request"
