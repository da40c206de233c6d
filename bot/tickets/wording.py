"""A ticket's moments as a shopper reads them: "3 Aralık 2026 Perşembe 17:00" (Istanbul time)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from actions.store.types import shop_local
from actions.texts import MONTHS, language_of

WEEKDAYS = {
    "tr": ("Pazartesi", "Salı", "Çarşamba", "Perşembe", "Cuma", "Cumartesi", "Pazar"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


def format_moment(moment: Optional[datetime], language: Optional[str]) -> str:
    if moment is None:
        return "-"
    language = language_of(language)
    local = shop_local(moment)
    month, weekday = MONTHS[language][local.month - 1], WEEKDAYS[language][local.weekday()]
    if language == "tr":
        return f"{local.day} {month} {local.year} {weekday} {local:%H:%M}"
    return f"{weekday} {local.day} {month} {local.year}, {local:%H:%M}"
