"""Desk accounts: argon2 password hashes, login tokens (JWT), the demo accounts.

The demo store's agents become agent accounts; `yonetici` (admin) and `editor` are added.
Each password comes from `KUZEY_PASSWORD_<USERNAME>` (e.g. KUZEY_PASSWORD_AYSE) or, if unset,
is generated on first run and printed once; only its hash is stored. `python -m bot users
password <name>` sets a new one.

Every login opens a session (`desk_sessions`, its id is the token's `jti`): a token is valid only
while its session is open and unexpired and its account active. Logging out, a new password or
deactivating the account ends sessions before their tokens expire.
"""
from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, List, Optional

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.desk import texts
from bot.desk.models import DeskUser
from bot.privacy.models import DeskSession

ROLES = ("agent", "editor", "admin")
LANGUAGE = "tr"  # the language of the errors below (the login's own answer is worded in bot/desk/auth.py)
MIN_PASSWORD_CHARS = 8
TOKEN_ALGORITHM = "HS256"
PASSWORD_ENV_PREFIX = "KUZEY_PASSWORD_"
EXTRA_ACCOUNTS = (
    {"username": "yonetici", "display_name": "Yönetici", "role": "admin", "languages": ["tr", "en"], "max_concurrent_chats": 3},
    {"username": "editor", "display_name": "İçerik Editörü", "role": "editor", "languages": ["tr", "en"], "max_concurrent_chats": 0},
)
_hasher = PasswordHasher()


class LoginError(Exception):
    pass


@dataclass(frozen=True)
class Identity:
    """A desk user: as a token claims them (`read_token`), or as the account is now (`session_user`)."""

    user_id: int
    username: str
    role: str
    display_name: str = ""
    session_id: str = ""  # the login session (the token's `jti`)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """What an unknown or inactive account's password is checked against: the same work as a real
    check, so that the answer's time does not tell which usernames exist."""
    return _hasher.hash(secrets.token_urlsafe(16))


def authenticate(session: Session, username: str, password: str) -> DeskUser:
    """Slow on purpose (argon2): call it in a thread, not on the event loop."""
    user = session.execute(select(DeskUser).where(DeskUser.username == username.strip().lower())).scalar_one_or_none()
    usable = user is not None and user.active
    matches = password_matches(user.password_hash if usable else _dummy_hash(), password)
    # The same words for an unknown user and a wrong password.
    if not (usable and matches):
        raise LoginError(texts.say("auth.wrong_login", LANGUAGE))
    return user


def issue_token(user: DeskUser, secret: str, hours: float, now: Optional[datetime] = None,
                session_id: Optional[str] = None) -> str:
    now = now or datetime.now(timezone.utc)
    claims = {"sub": str(user.id), "name": user.username, "role": user.role, "iat": now, "exp": now + timedelta(hours=hours)}
    if session_id:
        claims["jti"] = session_id
    return jwt.encode(claims, secret, algorithm=TOKEN_ALGORITHM)


def open_session(session: Session, user: DeskUser, secret: str, hours: float, now: Optional[datetime] = None) -> str:
    """A new login session for `user`; returns its token."""
    now = now or datetime.now(timezone.utc)
    session_id = secrets.token_urlsafe(24)
    session.add(DeskSession(id=session_id, user_id=user.id, created_at=now, expires_at=now + timedelta(hours=hours)))
    session.commit()
    return issue_token(user, secret, hours, now, session_id)


def read_token(token: object, secret: str) -> Optional[Identity]:
    """Who a token claims to be (signature and expiry checked); `session_user` says whether it still counts."""
    if not isinstance(token, str) or not token:
        return None
    try:
        claims = jwt.decode(token, secret, algorithms=[TOKEN_ALGORITHM], options={"require": ["exp", "sub"]})
        jti = claims.get("jti")
        return Identity(int(claims["sub"]), str(claims.get("name", "")), str(claims.get("role", "")),
                        session_id=jti if isinstance(jti, str) else "")
    except (jwt.PyJWTError, ValueError, TypeError):
        return None


def session_user(sessions: Callable[[], Session], claimed: Identity, now: Optional[datetime] = None) -> Optional[DeskUser]:
    """The account behind a token as it is now (one query by primary keys), or None when the token's
    session is missing, ended or expired, or the account is inactive."""
    if not claimed.session_id:
        return None
    now = now or datetime.now(timezone.utc)
    with sessions() as s:
        return s.execute(
            select(DeskUser).join(DeskSession, DeskSession.user_id == DeskUser.id)
            .where(DeskSession.id == claimed.session_id, DeskUser.id == claimed.user_id, DeskUser.active.is_(True),
                   DeskSession.ended_at.is_(None), DeskSession.expires_at > now)
        ).scalar_one_or_none()


def identity_of(user: DeskUser, session_id: str = "") -> Identity:
    return Identity(user.id, user.username, user.role, user.display_name or "", session_id)


def end_session(session: Session, session_id: str, user_id: int, now: Optional[datetime] = None) -> bool:
    """Logs out one session; False when it was not open."""
    result = session.execute(update(DeskSession)
                             .where(DeskSession.id == session_id, DeskSession.user_id == user_id,
                                    DeskSession.ended_at.is_(None))
                             .values(ended_at=now or datetime.now(timezone.utc)))
    session.commit()
    return result.rowcount == 1


def end_user_sessions(session: Session, user_id: int, now: Optional[datetime] = None) -> int:
    """Ends every open session of a user (in the caller's transaction); returns how many."""
    result = session.execute(update(DeskSession)
                             .where(DeskSession.user_id == user_id, DeskSession.ended_at.is_(None))
                             .values(ended_at=now or datetime.now(timezone.utc)))
    return result.rowcount


def demo_accounts(demo_store: Path) -> List[dict]:
    agents = json.loads(demo_store.read_text(encoding="utf-8"))["agents"]
    return [{**agent, "role": "agent"} for agent in agents] + [dict(extra) for extra in EXTRA_ACCOUNTS]


def ensure_demo_accounts(session: Session, demo_store: Path, now: datetime) -> Dict[str, str]:
    """Creates missing demo accounts; returns the passwords it generated (to print once)."""
    generated: Dict[str, str] = {}
    existing = set(session.execute(select(DeskUser.username)).scalars())
    for account in demo_accounts(demo_store):
        if account["username"] in existing:
            continue
        password = os.environ.get(PASSWORD_ENV_PREFIX + account["username"].upper())
        if not password:
            password = generated[account["username"]] = secrets.token_urlsafe(9)
        session.add(DeskUser(
            username=account["username"], display_name=account["display_name"], role=account["role"],
            password_hash=hash_password(password), languages=list(account["languages"]),
            max_chats=int(account["max_concurrent_chats"]), active=True, created_at=now,
        ))
    session.commit()
    return generated


def set_password(session: Session, username: str, password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(texts.say("auth.password_too_short", LANGUAGE, minimum=MIN_PASSWORD_CHARS))
    user = session.execute(select(DeskUser).where(DeskUser.username == username)).scalar_one_or_none()
    if user is None:
        raise LookupError(texts.say("auth.no_such_user", LANGUAGE, username=username))
    user.password_hash = hash_password(password)
    end_user_sessions(session, user.id)  # whoever knew the old password is logged out
    session.commit()


def set_active(session: Session, username: str, active: bool) -> None:
    """Enables or disables an account; disabling ends its sessions."""
    user = session.execute(select(DeskUser).where(DeskUser.username == username)).scalar_one_or_none()
    if user is None:
        raise LookupError(texts.say("auth.no_such_user", LANGUAGE, username=username))
    user.active = active
    if not active:
        end_user_sessions(session, user.id)
    session.commit()


def set_ticket_work(session: Session, username: str, skills: Optional[List[str]], max_tickets: Optional[int]) -> DeskUser:
    """An agent's ticket categories (empty: all) and limit; unknown categories are refused."""
    from actions.texts import COMPLAINT_CATEGORIES  # the ticket categories are the complaint topics

    user = session.execute(select(DeskUser).where(DeskUser.username == username)).scalar_one_or_none()
    if user is None:
        raise LookupError(texts.say("auth.no_such_user", LANGUAGE, username=username))
    unknown = sorted(set(skills or []) - set(COMPLAINT_CATEGORIES))
    if unknown:
        raise ValueError(f"unknown categories: {', '.join(unknown)} (known: {', '.join(COMPLAINT_CATEGORIES)})")
    if skills is not None:
        user.skills = skills
    if max_tickets is not None:
        user.max_tickets = max_tickets
    session.commit()
    return user
