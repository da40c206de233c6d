"""Who may see an order: its owner, proven by the e-mail on the order or the last four digits of
its phone number, or by a customer token signed by the storefront.

An unknown order number and a wrong proof get the same answer, so order numbers cannot be
probed. Guessing is slowed where it comes from, never for the order's owner elsewhere: after
the third failed proof in a conversation (on any order) or from one client for one order,
every further attempt there waits 30 s, then 60 s, 120 s... up to 15 minutes. Many failures
for one order number from anywhere only raise an alert for the agents (`ALERT_FAILURES`).
"""
from __future__ import annotations

import math
import os
import re
from datetime import datetime, timedelta
from typing import Any, Mapping, Optional

import jwt

from actions.store.interface import FailureCount, Order
from bot.patterns import EMAIL

MAX_FAILURES = 3  # failures (in one conversation, or from one client for one order) before waits begin
FIRST_WAIT = timedelta(seconds=30)  # after the MAX_FAILURES-th failure; doubles with each further one
MAX_WAIT = timedelta(minutes=15)
FAILURE_MEMORY = timedelta(hours=1)  # older failures no longer count towards a wait
ALERT_FAILURES = 5  # failures for one order number, from anywhere, within ALERT_WINDOW: agents are alerted
ALERT_WINDOW = timedelta(minutes=15)
TOKEN_SECRET_ENV = "CUSTOMER_TOKEN_SECRET"
TOKEN_ALGORITHM = "HS256"
_FOUR_DIGITS = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_MAX_DOUBLINGS = math.ceil(math.log2(MAX_WAIT / FIRST_WAIT))  # beyond this the cap applies anyway


def proof_from_text(text: str) -> Optional[str]:
    """An e-mail address or the last four digits of a phone number, as the shopper wrote it."""
    email = EMAIL.search(text or "")
    if email:
        return email.group("value").rstrip(".").lower()
    digits = _FOUR_DIGITS.findall(text or "")
    return digits[-1] if len(digits) == 1 else None


def owns(order: Optional[Order], proof: Optional[str]) -> bool:
    if order is None or not proof:
        return False
    if "@" in proof:
        return proof.lower() == order.owner.email.lower()
    return proof == order.owner.phone_last4


def wait_after(failures: int) -> timedelta:
    """How long the next attempt waits after `failures` recent failures (none before MAX_FAILURES)."""
    if failures < MAX_FAILURES:
        return timedelta(0)
    return min(FIRST_WAIT * 2 ** min(failures - MAX_FAILURES, _MAX_DOUBLINGS), MAX_WAIT)


def wait_left(failures: FailureCount, now: datetime) -> timedelta:
    """What is left of the wait that `failures` (counted within FAILURE_MEMORY) impose at `now`."""
    if failures.last_at is None:
        return timedelta(0)
    return max(failures.last_at + wait_after(failures.count) - now, timedelta(0))


def describe_wait(wait: timedelta, language: str) -> str:
    """`30 saniye`, `2 dakika` / `30 seconds`, `2 minutes`: rounded up, never below one second."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 60:
        return f"{seconds} saniye" if language == "tr" else f"{seconds} second{'s' if seconds > 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} dakika" if language == "tr" else f"{minutes} minute{'s' if minutes > 1 else ''}"


def customer_from_token(metadata: Optional[Mapping[str, Any]], secret: Optional[str] = None) -> Optional[int]:
    """The customer id in a storefront-signed JWT (`metadata.customer_token`), if it is valid.

    The token must be HS256-signed with CUSTOMER_TOKEN_SECRET and carry `sub` (the customer
    id) and `exp`. Without a configured secret no token is trusted.
    """
    secret = secret if secret is not None else os.environ.get(TOKEN_SECRET_ENV)
    token = (metadata or {}).get("customer_token") if isinstance(metadata, Mapping) else None
    if not secret or not isinstance(token, str):
        return None
    try:
        claims = jwt.decode(token, secret, algorithms=[TOKEN_ALGORITHM], options={"require": ["exp", "sub"]})
        return int(claims["sub"])
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
