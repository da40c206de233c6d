"""Timestamps: timezone-aware UTC in Python, naive UTC in the database, the shop's time zone at the edges.

Every `datetime` the code passes around is aware and in UTC (`utcnow()`). The columns store it
as naive UTC (`UtcDateTime`), so SQLite's text and PostgreSQL's `timestamp without time zone`
keep their format, and read it back as aware UTC. Istanbul time (`SHOP_ZONE`) appears only where a
person reads or counts in it: the texts a shopper reads, support hours, report periods, e-mails;
`shop_local()` and `shop_date()` convert there. The desk (bot/) imports this module too.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Optional, Union
from zoneinfo import ZoneInfo

from sqlalchemy.types import DateTime, TypeDecorator

UTC = timezone.utc
SHOP_ZONE = ZoneInfo("Europe/Istanbul")  # the demo store's; Turkey has kept UTC+3 all year since September 2016


class NaiveDatetimeError(TypeError):
    """A datetime without a time zone reached a place that needs to know which moment it is."""


def is_aware(moment: datetime) -> bool:
    return moment.tzinfo is not None and moment.tzinfo.utcoffset(moment) is not None


def utcnow() -> datetime:
    """The current moment, aware, in UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """The same moment in UTC; a naive value is refused (it could be any zone's wall clock)."""
    if not isinstance(moment, datetime):
        raise TypeError(f"expected a datetime, got {type(moment).__name__}: {moment!r}")
    if not is_aware(moment):
        raise NaiveDatetimeError(
            f"naive datetime {moment.isoformat()} has no time zone: pass an aware value (datetime.now(timezone.utc), "
            "actions.store.types.utcnow(), or .replace(tzinfo=SHOP_ZONE) for a shop-local time)")
    return moment.astimezone(UTC)


def shop_local(moment: datetime) -> datetime:
    """An aware moment as the shop's wall clock (aware, in SHOP_ZONE): for what a person reads."""
    return as_utc(moment).astimezone(SHOP_ZONE)


def shop_date(value: Union[date, datetime]) -> date:
    """The shop's calendar day of a moment; a `date` is already a calendar day and stays as it is."""
    return shop_local(value).date() if isinstance(value, datetime) else value


def shop_today() -> date:
    return shop_date(utcnow())


def from_shop_wall_clock(local: datetime) -> datetime:
    """A naive wall-clock time of the shop (e.g. from the demo data or an old row) as an aware UTC
    moment, by the zone's rules of that date (UTC+2/+3 with summer time before 2016)."""
    if is_aware(local):
        raise ValueError(f"{local.isoformat()} is already aware")
    return local.replace(tzinfo=SHOP_ZONE).astimezone(UTC)


class UtcDateTime(TypeDecorator):
    """A DateTime column holding naive UTC; Python sees aware UTC both ways.

    Binding an aware value of any zone converts it to UTC. Binding a naive value raises
    `NaiveDatetimeError`: it is ambiguous (the desk once stored naive UTC, the shop naive local
    time), and silently guessing would shift times by three hours without anyone noticing.
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        return as_utc(value).replace(tzinfo=None)

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is not None:  # a driver that hands back aware values (e.g. a timestamptz column)
            return value.astimezone(UTC)
        return value.replace(tzinfo=UTC)

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        # `column + timedelta` and the like keep the plain types; datetimes compared with the column use this one.
        if isinstance(value, datetime):
            return self
        return self.impl.coerce_compared_value(op, value)

    @property
    def python_type(self) -> type:
        return datetime


def render_item(type_: str, obj: Any, autogen_context: Any) -> Any:
    """Alembic's autogenerate hook (both migrations' env.py): a UtcDateTime column is written as
    the plain `sa.DateTime()` it is in the database, so migration scripts never import app code."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime()"
    return False  # Alembic's own rendering
