"""The login's growing waits (bot/desk/limits.py MemoryLoginThrottle), on an injected clock."""
import pytest

from bot.desk.limits import MemoryLoginThrottle, backoff_seconds

OFFICE = "198.51.100.7"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


def fail_until_refused(throttle, address, username, limit=1000) -> int:
    """Wrong passwords as fast as they are admitted; returns how many were admitted."""
    for admitted in range(limit):
        if throttle.admit(address, username) > 0:
            return admitted
    raise AssertionError("never refused")


def test_backoff_is_free_then_doubles_up_to_the_cap():
    assert [backoff_seconds(n, 5, 900) for n in (0, 4, 5, 6, 7, 14, 15, 99, 10_000)] == [
        0, 0, 1, 2, 4, 512, 900, 900, 900]


def test_mistyping_ones_own_password_slows_only_that_login_and_more_each_time(clock):
    throttle = MemoryLoginThrottle(clock=clock)
    assert fail_until_refused(throttle, OFFICE, "mehmet") == 5
    waits = []
    for _ in range(6):
        wait = throttle.admit(OFFICE, "mehmet")
        waits.append(wait)
        clock.now += wait  # waits it out, fails again
        assert throttle.admit(OFFICE, "mehmet") == 0
    assert waits == [1, 2, 4, 8, 16, 32]
    # Everyone else behind the same address logs in as usual.
    assert throttle.admit(OFFICE, "ayse") == 0
    throttle.succeeded(OFFICE, "ayse")


def test_the_wait_is_capped_and_failures_are_forgotten_after_an_hour_of_quiet(clock):
    throttle = MemoryLoginThrottle(clock=clock)
    for _ in range(30):
        clock.now += throttle.admit(OFFICE, "mehmet")
        throttle.admit(OFFICE, "mehmet")
    assert throttle.admit(OFFICE, "mehmet") == 15 * 60
    clock.now += 3601
    assert throttle.admit(OFFICE, "mehmet") == 0


def test_a_success_clears_that_login_and_takes_its_attempt_back(clock):
    throttle = MemoryLoginThrottle(clock=clock)
    for _ in range(4):
        throttle.admit(OFFICE, "ayse")
    assert throttle.admit(OFFICE, "Ayse ") == 0  # the fifth attempt, the right password
    throttle.succeeded(OFFICE, "Ayse ")
    assert fail_until_refused(throttle, OFFICE, "ayse") == 5  # five free ones again


def test_parallel_attempts_count_before_their_outcome_is_known(clock):
    throttle = MemoryLoginThrottle(clock=clock)
    admitted = [throttle.admit(OFFICE, "ayse") for _ in range(8)]  # none has failed yet
    assert admitted[:5] == [0] * 5 and all(wait > 0 for wait in admitted[5:])


def test_guessing_one_account_from_many_addresses_slows_that_account(clock):
    throttle = MemoryLoginThrottle(clock=clock)
    for n in range(10):  # one try each: no single address reaches its own limit
        assert throttle.admit(f"203.0.113.{n}", "yonetici") == 0
    assert throttle.admit("203.0.113.99", "yonetici") == 1
    clock.now += 1
    assert throttle.admit("203.0.113.99", "yonetici") == 0
    assert throttle.admit("203.0.113.98", "yonetici") == 2  # and it grows
    assert throttle.admit("203.0.113.98", "ayse") == 0  # other accounts are not concerned


def test_an_address_the_account_logged_in_from_is_not_slowed_by_guesses_elsewhere(clock):
    throttle = MemoryLoginThrottle(clock=clock)
    throttle.admit(OFFICE, "yonetici")
    throttle.succeeded(OFFICE, "yonetici")
    for n in range(20):
        clock.now += throttle.admit(f"203.0.113.{n}", "yonetici")
        throttle.admit(f"203.0.113.{n}", "yonetici")
    assert throttle.admit("203.0.113.200", "yonetici") > 0
    assert throttle.admit(OFFICE, "yonetici") == 0


def test_many_different_usernames_from_one_address_slow_that_address(clock):
    throttle = MemoryLoginThrottle(clock=clock)
    for n in range(49):  # an office where everybody mistyped: still open
        assert throttle.admit(OFFICE, f"user{n}") == 0
    assert throttle.admit(OFFICE, "ayse") == 0
    throttle.succeeded(OFFICE, "ayse")  # a success does not count towards the stuffing
    assert throttle.admit(OFFICE, "user49") == 0
    assert throttle.admit(OFFICE, "mehmet") == 1  # 50 usernames failed from here: everyone waits
    assert throttle.admit("192.0.2.1", "mehmet") == 0  # only here


def test_old_entries_are_swept_from_memory(clock):
    throttle = MemoryLoginThrottle(clock=clock)
    for n in range(100):
        throttle.admit(f"203.0.113.{n}", f"user{n}")
    clock.now += 3700
    throttle.admit(OFFICE, "ayse")
    assert len(throttle._logins) == 1 and len(throttle._accounts) == 1 and list(throttle._usernames) == [OFFICE]
