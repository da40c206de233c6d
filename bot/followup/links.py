"""Signed links in follow-up e-mails: the feedback page and the unsubscribe page.

HS256 JWTs signed with the desk's secret. Every link token carries a `purpose` claim and no
`sub`: the desk's login check requires `sub`, and ours requires `purpose`, so an agent's login
token is never a link token and a link token is never a login. `sign` and `read_claims` are the
helpers every kind of link shares (the ticket page's too: bot/tickets/links.py); a token made for
one purpose never opens another's page.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

import jwt

from bot.settings import Settings

ALGORITHM = "HS256"
FEEDBACK = "followup-feedback"
UNSUBSCRIBE = "followup-unsubscribe"
LANGUAGES = ("tr", "en")
FEEDBACK_DAYS = 60  # answering about a delivery months later says little; unsubscribing never expires


@dataclass(frozen=True)
class FeedbackLink:
    send_id: int
    language: str


@dataclass(frozen=True)
class UnsubscribeLink:
    email: str
    language: str


def feedback_token(secret: str, send_id: int, language: str, now: Optional[datetime] = None) -> str:
    now = now or datetime.now(timezone.utc)
    return sign(secret, {"purpose": FEEDBACK, "send": send_id, "lang": language, "iat": now,
                         "exp": now + timedelta(days=FEEDBACK_DAYS)})


def unsubscribe_token(secret: str, email: str, language: str) -> str:
    # The address, not the send's id: the link keeps working after old sends are deleted.
    return sign(secret, {"purpose": UNSUBSCRIBE, "email": email.lower(), "lang": language})


def read_feedback(secret: str, token: str) -> Optional[FeedbackLink]:
    claims = read_claims(secret, token, FEEDBACK, required=["exp", "send"])
    if claims is None or not isinstance(claims["send"], int):
        return None
    return FeedbackLink(claims["send"], link_language(claims))


def read_unsubscribe(secret: str, token: str) -> Optional[UnsubscribeLink]:
    claims = read_claims(secret, token, UNSUBSCRIBE, required=["email"])
    if claims is None or not isinstance(claims["email"], str) or "@" not in claims["email"]:
        return None
    return UnsubscribeLink(claims["email"], link_language(claims))


def feedback_url(settings: Settings, send_id: int, language: str, now: Optional[datetime] = None) -> str:
    return f"{settings.public_base_url}/feedback/{feedback_token(settings.desk_signing_secret(), send_id, language, now)}"


def unsubscribe_url(settings: Settings, email: str, language: str) -> str:
    return f"{settings.public_base_url}/unsubscribe/{unsubscribe_token(settings.desk_signing_secret(), email, language)}"


def sign(secret: str, claims: dict) -> str:
    """A link token: `claims` must name its `purpose` (and never `sub`, which marks a login)."""
    if "purpose" not in claims or "sub" in claims:
        raise ValueError("a link token names its purpose and has no sub")
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_claims(secret: str, token: str, purpose: str, required: list) -> Optional[dict]:
    """The claims of a token signed with `secret` for `purpose`, unexpired, with `required`; else None."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["purpose", *required]})
    except jwt.PyJWTError:  # forged, expired, garbled
        return None
    return claims if claims.get("purpose") == purpose else None


def link_language(claims: dict) -> str:
    return claims.get("lang") if claims.get("lang") in LANGUAGES else "tr"
