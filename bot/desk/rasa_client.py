"""The bridge's view of Rasa: its REST channel for messages and its tracker API for pausing.

Overload: Rasa answers on one CPU-bound event loop, so more turns at once do not make it answer
more per second; they only make every turn slower until turns pass the HTTP timeout. So each
client (one per Rasa replica) lets at most `max_in_flight` turns be at Rasa at once; the others
wait in the bridge, first come first served, and the timeout starts only when a turn is sent.
Waiting is not an outage: it never raises `RasaUnavailable`. A turn that waits longer than
`busy_notice_seconds` calls its `on_busy` callback once (the shopper is told "one moment").

The REST channel (bot/channels.py) answers a list of messages; the bridge turns them into
`BotReply`s. Custom payloads (`handoff_request`, `handoff_offer`, `complaint`) arrive as `custom`,
and so does what the assistant read (`nlu`), from which `understood()` decides whether the
assistant understood the shopper.
"""
from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Sequence

import aiohttp
import yaml

from bot import contract
from bot.desk.texts import quick_reply
from bot.settings import PROJECT_ROOT, Settings

# The assistant read the message but has nothing to say to it: it asked back (`nlu_fallback`) or
# said it cannot help (`out_of_scope`).
NOT_UNDERSTOOD_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
# Used when config.yml has no FallbackClassifier threshold.
DEFAULT_FALLBACK_THRESHOLD = 0.4
CONFIG = PROJECT_ROOT / "config.yml"
# Turns at one Rasa at once, and the wait after which a shopper hears "one moment": the settings'
# defaults (RASA_MAX_IN_FLIGHT, RASA_BUSY_NOTICE_SECONDS; measured in docs/benchmarks.md, "Overload").
DEFAULT_MAX_IN_FLIGHT: int = Settings.__fields__["rasa_max_in_flight"].default
DEFAULT_BUSY_NOTICE_SECONDS: float = Settings.__fields__["rasa_busy_notice_seconds"].default

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=None)
def fallback_threshold(config: Path = CONFIG) -> float:
    """The FallbackClassifier's threshold in config.yml: below it the assistant is not sure."""
    try:
        pipeline = (yaml.safe_load(config.read_text(encoding="utf-8")) or {}).get("pipeline") or []
    except (OSError, yaml.YAMLError):
        return DEFAULT_FALLBACK_THRESHOLD
    for component in pipeline:
        if isinstance(component, dict) and component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", DEFAULT_FALLBACK_THRESHOLD))
    return DEFAULT_FALLBACK_THRESHOLD


def nlu_reading(replies: Sequence["BotReply"]) -> Dict[str, Any]:
    """What the assistant read of the shopper's message (bot/channels.py), {} when not told."""
    readings = (contract.read_signal(reply.custom) for reply in replies if reply.custom)
    return next((dict(signal.reading) for signal in readings if isinstance(signal, contract.NluReading)), {})


def understood(nlu: Mapping[str, Any], threshold: Optional[float] = None) -> bool:
    """Did the assistant understand the message? Not when it asked back or said it cannot help,
    nor when it was unsure: the intent's confidence, or for FAQ answers the topic's, below the
    FallbackClassifier's threshold (the topic's confidence is not checked by Rasa itself; on the
    held-out sets 0.4 flags none of 212 right FAQ answers and 1 of 6 wrong ones). A turn without
    a reading (an older channel) counts as understood."""
    intent = nlu.get("intent")
    if not intent:
        return True
    if intent in NOT_UNDERSTOOD_INTENTS:
        return False
    limit = fallback_threshold() if threshold is None else threshold
    return all(not isinstance(nlu.get(key), (int, float)) or nlu[key] >= limit
               for key in ("confidence", "topic_confidence"))


class RasaUnavailable(Exception):
    """Rasa did not answer: the connection was refused, it answered an error, or a turn already
    sent to it passed the timeout. Never raised for a turn that only waited for its place."""


@dataclass
class BotReply:
    text: str = ""
    quick_replies: List[Dict[str, str]] = field(default_factory=list)
    custom: Optional[Dict[str, Any]] = None
    image: Optional[str] = None


def parse_replies(raw: Any) -> List[BotReply]:
    replies: List[BotReply] = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        buttons = [quick_reply(str(b.get("title", "")), str(b.get("payload", b.get("title", ""))))
                   for b in item.get("buttons") or [] if isinstance(b, dict)]
        custom = item.get("custom") if isinstance(item.get("custom"), dict) else None
        reply = BotReply(text=str(item.get("text") or ""), quick_replies=buttons, custom=custom, image=item.get("image"))
        # Rasa sends buttons as their own message after a text-less `utter_message(buttons=...)`.
        if not reply.text and reply.quick_replies and replies and not replies[-1].quick_replies and replies[-1].text:
            replies[-1].quick_replies = reply.quick_replies
            continue
        replies.append(reply)
    return replies


class RasaClient:
    def __init__(self, base_url: str, token: str, timeout: float = 30.0, *,
                 max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
                 busy_notice_seconds: float = DEFAULT_BUSY_NOTICE_SECONDS):
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.max_in_flight = max_in_flight
        self.busy_notice_seconds = busy_notice_seconds
        # asyncio's Semaphore lets waiters in in the order they came (a newcomer never passes one).
        self._places = asyncio.Semaphore(max_in_flight)
        self.in_flight = 0  # turns sent to Rasa and not answered yet
        self.waiting = 0    # turns waiting in the bridge for a place
        self._http: Optional[aiohttp.ClientSession] = None

    async def start(self) -> None:
        self._http = aiohttp.ClientSession(timeout=self.timeout)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def send(self, sender_id: str, text: str, metadata: Dict[str, Any], *,
                   on_busy: Optional[Callable[[], Awaitable[None]]] = None) -> List[BotReply]:
        """The assistant's answer. Waits for a place first (see the module's doc); raises
        RasaUnavailable only when Rasa is down or a turn sent to it passed the timeout."""
        await self._take_place(on_busy)
        self.in_flight += 1
        try:
            return await self._post_turn(sender_id, text, metadata)
        finally:
            self.in_flight -= 1
            self._places.release()

    async def _take_place(self, on_busy: Optional[Callable[[], Awaitable[None]]]) -> None:
        if not self._places.locked():
            await self._places.acquire()
            return
        self.waiting += 1
        taking = asyncio.ensure_future(self._places.acquire())
        try:
            done, _ = await asyncio.wait({taking}, timeout=self.busy_notice_seconds)
            if not done and on_busy is not None:
                try:
                    await on_busy()  # the place is kept in the queue meanwhile
                except Exception:  # a courtesy: the turn goes on without it
                    log.exception("the busy notice failed")
            await taking
        except BaseException:  # cancelled (the shopper left, shutdown): give the place back
            if not taking.cancel() and not taking.cancelled() and taking.exception() is None:
                self._places.release()
            raise
        finally:
            self.waiting -= 1

    async def _post_turn(self, sender_id: str, text: str, metadata: Dict[str, Any]) -> List[BotReply]:
        body = {"sender": sender_id, "message": text, "metadata": metadata}
        try:
            # The token vouches for the metadata's client_address (bot/channels.py).
            async with self._http.post(f"{self.base_url}/webhooks/rest/webhook", params={"token": self.token},
                                       json=body) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa answered {response.status}")
                return parse_replies(await response.json())
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise RasaUnavailable(str(error) or type(error).__name__) from error

    async def pause(self, sender_id: str) -> None:
        """Marks the tracker paused while a person has the chat (the bridge still decides)."""
        await self._append_events(sender_id, [{"event": "pause"}])

    async def resume(self, sender_id: str) -> None:
        await self._append_events(sender_id, [{"event": "resume"}, {"event": "action", "name": "action_listen"}])

    async def restart(self, sender_id: str) -> None:
        """Forgets the conversation's state ("end chat"): every slot back to its start, no pause."""
        await self._append_events(sender_id, [{"event": "restart"}])

    async def slots(self, sender_id: str) -> Dict[str, Any]:
        try:
            async with self._http.get(f"{self.base_url}/conversations/{sender_id}/tracker",
                                      params={"token": self.token, "include_events": "NONE"}) as response:
                if response.status != 200:
                    return {}
                return (await response.json()).get("slots") or {}
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            return {}

    async def healthy(self) -> bool:
        try:
            async with self._http.get(f"{self.base_url}/", timeout=aiohttp.ClientTimeout(total=2)) as response:
                return response.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False

    async def _append_events(self, sender_id: str, events: List[Dict[str, Any]]) -> None:
        try:
            async with self._http.post(f"{self.base_url}/conversations/{sender_id}/tracker/events",
                                       params={"token": self.token}, json=events) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa answered {response.status} to tracker events")
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise RasaUnavailable(str(error)) from error
