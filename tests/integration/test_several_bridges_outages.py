"""Two bridges on one PostgreSQL and one Redis, and each of those goes away for a few seconds during
traffic and comes back (README "Running on several machines"): no message is lost and no chat is
stuck. The bridges reach Redis and PostgreSQL only through proxies the tests cut (tests/tcp_proxy.py);
the assistant (one Rasa, the action server) uses both directly and is not disturbed.

- Redis away: messages between a shopper on bridge A and an agent on bridge B are stored but cannot
  cross; once the bridges' subscriptions are back, each resynchronises its sockets from the database
  (bot/desk/bridge_sync.py, Delivery.resync) and a new chat is offered across the bridges again.
  The second Redis test restarts the module's own redis-server for real (everything in it is lost)
  where one is installed; PostgreSQL (shared with other tests) is only cut.
- PostgreSQL away: the shopper's messages are kept in A's spool (bot/desk/recovery.py), written once
  it is back, and the chat goes to the agent on B, whose presence the bridges refresh again.
"""
from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterator, List, Optional, Tuple
from urllib.parse import urlparse

import pytest
import redis
from sqlalchemy import select

from actions.store.database import make_engine
from actions.store.seed import seed
from bot.desk import texts as bridge_texts
from bot.desk.models import AgentPresence, Conversation, Message
from bot.desk.shared_desk import HEARTBEAT_SECONDS
from bot.desk.store import DeskStore, utcnow
from bot.processes import assistant, free_port
from bot.settings import Settings
from tests.live_chat import AgentClient, ShopperClient
from tests.stack import POSTGRES_URL, REDIS_URL, RunningBridge, desk_passwords, postgres_schema_url, redis_test_url
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration

REDIS_DB = 14  # not used by another test (3, 5, 7, 9, 11, 12 and 13 are); only without redis-server, see own_redis
ASK_FOR_A_PERSON = "bir temsilciyle görüşmek istiyorum"
OFFER_SECONDS = 4
OUTAGE_SECONDS = 5
LONGER_OUTAGE_SECONDS = 8  # python-socketio's own backoff would resubscribe only at 15 s: the bridges retry every second
SETTLE_SECONDS = 20  # the bound for "comes back": reconnects retry every 1-4 s, the recovery polls every 2 s


class Console(AgentClient):
    """The agent console as the test sees it: it also records `resync` (docs/live-chat.md)."""
    EVENTS = AgentClient.EVENTS + ("resync",)


@dataclass
class Stack:
    a: RunningBridge
    b: RunningBridge
    redis: TcpProxy        # between both bridges and Redis
    postgres: TcpProxy     # between both bridges and PostgreSQL
    store: DeskStore       # the same database, directly: what the test checks is not behind a proxy
    redis_server: RedisServer

    def console(self, bridge: RunningBridge, username: str) -> Console:
        return Console(bridge.url, username, bridge.passwords[username]).connect()


def proxy_to(host: str, port: int) -> TcpProxy:
    return TcpProxy((host, port)).start()


@dataclass
class RedisServer:
    """Where the bridges' Redis is, and, for a server of this module's own, a real restart."""
    host: str
    port: int
    executable: Optional[str] = None
    process: Optional[subprocess.Popen] = None

    def start(self) -> None:
        self.process = subprocess.Popen([self.executable, "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        try:
            if not eventually(lambda: _pings(client), timeout=10):
                pytest.fail(f"redis-server on port {self.port} did not start")
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@contextlib.contextmanager
def own_redis() -> Iterator[RedisServer]:
    """A Redis server of this module's own where redis-server is installed: Redis's pub/sub channels
    are server-wide, not per database, so on the shared server the bridges of other tests running at
    the same time would reach these consoles if they used the same database number (the channels
    are named after it: bot/desk/bridge_sync.py `channel`). Else the shared one, database REDIS_DB
    (and its outages are only simulated, by the proxy)."""
    executable = shutil.which("redis-server")
    if executable is None:
        redis_test_url(REDIS_DB)  # emptied (or skipped without Redis)
        shared = urlparse(REDIS_URL)
        yield RedisServer(shared.hostname, shared.port or 6379)
        return
    server = RedisServer("127.0.0.1", free_port(), executable)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def restart_redis(stack: Stack, seconds: float) -> None:
    """Redis really restarted (the module's own server: every subscription, counter and pending
    pub/sub message gone), or, on the shared server, its connections cut for as long."""
    server = stack.redis_server
    if server.executable is None:
        stack.redis.cut()
        try:
            time.sleep(seconds)
        finally:
            stack.redis.restore()
        return
    stack.redis.cut()  # the bridges' connections through the proxy break with the server
    server.stop()
    try:
        time.sleep(seconds)
    finally:
        server.start()
        stack.redis.restore()


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.exceptions.ConnectionError:
        return False


@pytest.fixture(scope="module")
def stack(trained_model, tmp_path_factory):
    postgres_server = urlparse(POSTGRES_URL)
    with own_redis() as redis_server, postgres_schema_url() as database_url:
        redis_proxy = proxy_to(redis_server.host, redis_server.port)
        postgres_proxy = proxy_to(postgres_server.hostname, postgres_server.port or 5432)
        through_proxy = database_url.replace(postgres_server.netloc,
                                             f"{postgres_server.username}@127.0.0.1:{postgres_proxy.port}")
        seeding = make_engine(database_url)
        seed(seeding)
        seeding.dispose()
        settings = Settings(
            state_dir=tmp_path_factory.mktemp("outages"), database_url=database_url, rasa_port=free_port(),
            action_port=free_port(), rasa_token=uuid.uuid4().hex, support_hours="always",
            offer_timeout_seconds=OFFER_SECONDS, desk_secret=uuid.uuid4().hex,
        )
        group = assistant(settings, trained_model)  # Rasa and the action server: PostgreSQL directly, no Redis
        bridges: List[RunningBridge] = []
        store = DeskStore(make_engine(database_url))
        try:
            group.start(progress=lambda _: None)
            with desk_passwords():
                for name in ("a", "b"):
                    bridge = RunningBridge(settings.copy(update={
                        "bridge_port": free_port(), "state_dir": settings.state_dir / name,  # own logs and spool
                        "database_url": through_proxy,
                        "redis_url": f"redis://127.0.0.1:{redis_proxy.port}/{REDIS_DB}",
                    }))
                    bridges.append(bridge)
                    bridge.start()
            yield Stack(bridges[0], bridges[1], redis_proxy, postgres_proxy, store, redis_server)
        finally:
            for bridge in bridges:
                bridge.stop()
            group.stop()
            store.engine.dispose()
            redis_proxy.cut()
            postgres_proxy.cut()


# --- helpers -------------------------------------------------------------------------------------

def escalate(shopper: ShopperClient) -> None:
    mark = shopper.mark()
    shopper.say(ASK_FOR_A_PERSON)
    shopper.wait_for("handoff_status", lambda s: s["state"] == "queued", after=mark)


def offered(agent: AgentClient, conversation_id: str, after: int = 0, timeout: float = SETTLE_SECONDS) -> dict:
    return agent.wait_for("offer", lambda o: o["conversation"]["id"] == conversation_id, after=after, timeout=timeout)


def accept(agent: AgentClient, conversation_id: str) -> dict:
    ack = agent.call("accept", {"conversation_id": conversation_id})
    assert ack["ok"], ack
    return ack["conversation"]


def close(agent: AgentClient, conversation_id: str) -> None:
    ack = agent.call("close", {"conversation_id": conversation_id})
    assert ack["ok"], ack


def texts_of(messages: List[dict]) -> List[str]:
    return [m["text"] for m in messages]


def eventually(check: Callable[[], object], timeout: float = SETTLE_SECONDS, every: float = 0.2) -> object:
    """The first truthy result of `check` within `timeout` seconds (None when there is none)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(every)


def stored(store: DeskStore, conversation_id: str, senders: Tuple[str, ...] = ("shopper", "agent")) -> List[Message]:
    with store.session() as s:
        return s.execute(select(Message).where(Message.conversation_id == conversation_id,
                                               Message.sender.in_(senders)).order_by(Message.id)).scalars().all()


def stored_texts(store: DeskStore, conversation_id: str) -> List[Tuple[str, str]]:
    return [(m.sender, m.text) for m in stored(store, conversation_id)]


def presence_of(store: DeskStore, agent_id: int) -> List[AgentPresence]:
    with store.session() as s:
        return s.execute(select(AgentPresence).where(AgentPresence.agent_id == agent_id,
                                                     AgentPresence.sockets > 0)).scalars().all()


def console_knows(console: Console, conversation_id: str, after: int) -> set:
    """What the console shows of the chat: the messages it got live since `after`, and once it was
    told to `resync`, what it loads again with `open` (docs/live-chat.md)."""
    known = {event["message"]["text"] for event in console.of("message", after=after)
             if event["conversation_id"] == conversation_id}
    if console.of("resync", after=after):
        answer = console.call("open", {"conversation_id": conversation_id})
        assert answer["ok"], answer
        known |= set(texts_of(answer["conversation"]["messages"]))
    return known


def shopper_sees(shopper: ShopperClient, after: int) -> set:
    """What the widget shows since `after`: the messages it got live and the history sent to it again."""
    live = {m["text"] for m in shopper.of("bot_uttered", after=after)}
    return live.union(*(set(texts_of(h["messages"])) for h in shopper.of("history", after=after)))


# --- Redis --------------------------------------------------------------------------------------

TALK_DURING_REDIS_OUTAGE = [
    ("shopper", "kargom hâlâ yola çıkmadı"),
    ("agent", "Hemen kontrol ediyorum."),
    ("shopper", "sipariş numaram KZ-1042"),
    ("agent", "Kargo firmasına yazdım, bugün çıkıyor."),
    ("shopper", "teşekkürler, bekliyorum"),
]


def test_redis_goes_away_and_comes_back_during_a_live_chat(stack):
    a, b = stack.a, stack.b
    ayse = stack.console(b, "ayse")
    shopper = a.shopper()
    newcomer: Optional[ShopperClient] = None
    try:
        escalate(shopper)
        offered(ayse, shopper.session_id)  # made by A, through Redis to her socket on B
        accept(ayse, shopper.session_id)
        assert ayse.call("send", {"conversation_id": shopper.session_id, "text": "Merhaba, ben Ayşe."})["ok"]
        shopper.wait_for("bot_uttered", lambda m: m["text"] == "Merhaba, ben Ayşe.")

        console_mark, widget_mark = ayse.mark(), shopper.mark()
        stack.redis.cut()
        try:
            started = time.monotonic()
            for sender, text in TALK_DURING_REDIS_OUTAGE:
                if sender == "shopper":
                    shopper.say(text, wait=False)
                else:
                    ack = ayse.call("send", {"conversation_id": shopper.session_id, "text": text})
                    assert ack["ok"], ack
                # Stored before the next one (the database is there): the order is known.
                said = (sender, text)
                assert eventually(lambda said=said: said in stored_texts(stack.store, shopper.session_id),
                                  timeout=10), f"{sender}'s {text!r} was not stored while Redis was away"
            time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - started)))
            # The outage is real: nothing crossed between the bridges, so what follows is the resync's work.
            assert console_knows(ayse, shopper.session_id, console_mark).isdisjoint(
                text for sender, text in TALK_DURING_REDIS_OUTAGE if sender == "shopper")
            assert shopper_sees(shopper, widget_mark).isdisjoint(
                text for sender, text in TALK_DURING_REDIS_OUTAGE if sender == "agent")
        finally:
            stack.redis.restore()

        from_shopper = {text for sender, text in TALK_DURING_REDIS_OUTAGE if sender == "shopper"}
        from_agent = {text for sender, text in TALK_DURING_REDIS_OUTAGE if sender == "agent"}
        console = eventually(lambda: from_shopper <= console_knows(ayse, shopper.session_id, console_mark))
        assert console, f"the console missed shopper messages: {ayse.events[console_mark:]!r}"
        assert eventually(lambda: from_agent <= shopper_sees(shopper, widget_mark)), \
            f"the shopper missed the agent's messages: {shopper.events[widget_mark:]!r}"
        in_order = stored_texts(stack.store, shopper.session_id)[-len(TALK_DURING_REDIS_OUTAGE):]
        assert in_order == TALK_DURING_REDIS_OUTAGE

        # No chat is stuck: a new chat on A is offered to Ayşe on B, and her desk shows it (desk changes
        # cross the bridges again; the test below asks for it within the offer's time).
        desk_mark = ayse.mark()
        newcomer = a.shopper()
        escalate(newcomer)
        offered(ayse, newcomer.session_id, after=desk_mark, timeout=SETTLE_SECONDS)
        ayse.wait_for("desk", lambda d: any(q["id"] == newcomer.session_id for q in d["queue"]), after=desk_mark,
                      timeout=SETTLE_SECONDS)
        accept(ayse, newcomer.session_id)
        newcomer.wait_for("handoff_status", lambda s: s["state"] == "agent")
        for conversation_id in (shopper.session_id, newcomer.session_id):
            close(ayse, conversation_id)
    finally:
        stack.redis.restore()
        for client in (shopper, newcomer, ayse):
            if client is not None:
                client.disconnect()


def test_right_after_the_resync_an_offer_made_on_one_bridge_reaches_the_other(stack):
    a, b = stack.a, stack.b
    ayse = stack.console(b, "ayse")
    newcomer: Optional[ShopperClient] = None
    try:
        mark = ayse.mark()
        restart_redis(stack, LONGER_OUTAGE_SECONDS)
        ayse.wait_for("resync", after=mark, timeout=SETTLE_SECONDS)  # B counts itself back

        mark = ayse.mark()
        newcomer = a.shopper()
        escalate(newcomer)
        # A's offer, before it times out and is made again; and the desk change A announced.
        offered(ayse, newcomer.session_id, after=mark, timeout=OFFER_SECONDS - 1)
        ayse.wait_for("desk", lambda d: any(q["id"] == newcomer.session_id for q in d["queue"]), after=mark,
                      timeout=1)
    finally:
        stack.redis.restore()
        if newcomer is not None:
            newcomer.call("end_session", {})  # out of the queue: the next test starts with none
            newcomer.disconnect()
        ayse.disconnect()


# --- PostgreSQL ---------------------------------------------------------------------------------

KEPT_DURING_DATABASE_OUTAGE = ["siparişim hâlâ gelmedi", "lütfen yardım edin"]


def test_postgres_goes_away_and_comes_back_while_a_shopper_writes(stack):
    a, b = stack.a, stack.b
    ayse = stack.console(b, "ayse")
    shopper = a.shopper()
    try:
        assert shopper.say("kargo ücreti ne kadar")  # the assistant answers, through A
        assert presence_of(stack.store, ayse.user["id"])  # online (on B) before the outage
        kept_notice = bridge_texts.say("database_unavailable", "tr")

        stack.postgres.cut()
        try:
            started = time.monotonic()
            for text in KEPT_DURING_DATABASE_OUTAGE:
                told = shopper.say(text)
                assert kept_notice in texts_of(told), told
            time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - started)))
            assert stored_texts(stack.store, shopper.session_id) == [("shopper", "kargo ücreti ne kadar")]
        finally:
            back_at: datetime = utcnow()
            stack.postgres.restore()

        # The kept messages are written and the chat goes to a person: to Ayşe, online on B.
        offered(ayse, shopper.session_id)
        conversation = accept(ayse, shopper.session_id)
        assert [t for t in texts_of(conversation["messages"]) if t in KEPT_DURING_DATABASE_OUTAGE] == \
            KEPT_DURING_DATABASE_OUTAGE
        shopper.wait_for("handoff_status", lambda s: s["state"] == "agent")

        messages = stored(stack.store, shopper.session_id, senders=("shopper",))
        assert [m.text for m in messages] == ["kargo ücreti ne kadar", *KEPT_DURING_DATABASE_OUTAGE]
        assert all(m.created_at < back_at for m in messages)  # their own times, from the spool
        with stack.store.session() as s:
            row = s.get(Conversation, shopper.session_id)
            assert (row.state, row.reason, row.agent_id) == ("agent", "database_unavailable", ayse.user["id"])
        assert not (a.settings.state_dir / "spool" / "messages.jsonl").read_text(encoding="utf-8").strip()

        # Ayşe stays online: B refreshes her presence again (it could not while the database was away).
        refreshed = eventually(lambda: [p for p in presence_of(stack.store, ayse.user["id"]) if p.seen_at >= back_at],
                               timeout=2 * HEARTBEAT_SECONDS + 2)
        assert refreshed, presence_of(stack.store, ayse.user["id"])
        close(ayse, shopper.session_id)
    finally:
        stack.postgres.restore()
        shopper.disconnect()
        ayse.disconnect()
