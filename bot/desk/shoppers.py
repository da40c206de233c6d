"""The shopper namespace "/": Rasa's SocketIOInput protocol plus our events (docs/live-chat.md).

Checks every event before the desk sees it; a rejected message gets an `error` event and
changes nothing stored. One lock per conversation keeps a session's messages in order.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Any, Dict, Optional

import socketio
from sqlalchemy.exc import SQLAlchemyError

from bot.desk import texts
from bot.desk.desk import Desk
from bot.desk.limits import ConnectionCount, MessageRate
from bot.desk.store import new_session_id
from bot.settings import Settings

log = logging.getLogger(__name__)

METADATA_KEYS = ("language", "lang", "locale", "customer_token", "page_url")
MAX_SESSION_ID = 64
# The ids we hand out (secrets.token_urlsafe). Anything else is not one of ours and is never looked up:
# a lone surrogate or a NUL in it would make the database driver raise instead of finding nothing.
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{1,%d}" % MAX_SESSION_ID)


def is_session_id(value: Any) -> bool:
    return isinstance(value, str) and SESSION_ID.fullmatch(value) is not None


def client_address(environ: Dict[str, Any], trust_proxy: bool) -> str:
    if trust_proxy:
        forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:  # the entry our proxy appended; the ones before it are the client's to write
            return forwarded.split(",")[-1].strip()
    return environ.get("REMOTE_ADDR") or "unknown"


def clean_text(value: Any) -> Optional[str]:
    """The message as text we can store on any database: no lone surrogates, no NUL."""
    if not isinstance(value, str):
        return None
    value = value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")
    return value.strip()


def clean_metadata(data: Dict[str, Any]) -> Dict[str, Any]:
    raw = data.get("metadata") if isinstance(data.get("metadata"), dict) else data.get("customData")
    if not isinstance(raw, dict):
        return {}
    metadata = {key: clean_text(raw[key]) for key in METADATA_KEYS  # storable on any database, like the text
                if isinstance(raw.get(key), str) and len(raw[key]) <= 2000}
    for key in ("lang", "locale"):  # one name for the page language
        value = metadata.pop(key, None)
        if value and "language" not in metadata:
            metadata["language"] = value[:2].lower()
    if metadata.get("language") not in ("tr", "en"):
        metadata.pop("language", None)
    return metadata


class ShopperNamespace(socketio.AsyncNamespace):
    def __init__(self, desk: Desk, settings: Settings):
        super().__init__("/")
        self.desk = desk
        self.settings = settings
        self.connections = ConnectionCount(settings.connections_per_address)
        self.rate = MessageRate(settings.messages_per_second, settings.message_burst)
        self.sockets: Counter = Counter()  # open sockets per conversation, to forget idle ones

    async def on_connect(self, sid: str, environ: Dict[str, Any], auth: Any = None) -> None:
        address = client_address(environ, self.settings.trust_proxy)
        if not self.connections.try_open(address):
            raise socketio.exceptions.ConnectionRefusedError(texts.error("too_many_connections", "tr"))
        await self.save_session(sid, {"address": address, "conversation_id": None, "language": "tr"})

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        session = await self.get_session(sid)
        self.connections.close(session["address"])
        self._leave(session["conversation_id"])

    def _join(self, conversation_id: str) -> None:
        self.sockets[conversation_id] += 1

    def _leave(self, conversation_id: Optional[str]) -> None:
        """The conversation's in-memory helpers go with its last socket (they hold nothing stored)."""
        if conversation_id is None:
            return
        self.sockets[conversation_id] -= 1
        if self.sockets[conversation_id] <= 0:
            del self.sockets[conversation_id]
            self.desk.forget_lock(conversation_id)
        self.rate.sweep()  # a bucket goes only once refilled: reconnecting does not reset the rate

    async def on_session_request(self, sid: str, data: Any = None) -> None:
        session = await self.get_session(sid)
        requested = data.get("session_id") if isinstance(data, dict) else None
        valid = is_session_id(requested)
        try:
            conversation = self.desk.store.conversation(requested) if valid else None
            # A conversation is stored from its first message; until then the id only lives here.
            conversation_id = conversation.id if conversation else new_session_id()
        except SQLAlchemyError:  # the database is down: keep the session; its history comes back later
            conversation, conversation_id = None, requested if valid else new_session_id()
        if session["conversation_id"] == conversation_id:  # asked again for the same session
            return await self.emit("session_confirm", conversation_id, to=sid)
        if session["conversation_id"]:  # a second session_request on the same socket
            await self.leave_room(sid, session["conversation_id"])
            self._leave(session["conversation_id"])
        self._join(conversation_id)
        session.update(conversation_id=conversation_id, language=conversation.language if conversation else session["language"])
        await self.save_session(sid, session)
        await self.enter_room(sid, conversation_id)
        await self.emit("session_confirm", conversation_id, to=sid)
        if conversation:
            await self.emit("history", self.desk.shopper_history(conversation), to=sid)
            await self.emit("handoff_status", self.desk.shopper_status(conversation), to=sid)

    async def on_user_uttered(self, sid: str, data: Any = None) -> None:
        session = await self.get_session(sid)
        conversation_id = session["conversation_id"]
        language = session["language"]
        if conversation_id is None:
            return await self._error(sid, "no_session", language)
        if not isinstance(data, dict):
            return await self._error(sid, "invalid_message", language)
        if data.get("session_id") not in (None, conversation_id):
            return await self._error(sid, "no_session", language)  # one socket speaks for one session only
        text = clean_text(data.get("message"))
        if not text:
            return await self._error(sid, "invalid_message", language)
        if len(text) > self.settings.max_message_chars:
            return await self._error(sid, "message_too_long", language, limit=self.settings.max_message_chars)
        if not self.rate.allow(conversation_id):
            return await self._error(sid, "rate_limited", language)
        metadata = clean_metadata(data)
        async with self.desk.lock(conversation_id):
            await self.desk.receive(conversation_id, text, metadata, language)
        session["language"] = metadata.get("language", language)
        await self.save_session(sid, session)

    async def on_typing(self, sid: str, data: Any = None) -> None:
        session = await self.get_session(sid)
        conversation = self.desk.store.conversation(session["conversation_id"]) if session["conversation_id"] else None
        if conversation is not None and isinstance(data, dict):
            await self.desk.shopper_typing(conversation, bool(data.get("active")))

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Unknown events are ignored, and a handler's failure never closes the socket."""
        if not hasattr(self, f"on_{event}"):
            log.debug("ignored unknown shopper event %r", event)
            return None
        try:
            return await super().trigger_event(event, *args)
        except socketio.exceptions.ConnectionRefusedError:
            raise
        except Exception:  # logged with its trace; the shopper gets an honest error
            log.exception("shopper event %s failed", event)
            if event not in ("connect", "disconnect"):
                await self._error(args[0], "server_error", "tr")
            return None

    async def _error(self, sid: str, code: str, language: str, **values: Any) -> None:
        await self.emit("error", texts.error(code, language, **values), to=sid)
