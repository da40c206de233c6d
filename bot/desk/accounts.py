"""Desk accounts: argon2 password hashes, login tokens (JWT), the demo accounts.

The demo store's agents become agent accounts; `yonetici` (admin) and `editor` are added.
Each password comes from `KUZEY_PASSWORD_<USERNAME>` (e.g. KUZEY_PASSWORD_AYSE) or, if unset,
is generated on first run and printed once; only its hash is stored. `python -m bot users
password <name>` sets a new one.
"""
from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, List, Optional

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.desk.models import DeskUser

ROLES = ("agent", "editor", "admin")
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
    user_id: int
    username: str
    role: str


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, username: str, password: str) -> DeskUser:
    user = session.execute(select(DeskUser).where(DeskUser.username == username.strip().lower())).scalar_one_or_none()
    # The same words for an unknown user and a wrong password.
    if user is None or not user.active or not password_matches(user.password_hash, password):
        raise LoginError("Kullanıcı adı veya şifre hatalı.")
    return user


def issue_token(user: DeskUser, secret: str, hours: float, now: Optional[datetime] = None) -> str:
    now = now or datetime.now(timezone.utc)
    claims = {"sub": str(user.id), "name": user.username, "role": user.role, "iat": now, "exp": now + timedelta(hours=hours)}
    return jwt.encode(claims, secret, algorithm=TOKEN_ALGORITHM)


def read_token(token: object, secret: str) -> Optional[Identity]:
    if not isinstance(token, str) or not token:
        return None
    try:
        claims = jwt.decode(token, secret, algorithms=[TOKEN_ALGORITHM], options={"require": ["exp", "sub"]})
        return Identity(int(claims["sub"]), str(claims.get("name", "")), str(claims.get("role", "")))
    except (jwt.PyJWTError, ValueError):
        return None


def bearer_identity(authorization: str, secret: str, roles: tuple = ("agent", "editor", "admin")) -> Optional[Identity]:
    """The logged-in user of an `Authorization: Bearer <token>` header, if their role is one of `roles`."""
    identity = read_token(authorization.removeprefix("Bearer ").strip(), secret)
    return identity if identity is not None and identity.role in roles else None


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
    if len(password) < 8:
        raise ValueError("Şifre en az 8 karakter olmalı.")
    user = session.execute(select(DeskUser).where(DeskUser.username == username)).scalar_one_or_none()
    if user is None:
        raise LookupError(f"Böyle bir kullanıcı yok: {username}")
    user.password_hash = hash_password(password)
    session.commit()
