"""Support hours: when people answer live chats (outside them, a ticket and an e-mail reply).

Written as in the settings, e.g. "mon-fri 09:00-22:00, sat-sun 10:00-18:00" (Europe/Istanbul).
"always" means around the clock, "never" means tickets only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Dict, Tuple

from actions.store.types import shop_local

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RULE = re.compile(r"^(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+(?P<open>\d{2}:\d{2})-(?P<close>\d{2}:\d{2})$")


@dataclass(frozen=True)
class SupportHours:
    by_weekday: Dict[int, Tuple[time, time]]  # 0 = Monday; close 24:00 is time.max

    @classmethod
    def parse(cls, spec: str) -> "SupportHours":
        spec = spec.strip().lower()
        if spec == "always":
            return cls({day: (time.min, time.max) for day in range(7)})
        if spec == "never":
            return cls({})
        by_weekday: Dict[int, Tuple[time, time]] = {}
        for rule in filter(None, (part.strip() for part in spec.split(","))):
            match = RULE.match(rule)
            if not match or match["first"] not in DAYS or (match["last"] or match["first"]) not in DAYS:
                raise ValueError(f"Support hours rule not understood: {rule!r} (e.g. 'mon-fri 09:00-22:00')")
            first, last = DAYS.index(match["first"]), DAYS.index(match["last"] or match["first"])
            opening, closing = _clock(match["open"]), _clock(match["close"])
            for day in range(first, last + 1):
                by_weekday[day] = (opening, closing)
        return cls(by_weekday)

    def is_open(self, moment: datetime) -> bool:
        """Whether people answer at `moment` (aware; a naive value is refused: which zone would it be?)."""
        local = shop_local(moment)
        hours = self.by_weekday.get(local.weekday())
        if hours is None:
            return False
        opening, closing = hours
        return opening <= local.time() and (local.time() < closing or closing == time.max)


def _clock(text: str) -> time:
    if text == "24:00":
        return time.max
    hours, minutes = map(int, text.split(":"))
    return time(hours, minutes)
