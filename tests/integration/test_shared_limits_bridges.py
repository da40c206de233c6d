"""Two bridges on one database and one Redis: the login failures and a shopper's message rate
counted on one hold on the other (a guesser or a flood moved by the load balancer gains nothing)."""
import time

import pytest
import requests

from tests.stack import RunningBridge, desk_passwords, free_port, redis_test_url

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def two_bridges(running_assistant):
    redis_url = redis_test_url(12)
    bridges = [RunningBridge(running_assistant.copy(update={"bridge_port": free_port(), "support_hours": "always",
                                                           "redis_url": redis_url,
                                                           "messages_per_second": 0.05, "message_burst": 3}))
               for _ in range(2)]
    with desk_passwords():
        for bridge in bridges:
            bridge.start()
    yield bridges
    for bridge in bridges:
        bridge.stop()


def log_in(bridge, password: str) -> requests.Response:
    return requests.post(f"{bridge.url}/api/login", json={"username": "mehmet", "password": password}, timeout=10)


def test_wrong_passwords_on_one_bridge_slow_the_login_on_the_other(two_bridges):
    a, b = two_bridges
    assert [log_in(a, "wrong").status_code for _ in range(5)] == [401] * 5
    refused = log_in(b, a.passwords["mehmet"])
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_attempts"
    time.sleep(refused.json()["retry_after"])
    assert log_in(b, a.passwords["mehmet"]).status_code == 200  # the wait over, the right password works


def test_a_shoppers_flood_split_over_two_bridges_meets_one_limit(two_bridges):
    a, b = two_bridges
    first = a.shopper()
    first.say("merhaba")  # stored: the conversation can be continued elsewhere
    second = b.shopper(session_id=first.session_id)  # the same conversation, through the other bridge
    assert second.session_id == first.session_id
    try:
        marks = (first.mark(), second.mark())
        for n in range(6):
            for client in (first, second):
                client.sio.emit("user_uttered", {"message": f"merhaba {n}", "session_id": first.session_id})
        time.sleep(3)
        limited = sum(1 for client, mark in zip((first, second), marks)
                      for error in client.of("error", after=mark) if error["code"] == "rate_limited")
        # One bucket (burst 5, 2 a second) for 12 messages sent within a moment: most are refused.
        # Two buckets of their own would have let 10 of them through.
        errors = [error for client, mark in zip((first, second), marks) for error in client.of("error", after=mark)]
        assert limited >= 5, errors
    finally:
        first.disconnect()
        second.disconnect()
