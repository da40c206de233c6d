"""Several Rasa replicas behind one client: each conversation goes to one replica.

Rasa's open-source lock store is not race-free across replicas (Rasa issue #9213, PR #11256), so
two replicas must not work on one conversation at once. Each conversation is routed by rendezvous
(highest-random-weight) hashing of its id: adding or removing one of N replicas moves only about
1/N of the conversations. A replica that refuses connections or fails its health check is marked
down; its conversations go to the next replica in their own ranking (trackers live in the shared
SQL tracker store, so nothing is lost) until a background probe finds it healthy again.

A turn is retried on the next replica only when the request never reached Rasa (the connection
was refused): a message Rasa may have processed is never sent twice. With one URL this is exactly
the one `RasaClient`.
"""
from __future__ import annotations

import asyncio
import errno
import hashlib
import logging
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, TypeVar

import aiohttp

from bot.desk.rasa_client import BotReply, RasaClient, RasaUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")
# How long a replica stays out after it failed, before the probe asks it again.
DOWN_SECONDS = 5.0
PROBE_INTERVAL_SECONDS = 1.0
UNWRITTEN = "Can not write request body"  # aiohttp 3.9's ClientOSError when sending the request failed


def weight(url: str, conversation_id: str) -> int:
    """A stable pseudo-random weight of the pair (Python's hash() is salted per process)."""
    digest = hashlib.blake2b(f"{url}\x00{conversation_id}".encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def rank(urls: Sequence[str], conversation_id: str) -> List[str]:
    """The replicas in the order this conversation tries them: highest weight first."""
    return sorted(urls, key=lambda url: weight(url, conversation_id), reverse=True)


def never_reached(error: BaseException) -> bool:
    """True when Rasa cannot have processed the request: the TCP connection was not made, or the
    request could not be written (a broken pipe on a kept-alive connection to a replica that died
    since; Rasa reads the whole request before it handles a turn). A connection closed or reset
    while Rasa worked on a written request does not count: it may have processed it."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, aiohttp.ClientConnectorError):
            return True
        if isinstance(error, aiohttp.ClientOSError) and (error.errno == errno.EPIPE or UNWRITTEN in str(error)):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def once(callback: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    """The callback, awaited at most once however often it is called."""
    called = []

    async def first_time_only() -> None:
        if not called:
            called.append(True)
            await callback()
    return first_time_only


class RasaReplicas:
    """The interface of `RasaClient` (send, pause, resume, restart, slots, healthy, start, close)
    over one `RasaClient` per replica URL. Extra keyword arguments go to each `RasaClient`."""

    def __init__(self, urls: Sequence[str], token: str, timeout: float = 30.0,
                 down_seconds: float = DOWN_SECONDS, probe_interval: float = PROBE_INTERVAL_SECONDS, **kwargs: Any):
        urls = [url.rstrip("/") for url in urls]
        if not urls:
            raise ValueError("at least one Rasa URL is needed")
        if len(set(urls)) != len(urls):
            raise ValueError(f"a Rasa URL is listed twice: {urls}")
        self.clients: Dict[str, RasaClient] = {url: RasaClient(url, token, timeout=timeout, **kwargs) for url in urls}
        self.down_seconds = down_seconds
        self.probe_interval = probe_interval
        self._down: Dict[str, float] = {}  # url -> when the probe asks it next
        self._probe: Optional[asyncio.Task] = None
        self._checks: set = set()

    @property
    def urls(self) -> List[str]:
        return list(self.clients)

    def ranking(self, conversation_id: str) -> List[str]:
        """Replicas that are up in the conversation's order, then those marked down (a last
        resort: with every replica down the turn still tries its own, as one client would)."""
        ordered = rank(self.urls, conversation_id)
        return [url for url in ordered if url not in self._down] + [url for url in ordered if url in self._down]

    def replica_for(self, conversation_id: str) -> str:
        """Where this conversation's next turn goes."""
        return self.ranking(conversation_id)[0]

    def is_down(self, url: str) -> bool:
        return url in self._down

    # --- lifetime --------------------------------------------------------------------------

    async def start(self) -> None:
        for client in self.clients.values():
            await client.start()

    async def close(self) -> None:
        for task in [self._probe, *self._checks]:
            if task is not None:
                task.cancel()
        for client in self.clients.values():
            await client.close()

    # --- the client's interface ----------------------------------------------------------------

    @property
    def in_flight(self) -> int:
        return sum(client.in_flight for client in self.clients.values())

    @property
    def waiting(self) -> int:
        return sum(client.waiting for client in self.clients.values())

    async def send(self, sender_id: str, text: str, metadata: Dict[str, Any], **options: Any) -> List[BotReply]:
        """`options` (the client's `on_busy`) go to the replica's client; a turn retried on the
        next replica does not tell the shopper twice that it waits."""
        if options.get("on_busy") is not None:
            options["on_busy"] = once(options["on_busy"])
        return await self._routed(sender_id, lambda client: client.send(sender_id, text, metadata, **options))

    async def pause(self, sender_id: str) -> None:
        await self._routed(sender_id, lambda client: client.pause(sender_id))

    async def resume(self, sender_id: str) -> None:
        await self._routed(sender_id, lambda client: client.resume(sender_id))

    async def restart(self, sender_id: str) -> None:
        await self._routed(sender_id, lambda client: client.restart(sender_id))

    async def slots(self, sender_id: str) -> Dict[str, Any]:
        """A tracker always has slots: none back means the replica failed (RasaClient says {}),
        so when it is also unhealthy, the next replica reads the same tracker."""
        for url in self.ranking(sender_id)[:2]:
            slots = await self.clients[url].slots(sender_id)
            if slots or len(self.clients) == 1 or await self._check(url):
                return slots
        return {}

    async def healthy(self) -> bool:
        """True when any replica answers; the ones that do not are marked down."""
        answers = await asyncio.gather(*(self._check(url) for url in self.urls))
        return any(answers)

    # --- routing and failover ----------------------------------------------------------------

    async def _routed(self, sender_id: str, call: Callable[[RasaClient], Awaitable[T]]) -> T:
        """The conversation's replica, or the next one when the first never got the request."""
        ranking = self.ranking(sender_id)[:2]
        for url in ranking:
            try:
                return await call(self.clients[url])
            except RasaUnavailable as error:
                if len(self.clients) == 1:
                    raise
                if not never_reached(error):
                    # It may have processed the turn: no retry, but do not send it the next one blind.
                    self._check_soon(url)
                    raise
                self._mark_down(url, error)
                if url == ranking[-1]:
                    raise
                log.warning("Rasa replica %s refused the connection; %s goes to %s", url, sender_id, ranking[1])
        raise AssertionError("unreachable: the last replica's failure is raised")

    async def _check(self, url: str) -> bool:
        """Asks the replica; marks it down or takes it back (never with one replica)."""
        ok = await self.clients[url].healthy()
        if len(self.clients) > 1:
            if ok and url in self._down:
                del self._down[url]
                log.info("Rasa replica %s is back", url)
            elif not ok:
                self._mark_down(url, "health check failed")
        return ok

    def _check_soon(self, url: str) -> None:
        task = asyncio.get_running_loop().create_task(self._check(url))
        self._checks.add(task)
        task.add_done_callback(self._checks.discard)

    def _mark_down(self, url: str, reason: Any) -> None:
        if url not in self._down:
            log.warning("Rasa replica %s is down (%s)", url, reason)
        self._down[url] = time.monotonic() + self.down_seconds
        if self._probe is None or self._probe.done():
            self._probe = asyncio.get_running_loop().create_task(self._probe_down_replicas())

    async def _probe_down_replicas(self) -> None:
        """While a replica is down: ask it again once its time is up; back when healthy."""
        while self._down:
            await asyncio.sleep(self.probe_interval)
            now = time.monotonic()
            for url in [url for url, retry_at in self._down.items() if retry_at <= now]:
                await self._check(url)  # back when healthy, else down for another `down_seconds`
