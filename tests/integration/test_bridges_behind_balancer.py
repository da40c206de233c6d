"""Two real bridges on one PostgreSQL schema and one Redis, behind the HAProxy that `bot up
--bridges 2` starts: a Socket.IO client connects through the balancer by long-polling, upgrades to
a websocket on the same bridge (the sticky cookie), and when that bridge dies it reconnects
through the balancer to the other one. No Rasa runs: /health and a shopper's session need none."""
import json
import socket
import threading
import time

import pytest
import requests
import socketio

from actions.store.database import make_engine
from actions.store.seed import seed
from bot.balancer import (
    MONITOR_URI, SERVED_BY_HEADER, STICKY_COOKIE, bridge_servers, haproxy_command, haproxy_config, haproxy_executable,
)
from bot.cli import _prepare_desk
from bot.processes import Service, ServiceGroup, bridges
from bot.settings import Settings
from bot.studio.publishing import open_studio
from tests.stack import desk_passwords, free_port, postgres_schema_url, redis_test_url, service_missing

pytestmark = pytest.mark.integration

REDIS_DB = 13  # not used by another test (3, 5, 7, 9, 11, 12 and 14 are)


def free_port_run(count: int) -> int:
    """A port p with p ... p+count-1 all free now (the balancer's, then its bridges')."""
    for _ in range(50):
        first = free_port()
        sockets = [socket.socket() for _ in range(count)]
        try:
            for offset, sock in enumerate(sockets):
                sock.bind(("127.0.0.1", first + offset))
            return first
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError(f"no {count} consecutive free ports")


@pytest.fixture(scope="module")
def balanced(tmp_path_factory):
    if haproxy_executable() is None:
        service_missing("HAProxy is not installed (scripts/setup-balancer.sh)")
    redis_url = redis_test_url(REDIS_DB)
    with postgres_schema_url() as database_url:
        settings = Settings(state_dir=tmp_path_factory.mktemp("balanced"), database_url=database_url, redis_url=redis_url,
                            bridge_port=free_port_run(3), bridge_replicas=2, rasa_port=free_port(),
                            action_port=free_port(), rasa_token="balanced-token", support_hours="always",
                            startup_timeout=60)
        seed(make_engine(database_url))
        with desk_passwords():
            _prepare_desk(settings)  # as `bot up` does, before the bridges start side by side
            open_studio(settings)
            group = ServiceGroup(settings, bridges(settings))  # what `bot up --bridges 2` starts besides Rasa
            group.start(progress=lambda _: None)
        try:
            yield group
        finally:
            # A bridge that has served a websocket does not exit on SIGTERM within 20 s (also
            # without a balancer); nothing is left to check in it, so it is not waited for.
            for service in reversed(group.services):
                service.stop(timeout=2)


class Shopper:
    """python-socketio's client, allowed to start on long-polling and to reconnect."""

    def __init__(self, url: str):
        self.url = url
        self.sio = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1)
        self.confirmed = []
        self.connects = 0
        self.changed = threading.Condition()
        self.sio.on("session_confirm", lambda session_id: self._note(lambda: self.confirmed.append(session_id)))
        self.sio.on("connect", lambda: self._note(self._connected))

    def _connected(self):
        self.connects += 1

    def _note(self, change):
        with self.changed:
            change()
            self.changed.notify_all()

    def wait(self, condition, timeout: float = 15):
        with self.changed:
            assert self.changed.wait_for(condition, timeout), f"timed out; transport {self.sio.transport()}"

    def connect(self) -> "Shopper":
        self.sio.connect(self.url, transports=["polling", "websocket"], wait_timeout=10)
        return self

    def wait_for_websocket(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while self.sio.transport() != "websocket":
            assert time.monotonic() < deadline, "the polling connection never upgraded to a websocket"
            time.sleep(0.05)

    def bridge(self) -> str:
        """The bridge the balancer pinned this connection to (its sticky cookie)."""
        return self.sio.eio.http.cookies.get(STICKY_COOKIE)

    def session(self) -> str:
        seen = len(self.confirmed)
        self.sio.emit("session_request", {"session_id": None})
        self.wait(lambda: len(self.confirmed) > seen)
        return self.confirmed[-1]


def test_the_cookie_names_the_bridge_that_answers(balanced):
    url = balanced.settings.bridge_url
    for name in ("bridge1", "bridge2"):
        for _ in range(3):
            answer = requests.get(f"{url}/health", cookies={STICKY_COOKIE: name}, timeout=5)
            assert answer.status_code == 200 and answer.headers[SERVED_BY_HEADER] == name
    first = requests.get(f"{url}/health", timeout=5)
    assert first.cookies.get(STICKY_COOKIE) == first.headers[SERVED_BY_HEADER]  # inserted for the next request


def engineio_statuses(url: str) -> list:
    """Engine.io's long-polling by hand, each request on a new connection as a browser may send
    them: the handshake, the Socket.IO connect with its sid, and the poll that fetches the answer."""
    http = requests.Session()  # keeps the sticky cookie, if the balancer sets one
    endpoint, close = f"{url}/socket.io/", {"Connection": "close"}
    handshake = http.get(endpoint, params={"EIO": "4", "transport": "polling"}, headers=close, timeout=5)
    assert handshake.status_code == 200 and handshake.text.startswith("0")
    params = {"EIO": "4", "transport": "polling", "sid": json.loads(handshake.text[1:])["sid"]}
    statuses = [http.post(endpoint, params=params, data="40", headers=close, timeout=5).status_code]
    if statuses == [200]:  # the connect reached the bridge that knows the sid: its answer waits there
        poll = http.get(endpoint, params=params, headers=close, timeout=5)
        statuses.append(poll.status_code if poll.text.startswith("40") else poll.text)
    return statuses


def test_long_polling_needs_the_sticky_cookie(balanced, tmp_path):
    """Through the balancer every request of a connection reaches its bridge; through the same
    configuration without the cookie (the control) the requests alternate and the other bridge
    answers 400 to a sid it does not know."""
    for _ in range(3):
        assert engineio_statuses(balanced.settings.bridge_url) == [200, 200]
    port = free_port()
    sticky = haproxy_config(f"127.0.0.1:{port}", bridge_servers(balanced.settings))
    cookie_line = f"    cookie {STICKY_COOKIE} insert indirect nocache httponly\n"
    assert cookie_line in sticky
    config = tmp_path / "round-robin.cfg"
    config.write_text(sticky.replace(cookie_line, ""))
    plain = ServiceGroup(balanced.settings, [Service("round robin", haproxy_command(haproxy_executable(), config),
                                                     f"http://127.0.0.1:{port}{MONITOR_URI}", tmp_path / "haproxy.log")])
    plain.start(progress=lambda _: None)
    try:
        assert engineio_statuses(f"http://127.0.0.1:{port}") == [400]
    finally:
        plain.stop()


def test_a_shopper_stays_on_one_bridge_and_moves_to_the_other_when_it_dies(balanced):
    """Last in this module: it kills a bridge of the shared pair."""
    shopper = Shopper(balanced.settings.bridge_url).connect()
    try:
        shopper.wait_for_websocket()  # polled first; the upgrade reached the bridge that knows the sid
        pinned = shopper.bridge()
        assert pinned in ("bridge1", "bridge2")
        assert shopper.session()

        dying = balanced.service(f"bridge {pinned[-1]}")
        dying.stop(timeout=0)  # SIGTERM and, as it does not exit at once, SIGKILL: a crash
        assert not dying.running()
        shopper.wait(lambda: shopper.connects >= 2, timeout=20)  # reconnected through the balancer
        shopper.wait_for_websocket()
        survivor = shopper.bridge()
        assert survivor in ("bridge1", "bridge2") and survivor != pinned
        assert shopper.session()  # the other bridge serves the shopper's namespace
    finally:
        shopper.sio.disconnect()
