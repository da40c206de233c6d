"""Ticket deadlines in support time (bot/tickets/sla.py): opening hours, weekends, Turkish public
holidays and their half-day eves, "always" and "never", and add()/between() as inverses.

Pure: fixed aware datetimes, nothing sleeps. Dates of 2026: 9 January is a Friday, Republic Day
(29 October) a Thursday, Kurban Bayramı 27-30 May (Wednesday-Saturday) with its eve on Tuesday 26 May.
"""
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from actions.store.types import SHOP_ZONE, NaiveDatetimeError
from bot.desk.hours import SupportHours
from bot.tickets import sla
from bot.tickets.sla import DEFAULT_TARGETS, SlaTarget, SupportCalendar, parse_targets, target_for

UTC = timezone.utc
STORE_HOURS = "mon-fri 09:00-22:00, sat-sun 10:00-18:00"
PROPERTIES = settings(max_examples=150, derandomize=True, database=None, deadline=None)
H = timedelta(hours=1)


def ist(year, month, day, hour=0, minute=0):
    """An Istanbul wall-clock time as the aware UTC moment the project passes around."""
    return datetime(year, month, day, hour, minute, tzinfo=SHOP_ZONE).astimezone(UTC)


@pytest.fixture
def store():
    return SupportCalendar.from_settings(STORE_HOURS)


def test_the_clock_stops_overnight(store):
    friday_evening = ist(2026, 1, 9, 21)
    assert friday_evening.weekday() == 4
    # one hour until 22:00, then three from Saturday's 10:00
    assert store.add(friday_evening, 4 * H) == ist(2026, 1, 10, 13)
    assert store.between(friday_evening, ist(2026, 1, 10, 13)) == 4 * H


def test_the_clock_stops_over_the_weekend(store):
    weekdays = SupportCalendar.from_settings("mon-fri 09:00-18:00")
    assert weekdays.add(ist(2026, 1, 9, 17), 2 * H) == ist(2026, 1, 12, 10)
    # Saturday 1h + Sunday 8h, then Monday from 09:00
    assert store.add(ist(2026, 1, 10, 17), 10 * H) == ist(2026, 1, 12, 10)
    assert store.between(ist(2026, 1, 9, 9), ist(2026, 1, 12, 9)) == 13 * H + 8 * H + 8 * H


def test_republic_day_and_its_afternoon_eve_are_closed(store):
    # 28 October: 12:00-13:00 only; 29 October closed; Friday 30 October from 09:00
    assert store.add(ist(2026, 10, 28, 12), 2 * H) == ist(2026, 10, 30, 10)
    assert store.between(ist(2026, 10, 28, 9), ist(2026, 10, 30, 9)) == 4 * H
    no_holidays = SupportCalendar.from_settings(STORE_HOURS, holidays="none")
    assert no_holidays.add(ist(2026, 10, 28, 12), 2 * H) == ist(2026, 10, 28, 14)


def test_kurban_bayrami_and_its_eve_are_closed(store):
    # eve 12:00-13:00, 27-30 May closed, Sunday 31 May 10:00-18:00
    assert store.add(ist(2026, 5, 26, 12), 9 * H) == ist(2026, 5, 31, 18)
    assert store.add(ist(2026, 5, 26, 12), 10 * H) == ist(2026, 6, 1, 10)
    assert store.next_opening(ist(2026, 5, 26, 13)) == ist(2026, 5, 31, 10)


def test_is_open_and_holiday_names(store):
    assert store.is_open(ist(2026, 10, 27, 21, 59))
    assert not store.is_open(ist(2026, 10, 29, 10))
    assert store.is_open(ist(2026, 10, 28, 12, 59))
    assert not store.is_open(ist(2026, 10, 28, 13))
    assert not store.is_open(ist(2026, 5, 28, 12))
    assert not store.is_open(ist(2026, 3, 20, 12))  # Ramazan Bayramı
    assert store.holiday(date(2026, 10, 29)) == "Cumhuriyet Bayramı"
    assert store.holiday(date(2026, 10, 28)) == "Cumhuriyet Bayramı (saat 13.00'ten)"
    assert store.holiday(date(2026, 5, 27)) == "Kurban Bayramı"
    assert store.holiday(date(2026, 5, 26)) == "Kurban Bayramı (saat 13.00'ten)"
    assert store.holiday(date(2026, 3, 19)) == "Ramazan Bayramı (saat 13.00'ten)"
    assert store.holiday(date(2026, 10, 27)) is None
    # 21:30 UTC on the 28th is already the 29th in Istanbul
    assert store.holiday(datetime(2026, 10, 28, 21, 30, tzinfo=UTC)) == "Cumhuriyet Bayramı"
    no_holidays = SupportCalendar.from_settings(STORE_HOURS, holidays="none")
    assert no_holidays.is_open(ist(2026, 10, 29, 10))
    assert no_holidays.holiday(date(2026, 10, 29)) is None


def test_start_outside_hours_waits_for_the_opening(store):
    assert store.add(ist(2026, 1, 12, 5), H) == ist(2026, 1, 12, 10)
    assert store.add(ist(2026, 1, 12, 23), H) == ist(2026, 1, 13, 10)
    assert store.between(ist(2026, 1, 12, 5), ist(2026, 1, 12, 9, 30)) == timedelta(minutes=30)
    assert store.next_opening(ist(2026, 1, 12, 23)) == ist(2026, 1, 13, 9)
    assert store.next_opening(ist(2026, 1, 12, 12)) == ist(2026, 1, 12, 12)


def test_zero_amount(store):
    assert store.add(ist(2026, 1, 12, 12), timedelta(0)) == ist(2026, 1, 12, 12)
    assert store.add(ist(2026, 1, 9, 22), timedelta(0)) == ist(2026, 1, 10, 10)
    assert store.between(ist(2026, 1, 12, 12), ist(2026, 1, 12, 11)) == timedelta(0)


def test_always_is_around_the_clock_even_on_holidays():
    always = SupportCalendar.from_settings("always")
    assert always.is_open(ist(2026, 10, 29, 3))
    assert always.add(ist(2026, 10, 28, 12), 30 * H) == ist(2026, 10, 29, 18)
    assert always.between(ist(2026, 5, 26), ist(2026, 5, 31)) == timedelta(days=5)
    assert always.next_opening(ist(2026, 10, 29, 3)) == ist(2026, 10, 29, 3)


def test_never_counts_calendar_time():
    never = SupportCalendar.from_settings("never")
    assert not never.is_open(ist(2026, 1, 12, 12))
    assert never.next_opening(ist(2026, 1, 12, 12)) is None
    assert never.add(ist(2026, 10, 28, 12), 30 * H) == ist(2026, 10, 29, 18)
    assert never.between(ist(2026, 1, 9, 21), ist(2026, 1, 10, 1)) == 4 * H


def test_closing_at_24_00_is_midnight():
    evenings = SupportCalendar.from_settings("mon-sun 20:00-24:00", holidays="none")
    assert evenings.is_open(ist(2026, 1, 12, 23, 59))
    assert not evenings.is_open(ist(2026, 1, 13, 0))
    assert evenings.add(ist(2026, 1, 12, 23), 2 * H) == ist(2026, 1, 13, 21)


def test_istanbul_is_utc_plus_three_all_year(store):
    # Europe switches clocks on 29 March and 25 October 2026; Istanbul does not.
    for winter_or_summer in (datetime(2026, 1, 12, 6, tzinfo=UTC), datetime(2026, 7, 13, 6, tzinfo=UTC)):
        assert store.is_open(winter_or_summer)  # 09:00 in Istanbul
        assert not store.is_open(winter_or_summer - timedelta(microseconds=1))
    friday_18_utc = datetime(2026, 3, 27, 18, tzinfo=UTC)
    assert store.add(friday_18_utc, 4 * H) == datetime(2026, 3, 28, 10, tzinfo=UTC)
    friday_18_utc = datetime(2026, 10, 23, 18, tzinfo=UTC)
    # Friday 1h, Saturday 8h, Sunday (Europe's switch) 10:00-13:00 Istanbul
    assert store.add(friday_18_utc, 12 * H) == datetime(2026, 10, 25, 10, tzinfo=UTC)


def test_no_opening_in_sight_falls_back_to_calendar_time(monkeypatch):
    # Only 10:00-11:00 daily: the eve's afternoon and Bayram's days have none; with a 3-day look-ahead
    # the clock gives up searching and runs on the wall clock from the start.
    monkeypatch.setattr(sla, "MAX_DAYS_WITHOUT_OPENING", 3)
    short = SupportCalendar.from_settings("mon-sun 10:00-11:00")
    start = ist(2026, 5, 26, 12)
    assert short.add(start, 2 * H) == ist(2026, 5, 26, 14)
    assert short.between(start, ist(2026, 5, 26, 14)) == 2 * H
    assert short.next_opening(start) is None
    # rules that are never open count calendar time like "never"
    backwards = SupportCalendar(SupportHours({0: (time(10), time(9))}))
    assert backwards.add(ist(2026, 1, 12, 12), H) == ist(2026, 1, 12, 13)


def test_naive_times_and_unknown_options_are_refused(store):
    with pytest.raises(NaiveDatetimeError):
        store.add(datetime(2026, 1, 12, 12), H)
    with pytest.raises(ValueError, match="holidays"):
        SupportCalendar.from_settings(STORE_HOURS, holidays="de")
    with pytest.raises(ValueError, match="negative"):
        store.add(ist(2026, 1, 12, 12), -H)


CALENDARS = [STORE_HOURS, "mon-fri 09:00-18:00", "sat 10:00-11:30", "mon-sun 20:00-24:00", "always", "never"]
STARTS = st.datetimes(min_value=datetime(2025, 6, 1), max_value=datetime(2027, 6, 1), timezones=st.just(UTC))
AMOUNTS = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=200))


@pytest.mark.parametrize("hours", CALENDARS)
@PROPERTIES
@given(start=STARTS, amount=AMOUNTS)
def test_between_inverts_add(hours, start, amount):
    calendar = SupportCalendar.from_settings(hours)
    deadline = calendar.add(start, amount)
    assert deadline >= start
    assert calendar.between(start, deadline) == amount
    if amount and hours != "never":
        assert calendar.is_open(deadline - timedelta(microseconds=1))  # the last instant counted was open


@PROPERTIES
@given(start=STARTS, span=AMOUNTS)
def test_between_counts_no_more_than_the_wall_clock(start, span):
    store = SupportCalendar.from_settings(STORE_HOURS)
    assert timedelta(0) <= store.between(start, start + span) <= span


def test_parse_targets():
    targets = parse_targets(DEFAULT_TARGETS)
    assert set(targets) == {"complaint", "after_hours", "chat_followup", "low_score", "missed_promise", "*"}
    assert targets["after_hours"] == SlaTarget(4 * H, 24 * H)
    custom = parse_targets(" Complaint = 0.5/4 ,low_score=1.25/8, ")
    assert custom == {"complaint": SlaTarget(timedelta(minutes=30), 4 * H),
                      "low_score": SlaTarget(timedelta(minutes=75), 8 * H),
                      "*": SlaTarget(8 * H, 48 * H)}
    assert parse_targets("*=2/10")["*"] == SlaTarget(2 * H, 10 * H)


@pytest.mark.parametrize("spec, named", [
    ("complaint=8", "'complaint=8'"),
    ("complaint=8/48, followup=x/4", "'followup=x/4'"),
    ("=8/48", "'=8/48'"),
    ("complaint=8/48/2", "'complaint=8/48/2'"),
    ("complaint=-1/4", "'complaint=-1/4'"),
    ("complaint=0/4", "more than 0"),
    ("complaint=48/8", "before the first response"),
    ("complaint=8/48, complaint=4/24", "given twice"),
])
def test_parse_targets_names_the_bad_part(spec, named):
    with pytest.raises(ValueError) as raised:
        parse_targets(spec)
    assert named in str(raised.value)


def test_target_for_takes_the_first_key_present_else_the_fallback():
    targets = parse_targets("complaint=2/8, after_hours=4/24, *=8/48")
    assert target_for(targets, "complaint", "after_hours") == SlaTarget(2 * H, 8 * H)
    assert target_for(targets, "question", "after_hours") == SlaTarget(4 * H, 24 * H)
    assert target_for(targets, "question", None, "web") == SlaTarget(8 * H, 48 * H)
    assert target_for(targets) == SlaTarget(8 * H, 48 * H)
    assert target_for({"complaint": SlaTarget(H, H)}, "other") == SlaTarget(8 * H, 48 * H)
