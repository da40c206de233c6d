"""The database becomes unreachable mid-conversation (PostgreSQL behind a proxy the test cuts):
the shopper is told their message is kept, nothing is lost, and once the database is back the
kept messages are stored with their times and the chat goes to a person."""
from urllib.parse import urlparse

import pytest
import requests
from sqlalchemy import select

from actions.store.database import make_engine
from actions.store.seed import seed
from bot.desk.models import Conversation, Message
from bot.processes import full_stack
from bot.settings import Settings
from tests.stack import POSTGRES_URL, RunningBridge, desk_passwords, free_port, postgres_schema_url
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def outage(tmp_path_factory, trained_model):
    server = urlparse(POSTGRES_URL)
    proxy = TcpProxy((server.hostname, server.port or 5432)).start()
    through_proxy = POSTGRES_URL.replace(server.netloc, f"{server.username}@127.0.0.1:{proxy.port}")
    with postgres_schema_url(through_proxy) as database_url:
        settings = Settings(state_dir=tmp_path_factory.mktemp("outage"), rasa_port=free_port(), action_port=free_port(),
                            bridge_port=free_port(), rasa_token="outage-token", support_hours="always",
                            database_url=database_url)
        seed(make_engine(database_url))
        running = RunningBridge(settings, full_stack(settings, trained_model))
        with desk_passwords():
            running.start()
        running.proxy = proxy
        yield running
        running.stop()
    proxy.cut()


def test_messages_written_while_the_database_is_down_are_kept_and_reach_a_person(outage):
    shopper = outage.shopper()
    try:
        assert "49,90" in shopper.say("kargo ücreti ne kadar")[0]["text"]
        outage.proxy.cut()
        told = shopper.say("siparişim hâlâ gelmedi, yardım edin")
        assert told[0]["metadata"]["sender"] == "system" and "kaybolmayacak" in told[0]["text"]
        shopper.say("lütfen bir temsilci")
        assert requests.get(f"{outage.url}/health", timeout=5).status_code == 503

        # A shopper who reloads the page meanwhile keeps their session.
        again = outage.shopper(session_id=shopper.session_id)
        assert again.session_id == shopper.session_id
        again.disconnect()

        mark = shopper.mark()
        outage.proxy.restore()
        status = shopper.wait_for("handoff_status", lambda s: s["state"] == "queued", after=mark, timeout=60)
        assert status["position"] >= 1
    finally:
        shopper.disconnect()
        outage.proxy.restore()

    with outage.desk_store().session() as s:
        conversation = s.get(Conversation, shopper.session_id)
        messages = s.execute(select(Message).where(Message.conversation_id == shopper.session_id,
                                                   Message.sender == "shopper").order_by(Message.id)).scalars().all()
    assert [m.text for m in messages] == ["kargo ücreti ne kadar", "siparişim hâlâ gelmedi, yardım edin", "lütfen bir temsilci"]
    assert messages[1].created_at < messages[2].created_at  # their own times, in order
    assert (conversation.state, conversation.reason) == ("queued", "database_unavailable")
    assert requests.get(f"{outage.url}/health", timeout=5).status_code == 200
