"""The abuse limits that several bridges share through Redis (bot/desk/shared_limits.py), against
the local Redis (skipped where there is none, a failure under CI)."""
import asyncio
import random
import socket

import pytest
import redis
import redis.asyncio

from bot.desk.limits import MemoryLoginThrottle
from bot.desk import shared_limits
from bot.desk.shared_limits import RedisConnectionCount, RedisMessageRate
from bot.desk.shared_login import RedisLoginThrottle
from tests.asyncio_thread import run_async
from tests.stack import redis_test_url

OFFICE = "198.51.100.7"


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def redis_url():
    return redis_test_url(11)


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def bridges(url, clock, count=2, **policy):
    """Throttles of `count` bridges on one Redis."""
    return [RedisLoginThrottle(redis.Redis.from_url(url), clock=clock, **policy) for _ in range(count)]


def test_failures_on_one_bridge_slow_the_same_login_on_another(redis_url):
    clock = Clock()
    a, b = bridges(redis_url, clock)
    for _ in range(3):
        assert a.admit(OFFICE, "mehmet") == 0
    for _ in range(2):
        assert b.admit(OFFICE, "Mehmet ") == 0
    assert a.admit(OFFICE, "mehmet") == 1 and b.admit(OFFICE, "mehmet") == 1
    clock.now += 1
    assert b.admit(OFFICE, "mehmet") == 0
    assert a.admit(OFFICE, "mehmet") == 2  # and it grows, whichever bridge asks
    assert a.admit(OFFICE, "ayse") == 0  # others behind the same address are not concerned


def test_a_success_on_one_bridge_clears_the_login_on_the_other(redis_url):
    clock = Clock()
    a, b = bridges(redis_url, clock)
    for _ in range(4):
        a.admit(OFFICE, "ayse")
    assert b.admit(OFFICE, "ayse") == 0
    b.succeeded(OFFICE, "ayse")
    assert [a.admit(OFFICE, "ayse") for _ in range(6)] == [0, 0, 0, 0, 0, 1]


def test_the_policy_decides_as_in_memory_for_a_random_mix_of_attempts(redis_url):
    """The same attempts, successes and waits through memory and through Redis: the same answers."""
    shuffle = random.Random(7)
    memory_clock, redis_clock = Clock(), Clock()
    memory = MemoryLoginThrottle(clock=memory_clock, login_free=3, account_free=5, address_usernames=6)
    shared = bridges(redis_url, redis_clock, count=3, login_free=3, account_free=5, address_usernames=6)
    addresses = ["203.0.113.1", "203.0.113.2", OFFICE]
    names = ["ayse", "mehmet", "yonetici", "user1", "user2", "user3", "user4", "user5"]
    answers = []
    for step in range(400):
        address, name, bridge = shuffle.choice(addresses), shuffle.choice(names), shuffle.choice(shared)
        expected = memory.admit(address, name)
        assert bridge.admit(address, name) == pytest.approx(expected), f"step {step}"
        answers.append(expected)
        if expected == 0 and shuffle.random() < 0.15:
            memory.succeeded(address, name)
            bridge.succeeded(address, name)
        pause = shuffle.choice([0, 0, 0.5, 2, 30, 700])
        memory_clock.now += pause
        redis_clock.now += pause
    assert 0 in answers and any(wait > 0 for wait in answers)  # both kinds of answer were compared


def test_failures_expire_in_redis_and_leave_no_keys_behind(redis_url):
    throttle = RedisLoginThrottle(redis.Redis.from_url(redis_url))  # Redis's own clock
    throttle.admit(OFFICE, "mehmet")
    client = redis.Redis.from_url(redis_url)
    keys = client.keys("kuzey:login:*")
    assert keys and all(0 < client.ttl(key) <= 3601 for key in keys)


def test_without_redis_each_bridge_keeps_its_own_count():
    throttle = RedisLoginThrottle(redis.Redis.from_url(closed_port_url(), socket_connect_timeout=0.2))
    assert [throttle.admit(OFFICE, "mehmet") for _ in range(5)] == [0] * 5
    assert throttle.admit(OFFICE, "mehmet") > 0  # still limited, by this bridge's memory
    assert throttle.fallback.active()


def test_the_message_rate_is_one_bucket_for_all_bridges(redis_url):
    async def scenario():
        clients = [redis.asyncio.Redis.from_url(redis_url) for _ in range(2)]
        try:
            a, b = (RedisMessageRate(client, rate=20.0, burst=4) for client in clients)
            allowed = [await bridge.allowed("conversation-1") for bridge in (a, b, a, b, a, b)]
            other = await b.allowed("conversation-2")
            await asyncio.sleep(0.15)  # three tokens come back at 20/s
            later = [await a.allowed("conversation-1") for _ in range(4)]
            return allowed, other, later
        finally:
            for client in clients:
                await client.close()

    allowed, other, later = run_async(scenario)
    assert allowed == [True, True, True, True, False, False]
    assert other is True
    assert later[:2] == [True, True] and later[-1] is False


def test_without_redis_the_message_rate_falls_back_to_the_bridge(redis_url):
    async def scenario():
        client = redis.asyncio.Redis.from_url(closed_port_url(), socket_connect_timeout=0.2)
        try:
            rate = RedisMessageRate(client, rate=0.01, burst=2)
            return [await rate.allowed("conversation-1") for _ in range(3)], rate.fallback.active()
        finally:
            await client.close()

    allowed, falling_back = run_async(scenario)
    assert allowed == [True, True, False] and falling_back


def test_open_sockets_per_address_are_counted_across_bridges(redis_url, monkeypatch):
    monkeypatch.setattr(shared_limits, "CONNECTION_TTL_SECONDS", 2)

    async def scenario():
        clients = [redis.asyncio.Redis.from_url(redis_url) for _ in range(3)]
        try:
            a, b, c = (RedisConnectionCount(client, limit=3) for client in clients)
            opened = [await a.opened(OFFICE, "s1"), await a.opened(OFFICE, "s2"), await b.opened(OFFICE, "s1"),
                      await b.opened(OFFICE, "s2")]
            elsewhere = await b.opened("192.0.2.1", "s3")
            await a.closed(OFFICE, "s1")
            after_close = await b.opened(OFFICE, "s2")
            # a dies without closing "s2" (it lapses 2 s after it opened); b keeps refreshing its two.
            await asyncio.sleep(1.5)
            await b.refresh()
            await asyncio.sleep(1.0)
            after_crash = [await c.opened(OFFICE, "s9"), await c.opened(OFFICE, "s10")]
            return opened, elsewhere, after_close, after_crash
        finally:
            for client in clients:
                await client.close()

    opened, elsewhere, after_close, after_crash = run_async(scenario)
    assert opened == [True, True, True, False] and elsewhere is True
    assert after_close is True
    # a's "s2" lapsed; b's two sockets are still counted: one place left.
    assert after_crash == [True, False]


def test_without_redis_open_sockets_are_counted_by_the_bridge():
    async def scenario():
        client = redis.asyncio.Redis.from_url(closed_port_url(), socket_connect_timeout=0.2)
        try:
            count = RedisConnectionCount(client, limit=2)
            opened = [await count.opened(OFFICE, sid) for sid in ("s1", "s2", "s3")]
            await count.closed(OFFICE, "s1")
            return opened, await count.opened(OFFICE, "s4")
        finally:
            await client.close()

    opened, again = run_async(scenario)
    assert opened == [True, True, False] and again is True
