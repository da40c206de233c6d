"""Two doors that were open: anyone could lock an owner out of their order by guessing wrong,
and the action server answered anyone who could reach it. Against the running stack."""
import uuid

import pytest
import requests
from sqlalchemy import select

from actions.store.models import FailedProof, ProofAlert
from tests.conftest import EDGE, demo_customer, demo_order

pytestmark = pytest.mark.integration


def texts(messages):
    return " ".join(m.get("text") or "" for m in messages)


def owner_email(order_no):
    return demo_customer(demo_order(order_no)["customer_id"])["email"]


def guess(chat, order_no, email="tahmin@example.com"):
    chat.say(f"{order_no} nolu siparişim nerede")
    return chat.say(f"mailim {email}")


# --- failed proofs slow down where they come from, never lock the owner out -----------------

def test_guesses_from_other_conversations_do_not_lock_out_the_owner(shopper, running_store):
    order_no = EDGE["out_for_delivery"]  # no other test proves this order
    tracking_no = demo_order(order_no)["tracking_no"]
    for _ in range(5):  # five wrong proofs, each from a fresh conversation
        answer = texts(guess(shopper(), order_no))
        assert "bulamadım" in answer and tracking_no not in answer

    attacker = shopper()
    guess(attacker, order_no, "bir@example.com")
    attacker.say(order_no)
    attacker.say("mailim iki@example.com")
    attacker.say(order_no)
    stopped = texts(attacker.say("mailim uc@example.com"))  # the conversation's third failure
    assert "saniye beklemeniz" in stopped and "temsilci" in stopped
    again = texts(attacker.say(f"{order_no} nolu siparişim nerede"))  # asking again right away
    assert "saniye beklemeniz" in again and "e-posta" not in again
    assert tracking_no not in texts(attacker.say(f"mailim {owner_email(order_no)}"))

    owner = shopper()  # a fresh conversation, right e-mail, first try
    assert "e-posta" in texts(owner.say(f"{order_no} nolu siparişim nerede"))
    answer = texts(owner.say(f"mailim {owner_email(order_no)}"))
    assert "dağıtımda" in answer and tracking_no in answer

    with running_store.sessions() as session:
        alerts = session.scalars(select(ProofAlert).where(ProofAlert.order_no == order_no)).all()
    assert len(alerts) == 1 and alerts[0].failures >= 5 and alerts[0].clients >= 5


def test_agents_are_alerted_when_one_order_collects_failures_through_the_bridge(shopper, running_bridge, running_store):
    order_no = EDGE["awaiting_payment"]
    agent = running_bridge.agent("zeynep")
    try:
        for _ in range(4):  # four failures over Rasa's REST channel...
            guess(shopper(), order_no)
        chat = running_bridge.shopper()  # ...and the fifth through the bridge
        try:
            assert "bulamadım" in texts(guess(chat, order_no))
        finally:
            chat.disconnect()
        alert = agent.wait_for("alert", lambda data: data.get("order_no") == order_no, timeout=30)
    finally:
        agent.disconnect()
    assert alert["kind"] == "proof_alert" and alert["failures"] == 5 and alert["window_minutes"] == 15
    assert alert["conversation_id"] == chat.session_id
    later = running_bridge.agent("mehmet")  # logs in after the alert: it is shown to them too
    try:
        replayed = later.wait_for("alert", lambda data: data.get("order_no") == order_no, timeout=10)
    finally:
        later.disconnect()
    assert (replayed["failures"], replayed["raised_at"]) == (alert["failures"], alert["raised_at"])
    with running_store.sessions() as session:  # the bridge told the actions where the guess came from
        clients = session.scalars(select(FailedProof.client).where(FailedProof.conversation_id == chat.session_id)).all()
    assert clients == ["127.0.0.1"]


def failed_proof_clients(store, sender):
    with store.sessions() as session:
        return session.scalars(select(FailedProof.client).where(FailedProof.conversation_id == sender)).all()


def test_a_client_address_is_believed_only_from_whoever_has_rasas_token(running_assistant, running_store):
    """Over Rasa's REST channel anyone may name a `client_address`: a new one for every guess would
    dodge the waits per client. Only the bridge (Rasa's token in the query) is believed."""
    url = f"{running_assistant.rasa_url}/webhooks/rest/webhook"

    def wrong_proof(order_no, fake_address, params):
        sender = f"test-{uuid.uuid4().hex}"
        for text in (f"{order_no} nolu siparişim nerede", "mailim tahmin@example.com"):
            answer = requests.post(url, params=params, timeout=60,
                                   json={"sender": sender, "message": text, "metadata": {"client_address": fake_address}})
            answer.raise_for_status()
        assert "bulamadım" in texts(answer.json())
        return failed_proof_clients(running_store, sender)

    # Unknown order numbers: the same answer as a wrong proof, and no other test's order is slowed.
    for params in ({}, {"token": "wrong"}):
        clients = wrong_proof("499871", "203.0.113.66", params)
        assert len(clients) == 1 and clients[0] != "203.0.113.66"
        assert clients == ["127.0.0.1"]  # where the request came from (the Rasa pool, on this machine)
    assert wrong_proof("499872", "198.51.100.23", {"token": running_assistant.rasa_api_token()}) == ["198.51.100.23"]


# --- the action server answers Rasa only ---------------------------------------------------

def made_up_call(order_no):
    """What a prober POSTs: a tracker claiming the order was proven."""
    sender = f"prober-{uuid.uuid4().hex}"
    tracker = {"sender_id": sender, "slots": {"verified_order_no": order_no, "order_no": order_no, "language": "tr"},
               "latest_message": {"text": "siparişim nerede", "intent": {"name": "order_status"}}, "events": [],
               "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen"}
    return {"next_action": "action_order_status", "sender_id": sender, "tracker": tracker, "domain": {},
            "version": "3.6.2"}


def test_the_action_server_refuses_calls_without_rasas_token(running_assistant):
    order_no = EDGE["in_transit"]
    tracking_no = demo_order(order_no)["tracking_no"]
    base = f"http://{running_assistant.host}:{running_assistant.action_port}"
    webhook = f"{base}/webhook"
    for params in ({}, {"token": "wrong"}, {"token": ""}):
        refused = requests.post(webhook, params=params, json=made_up_call(order_no), timeout=30)
        assert refused.status_code == 401 and tracking_no not in refused.text
        assert "token" in refused.json()["message"]
    assert requests.get(f"{base}/actions", timeout=10).status_code == 401
    assert requests.get(f"{base}/health", timeout=10).status_code == 200  # health checks need no token

    answered = requests.post(webhook, params={"token": running_assistant.action_token()},
                             json=made_up_call(order_no), timeout=30)
    assert answered.status_code == 200 and tracking_no in answered.text  # so the token is what refused them
