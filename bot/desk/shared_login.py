"""The desk's login failures shared by every bridge through Redis (REDIS_URL): a guesser moved to
another bridge by the load balancer finds their count there. The policy is bot/desk/limits.py's
`LoginPolicy`, the same as one bridge's memory applies; Redis unreachable: that memory decides.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import redis

from bot.desk.limits import Failures, LoginPolicy, MemoryLoginThrottle, normal_username
from bot.desk.shared_limits import PREFIX, TIMEOUT_SECONDS, Fallback


class RedisLoginThrottle:
    """`LoginPolicy` on state in Redis, each attempt one optimistic transaction (WATCH … MULTI):
    parallel attempts on several bridges are counted one after another, as in memory.

    Synchronous (the login calls it from a worker thread, next to the password hash); the time
    is Redis's own unless a clock is given (tests)."""

    def __init__(self, client: redis.Redis, prefix: str = PREFIX + "login:", clock: Optional[Callable[[], float]] = None,
                 **policy: Any):
        self.client = client
        self.prefix = prefix
        self.policy = LoginPolicy(**policy)
        self.clock = clock
        self.local = MemoryLoginThrottle(**policy)
        self.fallback = Fallback("the desk's login failures")

    # Keys: failures per address and username, per account, the usernames that failed per address,
    # and the addresses each account logged in from (trusted).
    def _keys(self, address: str, username: str) -> Dict[str, str]:
        return {"login": f"{self.prefix}fail:{address}|{username}", "account": f"{self.prefix}account:{username}",
                "tried": f"{self.prefix}tried:{address}", "trusted": f"{self.prefix}trusted:{username}"}

    def _now(self, pipe) -> float:
        if self.clock is not None:
            return self.clock()
        seconds, micros = pipe.time()
        return seconds + micros / 1_000_000

    def admit(self, address: str, username: str) -> float:
        username = normal_username(username)
        return self.fallback.run(lambda: self._admit(address, username), lambda: self.local.admit(address, username))

    def succeeded(self, address: str, username: str) -> None:
        username = normal_username(username)
        self.fallback.run(lambda: self._succeeded(address, username), lambda: self.local.succeeded(address, username))

    def _admit(self, address: str, username: str) -> float:
        keys = self._keys(address, username)

        def attempt(pipe) -> float:
            now = self._now(pipe)
            login = self.policy.recent(failures(pipe.hgetall(keys["login"])), now)
            account = self.policy.recent(failures(pipe.hgetall(keys["account"])), now)
            stored_tried = times(pipe.hgetall(keys["tried"]))
            tried = self.policy.recent_usernames(stored_tried, now)
            trusted = now - times(pipe.hgetall(keys["trusted"])).get(address, -1e18) <= self.policy.trusted_for
            wait = self.policy.wait(login, account, tried, trusted, now)
            if wait > 0:
                return wait
            forget = int(self.policy.forget_after) + 1
            pipe.multi()
            pipe.hset(keys["login"], mapping={"count": login.count + 1, "last": now})
            pipe.hset(keys["account"], mapping={"count": account.count + 1, "last": now})
            stale = [name for name in stored_tried if name not in tried]
            if stale:
                pipe.hdel(keys["tried"], *stale)
            pipe.hset(keys["tried"], username, now)
            for key in (keys["login"], keys["account"], keys["tried"]):
                pipe.expire(key, forget)
            return 0.0

        return self.client.transaction(attempt, keys["login"], keys["account"], keys["tried"], keys["trusted"],
                                       value_from_callable=True)

    def _succeeded(self, address: str, username: str) -> None:
        keys = self._keys(address, username)

        def record(pipe) -> None:
            now = self._now(pipe)
            account = failures(pipe.hgetall(keys["account"]))
            pipe.multi()
            pipe.delete(keys["login"])
            pipe.hdel(keys["tried"], username)
            if account.count > 1:
                pipe.hset(keys["account"], "count", account.count - 1)
            else:
                pipe.delete(keys["account"])
            pipe.hset(keys["trusted"], address, now)
            pipe.expire(keys["trusted"], int(self.policy.trusted_for) + 1)

        self.client.transaction(record, keys["account"])


def failures(raw: Dict[bytes, bytes]) -> Optional[Failures]:
    if not raw:
        return None
    return Failures(int(raw.get(b"count", b"0")), float(raw.get(b"last", b"0")))


def times(raw: Dict[Any, Any]) -> Dict[str, float]:
    return {(k.decode() if isinstance(k, bytes) else k): float(v) for k, v in raw.items()}


def login_throttle(redis_url: str):
    """The desk's login throttle: shared through Redis when there is one, else this bridge's."""
    if not redis_url:
        return MemoryLoginThrottle()
    return RedisLoginThrottle(redis.Redis.from_url(redis_url, socket_timeout=TIMEOUT_SECONDS,
                                                   socket_connect_timeout=TIMEOUT_SECONDS))
