"""Several Rasa replicas (bot/desk/rasa_replicas.py, bot/processes.py, bot/rasa_pool.py,
bot/studio/publishing.py): one conversation on one replica, failover when a replica refuses
connections and back when it is healthy, one URL exactly like one RasaClient, every replica
started, configured and published to."""
import asyncio
import json
import os
import subprocess
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.desk.rasa_client import RasaClient, RasaUnavailable
from bot.desk.rasa_replicas import RasaReplicas, rank
from bot.processes import assistant, free_port
from bot.rasa_pool import LOCK_STORE_PASSWORD_ENV, endpoints_file, lock_store_env
from bot.settings import PROJECT_ROOT, Settings
from bot.studio import publishing
from bot.studio.repository import StudioError
from tests.asyncio_thread import run_async

URLS = [f"http://10.0.0.{n}:5005" for n in range(1, 5)]
CONVERSATIONS = [f"conversation-{n}" for n in range(4000)]


# --- the ring ----------------------------------------------------------------------------------

def test_a_conversation_always_maps_to_the_same_replica_in_any_process():
    script = ("import json, sys; from bot.desk.rasa_replicas import rank; "
              f"print(json.dumps([rank({URLS!r}, c)[0] for c in {CONVERSATIONS[:200]!r}]))")
    runs = [json.loads(subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, check=True, capture_output=True,
                                      env={**os.environ, "PYTHONHASHSEED": seed}).stdout) for seed in ("1", "2")]
    here = [rank(URLS, c)[0] for c in CONVERSATIONS[:200]]
    assert runs[0] == runs[1] == here
    assert rank(list(reversed(URLS)), "x") == rank(URLS, "x")  # the listed order does not matter


def test_the_replicas_share_the_conversations_evenly():
    counts = Counter(rank(URLS, c)[0] for c in CONVERSATIONS)
    assert set(counts) == set(URLS)
    assert all(800 <= count <= 1200 for count in counts.values()), counts  # 1000 each on average


def test_adding_or_removing_a_replica_moves_only_its_share():
    before = {c: rank(URLS, c)[0] for c in CONVERSATIONS}
    grown = {c: rank([*URLS, "http://10.0.0.9:5005"], c)[0] for c in CONVERSATIONS}
    moved = [c for c in CONVERSATIONS if grown[c] != before[c]]
    assert all(grown[c] == "http://10.0.0.9:5005" for c in moved)  # only to the new replica
    assert 0.15 <= len(moved) / len(CONVERSATIONS) <= 0.25  # about 1/5

    shrunk = {c: rank(URLS[:3], c)[0] for c in CONVERSATIONS}
    moved = [c for c in CONVERSATIONS if shrunk[c] != before[c]]
    assert {before[c] for c in moved} == {URLS[3]}  # only the removed replica's conversations
    assert 0.2 <= len(moved) / len(CONVERSATIONS) <= 0.3  # about 1/4
    # ...and each goes to the next replica in its own ranking.
    assert all(shrunk[c] == rank(URLS, c)[1] for c in moved)


# --- fake Rasas on this machine ------------------------------------------------------------------

class FakeRasa:
    """Rasa's REST channel, tracker API and health check; `status` makes the webhook fail."""

    def __init__(self, name: str):
        self.name = name
        self.port = free_port()
        self.received = []
        self.events = []
        self.status = 200
        self.server = None

    def app(self) -> web.Application:
        async def webhook(request):
            body = await request.json()
            self.received.append(body["message"])
            if self.status != 200:
                return web.json_response({"error": "boom"}, status=self.status)
            return web.json_response([{"text": f"{self.name}: {body['message']}", "buttons": [{"title": "Evet", "payload": "/affirm"}]}])

        async def tracker(request):
            return web.json_response({"sender_id": request.match_info["id"], "slots": {"served_by": self.name}})

        async def events(request):
            self.events.append((request.match_info["id"], await request.json()))
            return web.json_response({})

        app = web.Application()
        app.router.add_get("/", lambda _: web.Response(text="Hello from Rasa"))
        app.router.add_post("/webhooks/rest/webhook", webhook)
        app.router.add_get("/conversations/{id}/tracker", tracker)
        app.router.add_post("/conversations/{id}/tracker/events", events)
        return app

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.server = TestServer(self.app(), host="127.0.0.1", port=self.port)
        await self.server.start_server()

    async def stop(self) -> None:
        await self.server.close()


def conversation_on(replicas: RasaReplicas, url: str) -> str:
    return next(c for c in CONVERSATIONS if replicas.replica_for(c) == url)


async def started(*fakes: FakeRasa, **options) -> RasaReplicas:
    for fake in fakes:
        await fake.start()
    replicas = RasaReplicas([fake.url for fake in fakes], "token", timeout=5, **options)
    await replicas.start()
    return replicas


async def eventually(condition, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


# --- failover ----------------------------------------------------------------------------------

def test_a_replica_that_refuses_connections_hands_its_conversations_to_the_next_and_takes_them_back():
    async def scenario():
        a, b = FakeRasa("a"), FakeRasa("b")
        replicas = await started(a, b, down_seconds=0.2, probe_interval=0.05)
        try:
            chat = conversation_on(replicas, a.url)
            other = conversation_on(replicas, b.url)
            assert (await replicas.send(chat, "merhaba", {}))[0].text == "a: merhaba"
            assert await replicas.slots(chat) == {"served_by": "a"}

            await a.stop()
            replies = await replicas.send(chat, "siparişim nerede", {})  # refused by a: retried on b
            assert replies[0].text == "b: siparişim nerede" and replies[0].quick_replies
            assert a.received == ["merhaba"] and b.received == ["siparişim nerede"]  # sent once
            assert replicas.is_down(a.url) and replicas.replica_for(chat) == b.url
            assert replicas.replica_for(other) == b.url
            assert await replicas.slots(chat) == {"served_by": "b"}
            await replicas.pause(chat)
            assert b.events == [(chat, [{"event": "pause"}])]
            assert await replicas.healthy()  # b answers

            await a.start()  # healthy again on the same address: the probe takes it back
            await eventually(lambda: not replicas.is_down(a.url))
            assert (await replicas.send(chat, "tamam", {}))[0].text == "a: tamam"
            assert (await replicas.send(other, "selam", {}))[0].text == "b: selam"
        finally:
            await replicas.close()
            await b.stop()
            if a.server is not None:
                await a.stop()

    run_async(scenario)


def test_a_turn_that_may_have_reached_rasa_is_not_sent_twice():
    async def scenario():
        a, b = FakeRasa("a"), FakeRasa("b")
        replicas = await started(a, b, down_seconds=0.2, probe_interval=0.05)
        try:
            chat = conversation_on(replicas, a.url)
            a.status = 500  # Rasa got it and failed: it may have processed part of the turn
            with pytest.raises(RasaUnavailable):
                await replicas.send(chat, "iade etmek istiyorum", {})
            assert a.received == ["iade etmek istiyorum"] and b.received == []
            await asyncio.sleep(0.1)
            assert not replicas.is_down(a.url)  # it still answers its health check: it stays
        finally:
            await replicas.close()
            await a.stop()
            await b.stop()

    run_async(scenario)


def test_a_replica_that_fails_its_health_check_is_left_out_until_it_answers():
    async def scenario():
        a, b = FakeRasa("a"), FakeRasa("b")
        replicas = await started(a, b, down_seconds=0.2, probe_interval=0.05)
        try:
            chat = conversation_on(replicas, a.url)
            await a.stop()
            assert await replicas.healthy()  # any replica answers
            assert replicas.is_down(a.url)
            assert await replicas.slots(chat) == {"served_by": "b"}
            await b.stop()
            assert not await replicas.healthy()
            with pytest.raises(RasaUnavailable):  # all down: the turn fails as with one Rasa
                await replicas.send(chat, "merhaba", {})
            await b.start()
            assert (await replicas.send(chat, "merhaba", {}))[0].text == "b: merhaba"
        finally:
            await replicas.close()
            for fake in (a, b):
                if fake.server is not None and fake.server.runner is not None:
                    await fake.stop()

    run_async(scenario)


def test_one_url_behaves_exactly_like_one_rasa_client():
    async def scenario():
        fake = FakeRasa("solo")
        replicas = await started(fake, down_seconds=60, probe_interval=60)
        client = RasaClient(fake.url, "token", timeout=5)
        await client.start()
        try:
            for method, args in (("send", ("c1", "merhaba", {})), ("slots", ("c1",)), ("healthy", ()),
                                 ("pause", ("c1",)), ("resume", ("c1",)), ("restart", ("c1",))):
                assert await getattr(replicas, method)(*args) == await getattr(client, method)(*args)
            notices = []

            async def busy():
                notices.append(True)
            assert (await replicas.send("c1", "bekliyor muyum", {}, on_busy=busy))[0].text == "solo: bekliyor muyum"
            assert notices == []  # not busy: the client's busy notice is not called
            await fake.stop()
            for target in (replicas, client):
                with pytest.raises(RasaUnavailable):
                    await target.send("c1", "merhaba", {})
                with pytest.raises(RasaUnavailable):
                    await target.pause("c1")
                assert await target.slots("c1") == {} and not await target.healthy()
            assert not replicas.is_down(fake.url)
            await fake.start()  # back at once: nothing waits for a probe
            assert (await replicas.send("c1", "tekrar", {}))[0].text == "solo: tekrar"
        finally:
            await replicas.close()
            await client.close()
            await fake.stop()

    run_async(scenario)


def test_the_client_options_reach_every_replica():
    replicas = RasaReplicas(["http://127.0.0.1:1", "http://127.0.0.1:2/"], "secret", timeout=7,
                            max_in_flight=3, busy_notice_seconds=0.5)
    assert replicas.urls == ["http://127.0.0.1:1", "http://127.0.0.1:2"]
    assert all(client.token == "secret" and client.timeout.total == 7 and client.max_in_flight == 3
               and client.busy_notice_seconds == 0.5 for client in replicas.clients.values())
    assert replicas.in_flight == replicas.waiting == 0
    with pytest.raises(ValueError):
        RasaReplicas([], "secret")


# --- starting, configuring and publishing to every replica -----------------------------------------

def test_up_starts_one_pool_per_replica_on_consecutive_ports_with_own_logs(tmp_path):
    settings = Settings(state_dir=tmp_path, rasa_port=6100, rasa_replicas=3)
    rasas = [s for s in assistant(settings, tmp_path / "model.tar.gz").services if s.name.startswith("Rasa")]
    assert [s.health_url for s in rasas] == [f"http://127.0.0.1:{port}/" for port in (6100, 6101, 6102)]
    assert [s.command[-1] for s in rasas] == ["6100", "6101", "6102"]
    assert len({s.log_path for s in rasas}) == 3 and rasas[0].name == "Rasa server"
    assert settings.rasa_replica_urls == [s.health_url.rstrip("/") for s in rasas]
    assert settings.as_env()["RASA_REPLICAS"] == "3"  # what the bridge is started with
    one = assistant(Settings(state_dir=tmp_path, rasa_port=6100), tmp_path / "model.tar.gz")
    assert [s.name for s in one.services] == ["action server", "Rasa server"]


def test_without_redis_rasa_keeps_the_checked_in_endpoints(tmp_path):
    settings = Settings(state_dir=tmp_path)
    assert endpoints_file(settings) == PROJECT_ROOT / "endpoints.yml"
    assert lock_store_env(settings) == {}


def test_with_redis_rasa_gets_its_redis_lock_store_and_the_password_stays_out_of_files(tmp_path):
    from rasa.core.lock_store import LockStore, RedisLockStore
    from rasa.utils.endpoints import read_endpoint_config

    settings = Settings(state_dir=tmp_path, redis_url="redis://:s%40cret@127.0.0.1:6379/5")
    generated = endpoints_file(settings)
    assert generated.parent.parent == tmp_path and "s@cret" not in generated.read_text()
    env = lock_store_env(settings)
    assert env == {LOCK_STORE_PASSWORD_ENV: "s@cret"}
    os.environ.update(env)
    os.environ.setdefault("ACTION_SERVER_URL", "http://127.0.0.1:5055/webhook")
    os.environ.setdefault("ACTION_SERVER_TOKEN", "x")
    try:
        store = LockStore.create(read_endpoint_config(str(generated), "lock_store"))  # as Rasa reads it
        assert read_endpoint_config(str(generated), "tracker_store").type == "bot.rasa_tracker_store.ProjectTrackerStore"
    finally:
        del os.environ[LOCK_STORE_PASSWORD_ENV]
    assert isinstance(store, RedisLockStore)
    connection = store.red.connection_pool.connection_kwargs
    assert (connection["host"], connection["port"], connection["db"], connection["password"]) == ("127.0.0.1", 6379, 5, "s@cret")
    assert store.key_prefix.startswith("kuzey")
    with pytest.raises(ValueError):
        endpoints_file(Settings(state_dir=tmp_path, redis_url="unix:///tmp/redis.sock"))


class FakePools:
    """`POST /pool/model` of several replicas (bot/rasa_pool.py), one of which may fail."""

    def __init__(self, count: int, failing: int = -1):
        self.swaps = []
        self.servers = []
        for index in range(count):
            pools = self

            class Handler(BaseHTTPRequestHandler):
                replica = index

                def do_POST(self):
                    body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                    pools.swaps.append((self.replica, Path(body["model_file"]).name))
                    status = 500 if self.replica == failing and body["model_file"].endswith("new.tar.gz") else 200
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b"{}")

                def log_message(self, *args):
                    pass

            server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.servers.append(server)

    @property
    def urls(self) -> str:
        return ",".join(f"http://127.0.0.1:{server.server_address[1]}" for server in self.servers)

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


def test_a_model_is_published_to_every_replica(tmp_path):
    pools = FakePools(3)
    try:
        settings = Settings(state_dir=tmp_path, rasa_urls=pools.urls, rasa_token="t")
        publishing.swap_model(settings, tmp_path / "new.tar.gz", tmp_path / "old.tar.gz")
        assert pools.swaps == [(0, "new.tar.gz"), (1, "new.tar.gz"), (2, "new.tar.gz")]
    finally:
        pools.close()


def test_a_replica_that_fails_to_swap_is_reported_and_the_others_go_back(tmp_path):
    pools = FakePools(3, failing=1)
    try:
        settings = Settings(state_dir=tmp_path, rasa_urls=pools.urls, rasa_token="t")
        with pytest.raises(StudioError) as failed:
            publishing.swap_model(settings, tmp_path / "new.tar.gz", tmp_path / "old.tar.gz")
        failing_url = pools.urls.split(",")[1]
        assert f"[{failing_url}]" in failed.value.message and "500" in failed.value.message
        # Replica 0 had swapped: it goes back to the live model; replica 2 was never asked.
        assert pools.swaps == [(0, "new.tar.gz"), (1, "new.tar.gz"), (0, "old.tar.gz")]
    finally:
        pools.close()


def test_an_unreachable_replica_is_reported(tmp_path):
    pools = FakePools(1)
    try:
        settings = Settings(state_dir=tmp_path, rasa_urls=f"{pools.urls},http://127.0.0.1:{free_port()}", rasa_token="t")
        with pytest.raises(StudioError) as failed:
            publishing.swap_model(settings, tmp_path / "new.tar.gz")  # no live model to go back to
        assert settings.rasa_replica_urls[1] in failed.value.message
        assert f"new.tar.gz: {settings.rasa_replica_urls[0]}" in failed.value.message  # still on the new model
    finally:
        pools.close()


def test_up_warns_when_replicas_run_without_postgresql_or_redis(tmp_path, capsys):
    from bot.cli import _warn_about_replicas

    _warn_about_replicas(Settings(state_dir=tmp_path, rasa_replicas=2))
    warned = capsys.readouterr().err
    assert "SQLite" in warned and "REDIS_URL" in warned
    _warn_about_replicas(Settings(state_dir=tmp_path, rasa_replicas=2, database_url="postgresql://db/kuzey",
                                  redis_url="redis://cache:6379/1"))
    _warn_about_replicas(Settings(state_dir=tmp_path))  # one replica: nothing to say
    assert capsys.readouterr().err == ""
