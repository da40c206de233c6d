"""Who may see an order: its owner, proven by the e-mail on the order or the last four digits of
its phone number, or by a customer token signed by the storefront.

An unknown order number and a wrong proof get the same answer, so order numbers cannot be
probed. Three failed proofs in a conversation, or five for one order number from any
conversations, pause look-ups for a while.
"""
from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from typing import Any, Mapping, Optional

import jwt

from actions.store.interface import Order
from bot.patterns import EMAIL

MAX_FAILURES = 3  # in one conversation
MAX_FAILURES_PER_ORDER = 5  # for one order number across all conversations, within LOCKOUT
LOCKOUT = timedelta(minutes=15)
TOKEN_SECRET_ENV = "CUSTOMER_TOKEN_SECRET"
TOKEN_ALGORITHM = "HS256"
_FOUR_DIGITS = re.compile(r"(?<!\d)(\d{4})(?!\d)")


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


def locked_until(failures: int, last_failure_at: Optional[float]) -> Optional[datetime]:
    if failures < MAX_FAILURES or last_failure_at is None:
        return None
    return datetime.fromtimestamp(last_failure_at) + LOCKOUT


def is_locked(failures: int, last_failure_at: Optional[float], now: datetime) -> bool:
    until = locked_until(failures, last_failure_at)
    return until is not None and now < until


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
