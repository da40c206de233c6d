"""Abuse limits of the shopper socket: messages per second per session, connections per address."""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Dict


@dataclass
class TokenBucket:
    """`rate` messages a second on average, `burst` at once; refills continuously."""

    rate: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    updated: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)
        self.updated = self.clock()

    def idle_full(self, now: float) -> bool:
        return self.tokens + (now - self.updated) * self.rate >= self.burst

    def allow(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class MessageRate:
    """One bucket per conversation; a session's tabs share it."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self._buckets: Dict[str, TokenBucket] = {}
        self._make = lambda: TokenBucket(rate, burst, clock)
        self._clock = clock
        self._swept = clock()

    def allow(self, conversation_id: str) -> bool:
        bucket = self._buckets.get(conversation_id)
        if bucket is None:
            bucket = self._buckets[conversation_id] = self._make()
        return bucket.allow()

    def sweep(self, every: float = 60.0) -> None:
        """Drops buckets that have refilled (forgetting them changes nothing), at most once per `every` s."""
        now = self._clock()
        if now - self._swept < every:
            return
        self._swept = now
        for key in [key for key, bucket in self._buckets.items() if bucket.idle_full(now)]:
            del self._buckets[key]


class ConnectionCount:
    """Open sockets per client address."""

    def __init__(self, limit: int):
        self.limit = limit
        self._open: Dict[str, int] = defaultdict(int)

    def try_open(self, address: str) -> bool:
        if self._open[address] >= self.limit:
            return False
        self._open[address] += 1
        return True

    def close(self, address: str) -> None:
        self._open[address] -= 1
        if self._open[address] <= 0:
            del self._open[address]


class FailureWindow:
    """At most `limit` failures per key within `window` seconds (login guessing)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: Dict[str, list] = defaultdict(list)

    def blocked(self, key: str) -> bool:
        now = self.clock()
        recent = [t for t in self._failures.get(key, []) if now - t < self.window]
        if recent:
            self._failures[key] = recent
        else:
            self._failures.pop(key, None)
        return len(recent) >= self.limit

    def fail(self, key: str) -> None:
        self._failures[key].append(self.clock())
