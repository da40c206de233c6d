"""The action server's database goes away for real (PostgreSQL behind a proxy the test cuts) while
Rasa, whose conversations are in the same database by another path, keeps running: the shopper
gets an honest answer and the offer of a person, nothing is changed, and once the database is
back the same question is answered from the store (the action server's pool reconnects)."""
from urllib.parse import urlparse

import pytest

from actions.store.database import make_engine
from actions.store.seed import seed
from bot.processes import ServiceGroup, action_server, serving_rasa
from bot.settings import Settings
from bot.training import rasa_env
from tests.conftest import EDGE, demo_customer, demo_order
from tests.stack import POSTGRES_URL, Shopper, free_port, postgres_schema_url
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(tmp_path_factory, trained_model):
    server = urlparse(POSTGRES_URL)
    proxy = TcpProxy((server.hostname, server.port or 5432)).start()
    with postgres_schema_url() as database_url:
        through_proxy = database_url.replace(server.netloc, f"{server.username}@127.0.0.1:{proxy.port}")
        settings = Settings(state_dir=tmp_path_factory.mktemp("action-outage"), rasa_port=free_port(),
                            action_port=free_port(), rasa_token="action-outage-token", database_url=database_url)
        seed(make_engine(database_url))
        actions, rasa = action_server(settings), serving_rasa(settings, trained_model)
        group = ServiceGroup(settings, [actions, rasa])
        env = rasa_env(settings)
        try:
            actions.start({**env, "DATABASE_URL": through_proxy})  # only the action server goes through the proxy
            rasa.start(env)
            group._wait_until_healthy(lambda _: None)
            yield settings, proxy
        finally:
            group.stop()
            proxy.cut()


def text_of(messages):
    return " ".join(m.get("text", "") for m in messages)


def test_the_action_server_answers_honestly_while_its_database_is_gone_and_recovers(stack):
    settings, proxy = stack
    order_no = EDGE["in_transit"]
    email = demo_customer(demo_order(order_no)["customer_id"])["email"]
    tracking = demo_order(order_no)["tracking_no"]

    chat = Shopper(settings)
    assert "e-posta" in text_of(chat.say(f"{order_no} nolu siparişim nerede"))
    proxy.cut()
    try:
        during = chat.say(f"mailim {email}")
        assert "ulaşamıyorum" in text_of(during) and tracking not in text_of(during)
        assert any((m.get("custom") or {}).get("handoff_offer") for m in during), during
        slots = chat.tracker()["slots"]
        assert slots.get("verified_order_no") is None  # nothing was proven while the store was away
    finally:
        proxy.restore()

    again = Shopper(settings)
    assert "e-posta" in text_of(again.say(f"{order_no} nolu siparişim nerede"))
    answer = text_of(again.say(f"mailim {email}"))
    assert "kargoya verildi" in answer and tracking in answer
