"""Several bridges: telling the others that the desk changed, through a Redis channel.

Messages, offers and statuses reach sockets on any bridge through python-socketio's Redis manager
(rooms are shared). What a bridge does not see by itself is a change made on another one that
alters the desks of its own agents (the queue grew, a colleague's load changed): each bridge
announces its desk changes here, batched, and the others refresh their agents' desks.

Redis pub/sub keeps nothing for a subscriber that is away: while Redis restarts, messages, offers
and desk changes meant for sockets on other bridges are lost. The database holds all of them, so a
bridge whose subscription comes back resynchronises its own sockets from it (Delivery.resync).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Optional, Set
from urllib.parse import urlparse

import redis.asyncio
import socketio
from redis.exceptions import RedisError

from bot.desk import events
from bot.desk.clock import BackgroundTasks

log = logging.getLogger(__name__)

BATCH_SECONDS = 0.05      # like the desk broadcast: a burst of changes is one announcement
RETRY_SECONDS = 1.0
ROOMS, DESK = "rooms", "desk"  # the two subscriptions a bridge needs back before it resynchronises


def channel(redis_url: str, name: str) -> str:
    """Pub/sub channels are shared by the whole Redis server, not kept per database: the database
    number is part of the name, so that two deployments on one server never hear each other
    (an emit to `agent:1` of one would reach agent 1 of the other)."""
    database = (urlparse(redis_url).path or "/0").lstrip("/") or "0"
    return f"kuzey:{database}:{name}"


class RoomsManager(socketio.AsyncRedisManager):
    """python-socketio's Redis manager (rooms shared by the bridges), resubscribing every second
    after losing Redis (its own wait doubles up to a minute, and every emit of another bridge to
    this bridge's sockets is lost until then) and telling the sync when it is back."""

    def __init__(self, redis_url: str):
        super().__init__(redis_url, channel=channel(redis_url, "socketio"))
        self.sync: Optional["BridgeSync"] = None

    async def _redis_listen_with_retries(self):  # python-socketio's loop, with a fixed retry and the report
        while True:
            try:
                self._redis_connect()
                await self.pubsub.subscribe(self.channel)
                if self.sync is not None:
                    await self.sync.back(ROOMS)
                async for message in self.pubsub.listen():
                    yield message
            except Exception as error:  # what python-socketio's own loop catches too
                log.warning("Socket.IO's Redis subscription lost (%s); retrying in %g s", error, RETRY_SECONDS)
                if self.sync is not None:
                    self.sync.lost(ROOMS)
                await asyncio.sleep(RETRY_SECONDS)


class BridgeSync:
    def __init__(self, client: redis.asyncio.Redis, channel_name: str, bridge_id: str, tasks: BackgroundTasks,
                 on_remote_change: Callable[[], Awaitable[None]], resync: Callable[[], Awaitable[None]]):
        self.client = client
        self.channel = channel_name
        self.bridge_id = bridge_id
        self.tasks = tasks
        self.on_remote_change = on_remote_change
        self.resync = resync
        self._pending: Optional[asyncio.Task] = None
        self._lost: Set[str] = set()   # subscriptions down now
        self._missed = False           # something may have been lost since the last resync
        self.subscribed = asyncio.Event()  # (tests) the subscription is live

    def start(self) -> None:
        self.tasks.start(self._listen(), name="bridge sync")

    # --- losing Redis and getting it back --------------------------------------------------------
    def lost(self, subscription: str) -> None:
        if not self._lost:
            log.warning("lost Redis: messages and desk changes of other bridges wait for it")
        self._lost.add(subscription)
        self._missed = True

    async def back(self, subscription: str) -> None:
        """Once every subscription is back, this bridge's sockets get their state from the database."""
        self._lost.discard(subscription)
        if self._missed and not self._lost:
            self._missed = False
            log.info("Redis is back: resynchronising this bridge's sockets from the database")
            await self._run(self.resync)

    # --- desk changes ----------------------------------------------------------------------------
    async def on_desk_changed(self, event: events.DeskChanged) -> None:
        if self._pending is None or self._pending.done():
            self._pending = self.tasks.start(self._announce_soon(), name="announce desk change")

    async def _announce_soon(self) -> None:
        await asyncio.sleep(BATCH_SECONDS)
        self._pending = None
        for attempt in (1, 2):  # the first try after an outage meets a pooled connection Redis broke
            try:
                await self.client.publish(self.channel, self.bridge_id)
                return
            except (RedisError, OSError):
                if attempt == 2:  # the other bridges resynchronise when Redis is back
                    log.warning("could not tell the other bridges that the desk changed (Redis unavailable)")

    async def _listen(self) -> None:
        while True:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self.subscribed.set()
                await self.back(DESK)
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message and message.get("data") != self.bridge_id.encode():
                        await self._run(self.on_remote_change)
            except (RedisError, OSError):
                self.lost(DESK)
                self.subscribed.clear()
                await asyncio.sleep(RETRY_SECONDS)
            finally:
                try:
                    await pubsub.close()
                except (RedisError, OSError):
                    pass

    @staticmethod
    async def _run(work: Callable[[], Awaitable[None]]) -> None:
        """A failure here (the database away) must not end the subscription."""
        try:
            await work()
        except Exception:
            log.exception("bridge sync: %s failed", getattr(work, "__qualname__", work))

    async def close(self) -> None:
        await self.client.close()


def bridge_sync(redis_url: str, bridge_id: str, tasks: BackgroundTasks, on_remote_change, resync,
                rooms: Optional[RoomsManager] = None) -> Optional[BridgeSync]:
    """With REDIS_URL (several bridges), the sync; the embedded single bridge needs none. The client has
    no read timeout: the subscription waits for messages (the limits' client fails fast instead)."""
    if not redis_url:
        return None
    client = redis.asyncio.Redis.from_url(redis_url, socket_connect_timeout=2.0, health_check_interval=10)
    sync = BridgeSync(client, channel(redis_url, "desk_changed"), bridge_id, tasks, on_remote_change, resync)
    if rooms is not None:
        rooms.sync = sync
    return sync
