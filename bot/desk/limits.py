"""Abuse limits: the shopper socket (messages per second per session, connections per address) and
the desk's login (growing waits after failed attempts)."""
from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Protocol, Tuple


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


class LoginThrottle(Protocol):
    """How long a login attempt must wait. The only interface the login uses: an implementation
    shared by several bridges (Redis, PostgreSQL) implements these two methods."""

    def admit(self, address: str, username: str) -> float:
        """0 when the attempt may go ahead (it then counts as failed until `succeeded`), else the
        seconds to wait; an attempt that must wait is not counted."""

    def succeeded(self, address: str, username: str) -> None:
        """The attempt admitted last for this address and username had the right password."""


def backoff_seconds(failures: int, free: int, cap: float) -> float:
    """No wait for the first `free` failures, then 1 s, 2 s, 4 s ... up to `cap`."""
    if failures < free:
        return 0.0
    return min(2.0 ** min(failures - free, 40), cap)


@dataclass
class Failures:
    count: int = 0
    last: float = 0.0


@dataclass(frozen=True)
class LoginPolicy:
    """How long a login attempt waits, from what is known of earlier attempts (shared by the
    memory throttle of one bridge and the Redis one of several, bot/desk/shared_limits.py).

    - per address and username: after `login_free` failures, waits of 1 s, 2 s, 4 s ... (capped);
      someone mistyping their own password slows only themselves, not the office behind the same proxy;
    - per account, across addresses (guessing one password from many places): the same after
      `account_free` failures, except from an address where the account logged in recently;
    - per address, across usernames (credential stuffing): the same once `address_usernames`
      different usernames failed from it, a number no office reaches by mistyping.

    Failures older than `forget_after` seconds (since the last one) are forgotten; an address the
    account logged in from stays trusted for `trusted_for` seconds.
    """
    login_free: int = 5
    account_free: int = 10
    address_usernames: int = 50
    cap: float = 15 * 60.0
    forget_after: float = 3600.0
    trusted_for: float = 30 * 86400.0

    def recent(self, failures: Optional[Failures], now: float) -> Failures:
        if failures is None or now - failures.last > self.forget_after:
            return Failures()
        return failures

    def recent_usernames(self, tried: Dict[str, float], now: float) -> Dict[str, float]:
        return {name: at for name, at in tried.items() if now - at <= self.forget_after}

    def wait(self, login: Failures, account: Failures, tried: Dict[str, float], trusted: bool, now: float) -> float:
        """Seconds until this attempt may go ahead (0: now), from recent failures only."""
        waits = [login.last + backoff_seconds(login.count, self.login_free, self.cap),
                 max(tried.values(), default=0.0) + backoff_seconds(len(tried), self.address_usernames, self.cap)]
        if not trusted:
            waits.append(account.last + backoff_seconds(account.count, self.account_free, self.cap))
        return max(max(waits) - now, 0.0)


class MemoryLoginThrottle:
    """The login limits of one bridge, in memory (forgotten on restart), by `LoginPolicy`.

    Attempts are counted as failures when admitted, so that parallel guesses cannot all slip in
    before the first one failed; a success takes its own attempt back. A lock makes each call
    atomic, also when logins call it from worker threads.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, **policy: Any):
        self.policy = LoginPolicy(**policy)
        self.clock = clock
        self._lock = threading.Lock()
        self._logins: Dict[Tuple[str, str], Failures] = {}
        self._accounts: Dict[str, Failures] = {}
        self._usernames: Dict[str, Dict[str, float]] = {}  # address -> username -> last failure
        self._trusted: Dict[str, Dict[str, float]] = {}  # username -> address -> last success
        self._swept = clock()

    def admit(self, address: str, username: str) -> float:
        with self._lock:
            now = self.clock()
            self._sweep(now)
            username = normal_username(username)
            login = self.policy.recent(self._logins.get((address, username)), now)
            account = self.policy.recent(self._accounts.get(username), now)
            tried = self.policy.recent_usernames(self._usernames.get(address, {}), now)
            wait = self.policy.wait(login, account, tried, address in self._trusted.get(username, {}), now)
            if wait > 0:
                return wait
            self._logins[(address, username)] = Failures(login.count + 1, now)
            self._accounts[username] = Failures(account.count + 1, now)
            self._usernames[address] = {**tried, username: now}
            return 0.0

    def succeeded(self, address: str, username: str) -> None:
        with self._lock:
            username = normal_username(username)
            self._logins.pop((address, username), None)
            self._usernames.get(address, {}).pop(username, None)
            account = self._accounts.get(username)
            if account is not None:
                account.count -= 1
                if account.count <= 0:
                    del self._accounts[username]
            self._trusted.setdefault(username, {})[address] = self.clock()

    def _sweep(self, now: float, every: float = 60.0) -> None:
        """Forgets old failures and trusted addresses, at most once per `every` seconds."""
        if now - self._swept < every:
            return
        self._swept = now
        for table in (self._logins, self._accounts):
            for key in [key for key, failures in table.items() if now - failures.last > self.policy.forget_after]:
                del table[key]
        for nested, age in ((self._usernames, self.policy.forget_after), (self._trusted, self.policy.trusted_for)):
            for outer in list(nested):
                inner = {key: at for key, at in nested[outer].items() if now - at <= age}
                if inner:
                    nested[outer] = inner
                else:
                    del nested[outer]


def normal_username(username: str) -> str:
    """As accounts are looked up; bounded, so that made-up names cannot fill the memory faster."""
    return username.strip().lower()[:64]
