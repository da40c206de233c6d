"""Asynchronous clients that time one conversational turn: Rasa's REST channel, a shopper on the
bridge's "/" namespace and an agent on "/agents" (protocols in docs/live-chat.md).

A bridge turn has no end marker: the bridge sends each assistant message as its own
`bot_uttered`, right after one another once Rasa has answered. A turn's *first* message is the
first `bot_uttered`; the turn is *complete* at the last `bot_uttered` before `quiet` seconds of
silence (that silence is not counted). The bridge's "one moment" notice while Rasa is busy is not
an answer: it is counted apart (`Turn.notices`) and the turn is timed to the real answer.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import aiohttp
import socketio

from bot.desk import texts

DEFAULT_TIMEOUT = 30.0
QUIET = 0.3
HANDED_OVER_STATES = ("queued", "agent", "ticket")  # a `handoff_status` that takes the chat from the assistant

# python-engineio 4.15's AsyncClient builds `aiohttp.ClientWSTimeout(ws_close=...)` for its
# websocket, a class of aiohttp 3.10+; Rasa pins aiohttp 3.9, whose ws_connect takes the close
# timeout as a plain number. Without this shim the async client cannot open a websocket here.
if not hasattr(aiohttp, "ClientWSTimeout"):
    aiohttp.ClientWSTimeout = lambda ws_close=10.0, ws_receive=None: ws_close


def now() -> float:
    return time.perf_counter()


@dataclass
class Turn:
    """One message and its answer; times are seconds since the message was sent."""

    first: Optional[float] = None
    last: Optional[float] = None
    typing: Optional[float] = None  # the bridge's "bot is typing": it has stored the message and asks Rasa
    messages: List[Dict[str, Any]] = field(default_factory=list)
    error: Optional[str] = None  # "timeout", "http_500", an `error` event's code, ...
    notices: List[float] = field(default_factory=list)  # "one moment" notices (busy assistant), when they came
    handed_over: bool = False  # told the assistant is unavailable, or moved to the queue / a ticket

    @property
    def ok(self) -> bool:
        return self.error is None and self.first is not None

    @property
    def first_ms(self) -> Optional[float]:
        return None if self.first is None else self.first * 1000

    @property
    def last_ms(self) -> Optional[float]:
        return None if self.last is None else self.last * 1000

    @property
    def typing_ms(self) -> Optional[float]:
        return None if self.typing is None else self.typing * 1000

    def text(self) -> str:
        return " ".join(m.get("text") or "" for m in self.messages)

    def senders(self) -> List[str]:
        return [(m.get("metadata") or {}).get("sender", "bot") for m in self.messages]


async def rest_turn(http: aiohttp.ClientSession, url: str, sender: str, text: str,
                    metadata: Dict[str, Any], timeout: float = DEFAULT_TIMEOUT) -> Turn:
    """One POST to Rasa's REST channel; the whole answer arrives at once."""
    started = now()
    try:
        async with http.post(url, json={"sender": sender, "message": text, "metadata": metadata},
                             timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            body = await response.json()
            elapsed = now() - started
            if response.status != 200:
                return Turn(error=f"http_{response.status}")
    except asyncio.TimeoutError:
        return Turn(error="timeout")
    except (aiohttp.ClientError, ValueError) as error:
        return Turn(error=type(error).__name__)
    return Turn(first=elapsed, last=elapsed, messages=body if isinstance(body, list) else [])


def is_busy_notice(message: Dict[str, Any]) -> bool:
    """The bridge's "one moment" (bot/desk/texts.py): marked in the metadata, or a system message
    with its words."""
    metadata = message.get("metadata") or {}
    return metadata.get(texts.NOTICE) == texts.ASSISTANT_BUSY or (
        metadata.get("sender") == "system" and texts.is_busy_notice(message.get("text") or ""))


def is_unavailable_notice(message: Dict[str, Any]) -> bool:
    """The bridge telling the shopper the assistant cannot answer (then handing them to people)."""
    metadata = message.get("metadata") or {}
    return metadata.get("sender") == "system" and (message.get("text") or "") in texts.TEXTS["assistant_unavailable"].values()


def is_handover(event: str, data: Any) -> bool:
    """Does this event take the chat from the assistant (queue, agent, ticket, "unavailable")?"""
    if not isinstance(data, dict):
        return False
    return ((event == "handoff_status" and data.get("state") in HANDED_OVER_STATES)
            or (event == "bot_uttered" and is_unavailable_notice(data)))


class Inbox:
    """Events as they arrive, with the moment they arrived."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue = asyncio.Queue()

    def handler(self, name: str):
        def record(data: Any = None) -> None:
            self.queue.put_nowait((now(), name, data))
        return record

    def clear(self) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()

    async def next(self, timeout: float):
        return await asyncio.wait_for(self.queue.get(), max(timeout, 0.001))

    async def wait_for(self, name: str, where=lambda _: True, timeout: float = DEFAULT_TIMEOUT):
        """(arrival time, data) of the first event `name` that satisfies `where`; earlier ones are dropped."""
        deadline = now() + timeout
        while True:
            arrived, event, data = await self.next(deadline - now())
            if event == name and where(data):
                return arrived, data


class ShopperSocket:
    """A shopper on the bridge: python-socketio's AsyncClient over a websocket."""

    EVENTS = ("session_confirm", "bot_uttered", "history", "handoff_status", "typing", "error")

    def __init__(self, url: str, language: str = "tr"):
        self.url = url
        self.metadata = {"language": language}
        self.inbox = Inbox()
        self.sio = socketio.AsyncClient(reconnection=False)
        for name in self.EVENTS:
            self.sio.on(name, self._handler(name))
        self.session_id: Optional[str] = None
        self.handed_over = False  # at any time, also between turns or after a turn timed out

    def _handler(self, name: str):
        put = self.inbox.handler(name)

        def record(data: Any = None) -> None:
            self.handed_over = self.handed_over or is_handover(name, data)
            put(data)
        return record

    async def connect(self, timeout: float = DEFAULT_TIMEOUT) -> "ShopperSocket":
        await self.sio.connect(self.url, transports=["websocket"], wait_timeout=timeout)
        await self.sio.emit("session_request", {"session_id": None})
        _, self.session_id = await self.inbox.wait_for("session_confirm", timeout=timeout)
        return self

    async def turn(self, text: str, timeout: float = DEFAULT_TIMEOUT, quiet: float = QUIET) -> Turn:
        self.inbox.clear()
        started = now()
        await self.sio.emit("user_uttered", {"message": text, "session_id": self.session_id, "metadata": self.metadata})
        return await self.answer(started, timeout, quiet)

    async def answer(self, started: float, timeout: float = DEFAULT_TIMEOUT, quiet: float = QUIET,
                     where=lambda _: True) -> Turn:
        """The `bot_uttered` events (that satisfy `where`) up to `quiet` seconds of silence."""
        turn = Turn()
        deadline = started + timeout
        while True:
            wait = deadline - now() if turn.first is None else quiet
            try:
                arrived, event, data = await self.inbox.next(wait)
            except asyncio.TimeoutError:
                if turn.first is None:
                    turn.error = "timeout"
                return turn
            if event == "error":
                turn.error = (data or {}).get("code", "error") if isinstance(data, dict) else "error"
                return turn
            if event == "typing" and turn.typing is None and isinstance(data, dict) and data.get("active"):
                turn.typing = arrived - started
            turn.handed_over = turn.handed_over or is_handover(event, data)
            if event == "bot_uttered" and isinstance(data, dict) and is_busy_notice(data):
                turn.notices.append(arrived - started)  # not an answer: the wait for one goes on
                continue
            if event == "bot_uttered" and isinstance(data, dict) and where(data):
                turn.messages.append(data)
                turn.first = turn.first if turn.first is not None else arrived - started
                turn.last = arrived - started

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


class AgentSocket:
    """A logged-in agent on "/agents"; every action is a call with an acknowledgement."""

    EVENTS = ("desk", "offer", "offer_withdrawn", "message", "conversation_closed")

    def __init__(self, url: str):
        self.url = url
        self.inbox = Inbox()
        self.sio = socketio.AsyncClient(reconnection=False)
        for name in self.EVENTS:
            self.sio.on(name, self.inbox.handler(name), namespace="/agents")

    async def connect(self, username: str, password: str) -> "AgentSocket":
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{self.url}/api/login", json={"username": username, "password": password}) as response:
                response.raise_for_status()
                token = (await response.json())["token"]
        await self.sio.connect(self.url, namespaces=["/agents"], auth={"token": token}, transports=["websocket"],
                               wait_timeout=DEFAULT_TIMEOUT)
        await self.inbox.wait_for("desk")
        return self

    async def call(self, event: str, data: Dict[str, Any], timeout: float = DEFAULT_TIMEOUT) -> Dict[str, Any]:
        answer = await self.sio.call(event, data, namespace="/agents", timeout=timeout)
        if not answer.get("ok"):
            raise RuntimeError(f"agent {event} failed: {answer.get('error')}")
        return answer

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()
