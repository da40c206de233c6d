"""A ticket's e-mails and the customer's ticket page, end to end in the bridge's application.

The real app (bot/desk/app.py's create_app with a fake Rasa: the page needs no assistant) on a
migrated SQLite file, its TicketService at app[TICKETS], and a real local SMTP server (aiosmtpd):
the acknowledgement and the replies arrive as a mail program sees them, threaded; the customer
follows the link from the e-mail, answers, is refused what must be refused (files, empty or
closed), rates the resolution once. Forged and expired links show nothing of any ticket.
"""
import re
from datetime import timedelta

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.desk.keys import TICKETS
from bot.desk.models import DeskUser
from bot.desk.store import utcnow
from bot.settings import Settings
from bot.tickets.links import ticket_token
from bot.tickets.store import MAX_TEXT, NewTicket
from tests.asyncio_thread import run_async
from tests.resilience.inprocess import FakeRasa
from tests.unit.desk_harness import CalmScorer

SECRET = "ticket-page-tests-secret-of-32-chars"
BASE = "http://shop.test"
EMAIL = "ali.veli@example.com"
ATTACHMENT_REFUSED = "Dosya eki kabul edemiyoruz; lütfen yazıyla anlatın."


@pytest.fixture
def settings(tmp_path, smtp):
    return Settings(state_dir=tmp_path / "state", database_url=f"sqlite:///{tmp_path / 'kuzey.db'}", desk_secret=SECRET,
                    public_url=BASE, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_starttls=False)


def run_app(settings, scenario):
    """Runs `scenario(client, service, agent_id)` against the bridge's app (Rasa is not needed)."""
    from bot.desk.app import create_app

    async def main():
        app = create_app(settings, rasa=FakeRasa(settings.rasa_url, "token"), scorer_factory=CalmScorer)
        client = TestClient(TestServer(app))
        await client.start_server()
        try:
            service = app[TICKETS]
            with service.store.session() as s:  # a demo agent ("Ayşe K."), created at start-up
                agent_id = s.execute(select(DeskUser.id).where(DeskUser.username == "ayse")).scalar_one()
            await scenario(client, service, agent_id)
        finally:
            await client.close()

    run_async(main)


def page_path(message):
    """The ticket page's path from an e-mail's text part."""
    text = message.get_body(("plain",)).get_content()
    return re.search(rf"{re.escape(BASE)}(/ticket/[\w.-]+)", text).group(1)


def public_entries(service, ticket_id):
    return [(entry.kind, entry.text, entry.channel) for entry in service.store.entries(ticket_id, public_only=True)]


async def answer(client, path, data):
    return await client.post(path, data=data, allow_redirects=False)


def test_the_life_of_a_ticket_by_email_and_the_page(settings, smtp):
    async def scenario(client, service, agent_id):
        ticket = await service.open(NewTicket(source="complaint", category="delivery", language="tr", email=EMAIL,
                                              text="Kargom gelmedi <script>alert('ilk')</script>"), utcnow())
        # The acknowledgement: the code, the due time and the link.
        [acknowledgement] = smtp.inbox.to(EMAIL)
        assert acknowledgement["Subject"] == f"[{ticket.code}] Şikayetiniz hakkında"
        assert "İstanbul saati" in acknowledgement.get_body(("plain",)).get_content()
        path = page_path(acknowledgement)

        page = await client.get(path)
        html = await page.text()
        assert page.status == 200 and '<html lang="tr">' in html and ticket.code in html
        assert "Ekibimiz inceliyor" in html and "Ekibimizden biri kısa sürede üstlenecek" in html
        assert "En geç " in html and "(İstanbul saati)" in html
        assert "<script>" not in html and "Kargom gelmedi &lt;script&gt;alert(&#x27;ilk&#x27;)&lt;/script&gt;" in html
        assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"

        # The agent answers (HTML in the reply) and notes something internal: an e-mail, threaded.
        await service.note(ticket.id, agent_id, "İç not: müşteri daha önce de aradı", utcnow())
        await service.reply(ticket.id, agent_id, "Merhaba, <b>kargonuz</b> yarın gelecek.\nİyi günler.", utcnow())
        acknowledgement, reply = smtp.inbox.to(EMAIL)
        assert reply["In-Reply-To"] == reply["References"] == acknowledgement["Message-ID"]
        assert reply["Message-ID"] != acknowledgement["Message-ID"] and reply["Subject"] == acknowledgement["Subject"]
        path = page_path(reply)

        html = await (await client.get(path)).text()
        assert "Sizden yanıt bekleniyor" in html and "Ayşe" in html and "Ayşe K." not in html
        assert "&lt;b&gt;kargonuz&lt;/b&gt; yarın gelecek.\nİyi günler." in html and "<b>" not in html
        assert "İç not" not in html and "assigned" not in html  # notes and events are the team's

        # The customer answers on the page (HTML and a card number in it): stored, the ticket is open again.
        sent = await answer(client, path, {"message": "Teşekkürler <img src=x onerror=alert(1)> kartım 4111 1111 1111 1111"})
        assert sent.status == 303 and sent.headers["Location"] == f"{path}?done=sent#write"
        html = await (await client.get(sent.headers["Location"])).text()
        assert "Mesajınız ekibimize ulaştı." in html
        assert "Teşekkürler &lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html
        assert service.store.get(ticket.id).status == "open"
        kind, text, channel = public_entries(service, ticket.id)[-1]
        assert (kind, channel) == ("customer", "page") and text.startswith("Teşekkürler <img")
        assert "4111 1111 1111 1111" not in text  # masked before it is stored, as in the chat

        # Resolved: a rating form, once.
        await service.set_status(ticket.id, "resolved", agent_id, utcnow())
        html = await (await client.get(path)).text()
        assert "Çözüldü" in html and 'name="score"' in html and "yeniden açılır" in html
        bad = await answer(client, f"{path}/rating", {"score": "9"})
        assert bad.status == 400 and "1 ile 5" in await bad.text() and service.store.get(ticket.id).rating is None
        rated = await answer(client, f"{path}/rating", {"score": "4"})
        assert rated.status == 303 and rated.headers["Location"] == f"{path}#rating"
        html = await (await client.get(path)).text()
        assert "4/5" in html and 'name="score"' not in html
        again = await answer(client, f"{path}/rating", {"score": "1"})
        assert again.status == 409 and "zaten değerlendirdiniz" in await again.text()
        assert service.store.get(ticket.id).rating == 4

        # Writing within 7 days of the resolution reopens it.
        reopened = await answer(client, path, {"message": "Sorun tekrarladı."})
        assert reopened.status == 303
        assert (service.store.get(ticket.id).status, service.store.get(ticket.id).reopened) == ("open", 1)

    run_app(settings, scenario)


def test_files_empty_and_too_long_answers_are_refused_and_nothing_is_stored(settings, smtp):
    async def scenario(client, service, agent_id):
        ticket = await service.open(NewTicket(source="complaint", category="delivery", language="tr", email=EMAIL), utcnow())
        path = page_path(smtp.inbox.to(EMAIL)[0])
        before = public_entries(service, ticket.id)

        upload = FormData()
        upload.add_field("message", "Fotoğrafı ekledim")
        upload.add_field("photo", b"\x89PNG fake image", filename="kargo.png", content_type="image/png")
        refused = await answer(client, path, upload)
        html = await refused.text()
        assert refused.status == 400 and ATTACHMENT_REFUSED in html and "Fotoğrafı ekledim</textarea>" in html

        big = FormData()
        big.add_field("message", "Ekte")
        big.add_field("photo", b"x" * 200_000, filename="kargo.jpg", content_type="image/jpeg")
        too_big = await answer(client, path, big)
        assert too_big.status == 413 and "Dosya eki kabul edemiyoruz" in await too_big.text()

        empty = await answer(client, path, {"message": "   "})
        assert empty.status == 400 and "Lütfen bir mesaj yazın." in await empty.text()
        long = await answer(client, path, {"message": "a" * (MAX_TEXT + 1)})
        assert long.status == 400 and f"en fazla {MAX_TEXT} karakter" in await long.text()
        assert public_entries(service, ticket.id) == before
        assert service.store.get(ticket.id).status == "new"

    run_app(settings, scenario)


def test_a_link_answers_a_few_times_then_is_asked_to_wait_and_the_extra_text_is_kept_not_stored(settings, smtp):
    async def scenario(client, service, agent_id):
        ticket = await service.open(NewTicket(source="complaint", category="delivery", language="tr", email=EMAIL), utcnow())
        path = page_path(smtp.inbox.to(EMAIL)[0])
        for n in range(5):
            assert (await answer(client, path, {"message": f"ek bilgi {n}"})).status == 303
        flooded = await answer(client, path, {"message": "bir tane daha"})
        html = await flooded.text()
        assert flooded.status == 429 and "biraz sonra" in html and "bir tane daha</textarea>" in html
        assert [text for kind, text, _ in public_entries(service, ticket.id)] == [f"ek bilgi {n}" for n in range(5)]

    run_app(settings, scenario)


def test_a_closed_or_long_resolved_ticket_takes_no_answer(settings, smtp):
    async def scenario(client, service, agent_id):
        now = utcnow()
        long_ago = await service.open(NewTicket(source="after_hours", category="general", language="en", email=EMAIL),
                                      now - timedelta(days=20))
        await service.set_status(long_ago.id, "resolved", agent_id, now - timedelta(days=8))
        closed = await service.open(NewTicket(source="complaint", category="delivery", language="tr", email=EMAIL), now)
        await service.set_status(closed.id, "closed", agent_id, now)
        acknowledged, resolved, acknowledged_tr = smtp.inbox.to(EMAIL)  # resolving asks for the rating by e-mail
        assert long_ago.code in resolved["Subject"] and "1 to 5" in resolved.get_body(("plain",)).get_content()
        english, turkish = page_path(acknowledged), page_path(acknowledged_tr)

        html = await (await client.get(english)).text()
        assert '<html lang="en">' in html and "Resolved" in html and "This request is closed" in html
        assert 'name="message"' not in html and 'name="score"' in html  # it may still be rated
        refused = await answer(client, english, {"message": "Still broken"})
        assert refused.status == 409 and "can no longer be answered here" in await refused.text()
        html = await (await client.get(turkish)).text()
        assert "Kapatıldı" in html and 'name="message"' not in html
        refused = await answer(client, turkish, {"message": "Hâlâ bozuk"})
        assert refused.status == 409 and "kapandığı için" in await refused.text()
        # A promise we missed is said, with an apology, not shown as a due time in the past.
        await service.open(NewTicket(source="complaint", category="delivery", language="tr", email=EMAIL),
                           now - timedelta(days=10))
        html = await (await client.get(page_path(smtp.inbox.to(EMAIL)[-1]))).text()
        assert "gecikme için özür dileriz" in html and "En geç " not in html and 'name="message"' in html
        for ticket in (long_ago, closed):
            assert [kind for kind, _, _ in public_entries(service, ticket.id)] == []
            assert service.store.get(ticket.id).reopened == 0

    run_app(settings, scenario)


def test_forged_expired_and_mismatched_links_show_and_change_nothing(settings, smtp):
    async def scenario(client, service, agent_id):
        ticket = await service.open(NewTicket(source="complaint", category="delivery", language="tr", email=EMAIL,
                                              text="Gizli şikayet metni"), utcnow())
        good = page_path(smtp.inbox.to(EMAIL)[0])
        now = utcnow()
        forged = ticket_token("another-secret-of-thirty-two-chars!!", ticket.id, ticket.code, "tr", now)
        expired = ticket_token(SECRET, ticket.id, ticket.code, "tr", now - timedelta(days=91))
        mismatched = ticket_token(SECRET, ticket.id, "SKT-2026-999999", "tr", now)
        garbled = good.rsplit("/", 1)[1][:-3] + "abc"
        for token in (forged, expired, mismatched, garbled, "nonsense"):
            page = await client.get(f"/ticket/{token}")
            html = await page.text()
            assert page.status == 404 and "Bağlantı geçersiz" in html and "This link does not work" in html
            assert ticket.code not in html and "Gizli" not in html and 'name="message"' not in html
            assert (await answer(client, f"/ticket/{token}", {"message": "Merhaba"})).status == 404
            assert (await answer(client, f"/ticket/{token}/rating", {"score": "5"})).status == 404
        assert public_entries(service, ticket.id) == []
        assert (await client.get(good)).status == 200

    run_app(settings, scenario)
