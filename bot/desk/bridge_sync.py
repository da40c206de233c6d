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
from typing import Awaitable, Callable, Optional

import redis.asyncio
from redis.exceptions import RedisError

from bot.desk import events
from bot.desk.clock import BackgroundTasks

log = logging.getLogger(__name__)

CHANNEL = "kuzey:desk_changed"
BATCH_SECONDS = 0.05      # like the desk broadcast: a burst of changes is one announcement
RETRY_SECONDS = 1.0


class BridgeSync:
    def __init__(self, client: redis.asyncio.Redis, bridge_id: str, tasks: BackgroundTasks,
                 on_remote_change: Callable[[], Awaitable[None]], resync: Callable[[], Awaitable[None]]):
        self.client = client
        self.bridge_id = bridge_id
        self.tasks = tasks
        self.on_remote_change = on_remote_change
        self.resync = resync
        self._pending: Optional[asyncio.Task] = None
        self.subscribed = asyncio.Event()  # (tests) the subscription is live

    def start(self) -> None:
        self.tasks.start(self._listen(), name="bridge sync")

    async def on_desk_changed(self, event: events.DeskChanged) -> None:
        if self._pending is None or self._pending.done():
            self._pending = self.tasks.start(self._announce_soon(), name="announce desk change")

    async def _announce_soon(self) -> None:
        await asyncio.sleep(BATCH_SECONDS)
        self._pending = None
        try:
            await self.client.publish(CHANNEL, self.bridge_id)
        except (RedisError, OSError):  # the other bridges resynchronise when Redis is back
            log.warning("could not tell the other bridges that the desk changed (Redis unavailable)")

    async def _listen(self) -> None:
        lost = False
        while True:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(CHANNEL)
                self.subscribed.set()
                if lost:
                    log.info("Redis is back: resynchronising this bridge's sockets from the database")
                    await self._run(self.resync)
                    lost = False
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message and message.get("data") != self.bridge_id.encode():
                        await self._run(self.on_remote_change)
            except (RedisError, OSError) as error:
                if not lost:
                    log.warning("lost Redis (%s); desk changes of other bridges wait for it", error)
                lost = True
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


def bridge_sync(redis_url: str, bridge_id: str, tasks: BackgroundTasks, on_remote_change, resync) -> Optional[BridgeSync]:
    """With REDIS_URL (several bridges), the sync; the embedded single bridge needs none. The client has
    no read timeout: the subscription waits for messages (the limits' client fails fast instead)."""
    if not redis_url:
        return None
    client = redis.asyncio.Redis.from_url(redis_url, socket_connect_timeout=2.0, health_check_interval=10)
    return BridgeSync(client, bridge_id, tasks, on_remote_change, resync)
