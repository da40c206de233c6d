"""Conversations are kept in the project's database (bot/rasa_tracker_store.py): an order form left
open survives a restart of the Rasa server. With Rasa's in-memory tracker store the restarted
server would know nothing of the conversation and the e-mail alone would prove no order."""
import pytest
from sqlalchemy import text

from actions.store.database import make_engine
from tests.conftest import EDGE, demo_customer, demo_order

pytestmark = pytest.mark.integration


def texts(messages):
    return " ".join(m.get("text", "") for m in messages)


def stored_events(settings, sender):
    engine = make_engine(settings.store_database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT type_name FROM events WHERE sender_id = :sender ORDER BY id"),
                                      {"sender": sender}).scalars().all()
    finally:
        engine.dispose()


def test_an_open_order_form_survives_a_restart_of_the_rasa_server(assistant_group, shopper):
    order = demo_order(EDGE["in_transit"])
    chat = shopper()
    assert "e-posta" in texts(chat.say(f"{order['order_no']} nolu siparişim nerede"))
    before = chat.tracker()
    assert before["active_loop"].get("name") == "order_status_form"
    assert before["slots"]["order_no"] == order["order_no"]
    assert "user" in stored_events(assistant_group.settings, chat.sender)  # in the project's database

    rasa = assistant_group.service("Rasa server")
    rasa.stop()
    try:
        assert not rasa.healthy()
        assistant_group.start_again(rasa, progress=lambda _: None)
    finally:
        if not rasa.running():  # the stack is shared by the whole session: leave it running
            assistant_group.start_again(rasa, progress=lambda _: None)

    after = chat.tracker()
    assert after["active_loop"].get("name") == "order_status_form"
    assert after["slots"]["order_no"] == order["order_no"]
    # The form goes on where it stopped: the e-mail proves the order asked about before the restart.
    answer = texts(chat.say(f"mailim {demo_customer(order['customer_id'])['email']}"))
    assert order["tracking_no"] in answer
    assert chat.tracker()["slots"]["verified_order_no"] == order["order_no"]
