"""The shopper namespace "/": Rasa's SocketIOInput protocol plus our events (docs/live-chat.md).

Checks every event before the desk sees it; a rejected message gets an `error` event and
changes nothing stored. One lock per conversation keeps a session's messages in order.
Card numbers, CVVs, TCKNs and IBANs are masked here, before the desk stores, spools or forwards
anything (bot/privacy/masking.py), and the shopper is asked once per conversation not to share them.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Any, Dict, Optional

import socketio
from sqlalchemy.exc import SQLAlchemyError

from bot.desk import events, texts
from bot.desk.shared_limits import LocalConnectionCount, LocalMessageRate
from bot.desk.store import new_session_id
from bot.desk.wiring import Desk
from bot.privacy import consent, shopper_choices
from bot.privacy.masking import mask_sensitive, mask_url, mask_values
from bot.settings import Settings

log = logging.getLogger(__name__)

METADATA_KEYS = ("language", "lang", "locale", "customer_token", "page_url")
MAX_SESSION_ID = 64
# The ids we hand out (secrets.token_urlsafe). Anything else is not one of ours and is never looked up:
# a lone surrogate or a NUL in it would make the database driver raise instead of finding nothing.
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{1,%d}" % MAX_SESSION_ID)


def is_session_id(value: Any) -> bool:
    return isinstance(value, str) and SESSION_ID.fullmatch(value) is not None


def forged_reserved_event(namespace: socketio.AsyncNamespace, sid: str) -> bool:
    """A real connect or disconnect runs while python-socketio holds the socket half-connected; an
    event a client sends under those names comes from a connected socket and must not count."""
    return namespace.server.manager.is_connected(sid, namespace.namespace)


def chosen_language(data: Any, fallback: str) -> str:
    """The page language an event names (`{"language": "en"}`), else the session's."""
    language = data.get("language") if isinstance(data, dict) else None
    return language if language in ("tr", "en") else fallback


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
    if metadata.get("page_url"):  # a payment page's query string may carry a card number
        metadata["page_url"] = mask_url(metadata["page_url"])
    return mask_values(metadata)  # the signed customer_token is left as it is


class ShopperNamespace(socketio.AsyncNamespace):
    def __init__(self, desk: Desk, settings: Settings, rate=None, connections=None):
        super().__init__("/")
        self.desk = desk
        self.settings = settings
        # Per client address and per conversation, shared by the bridges through Redis when there is
        # one (bot/desk/shared_limits.py).
        self.connections = connections or LocalConnectionCount(settings.connections_per_address)
        self.rate = rate or LocalMessageRate(settings.messages_per_second, settings.message_burst)
        self.sockets: Counter = Counter()  # open sockets per conversation, to forget idle ones
        self.warned: set = set()  # conversations already told not to share card or ID data (also stored)

    async def on_connect(self, sid: str, environ: Dict[str, Any], auth: Any = None) -> None:
        address = client_address(environ, self.settings.trust_proxy)
        if not await self.connections.opened(address, sid):
            raise socketio.exceptions.ConnectionRefusedError(texts.error("too_many_connections", "tr"))
        await self.save_session(sid, {"address": address, "conversation_id": None, "language": "tr"})

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        session = await self.get_session(sid)
        await self.connections.closed(session["address"], sid)
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
            self.desk.forget(conversation_id)
            self.warned.discard(conversation_id)
        self.rate.sweep()  # a bucket goes only once refilled: reconnecting does not reset the rate

    async def on_session_request(self, sid: str, data: Any = None) -> None:
        session = await self.get_session(sid)
        requested = data.get("session_id") if isinstance(data, dict) else None
        valid = is_session_id(requested)
        try:
            conversation = self.desk.store.conversation(requested) if valid else None
            if conversation is not None and conversation.ended_at is not None:
                conversation = None  # the shopper ended it ("end chat"): never resumed, not even its history
            # A conversation is stored from its first message (or the notice acknowledged); until then
            # the id only lives here.
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
            await self.emit("history", self.desk.panels.shopper_history(conversation), to=sid)
            await self.emit("handoff_status", self.desk.panels.shopper_status(conversation), to=sid)

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
        if not await self.rate.allowed(conversation_id):
            return await self._error(sid, "rate_limited", language)
        metadata = clean_metadata(data)
        masked = mask_sensitive(text)
        async with self.desk.conversations.lock(conversation_id):
            await self.desk.inbound.receive(conversation_id, masked.text, metadata, language, session["address"])
            if masked.changed:
                await self._warn_once(conversation_id, metadata.get("language", language))
        session["language"] = metadata.get("language", language)
        await self.save_session(sid, session)

    async def _warn_once(self, conversation_id: str, language: str) -> None:
        """Kindly, once per conversation (across reconnects and restarts: the stored transcript
        decides), the shopper is asked not to write card or identity data into the chat."""
        if conversation_id in self.warned:
            return
        notices = set(texts.TEXTS["sensitive_data_masked"].values())
        try:
            conversation = self.desk.store.conversation(conversation_id)
            if conversation is None:
                return
            if not any(m.sender == "system" and m.text in notices
                       for m in self.desk.store.messages(conversation_id, include_notes=False)):
                await self.desk.conversations.system_message(conversation, "sensitive_data_masked")
        except SQLAlchemyError:  # the message went to the spool: the notice is only delivered
            await self.desk.bus.publish(events.MessageUnstored(conversation_id, texts.say("sensitive_data_masked", language)))
        self.warned.add(conversation_id)

    async def on_typing(self, sid: str, data: Any = None) -> None:
        session = await self.get_session(sid)
        if session["conversation_id"] and isinstance(data, dict):
            await self.desk.bus.publish(events.Typing(session["conversation_id"], "shopper", bool(data.get("active"))))

    # --- privacy: the notice, marketing e-mails, "end chat" (bot/privacy/, docs/live-chat.md) ---
    async def on_privacy_state(self, sid: str, data: Any = None) -> Dict[str, Any]:
        session = await self.get_session(sid)
        language = chosen_language(data, session["language"])
        if session["conversation_id"] is None:
            return consent.failure("no_session", language)
        try:
            return shopper_choices.privacy_state(self.desk.store.session, session["conversation_id"], language)
        except SQLAlchemyError:  # the database is down: the widget lets the shopper chat (the spool keeps it)
            return consent.failure("server_error", language)

    async def on_consent(self, sid: str, data: Any = None) -> Dict[str, Any]:
        session = await self.get_session(sid)
        conversation_id, language = session["conversation_id"], chosen_language(data, session["language"])
        if conversation_id is None:
            return consent.failure("no_session", language)
        try:
            async with self.desk.conversations.lock(conversation_id):
                return shopper_choices.choose(self.desk.store.session, self.desk.customers.session, conversation_id, data)
        except consent.ConsentError as refused:
            return refused.answer(language)
        except SQLAlchemyError:
            return consent.failure("server_error", language)

    async def on_end_session(self, sid: str, data: Any = None) -> Dict[str, Any]:
        """"End chat" on a shared device: the conversation ends for good and every socket of the
        session (other tabs too) gets `session_ended` and is let go; a new session_request starts afresh."""
        session = await self.get_session(sid)
        conversation_id, language = session["conversation_id"], session["language"]
        requested = data.get("session_id") if isinstance(data, dict) else None
        if conversation_id is None or requested not in (None, conversation_id):
            return consent.failure("no_session", language)
        async with self.desk.conversations.lock(conversation_id):
            await self.desk.conversations.end(conversation_id, language)
        await self.emit("session_ended", {"session_id": conversation_id}, room=conversation_id)
        for other, _ in list(self.server.manager.get_participants(self.namespace, conversation_id)):
            other_session = await self.get_session(other)
            if other_session.get("conversation_id") == conversation_id:
                await self.leave_room(other, conversation_id)
                self._leave(conversation_id)
                await self.save_session(other, {**other_session, "conversation_id": None})
        return {"ok": True}

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Unknown events are ignored, and a handler's failure never closes the socket."""
        if event in ("connect", "disconnect") and forged_reserved_event(self, args[0]):
            return None
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
