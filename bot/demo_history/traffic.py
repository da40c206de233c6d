"""How busy each day of the demo history is, and when in the day shoppers write.

A small shop's week: Mondays busiest (the weekend's questions arrive), Sundays quiet, a campaign
day ("Efsane Cuma", the last Friday of November, or a Friday three weeks back) with three times
the traffic and more shipping trouble in the days after it, public holidays quiet and entirely
outside support hours. Traffic grows a little from week to week. Times are the shop's wall clock
(Istanbul), returned as aware UTC.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import List, Optional

from actions.store.types import SHOP_ZONE, UTC, shop_date
from bot.tickets.sla import SupportCalendar

WEEKS = 8
WEEKDAY_CONTACTS = (46, 40, 38, 37, 35, 27, 17)  # Monday .. Sunday, before growth and noise
CAMPAIGN_FACTOR = 3.0
AFTER_CAMPAIGN_DAYS, AFTER_CAMPAIGN_FACTOR = 4, 1.3
HOLIDAY_FACTOR = 0.55
# Shoppers per hour of the Istanbul day: a morning and an evening peak, little at night.
HOUR_WEIGHTS = (2, 1, 0.5, 0.3, 0.3, 0.4, 0.8, 1.5, 3, 5, 7, 7.5, 7, 7, 6.5, 6.5, 6, 6, 5.5, 6, 7, 7.5, 6, 4)


@dataclass(frozen=True)
class Day:
    day: date  # the shop's calendar day
    contacts: int
    kind: str  # normal | busy (Monday) | quiet (Sunday) | campaign | holiday
    holiday: Optional[str] = None  # its name, on a public holiday
    after_campaign: bool = False  # the days after the campaign: more parcels, more shipping trouble

    @property
    def start(self) -> datetime:
        """Its first moment (Istanbul midnight) as aware UTC."""
        return datetime.combine(self.day, time.min, tzinfo=SHOP_ZONE).astimezone(UTC)


def history_days(now: datetime, weeks: int = WEEKS) -> List[date]:
    """The shop's days of the history: `weeks` weeks ending with today (today only until `now`)."""
    today = shop_date(now)
    return [today - timedelta(days=offset) for offset in range(weeks * 7 - 1, -1, -1)]


def campaign_day(days: List[date]) -> date:
    """The last Friday of November when it is in the history and past, else the Friday three weeks back."""
    today = days[-1]
    for day in reversed(days):
        if day.month == 11 and day.weekday() == 4 and (day + timedelta(days=7)).month == 12 and day < today:
            return day
    friday = today - timedelta(days=21)
    return friday - timedelta(days=(friday.weekday() - 4) % 7)


def closed_all_day(calendar: SupportCalendar, day: date) -> bool:
    """A public holiday (not a half-day eve): support does not open that day."""
    if calendar.holiday(day) is None:
        return False
    opening = calendar.next_opening(datetime.combine(day, time.min, tzinfo=SHOP_ZONE).astimezone(UTC))
    return opening is None or shop_date(opening) != day


def plan_days(seed: object, now: datetime, calendar: SupportCalendar, weeks: int = WEEKS) -> List[Day]:
    """Each day's volume draws from its own generator (seed and date): a day is the same in any history that has it."""
    days = history_days(now, weeks)
    campaign = campaign_day(days)
    plans = []
    for day in days:
        growth = 1.05 - 0.15 * (days[-1] - day).days / (WEEKS * 7)  # a little busier every week
        volume = WEEKDAY_CONTACTS[day.weekday()] * growth * random.Random(f"{seed}:volume:{day}").uniform(0.85, 1.15)
        kind = {0: "busy", 6: "quiet"}.get(day.weekday(), "normal")
        holiday = calendar.holiday(day) if closed_all_day(calendar, day) else None
        after = 0 < (day - campaign).days <= AFTER_CAMPAIGN_DAYS
        if day == campaign:
            volume, kind = volume * CAMPAIGN_FACTOR, "campaign"
        elif holiday:
            volume, kind = volume * HOLIDAY_FACTOR, "holiday"
        elif after:
            volume *= AFTER_CAMPAIGN_FACTOR
        plans.append(Day(day, max(1, round(volume)), kind, holiday, after))
    return plans


def moments(seed: object, day: date, count: int, now: datetime) -> List[datetime]:
    """`count` moments of that Istanbul day, spread like shoppers write, sorted; none after `now`."""
    rng = random.Random(f"{seed}:moments:{day}")
    hours = rng.choices(range(24), weights=HOUR_WEIGHTS, k=count)
    found = []
    for hour in hours:
        local = datetime.combine(day, time(hour), tzinfo=SHOP_ZONE) + timedelta(seconds=rng.randrange(3600))
        moment = local.astimezone(UTC)
        if moment < now:
            found.append(moment)
    return sorted(found)
