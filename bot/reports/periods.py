"""Report periods: a day, a week (Monday to Sunday) or a month in the store's time zone.

A period is calendar, not a moment: its `start` and `end` are the zone's naive wall-clock
times (midnight, or the hour of an hourly bucket), which its labels and the report's "start"
fields show. `utc_bounds()` gives the moments it spans as aware UTC, which is how every stored
time is compared (actions/store/types.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import List, Tuple
from zoneinfo import ZoneInfo

KINDS = ("day", "week", "month")
MONTHS = ["Ocak", "Şubat", "Mart", "Nisan", "Mayıs", "Haziran", "Temmuz", "Ağustos", "Eylül", "Ekim", "Kasım", "Aralık"]


@dataclass(frozen=True)
class Period:
    kind: str  # day | week | month | hour (a bucket of a day)
    start: datetime  # the zone's wall clock, naive
    end: datetime    # the zone's wall clock, naive, exclusive
    zone: str

    def utc_bounds(self) -> Tuple[datetime, datetime]:
        """[start, end) as aware UTC moments."""
        return to_utc(self.start, self.zone), to_utc(self.end, self.zone)

    @property
    def label(self) -> str:
        if self.kind == "hour":
            return f"{self.start:%H}:00"
        if self.kind == "day":
            return f"{self.start.day} {MONTHS[self.start.month - 1]} {self.start.year}"
        if self.kind == "month":
            return f"{MONTHS[self.start.month - 1]} {self.start.year}"
        last = self.end - timedelta(days=1)
        if last.month == self.start.month:
            return f"{self.start.day}–{last.day} {MONTHS[last.month - 1]} {last.year}"
        return f"{self.start.day} {MONTHS[self.start.month - 1]} – {last.day} {MONTHS[last.month - 1]} {last.year}"

    @property
    def short_label(self) -> str:
        if self.kind in ("hour", "month"):
            return self.label if self.kind == "hour" else f"{MONTHS[self.start.month - 1][:3]} {self.start:%y}"
        return f"{self.start.day} {MONTHS[self.start.month - 1][:3]}"

    def as_dict(self) -> dict:
        return {"kind": self.kind, "start": self.start.date().isoformat(), "end": self.end.date().isoformat(),
                "label": self.label}

    def previous(self) -> "Period":
        return period_of(self.kind, (self.start - timedelta(days=1)).date(), self.zone)

    def buckets(self) -> List["Period"]:
        """Hours of a day, days of a week or a month."""
        step, kind = (timedelta(hours=1), "hour") if self.kind == "day" else (timedelta(days=1), "day")
        result, moment = [], self.start
        while moment < self.end:
            result.append(Period(kind, moment, moment + step, self.zone))
            moment += step
        return result

    def trend(self, count: int = 8) -> List["Period"]:
        """The last `count` periods of this kind, oldest first, ending with this one."""
        periods = [self]
        while len(periods) < count:
            periods.insert(0, periods[0].previous())
        return periods


def period_of(kind: str, day: date, zone: str) -> Period:
    if kind not in KINDS:
        raise ValueError(f"Bilinmeyen dönem: {kind!r} (gün, hafta ya da ay: day, week, month).")
    if kind == "day":
        start = datetime(day.year, day.month, day.day)
        return Period(kind, start, start + timedelta(days=1), zone)
    if kind == "week":
        start = datetime(day.year, day.month, day.day) - timedelta(days=day.weekday())
        return Period(kind, start, start + timedelta(days=7), zone)
    start = datetime(day.year, day.month, 1)
    end = datetime(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return Period(kind, start, end, zone)


def to_utc(local: datetime, zone: str) -> datetime:
    """A naive wall-clock time of `zone` as an aware UTC moment."""
    if local.tzinfo is not None:
        raise ValueError(f"{local.isoformat()} is not a wall-clock time (it has a zone)")
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


def local_today(zone: str) -> date:
    return datetime.now(ZoneInfo(zone)).date()
