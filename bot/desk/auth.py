"""The desk's doors: logging in and out (POST /api/login, /api/logout) and `authorised`, which
every staff route calls to learn who is asking, as their account is now.

A token alone is not enough: its session (`desk_sessions`) must be open and unexpired and its
account active, and the role that counts is the account's current one, not the one in the token.
The app's state lives under `AUTH` here (not in bot/desk/app.py, which imports the route modules
that import this one).
"""
from __future__ import annotations

import asyncio
import json
import math
from dataclasses import dataclass
from typing import Awaitable, Callable, Dict, Optional, Tuple

from aiohttp import web
from sqlalchemy.orm import Session

from bot.desk import texts
from bot.desk.accounts import (Identity, LoginError, authenticate, end_session, identity_of, open_session, read_token,
                               session_user)
from bot.desk.limits import LoginThrottle
from bot.desk.shoppers import client_address
from bot.privacy import audit

# The staff pages speak Turkish (the words are in locale/*/LC_MESSAGES/bridge.po).
LANGUAGE = "tr"
NOT_LOGGED_IN = texts.error_text("unauthorized", LANGUAGE)
FORBIDDEN = texts.say("auth.forbidden", LANGUAGE)
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class DeskAuth:
    sessions: Callable[[], Session]  # the desk store's sessions
    secret: str  # signs the login tokens
    token_hours: float
    trust_proxy: bool  # the client address from X-Forwarded-For
    throttle: LoginThrottle
    on_logout: Optional[Callable[[str], Awaitable[None]]] = None  # e.g. closes that login's sockets


AUTH = web.AppKey("desk_auth", DeskAuth)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/login", login)
    app.router.add_post("/api/logout", logout)


async def authorised(request: web.Request, roles: Tuple[str, ...], *, refusal: str = FORBIDDEN) -> Identity:
    """The logged-in user if their current role is one of `roles`. Raises HTTPUnauthorized without a
    valid, open session, HTTPForbidden (written to the audit log, with `refusal` as the words)
    when the role is not allowed here."""
    auth = request.app[AUTH]
    claimed = read_token(bearer_token(request), auth.secret)
    user = await asyncio.to_thread(session_user, auth.sessions, claimed) if claimed else None
    if user is None:
        raise web.HTTPUnauthorized(**json_body(NOT_LOGGED_IN))
    identity = identity_of(user, claimed.session_id)
    if identity.role not in roles:
        actor = audit.Actor(name=identity.username, user_id=identity.user_id, role=identity.role,
                            address=request_address(request, auth.trust_proxy))
        await asyncio.to_thread(audit.record, auth.sessions, actor, "refused", subject=request.path)
        raise web.HTTPForbidden(**json_body(refusal))
    return identity


async def login(request: web.Request) -> web.Response:
    """Errors carry a stable `code` and the words in the language the form asked for."""
    auth = request.app[AUTH]
    try:
        body = await request.json()
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        body = None
    language = body.get("language") if isinstance(body, dict) and body.get("language") in ("tr", "en") else LANGUAGE
    if not isinstance(body, dict) or not all(is_plain_text(body.get(key)) for key in ("username", "password")):
        return web.json_response({"error": texts.say("auth.credentials_required", language),
                                  "code": "credentials_required"}, status=400)
    username, password = body["username"], body["password"]
    address = request_address(request, auth.trust_proxy)
    wait = await asyncio.to_thread(auth.throttle.admit, address, username)  # Redis when shared by bridges
    if wait > 0:
        seconds = math.ceil(wait)
        return web.json_response(
            {"error": texts.say("auth.too_many_attempts", language, wait=wait_words(seconds, language)),
             "code": "too_many_attempts", "retry_after": seconds},
            status=429, headers={"Retry-After": str(seconds), **NO_STORE})
    try:
        # argon2 takes a good part of a second of CPU: not on the event loop that carries the chats.
        token, user = await asyncio.to_thread(_log_in, auth, username, password)
    except LoginError:
        return web.json_response({"error": texts.say("auth.wrong_login", language), "code": "wrong_login"},
                                 status=401, headers=NO_STORE)
    await asyncio.to_thread(auth.throttle.succeeded, address, username)
    return web.json_response({"token": token, "user": user}, headers=NO_STORE)


def _log_in(auth: DeskAuth, username: str, password: str) -> Tuple[str, Dict[str, object]]:
    with auth.sessions() as session:
        user = authenticate(session, username, password)
        token = open_session(session, user, auth.secret, auth.token_hours)
        return token, {"id": user.id, "username": user.username, "display_name": user.display_name, "role": user.role,
                       "languages": list(user.languages or []), "max_chats": user.max_chats}


async def logout(request: web.Request) -> web.Response:
    """Ends the token's session (already ended is fine); its sockets on this bridge are closed."""
    auth = request.app[AUTH]
    claimed = read_token(bearer_token(request), auth.secret)
    if claimed is None or not claimed.session_id:
        raise web.HTTPUnauthorized(**json_body(NOT_LOGGED_IN))

    def end() -> None:
        with auth.sessions() as session:
            end_session(session, claimed.session_id, claimed.user_id)

    await asyncio.to_thread(end)
    if auth.on_logout is not None:
        await auth.on_logout(claimed.session_id)
    return web.Response(status=204, headers=NO_STORE)


def bearer_token(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    return header[len("Bearer "):].strip() if header.startswith("Bearer ") else ""


def request_address(request: web.Request, trust_proxy: bool) -> str:
    return client_address({"HTTP_X_FORWARDED_FOR": request.headers.get("X-Forwarded-For", ""),
                           "REMOTE_ADDR": request.remote or ""}, trust_proxy)


def json_body(message: str) -> Dict[str, object]:
    """The keyword arguments of an HTTP error answered as `{"error": message}`."""
    return {"text": json.dumps({"error": message}, ensure_ascii=False), "content_type": "application/json",
            "headers": NO_STORE}


def wait_words(seconds: int, language: str = LANGUAGE) -> str:
    """3 → "3 saniye", 125 → "3 dakika" (rounded up: waiting a little longer is harmless)."""
    if seconds < 60:
        return texts.say("auth.wait_seconds", language, seconds=seconds)
    return texts.say("auth.wait_minutes", language, minutes=math.ceil(seconds / 60))


def is_plain_text(value: object) -> bool:
    """A string the database and argon2 can take: valid UTF-8 (no lone surrogates), no NUL."""
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
