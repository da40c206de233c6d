"""What every flow needs to know about the conversation: language, store, time, customer token."""
from __future__ import annotations

import os
from datetime import date, datetime
from functools import lru_cache
from typing import Optional

from rasa_sdk import Tracker

from actions.store.database import engine_for
from actions.store.interface import Store
from actions.store.sql_store import SqlStore
from actions.store.types import shop_date, utcnow
from actions.texts import language_of
from actions.verification import customer_from_token


@lru_cache(maxsize=1)
def store() -> Store:
    """The SQL store of DATABASE_URL (default: the SQLite file that `python -m bot seed` fills)."""
    from bot.settings import get_settings

    url = os.environ.get("DATABASE_URL") or get_settings().store_database_url
    return SqlStore.on(engine_for(url))


def now() -> datetime:
    """The current moment, aware, in UTC: what the store records (actions/store/types.py)."""
    return utcnow()


def today() -> date:
    """The shop's calendar day (Istanbul) of `now()`: what return windows count in."""
    return shop_date(now())


def language(tracker: Tracker) -> str:
    return language_of(tracker.get_slot("language"))


def token_customer(tracker: Tracker) -> Optional[int]:
    """The customer the storefront vouches for with a signed token in the message metadata."""
    return customer_from_token((tracker.latest_message or {}).get("metadata"))
