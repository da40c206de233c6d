"""The whole life of a complaint ticket on the real stack: Rasa, the action server, a bridge that
sends e-mail to a local SMTP server (aiosmtpd), an agent on the console's socket and REST API, and
the customer's signed ticket page.

A shopper who proved an order complains in the chat; the assistant records an `SKT-…` ticket and
promises its first-response deadline; the bridge acknowledges it by e-mail. The shopper asks
"SKT-… ne durumda" at every step. An agent comes online and gets the ticket, answers it (an e-mail
threaded on the acknowledgement, and the same words in the chat), the customer answers back on
the page the e-mail links to, the agent resolves it (an e-mail asking for a rating) and the
customer rates it once. Each step checks what the shopper, the agent and the database see.
"""
import re
import time
from typing import Callable, List, Optional, TypeVar

import pytest
import requests
from sqlalchemy import select

from actions.store.database import make_engine
from actions.store.types import shop_local
from actions.texts import format_due, format_moment, mask_email
from actions.texts import say as chat_say
from bot.desk.models import DeskUser
from bot.desk.store import DeskStore
from bot.processes import free_port
from bot.tickets import customer_texts
from bot.tickets.customer_texts import when
from bot.tickets.setup import ticket_store
from tests.conftest import EDGE, demo_customer, demo_order
from tests.live_chat import AgentClient
from tests.stack import RunningBridge, desk_passwords
from tests.smtp import SmtpServer

pytestmark = pytest.mark.integration

T = TypeVar("T")
WAIT = 20.0  # seconds any single step may take on a busy 2-core machine
CODE = re.compile(r"SKT-(\d{4})-\d{6}")
# A complaint with the shopper's own words. Calm on purpose: the bridge hands an angry message
# ("…, rezalet") to a live agent before the assistant sees it (bot/desk/inbound.py), and this test
# follows the assistant's complaint flow.
COMPLAINT = "kargom gecikti, kurye telefonu açmıyor, şikayet etmek istiyorum"
REPLY = "Merhaba, kargo firmasıyla görüştüm; paketiniz yarın öğlene kadar teslim edilecek."
ANSWER = "Teşekkürler, kurye yine aramadı; paketi şubeden alabilir miyim?"


# --- the stack ----------------------------------------------------------------------------------

@pytest.fixture
def bridge(running_assistant, smtp):
    """A bridge of its own in front of the shared assistant, mailing through the local SMTP server
    and linking to itself; support open around the clock, as the shared test bridge."""
    port = free_port()
    settings = running_assistant.copy(update={"bridge_port": port, "support_hours": "always"})
    settings = settings.copy(update={"public_url": settings.bridge_url, "smtp_host": "127.0.0.1", "smtp_port": smtp.port,
                                     "smtp_user": "", "smtp_starttls": False})
    running = RunningBridge(settings)
    with desk_passwords():
        running.start()
    yield running
    running.stop()


# --- helpers ------------------------------------------------------------------------------------

def eventually(check: Callable[[], Optional[T]], what: str, timeout: float = WAIT) -> T:
    """Polls `check` until it returns something truthy; fails naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.2)


def bot_text(messages: List[dict]) -> str:
    """What the assistant itself answered (an agent's message arriving meanwhile is not its answer)."""
    return " ".join(m.get("text") or "" for m in messages if m["metadata"]["sender"] == "bot")


def status_in_chat(shopper, code: str) -> str:
    return bot_text(shopper.say(f"{code} ne durumda"))


def stored(bridge: RunningBridge, code: str):
    """(ticket, all its thread entries, the public ones) as the database holds them now."""
    desk = DeskStore(make_engine(bridge.settings.store_database_url))
    try:
        store = ticket_store(bridge.settings, desk.engine)
        ticket = store.by_code(code)
        assert ticket is not None, f"no ticket {code} in the database"
        return ticket, store.entries(ticket.id), store.entries(ticket.id, public_only=True)
    finally:
        desk.engine.dispose()


def user_id(bridge: RunningBridge, username: str) -> int:
    desk = DeskStore(make_engine(bridge.settings.store_database_url))
    try:
        with desk.session() as s:
            return s.execute(select(DeskUser.id).where(DeskUser.username == username)).scalar_one()
    finally:
        desk.engine.dispose()


def api(bridge: RunningBridge, token: str, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, f"{bridge.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30,
                            **kwargs)


def agent_page(bridge: RunningBridge, token: str, ticket_id: int) -> dict:
    response = api(bridge, token, "GET", f"/api/tickets/{ticket_id}")
    assert response.status_code == 200, response.text
    return response.json()["ticket"]


def mails(smtp: SmtpServer, code: str) -> list:
    """The ticket's e-mails as the customer's mail program received them, oldest first."""
    return [m for m in smtp.inbox.messages if code in m["Subject"]]


def mails_when(smtp: SmtpServer, code: str, count: int) -> Callable[[], Optional[list]]:
    """For `eventually`: the ticket's e-mails once there are `count` of them."""
    return lambda: (lambda found: found if len(found) == count else None)(mails(smtp, code))


def mail_text(message) -> str:
    return message.get_body(("plain",)).get_content()


def page_url(bridge: RunningBridge, message) -> str:
    """The signed link to the ticket page in an e-mail's text."""
    found = re.search(rf"{re.escape(bridge.settings.public_base_url)}/ticket/[\w.-]+", mail_text(message))
    assert found, mail_text(message)
    return found.group(0)


def tickets_changed(agent: AgentClient, ticket_id: int, what: str, after: int = 0) -> dict:
    """The console's refresh signal (bot/desk/delivery.py), which AgentClient does not record by itself."""
    return agent.wait_for("tickets_changed", lambda d: d == {"ticket_id": ticket_id, "what": what}, timeout=WAIT,
                          after=after)


# --- the life of a ticket -----------------------------------------------------------------------

def test_a_complaint_ticket_from_the_chat_to_the_rating(bridge, smtp):
    order_no = EDGE["in_transit"]
    customer = demo_customer(demo_order(order_no)["customer_id"])
    email = customer["email"].lower()
    ayse_id = user_id(bridge, "ayse")
    ayse_token = bridge.token("ayse")
    shopper = bridge.shopper()
    agent = None
    try:
        # 1. A shopper proves an order, then complains: the assistant records a ticket and promises
        #    its first-response deadline; the bridge acknowledges it by e-mail.
        shopper.say(f"{order_no} nolu siparişim nerede")
        assert order_no in bot_text(shopper.say(f"mailim {customer['email']}"))  # proven: the order's status
        recorded = bot_text(shopper.say(COMPLAINT))
        found = CODE.search(recorded)
        assert found, recorded
        code = found.group(0)
        ticket, _, _ = stored(bridge, code)
        assert (ticket.source, ticket.category, ticket.language, ticket.status) == ("complaint", "kargo", "tr", "new")
        assert (ticket.customer_id, ticket.email, ticket.order_no) == (customer["id"], email, order_no)
        assert ticket.conversation_id == shopper.session_id and ticket.text == COMPLAINT and ticket.owner_id is None
        assert int(found.group(1)) == shop_local(ticket.created_at).year  # the store's (Istanbul) year
        assert recorded.startswith(chat_say("complaint_recorded", "tr", reference=code,
                                            due=format_due(ticket.first_response_due, "tr"), email=mask_email(email)))
        assert email not in recorded  # the chat shows the address masked
        chat = [(m.sender, m.text) for m in bridge.stored_messages(shopper.session_id)]
        assert ("shopper", COMPLAINT) in chat and any(sender == "bot" and code in text for sender, text in chat)

        [acknowledgement] = eventually(mails_when(smtp, code, 1), "the acknowledgement e-mail")
        assert acknowledgement["To"].addresses[0].addr_spec == email
        assert acknowledgement["Subject"] == customer_texts.say("mail.subject.complaint", "tr", code=code)
        assert acknowledgement["In-Reply-To"] is None and acknowledgement["Auto-Submitted"] == "auto-generated"
        body = mail_text(acknowledgement)
        assert customer_texts.say("mail.due", "tr", due=when(ticket.first_response_due, "tr")) in body
        assert f"> {COMPLAINT}" in body and page_url(bridge, acknowledgement)
        # its Message-ID is kept on the ticket (after the send), so that the next e-mail threads on it
        eventually(lambda: stored(bridge, code)[0].last_message_id == acknowledgement["Message-ID"],
                   "the acknowledgement's Message-ID on the ticket")

        listed = api(bridge, ayse_token, "GET", "/api/tickets", params={"view": "unassigned"}).json()["tickets"]
        assert code in [row["code"] for row in listed]  # the console: waiting for an owner

        # 2. Status in the chat: being looked at, nobody answered yet, the promised deadline.
        status = status_in_chat(shopper, code)
        assert code in status and chat_say("ticket_unassigned", "tr") in status
        assert chat_say("ticket_no_reply_yet", "tr") in status and "ekibimiz inceliyor" in status
        assert chat_say("ticket_next_due", "tr", due=format_due(ticket.first_response_due, "tr")) in status

        # 3. An agent comes online: the ticket gets its owner; the chat names her first name only.
        agent = AgentClient(bridge.url, "ayse", bridge.passwords["ayse"])
        agent.sio.on("tickets_changed", lambda data: agent.record("tickets_changed", data), namespace="/agents")
        agent.connect()
        page = eventually(lambda: (lambda p: p if p["owner"] else None)(agent_page(bridge, ayse_token, ticket.id)),
                          "an owner for the ticket")  # the console's own view, polled
        assert page["owner"] == {"id": ayse_id, "name": "Ayşe K."} and page["status"] == "open"
        assert page["email"] == email and page["order_no"] == order_no and page["text"] == COMPLAINT
        assert page["context"]["customer"]["email"] == email
        assert COMPLAINT in [m["text"] for m in page["transcript"] if m["sender"] == "shopper"]
        assigned = [e["event"] for e in page["thread"] if e["kind"] == "event" and e["event"]["event"] == "assigned"]
        assert [a["to_name"] for a in assigned] == ["Ayşe K."]
        tickets_changed(agent, ticket.id, "assigned")
        ticket, _, _ = stored(bridge, code)
        assert (ticket.owner_id, ticket.status) == (ayse_id, "open")

        status = status_in_chat(shopper, code)
        assert chat_say("ticket_owner", "tr", name="Ayşe") in status and "Ayşe K." not in status
        assert chat_say("ticket_next_due", "tr", due=format_due(ticket.first_response_due, "tr")) in status

        # 4. The agent answers: an e-mail threaded on the acknowledgement with the page's link, the
        #    same words in the shopper's chat; the ticket waits for the customer.
        mark = shopper.mark()
        response = api(bridge, ayse_token, "POST", f"/api/tickets/{ticket.id}/reply", json={"text": REPLY})
        assert response.status_code == 200, response.text
        assert response.json()["ticket"]["status"] == "waiting" and response.json()["entry"]["text"] == REPLY

        acknowledgement, reply = eventually(mails_when(smtp, code, 2), "the reply's e-mail")
        assert reply["In-Reply-To"] == reply["References"] == acknowledgement["Message-ID"]
        assert reply["Message-ID"] != acknowledgement["Message-ID"] and reply["Subject"] == acknowledgement["Subject"]
        assert reply["Auto-Submitted"] is None  # a person wrote it
        body = mail_text(reply)
        assert REPLY in body and "Ayşe" in body and "Ayşe K." not in body
        reply_link = page_url(bridge, reply)

        in_chat = shopper.wait_for("bot_uttered", lambda m: m["metadata"]["sender"] == "agent", after=mark, timeout=WAIT)
        assert in_chat["text"] == f"[{code}] {REPLY}" and in_chat["metadata"]["agent_name"] == "Ayşe K."

        ticket, _, public = stored(bridge, code)
        assert ticket.status == "waiting" and ticket.first_response_at is not None
        sent = public[-1]
        assert (sent.kind, sent.text, sent.author_id, sent.channel) == ("reply", REPLY, ayse_id, "email")
        assert sent.message_id == reply["Message-ID"] == ticket.last_message_id and sent.data["mail"] == "sent"
        assert ("agent", f"[{code}] {REPLY}") in [(m.sender, m.text) for m in bridge.stored_messages(shopper.session_id)]
        thread = agent_page(bridge, ayse_token, ticket.id)["thread"]
        assert (thread[-1]["kind"], thread[-1]["text"], thread[-1]["mail"]) == ("reply", REPLY, "sent")

        status = status_in_chat(shopper, code)
        assert "sizden yanıt bekliyoruz — e-postanızı kontrol edin" in status
        assert chat_say("ticket_last_reply", "tr", when=format_moment(sent.created_at, "tr")) in status
        assert "dönüş yapacağız" not in status  # nothing is owed while we wait for them

        # 5. The customer answers on the page the e-mail links to: the ticket is open again, with
        #    their words in its thread, and the agent is told.
        shown = requests.get(reply_link, timeout=30)
        assert shown.status_code == 200 and code in shown.text and REPLY in shown.text
        assert customer_texts.status_words("waiting", "tr") in shown.text
        mark = agent.mark()
        answered = requests.post(reply_link, data={"message": ANSWER}, allow_redirects=False, timeout=30)
        assert answered.status_code == 303, answered.text
        after = requests.get(requests.compat.urljoin(reply_link, answered.headers["Location"]), timeout=30)
        assert customer_texts.say("page.sent", "tr") in after.text and ANSWER in after.text

        ticket, _, public = stored(bridge, code)
        assert ticket.status == "open" and ticket.owner_id == ayse_id
        assert [(e.kind, e.text, e.channel) for e in public] == [("reply", REPLY, "email"), ("customer", ANSWER, "page")]
        tickets_changed(agent, ticket.id, "customer", after=mark)
        thread = agent_page(bridge, ayse_token, ticket.id)["thread"]
        assert (thread[-1]["kind"], thread[-1]["text"]) == ("customer", ANSWER)
        assert len(mails(smtp, code)) == 2  # nothing is mailed back for the customer's own words

        status = status_in_chat(shopper, code)
        assert "ekibimiz inceliyor" in status and chat_say("ticket_owner", "tr", name="Ayşe") in status
        assert chat_say("ticket_last_reply", "tr", when=format_moment(sent.created_at, "tr")) in status
        assert chat_say("ticket_next_due", "tr", due=format_due(ticket.resolution_due, "tr")) in status

        # 6. The agent resolves it: an e-mail asks for a rating; the customer rates it once.
        response = api(bridge, ayse_token, "POST", f"/api/tickets/{ticket.id}/status", json={"status": "resolved"})
        assert response.status_code == 200, response.text
        assert response.json()["ticket"]["status"] == "resolved"
        _, reply, resolution = eventually(mails_when(smtp, code, 3), "the resolution's e-mail")
        assert resolution["In-Reply-To"] == reply["Message-ID"] and resolution["Subject"] == reply["Subject"]
        body = mail_text(resolution)
        assert customer_texts.say("mail.resolved", "tr", code=code) in body
        assert customer_texts.say("mail.rate_line", "tr") in body
        rating_link = page_url(bridge, resolution)
        assert 'name="score"' in requests.get(rating_link, timeout=30).text

        mark = agent.mark()
        rated = requests.post(f"{rating_link}/rating", data={"score": "5"}, allow_redirects=False, timeout=30)
        assert rated.status_code == 303, rated.text
        again = requests.post(f"{rating_link}/rating", data={"score": "1"}, allow_redirects=False, timeout=30)
        assert again.status_code == 409 and customer_texts.say("rating.already", "tr") in again.text
        tickets_changed(agent, ticket.id, "rated", after=mark)

        ticket, _, _ = stored(bridge, code)
        assert (ticket.status, ticket.rating) == ("resolved", 5)
        assert ticket.resolved_at is not None and ticket.rated_at is not None
        page = agent_page(bridge, ayse_token, ticket.id)
        assert (page["status"], page["rating"]) == ("resolved", 5)
        status_events = [e["event"] for e in page["thread"] if e["kind"] == "event" and e["event"]["event"] == "status"]
        assert status_events[-1]["to"] == "resolved"
        assert len(mails(smtp, code)) == 3  # the rating asks for nothing more

        status = status_in_chat(shopper, code)
        assert "çözüldü" in status
        assert chat_say("ticket_resolved_at", "tr", when=format_moment(ticket.resolved_at, "tr")) in status
        assert "ilgileniyor" not in status and "dönüş yapacağız" not in status
    finally:
        shopper.disconnect()
        if agent is not None:
            agent.disconnect()

