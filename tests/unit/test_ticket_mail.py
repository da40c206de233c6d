"""Ticket e-mails (bot/tickets/mail.py) and the ticket page's signed links (bot/tickets/links.py).

The e-mails are composed by the real TicketMailer and go through the real TicketService and
TicketStore on a migrated SQLite file; only the SMTP hand-over is replaced by a list, so threading
is checked as the store records it (`mail_result`). Times are fixed: Thursday 3 December 2026,
09:00 in Istanbul, with the store's hours, so the first answer is due at 17:00 the same day.
"""
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy

import jwt
import pytest

from actions.store.types import SHOP_ZONE
from bot.desk.models import DeskUser
from bot.desk.store import DeskStore
from bot.followup.links import feedback_token, read_feedback
from bot.settings import Settings
from bot.tickets import links
from bot.tickets.customer_web import linked_ticket
from bot.tickets.links import read_ticket_link, ticket_token, ticket_url
from bot.tickets.mail import TicketMailer, compose_opened, compose_reply
from bot.tickets.service import TicketService
from bot.tickets.setup import ticket_store
from bot.tickets.store import NewTicket
from tests.asyncio_thread import run_async

SECRET = "ticket-mail-tests-secret-of-32-characters"
UTC = timezone.utc
OPENED = datetime(2026, 12, 3, 9, 0, tzinfo=SHOP_ZONE).astimezone(UTC)  # a Thursday
COMPLAINT = NewTicket(source="complaint", category="delivery", language="tr", email="ali.veli@example.com",
                      text="Kargom 10 gündür gelmedi <script>alert(1)</script>", order_no="400142", customer_id=7)


class KeptMailer(TicketMailer):
    """The real composition; the SMTP hand-over replaced by a list (as bytes, parsed back as a mail program would)."""

    def __init__(self, settings):
        super().__init__(settings)
        self.sent = []

    def _send(self, message):
        self.sent.append(message_from_bytes(message.as_bytes(), policy=policy.default))
        return message["Message-ID"]


@pytest.fixture
def world(tmp_path):
    settings = Settings(state_dir=tmp_path / "state", desk_secret=SECRET, public_url="http://shop.test",
                        mail_from="Kuzey Market <destek@kuzeymarket.example>", smtp_host="smtp.invalid")
    desk = DeskStore.open(f"sqlite:///{tmp_path / 'desk.db'}")
    with desk.session() as s:
        agent = DeskUser(username="ayse", display_name="Ayşe Yılmaz", role="agent", password_hash="x", languages=["tr", "en"],
                         created_at=OPENED)
        s.add(agent)
        s.commit()
    mailer = KeptMailer(settings)
    names = {agent.id: agent.display_name}
    service = TicketService(ticket_store(settings, desk.engine), mailer, agent_name=names.get)
    yield settings, service, mailer, agent.id
    desk.engine.dispose()


def parts(message):
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def link_in(text):
    start = text.index("http://shop.test/ticket/")
    return text[start:].split()[0]


class TestTheAcknowledgement:
    def test_it_names_the_code_what_happens_next_the_due_time_in_istanbul_and_the_link(self, world):
        settings, service, mailer, _ = world
        ticket = run_async(lambda: service.open(COMPLAINT, OPENED))
        [message] = mailer.sent
        assert message["Subject"] == f"[{ticket.code}] Şikayetiniz hakkında"
        assert ticket.code.startswith("SKT-2026-")
        assert message["To"].addresses[0].addr_spec == "ali.veli@example.com"
        assert message["From"] == settings.mail_from
        assert message["Message-ID"].endswith("@kuzeymarket.example>")
        assert message["In-Reply-To"] is None and message["References"] is None
        assert message["Auto-Submitted"] == "auto-generated"  # a chat complaint: no e-mail is answered
        assert message["Content-Language"] == "tr"
        text, html = parts(message)
        assert f"{ticket.code} koduyla kaydettik" in text
        assert "3 Aralık 2026 Perşembe 17:00 (İstanbul saati)" in text and "3 Aralık 2026 Perşembe 17:00" in html
        assert "ekibimizden bir temsilci" in text
        # The customer's own words: as written in the text part, as text in the HTML part.
        assert "<script>alert(1)</script>" in text
        assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        link = link_in(text)
        assert link in html
        opened = read_ticket_link(SECRET, link.rsplit("/", 1)[1])
        assert (opened.ticket_id, opened.code, opened.language) == (ticket.id, ticket.code, "tr")
        # What the service recorded: the thread continues from this message.
        assert service.store.get(ticket.id).last_message_id == message["Message-ID"]

    def test_an_address_typed_by_an_unknown_shopper_gets_no_text_that_shopper_chose(self, world):
        """The address may be someone else's: the acknowledgement must not carry a stranger's words."""
        _, service, mailer, _ = world
        anonymous = NewTicket(source="complaint", category="delivery", language="tr", email="kurban@example.com",
                              text="Bu linke tıklayın: http://kotu.example")
        ticket = run_async(lambda: service.open(anonymous, OPENED))
        text, html = parts(mailer.sent[-1])
        assert ticket.code in text and "kotu.example" not in text + html

    def test_in_english_for_an_english_request_that_came_by_email(self, world):
        settings, service, mailer, _ = world
        new = NewTicket(source="after_hours", category="general", language="en", email="jane@example.com",
                        text="Where is my refund?", channel="email")
        ticket = run_async(lambda: service.open(new, OPENED))
        [message] = mailer.sent
        assert message["Subject"] == f"[{ticket.code}] About your request" and ticket.code.startswith("DST-")
        assert message["Auto-Submitted"] == "auto-replied"  # it answers the customer's e-mail
        assert message["Content-Language"] == "en"
        text, html = parts(message)
        assert "We have received your request" in text and "(Istanbul time)" in text
        assert "Thursday 3 December 2026" in text and '<html lang="en">' in html
        assert "Şikayet" not in text and "Talep" not in text
        assert read_ticket_link(SECRET, link_in(text).rsplit("/", 1)[1]).language == "en"

    def test_a_ticket_without_an_address_sends_nothing(self, world):
        _, service, mailer, _ = world
        run_async(lambda: service.open(NewTicket(source="complaint", category="delivery", language="tr"), OPENED))
        assert mailer.sent == []


class TestReplies:
    def test_replies_are_threaded_escaped_signed_by_first_name_and_by_a_person(self, world):
        _, service, mailer, agent_id = world
        ticket = run_async(lambda: service.open(COMPLAINT, OPENED))
        first = run_async(lambda: service.reply(ticket.id, agent_id, "Merhaba, kargonuzu <b>bulduk</b>.\nYarın teslim.",
                                                OPENED + timedelta(hours=1)))
        second = run_async(lambda: service.reply(ticket.id, agent_id, "Teslim edildi mi?", OPENED + timedelta(hours=30)))
        acknowledgement, reply, again = mailer.sent
        assert reply["Subject"] == again["Subject"] == acknowledgement["Subject"]
        assert len({acknowledgement["Message-ID"], reply["Message-ID"], again["Message-ID"]}) == 3
        assert reply["In-Reply-To"] == reply["References"] == acknowledgement["Message-ID"]
        assert again["In-Reply-To"] == again["References"] == reply["Message-ID"]
        assert reply["Auto-Submitted"] is None  # written by a person: autoresponders may answer it
        text, html = parts(reply)
        assert "Merhaba, kargonuzu <b>bulduk</b>.\nYarın teslim." in text
        assert "<b>" not in html and "kargonuzu &lt;b&gt;bulduk&lt;/b&gt;." in html
        assert "Ayşe\nKuzey Market Müşteri Hizmetleri" in text and "Yılmaz" not in text + html
        link = link_in(text)
        assert read_ticket_link(SECRET, link.rsplit("/", 1)[1]).ticket_id == ticket.id
        entries = {entry.id: entry for entry in service.store.entries(ticket.id)}
        assert entries[first.id].message_id == reply["Message-ID"] and entries[first.id].data["mail"] == "sent"
        assert entries[second.id].message_id == again["Message-ID"]

    def test_resolving_sends_one_threaded_request_for_the_rating_and_reopening_hint(self, world):
        _, service, mailer, agent_id = world
        ticket = run_async(lambda: service.open(COMPLAINT, OPENED))
        run_async(lambda: service.reply(ticket.id, agent_id, "Kargonuz bulundu.", OPENED + timedelta(hours=1)))
        run_async(lambda: service.set_status(ticket.id, "resolved", agent_id, OPENED + timedelta(hours=2)))
        *_, reply, resolved = mailer.sent
        assert resolved["In-Reply-To"] == reply["Message-ID"] and resolved["Subject"] == reply["Subject"]
        text, _ = parts(resolved)
        assert ticket.code in text and "1-5" in text and "7 gün" in text
        assert read_ticket_link(SECRET, link_in(text).rsplit("/", 1)[1]).ticket_id == ticket.id
        run_async(lambda: service.rate(ticket.id, 5, OPENED + timedelta(hours=3)))
        run_async(lambda: service.set_status(ticket.id, "resolved", agent_id, OPENED + timedelta(hours=4)))
        assert mailer.sent[-1] is resolved  # rated already: not asked again

    def test_a_reply_follows_the_customers_own_email(self, world):
        """When the customer's e-mail is the newest message of the thread, the reply answers it."""
        _, service, mailer, agent_id = world
        ticket = run_async(lambda: service.open(COMPLAINT, OPENED))
        run_async(lambda: service.customer_wrote(ticket.id, "Hâlâ gelmedi.", OPENED + timedelta(hours=2), "email",
                                                 message_id="<customer-1@example.com>"))
        run_async(lambda: service.reply(ticket.id, agent_id, "Bakıyoruz.", OPENED + timedelta(hours=3)))
        assert mailer.sent[-1]["In-Reply-To"] == "<customer-1@example.com>"

    def test_compose_reply_in_english_without_an_agent_name(self, world):
        settings, service, _, agent_id = world
        ticket = run_async(lambda: service.open(NewTicket(source="low_score", category="general", language="en",
                                                          email="jane@example.com"), OPENED))
        entry = service.store.reply(ticket.id, agent_id, "We are sorry & will fix it.", OPENED)
        message = compose_reply(settings, service.store.get(ticket.id), entry, "", OPENED)
        text, html = parts(message_from_bytes(message.as_bytes(), policy=policy.default))
        assert message["Subject"] == f"[{ticket.code}] About your request"
        assert text.startswith("We are sorry & will fix it.\n\nKuzey Market Customer Service\n")
        assert "sorry &amp; will fix it" in html and "use your request's page" in text

    def test_compose_opened_refuses_a_naive_time(self, world):
        settings, service, _, _ = world
        ticket = service.store.open(COMPLAINT, OPENED)
        with pytest.raises(Exception, match="naive"):
            compose_opened(settings, ticket, datetime(2026, 12, 3, 9, 0))


class TestLinks:
    def test_a_good_link_opens_its_ticket_for_90_days(self, world):
        settings, service, _, _ = world
        ticket = service.store.open(COMPLAINT, OPENED)
        now = datetime.now(UTC)
        url = ticket_url(settings, ticket, now - timedelta(days=89))
        assert url.startswith("http://shop.test/ticket/")
        found, link = linked_ticket(service, SECRET, url.rsplit("/", 1)[1])
        assert (found.id, link.code, link.language) == (ticket.id, ticket.code, "tr")
        claims = jwt.decode(url.rsplit("/", 1)[1], SECRET, algorithms=["HS256"])
        assert claims["purpose"] == "ticket-page" and "sub" not in claims
        assert claims["exp"] - claims["iat"] == links.VALID_DAYS * 86400 == 90 * 86400

    def test_an_expired_link_opens_nothing(self, world):
        _, service, _, _ = world
        ticket = service.store.open(COMPLAINT, OPENED)
        token = ticket_token(SECRET, ticket.id, ticket.code, "tr", datetime.now(UTC) - timedelta(days=91))
        assert read_ticket_link(SECRET, token) is None and linked_ticket(service, SECRET, token) is None

    def test_a_forged_or_garbled_link_opens_nothing(self, world):
        _, service, _, _ = world
        ticket = service.store.open(COMPLAINT, OPENED)
        now = datetime.now(UTC)
        forged = ticket_token("another-secret-of-thirty-two-characters!", ticket.id, ticket.code, "tr", now)
        assert read_ticket_link(SECRET, forged) is None
        good = ticket_token(SECRET, ticket.id, ticket.code, "tr", now)
        assert read_ticket_link(SECRET, good) is not None
        header, payload, signature = good.split(".")
        assert read_ticket_link(SECRET, f"{header}.{payload}.{signature[:-4]}AAAA") is None
        for garbled in ("", "abc", "a.b.c", good[:-1] + "?", "x" * 5000):
            assert read_ticket_link(SECRET, garbled) is None
        unsigned = jwt.encode({"purpose": "ticket-page", "tkt": ticket.id, "code": ticket.code, "iat": now,
                               "exp": now + timedelta(days=1)}, key=None, algorithm="none")
        assert read_ticket_link(SECRET, unsigned) is None

    def test_a_token_for_another_purpose_opens_nothing(self, world):
        _, service, _, _ = world
        ticket = service.store.open(COMPLAINT, OPENED)
        now = datetime.now(UTC)
        feedback = feedback_token(SECRET, ticket.id, "tr", now)  # the follow-up e-mail's link, same secret
        assert read_ticket_link(SECRET, feedback) is None and linked_ticket(service, SECRET, feedback) is None
        assert read_feedback(SECRET, ticket_token(SECRET, ticket.id, ticket.code, "tr", now)) is None
        # Everything a ticket link has, signed with the same secret, but made for another page.
        for purpose in ("followup-feedback", "followup-unsubscribe", "ticket-pages", None):
            claims = {"purpose": purpose, "tkt": ticket.id, "code": ticket.code, "lang": "tr", "iat": now,
                      "exp": now + timedelta(days=1)}
            assert read_ticket_link(SECRET, jwt.encode(claims, SECRET, algorithm="HS256")) is None, purpose
        login = jwt.encode({"sub": str(ticket.id), "tkt": ticket.id, "code": ticket.code, "iat": now,
                            "exp": now + timedelta(hours=1)}, SECRET, algorithm="HS256")
        assert read_ticket_link(SECRET, login) is None
        no_code = jwt.encode({"purpose": "ticket-page", "tkt": ticket.id, "iat": now, "exp": now + timedelta(days=1)},
                             SECRET, algorithm="HS256")
        assert read_ticket_link(SECRET, no_code) is None

    def test_a_token_whose_code_is_not_the_tickets_code_opens_nothing(self, world):
        _, service, _, _ = world
        ticket = service.store.open(COMPLAINT, OPENED)
        now = datetime.now(UTC)
        other_code = ticket.code[:-1] + ("9" if ticket.code[-1] != "9" else "8")
        token = ticket_token(SECRET, ticket.id, other_code, "tr", now)
        assert read_ticket_link(SECRET, token).ticket_id == ticket.id  # well signed...
        assert linked_ticket(service, SECRET, token) is None  # ...but not this ticket's
        assert linked_ticket(service, SECRET, ticket_token(SECRET, ticket.id + 100, ticket.code, "tr", now)) is None
