"""Two Rasa replicas on PostgreSQL and Redis (README "Running on several machines"): the bridge's
router (bot/desk/rasa_replicas.py) keeps a conversation on one replica; when that replica dies,
the conversation goes on on the other with its verified order and its open form, because the
tracker is in the shared database, and no turn is lost."""
import socket
import uuid

import pytest
import redis
import requests

from actions.store.database import make_engine
from actions.store.seed import seed
from bot.desk.rasa_replicas import RasaReplicas
from bot.processes import assistant, free_port
from bot.rasa_pool import LOCK_KEY_PREFIX
from bot.settings import Settings
from tests.asyncio_thread import run_async
from tests.conftest import EDGE, demo_customer, demo_order
from tests.stack import postgres_schema_url

pytestmark = pytest.mark.integration

REDIS_URL = "redis://127.0.0.1:6379/5"  # not db 0: leave whatever else uses this Redis alone


def two_free_ports() -> int:
    """A port P with P+1 free too (`bot up --rasa 2` listens on RASA_PORT and RASA_PORT+1)."""
    for _ in range(50):
        port = free_port()
        try:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no two consecutive free ports")


@pytest.fixture(scope="module")
def replica_stack(trained_model, tmp_path_factory):
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    with postgres_schema_url() as database_url:
        seed(make_engine(database_url))
        settings = Settings(
            state_dir=tmp_path_factory.mktemp("replicas"), database_url=database_url, redis_url=REDIS_URL,
            rasa_port=two_free_ports(), rasa_replicas=2, action_port=free_port(), rasa_token=uuid.uuid4().hex,
        )
        group = assistant(settings, trained_model)
        group.start(progress=lambda _: None)
        try:
            yield group
        finally:
            group.stop()


def texts(replies):
    return " ".join(reply.text for reply in replies)


def titles(replies):
    return [button["title"] for reply in replies for button in reply.quick_replies]


def tracker(settings, url, sender):
    response = requests.get(f"{url}/conversations/{sender}/tracker", params={"token": settings.rasa_api_token()},
                            timeout=30)
    response.raise_for_status()
    return response.json()


def test_a_conversation_survives_the_death_of_its_rasa_replica(replica_stack):
    settings = replica_stack.settings
    urls = settings.rasa_replica_urls
    assert len(urls) == 2 and all(requests.get(f"{url}/", timeout=10).ok for url in urls)
    endpoints = (settings.state_dir / "rasa" / "endpoints.yml").read_text()
    assert "lock_store:" in endpoints and "type: redis" in endpoints and "db: 5" in endpoints
    assert f"key_prefix: {LOCK_KEY_PREFIX}" in endpoints

    order_no = EDGE["delivered_within_return_window"]
    email = demo_customer(demo_order(order_no)["customer_id"])["email"]
    sender = f"replicas-{uuid.uuid4().hex}"

    async def conversation():
        replicas = RasaReplicas(urls, settings.rasa_api_token(), timeout=120, down_seconds=2, probe_interval=0.5)
        await replicas.start()
        try:
            home = replicas.replica_for(sender)
            other = next(url for url in urls if url != home)
            await replicas.send(sender, "ürün iade etmek istiyorum", {})
            asked = texts(await replicas.send(sender, order_no, {}))
            assert "e-posta" in asked.lower() or "mail" in asked.lower(), asked
            items = await replicas.send(sender, email, {})  # the owner's e-mail proves the order
            assert "Hangi ürünü" in texts(items), texts(items)
            before = tracker(settings, home, sender)
            assert before["slots"]["verified_order_no"] == order_no
            form = before["active_loop"].get("name")
            assert form, before["active_loop"]
            # Rasa took its conversation locks in Redis (its lock store keeps the connection open).
            watcher = redis.Redis.from_url(REDIS_URL)
            assert [c for c in watcher.client_list() if c["db"] == "5" and c["id"] != str(watcher.client_id())]
            watcher.close()
            # The other replica reads the same tracker (PostgreSQL) but has not served this chat.
            assert tracker(settings, other, sender)["active_loop"].get("name") == form

            service = next(s for s in replica_stack.services if s.health_url.rstrip("/") == home)
            service.stop()  # the whole process group: the pool's proxy and its Rasa
            assert not service.healthy()

            reasons = await replicas.send(sender, titles(items)[0], {})  # refused by `home`: goes to `other`
            assert replicas.is_down(home) and replicas.replica_for(sender) == other
            assert "Beden veya renk uymadı" in titles(reasons), texts(reasons)
            slots = await replicas.slots(sender)
            assert slots["verified_order_no"] == order_no
            after = tracker(settings, other, sender)
            assert after["active_loop"].get("name") == form  # the form went on where it stopped
            user_turns = [e["text"] for e in tracker(settings, other, sender)["events"] if e["event"] == "user"]
            assert user_turns.count(titles(items)[0]) == 1  # the retried turn reached Rasa once
            return home
        finally:
            await replicas.close()

    home = run_async(conversation)
    assert home in urls
