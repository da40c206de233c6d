"""Abuse limits shared by every bridge through Redis (REDIS_URL): a shopper's message rate and the
open sockets per address hold across bridges, so a second bridge is not a second allowance (the
desk's login failures: bot/desk/shared_login.py).

Without REDIS_URL the bridge keeps them in memory (bot/desk/limits.py), as one bridge always did.
When Redis does not answer, each bridge falls back to its own memory for `RETRY_SECONDS` (the
limits still hold, per bridge) and says so in its log, rather than refusing every shopper and
agent or letting everything through.
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Awaitable, Callable, Dict, Optional, Set, TypeVar

import redis
import redis.asyncio

from bot.desk.limits import ConnectionCount, MessageRate

log = logging.getLogger(__name__)

PREFIX = "kuzey:"
RETRY_SECONDS = 10.0  # after a failed Redis call, this bridge's memory decides for this long
TIMEOUT_SECONDS = 0.5

# A token bucket per key, refilled continuously, on Redis's own clock (bridges on several machines
# need not agree on the time). Returns 1 when a message may go ahead.
TOKEN_BUCKET = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1]) or burst
local updated = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return allowed
"""


# Open sockets per client address across bridges: one sorted-set member per socket, scored by when it
# lapses. A bridge refreshes its own sockets every CONNECTION_REFRESH_SECONDS; those of a bridge that
# died lapse after CONNECTION_TTL_SECONDS, so a crash does not lock an address out for good.
CONNECTION_TTL_SECONDS = 120
CONNECTION_REFRESH_SECONDS = 40.0
OPEN_CONNECTION = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""
REFRESH_CONNECTIONS = """
local clock = redis.call('TIME')
local lapses = tonumber(clock[1]) + tonumber(clock[2]) / 1000000 + tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[i - 1], 'XX', lapses, ARGV[i])
  redis.call('EXPIRE', KEYS[i - 1], tonumber(ARGV[1]))
end
return 0
"""


REDIS_FAILURES = (redis.RedisError, OSError)
T = TypeVar("T")


class Fallback:
    """Remembers when Redis last failed, so that a dead Redis costs one timeout per RETRY_SECONDS,
    not one per message."""

    def __init__(self, what: str, clock: Callable[[], float] = time.monotonic):
        self.what = what
        self.clock = clock
        self.failed_at: Optional[float] = None

    def active(self) -> bool:
        return self.failed_at is not None and self.clock() - self.failed_at < RETRY_SECONDS

    def failed(self, error: Exception) -> None:
        if self.failed_at is None:
            log.warning("Redis unavailable for %s (%s): this bridge's own limits apply until it answers", self.what, error)
        self.failed_at = self.clock()

    def recovered(self) -> None:
        if self.failed_at is not None:
            log.info("Redis answers again: %s is shared by the bridges again", self.what)
        self.failed_at = None

    def run(self, in_redis: Callable[[], T], in_memory: Callable[[], T]) -> T:
        """`in_redis()`, or `in_memory()` while Redis is failing or when this call fails."""
        if self.active():
            return in_memory()
        try:
            result = in_redis()
        except REDIS_FAILURES as error:
            self.failed(error)
            return in_memory()
        self.recovered()
        return result

    async def run_async(self, in_redis: Callable[[], Awaitable[T]], in_memory: Callable[[], T]) -> T:
        """The same for an awaitable Redis call."""
        if self.active():
            return in_memory()
        try:
            result = await in_redis()
        except REDIS_FAILURES as error:
            self.failed(error)
            return in_memory()
        self.recovered()
        return result


class LocalMessageRate(MessageRate):
    """One bridge's message rate, with the interface of the shared one."""

    async def allowed(self, conversation_id: str) -> bool:
        return self.allow(conversation_id)


class RedisMessageRate:
    """Messages per conversation across all bridges: `rate` a second, `burst` at once."""

    def __init__(self, client: redis.asyncio.Redis, rate: float, burst: int, prefix: str = PREFIX + "rate:"):
        self.client = client
        self.rate, self.burst = rate, burst
        self.prefix = prefix
        self.script = client.register_script(TOKEN_BUCKET)
        self.local = LocalMessageRate(rate, burst)
        self.fallback = Fallback("the shoppers' message rate")

    async def allowed(self, conversation_id: str) -> bool:
        async def in_redis() -> bool:
            return bool(await self.script(keys=[self.prefix + conversation_id], args=[self.rate, self.burst]))

        return await self.fallback.run_async(in_redis, lambda: self.local.allow(conversation_id))

    def sweep(self) -> None:
        self.local.sweep()  # Redis expires its own buckets


class LocalConnectionCount(ConnectionCount):
    """One bridge's open sockets per address, with the interface of the shared one."""

    async def opened(self, address: str, sid: str) -> bool:
        return self.try_open(address)

    async def closed(self, address: str, sid: str) -> None:
        self.close(address)

    async def refresh(self) -> None:
        pass


class RedisConnectionCount:
    """At most `limit` open sockets per client address across all bridges."""

    def __init__(self, client: redis.asyncio.Redis, limit: int, prefix: str = PREFIX + "connections:"):
        self.client = client
        self.limit = limit
        self.prefix = prefix
        self.bridge = uuid.uuid4().hex[:12]  # this process's sockets, told apart from other bridges'
        self.open_script = client.register_script(OPEN_CONNECTION)
        self.refresh_script = client.register_script(REFRESH_CONNECTIONS)
        self.shared: Dict[str, Set[str]] = {}  # address -> sids counted in Redis
        self.local = LocalConnectionCount(limit)  # sockets counted while Redis did not answer
        self.local_sids: Set[str] = set()
        self.fallback = Fallback("the open connections per address")

    def _member(self, sid: str) -> str:
        return f"{self.bridge}:{sid}"

    async def opened(self, address: str, sid: str) -> bool:
        async def in_redis() -> bool:
            allowed = await self.open_script(keys=[self.prefix + address],
                                             args=[self.limit, self._member(sid), CONNECTION_TTL_SECONDS])
            if allowed:
                self.shared.setdefault(address, set()).add(sid)
            return bool(allowed)

        def in_memory() -> bool:
            if not self.local.try_open(address):
                return False
            self.local_sids.add(sid)
            return True

        return await self.fallback.run_async(in_redis, in_memory)

    async def closed(self, address: str, sid: str) -> None:
        if sid in self.local_sids:
            self.local_sids.discard(sid)
            self.local.close(address)
            return
        sids = self.shared.get(address, set())
        sids.discard(sid)
        if not sids:
            self.shared.pop(address, None)
        try:
            await self.client.zrem(self.prefix + address, self._member(sid))
        except REDIS_FAILURES as error:
            self.fallback.failed(error)  # the member lapses by itself

    async def refresh(self) -> None:
        """Keeps this bridge's sockets counted (called every CONNECTION_REFRESH_SECONDS)."""
        pairs = [(self.prefix + address, self._member(sid)) for address, sids in self.shared.items() for sid in sids]
        for start in range(0, len(pairs), 500):
            batch = pairs[start:start + 500]
            try:
                await self.refresh_script(keys=[key for key, _ in batch],
                                          args=[CONNECTION_TTL_SECONDS, *[member for _, member in batch]])
            except REDIS_FAILURES as error:
                self.fallback.failed(error)
                return

    async def keep_counted(self) -> None:
        while True:
            await asyncio.sleep(CONNECTION_REFRESH_SECONDS)
            await self.refresh()


def message_rate(settings, client: Optional[redis.asyncio.Redis]):
    """The shoppers' message rate: shared through Redis when there is one, else this bridge's."""
    if client is None:
        return LocalMessageRate(settings.messages_per_second, settings.message_burst)
    return RedisMessageRate(client, settings.messages_per_second, settings.message_burst)


def connection_count(settings, client: Optional[redis.asyncio.Redis]):
    """Open sockets per address: shared through Redis when there is one, else this bridge's."""
    if client is None:
        return LocalConnectionCount(settings.connections_per_address)
    return RedisConnectionCount(client, settings.connections_per_address)


def async_client(redis_url: str) -> Optional[redis.asyncio.Redis]:
    if not redis_url:
        return None
    return redis.asyncio.Redis.from_url(redis_url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS)
