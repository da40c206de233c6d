"""Ticket deadlines (SLA) counted in support time: the store's opening hours, without Turkish public holidays.

A target such as "complaint=8/48" gives 8 support hours to the first response and 48 to the
resolution. `SupportCalendar` turns support time into moments and back: only the hours of
`SupportHours` count, public holidays (also Ramazan and Kurban Bayramı) are closed, and on the
half-day eves (arife, 28 October) support closes at 13:00 Istanbul time.

All moments in and out are aware UTC (naive values are refused, as everywhere in the project).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Dict, Iterator, Optional, Tuple

import holidays as holiday_data
from holidays.constants import HALF_DAY, PUBLIC

from actions.store.types import SHOP_ZONE, UTC, as_utc, shop_date
from bot.desk.hours import SupportHours

DEFAULT_TARGETS = "complaint=8/48, after_hours=4/24, chat_followup=8/48, low_score=8/48, missed_promise=4/24, *=8/48"
HOLIDAY_OPTIONS = ("tr", "none")
HALF_DAY_CLOSES = time(13, 0)  # the official half-day holidays begin at 13:00
# Look this far without finding any opening before giving up on support time (calendar time instead).
MAX_DAYS_WITHOUT_OPENING = 400

TARGET = re.compile(
    r"^(?P<key>\*|[a-z0-9_][a-z0-9_.-]*)\s*=\s*(?P<first>\d+(?:\.\d+)?)\s*/\s*(?P<resolution>\d+(?:\.\d+)?)$")
ZERO = timedelta(0)


@dataclass(frozen=True)
class SlaTarget:
    first_response: timedelta  # support time
    resolution: timedelta  # support time


def parse_targets(spec: str) -> Dict[str, SlaTarget]:
    """"complaint=8/48, *=8/48" -> {key: SlaTarget}: first response / resolution in support hours.

    Keys (ticket categories or sources) are lower-cased; "*" is the fallback and is taken from
    DEFAULT_TARGETS when the spec has none.
    """
    targets: Dict[str, SlaTarget] = {}
    for part in filter(None, (piece.strip() for piece in spec.split(","))):
        match = TARGET.match(part.lower())
        if not match:
            raise ValueError(f"SLA target not understood: {part!r} (e.g. 'complaint=8/48': "
                             "first response / resolution in support hours)")
        key = match["key"]
        if key in targets:
            raise ValueError(f"SLA target {part!r}: {key!r} is given twice")
        try:
            target = SlaTarget(timedelta(hours=float(match["first"])), timedelta(hours=float(match["resolution"])))
        except OverflowError:
            raise ValueError(f"SLA target {part!r}: hours out of range") from None
        if target.first_response <= ZERO:
            raise ValueError(f"SLA target {part!r}: the first response needs more than 0 hours")
        if target.resolution < target.first_response:
            raise ValueError(f"SLA target {part!r}: the resolution cannot come before the first response")
        targets[key] = target
    if "*" not in targets:
        targets["*"] = _DEFAULT_FALLBACK
    return targets


def target_for(targets: Dict[str, SlaTarget], *keys: str) -> SlaTarget:
    """The target of the first key present (e.g. category, then source), else the "*" fallback."""
    for key in keys:
        if key and key.lower() in targets:
            return targets[key.lower()]
    return targets.get("*", _DEFAULT_FALLBACK)


class SupportCalendar:
    """Support time: the open hours of `hours`, minus Turkish public holidays (holidays="tr").

    Around-the-clock hours ("always", or every day 00:00-24:00) are 24/7 and holidays do not apply.
    Hours without any support time ("never") count calendar time in `add` and `between`: a store
    with no hours still owes the shopper an answer, so its deadlines run on the wall clock.
    """

    def __init__(self, hours: SupportHours, holidays: str = "tr"):
        option = holidays.strip().lower()
        if option not in HOLIDAY_OPTIONS:
            raise ValueError(f"holidays must be one of {HOLIDAY_OPTIONS}, got {holidays!r}")
        self.hours = hours
        self.holidays = option
        self._around_the_clock = all(hours.by_weekday.get(day) == (time.min, time.max) for day in range(7))
        # e.g. "never", or only rules like "mon 10:00-09:00" that SupportHours never counts as open
        self._no_hours = not any(closing == time.max or opening < closing
                                 for opening, closing in hours.by_weekday.values())

    @classmethod
    def from_settings(cls, support_hours: str, holidays: str = "tr") -> "SupportCalendar":
        return cls(SupportHours.parse(support_hours), holidays)

    def holiday(self, day: date) -> Optional[str]:
        """The (half-day) holiday's name on that Istanbul day, in Turkish; None on a working day."""
        if self.holidays == "none":
            return None
        day = shop_date(day)
        full, half = _turkish_holidays(day.year)
        return full.get(day) or half.get(day)

    def is_open(self, moment: datetime) -> bool:
        """Within the open hours and not on a holiday (or after 13:00 on a half-day one)."""
        moment = as_utc(moment)
        if self._around_the_clock:
            return True
        interval = self._open_interval(shop_date(moment))
        return interval is not None and interval[0] <= moment < interval[1]

    def next_opening(self, moment: datetime) -> Optional[datetime]:
        """The first moment at or after `moment` with support open (`moment` itself when open);
        None when support never opens (within MAX_DAYS_WITHOUT_OPENING days)."""
        moment = as_utc(moment)
        if self._around_the_clock:
            return moment
        if self._no_hours:
            return None
        return next((opens for opens, _ in self._intervals(moment)), None)

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The moment at which `amount` of support time has passed after `start`.

        Outside hours the clock starts at the next opening (amount 0 gives that opening). When no
        opening is found any more, the rest is counted in calendar time.
        """
        start = as_utc(start)
        if amount < ZERO:
            raise ValueError(f"support time to add must not be negative, got {amount}")
        if self._around_the_clock or self._no_hours:
            return start + amount
        cursor, remaining = start, amount
        for opens, closes in self._intervals(start):
            if remaining <= closes - opens:
                return opens + remaining
            remaining -= closes - opens
            cursor = closes
        return cursor + remaining

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Support time elapsed from `start` to `end` (0 when end <= start); the inverse of `add`."""
        start, end = as_utc(start), as_utc(end)
        if end <= start:
            return ZERO
        if self._around_the_clock or self._no_hours:
            return end - start
        elapsed, cursor = ZERO, start
        for opens, closes in self._intervals(start):
            if opens >= end:
                return elapsed
            elapsed += min(closes, end) - opens
            cursor = closes
        return elapsed + max(end - cursor, ZERO)  # same calendar-time fallback as add()

    def _intervals(self, start: datetime) -> Iterator[Tuple[datetime, datetime]]:
        """Open intervals (UTC, in order) from `start` on, the first one clipped to begin at `start`;
        ends after MAX_DAYS_WITHOUT_OPENING days in a row without one."""
        day, quiet_days = shop_date(start), 0
        while quiet_days < MAX_DAYS_WITHOUT_OPENING:
            interval = self._open_interval(day)
            if interval is not None and interval[1] > start:
                yield max(interval[0], start), interval[1]
                quiet_days = 0
            else:
                quiet_days += 1
            day += timedelta(days=1)

    def _open_interval(self, day: date) -> Optional[Tuple[datetime, datetime]]:
        """The UTC interval [opens, closes) of support on an Istanbul day, or None when closed all day."""
        hours = self.hours.by_weekday.get(day.weekday())
        if hours is None:
            return None
        opening, closing = hours
        opens = _utc(day, opening)
        closes = _utc(day + timedelta(days=1), time.min) if closing == time.max else _utc(day, closing)
        if self.holidays == "tr":
            full, half = _turkish_holidays(day.year)
            if day in full:
                return None
            if day in half:
                closes = min(closes, _utc(day, HALF_DAY_CLOSES))
        return (opens, closes) if opens < closes else None


def _utc(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=SHOP_ZONE).astimezone(UTC)


@lru_cache(maxsize=64)
def _turkish_holidays(year: int) -> Tuple[Dict[date, str], Dict[date, str]]:
    """(full-day, from-13:00) holidays of a year. Two lookups, since one day may be in both
    categories and then the full day wins; names in Turkish, as the library would otherwise
    follow the process's locale."""
    full = holiday_data.Turkey(years=year, categories=(PUBLIC,), language="tr")
    half = holiday_data.Turkey(years=year, categories=(HALF_DAY,), language="tr")
    return dict(full), dict(half)


_DEFAULT_FALLBACK = parse_targets(DEFAULT_TARGETS)["*"]  # DEFAULT_TARGETS has its own "*", so no recursion
