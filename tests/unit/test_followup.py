"""Follow-up e-mails after delivery: who gets one, exactly once, in their language, and the links in it.

A real SMTP server (aiosmtpd on a free local port) and the demo store seeded into SQLite; the
bridge's pages through aiohttp's test client (Rasa need not run for them).
"""
import asyncio
import re
from datetime import datetime, timedelta, timezone

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select, update

from actions.store.sql_store import SqlStore
from actions.store.models import Customer, Order, Shipment
from bot.desk.accounts import issue_token
from bot.desk.models import DeskUser, EmailOptOut, EmailSend
from bot.desk.store import DeskStore
from bot.followup import job, links
from bot.followup.job import KIND, Candidate, run_once, select_candidates, start_followup_job
from bot.settings import Settings
from bot.tickets.models import Ticket
from tests.asyncio_thread import run_async

SECRET = "test-desk-secret-of-thirty-two-bytes"


@pytest.fixture
def world(seeded_db_url, smtp, tmp_path):
    """Settings pointing at the local SMTP server, the desk's tables migrated into the seeded store."""
    settings = Settings(state_dir=tmp_path / "state", database_url=seeded_db_url, smtp_host="127.0.0.1", smtp_port=smtp.port,
                        smtp_user="", smtp_starttls=False, desk_secret=SECRET, public_url="http://shop.test",
                        followup_delay_days=2, followup_window_days=14, followup_needs_consent=True)
    store = DeskStore.open(seeded_db_url)
    shop = SqlStore.on(store.engine)
    yield settings, store, shop
    store.engine.dispose()


def delivered_orders(shop):
    """Every delivered-at-some-point order with its customer, straight from the store."""
    with shop.sessions() as s:
        return s.execute(select(Order.order_no, Order.status, Order.customer_id, Customer.email, Customer.marketing_consent,
                                Shipment.delivered_at)
                         .join(Shipment, Shipment.order_no == Order.order_no).join(Customer, Customer.id == Order.customer_id)
                         .where(Shipment.delivered_at.is_not(None))).all()


def expected(shop, now, consent=True, opted_out=()):
    return {row.order_no for row in delivered_orders(shop)
            if row.status == "teslim_edildi" and now - timedelta(days=14) <= row.delivered_at <= now - timedelta(days=2)
            and (row.marketing_consent or not consent) and row.email not in opted_out}


def sends(store):
    with store.session() as s:
        return {row.order_no: row for row in s.execute(select(EmailSend)).scalars()}


def order_email(shop, order_no):
    with shop.sessions() as s:
        return s.execute(select(Customer.email).join(Order, Order.customer_id == Customer.id)
                         .where(Order.order_no == order_no)).scalar_one()


def add_conversation(store, customer_id, language, minutes_ago):
    conversation = store.create_conversation(language)
    store.update_conversation(conversation.id, customer_id=customer_id,
                              last_message_at=datetime.now(timezone.utc) - timedelta(minutes=minutes_ago))


class TestEligibility:
    def test_exactly_the_eligible_orders_get_one_email_each_and_a_second_run_sends_nothing(self, world, smtp):
        settings, store, shop = world
        now = datetime.now(timezone.utc)
        in_window = [row for row in delivered_orders(shop) if now - timedelta(days=14) <= row.delivered_at <= now - timedelta(days=2)]
        # The demo store tests every rule: returned orders and customers without consent in the window.
        assert any(row.status != "teslim_edildi" for row in in_window)
        assert any(row.status == "teslim_edildi" and not row.marketing_consent for row in in_window)
        opted_out = order_email(shop, sorted(expected(shop, now))[0])
        with store.session() as s:
            s.add(EmailOptOut(email=opted_out, created_at=datetime.now(timezone.utc)))
            s.commit()
        wanted = expected(shop, now, opted_out={opted_out})
        assert len(wanted) >= 5

        result = run_once(settings, store, shop, now=now)

        assert sorted(result.sent) == sorted(wanted) and not result.failed
        assert len(smtp.inbox.messages) == len(wanted)
        assert result.skipped["unsubscribed"] >= 1 and result.skipped["no marketing consent"] >= 1
        assert not smtp.inbox.to(opted_out)
        rows = sends(store)
        assert set(rows) == wanted
        for order_no, row in rows.items():
            assert (row.kind, row.status, row.attempts, row.email) == (KIND, "sent", 1, order_email(shop, order_no))
            assert row.sent_at is not None and row.error is None
            [message] = [m for m in smtp.inbox.to(row.email) if order_no in m["Subject"]]

        again = run_once(settings, store, shop, now=now)
        assert again.sent == [] and again.skipped["already sent"] == len(wanted)
        assert len(smtp.inbox.messages) == len(wanted)

    def test_without_the_consent_rule_customers_without_consent_are_included(self, world):
        settings, store, shop = world
        now = datetime.now(timezone.utc)
        # As the CLI calls it: the configured database, opened and closed by the run.
        result = run_once(settings.copy(update={"followup_needs_consent": False, "smtp_host": ""}), dry_run=True, now=now)
        assert sorted(result.would_send) == sorted(expected(shop, now, consent=False))
        assert expected(shop, now, consent=False) > expected(shop, now)
        assert result.summary().startswith(f"follow-up e-mails: {len(result.would_send)} would be sent")
        assert sends(store) == {}  # a dry run claims nothing
        with pytest.raises(ValueError, match="SMTP_HOST"):
            run_once(settings.copy(update={"smtp_host": ""}), store, shop)

    def test_a_claimed_order_cannot_be_claimed_again(self, world):
        settings, store, shop = world
        candidate = select_candidates(settings, store, shop).candidates[0]
        assert job._claim(store, candidate) is not None
        assert job._claim(store, candidate) is None  # UNIQUE(kind, order_no): another job lost the race

    def test_an_interrupted_send_is_never_resent_and_one_that_failed_three_times_is_given_up(self, world, smtp):
        settings, store, shop = world
        now = datetime.now(timezone.utc)
        first, second = sorted(expected(shop, now))[:2]
        for order_no, status, attempts in ((first, "sending", 1), (second, "failed", 3)):
            with store.session() as s:
                s.add(EmailSend(kind=KIND, order_no=order_no, customer_id=0, email="x@example.com", language="tr",
                                status=status, attempts=attempts, created_at=datetime.now(timezone.utc)))
                s.commit()
        result = run_once(settings, store, shop, now=now)
        assert first not in result.sent and second not in result.sent
        assert result.skipped["interrupted earlier (never resent)"] == 1 and result.skipped["failed too often"] == 1
        assert sorted(result.sent) == sorted(expected(shop, now) - {first, second})


class TestSmtpFailure:
    def test_a_stopped_server_records_a_failure_and_the_next_run_retries_it(self, world, smtp):
        settings, store, shop = world
        now = datetime.now(timezone.utc)
        wanted = expected(shop, now)
        smtp.stop()

        result = run_once(settings, store, shop, now=now)

        assert result.sent == [] and len(result.failed) == 1
        [failed] = result.failed
        row = sends(store)[failed]
        assert (row.status, row.attempts) == ("failed", 1) and row.error and row.sent_at is None
        assert len(sends(store)) == 1  # the others wait for the server instead of spending an attempt
        assert result.skipped["waiting for the SMTP server"] == len(wanted) - 1

        smtp.start()
        retry = run_once(settings, store, shop, now=now)
        assert sorted(retry.sent) == sorted(wanted) and not retry.failed
        row = sends(store)[failed]
        assert (row.status, row.attempts, row.error) == ("sent", 2, None)
        assert len(smtp.inbox.messages) == len(wanted)


class TestTheEmail:
    def test_in_the_language_of_the_customers_latest_conversation(self, world, smtp):
        settings, store, shop = world
        now = datetime.now(timezone.utc)
        wanted = sorted(expected(shop, now))
        with shop.sessions() as s:
            customers = {}
            for order_no in wanted:
                customers.setdefault(s.get(Order, order_no).customer_id, order_no)
        (turkish, turkish_order), (english, english_order) = list(customers.items())[:2]
        add_conversation(store, turkish, "en", minutes_ago=600)
        add_conversation(store, turkish, "tr", minutes_ago=5)
        add_conversation(store, english, "tr", minutes_ago=600)
        add_conversation(store, english, "en", minutes_ago=5)

        run_once(settings, store, shop, now=now)

        tr = next(m for m in smtp.inbox.to(order_email(shop, turkish_order)) if turkish_order in m["Subject"])
        en = next(m for m in smtp.inbox.to(order_email(shop, english_order)) if english_order in m["Subject"])
        with shop.sessions() as s:
            tr_name, en_name = s.get(Customer, turkish).first_name, s.get(Customer, english).first_name
        assert tr["Subject"] == f"{turkish_order} numaralı siparişiniz nasıldı?" and tr["Content-Language"] == "tr"
        assert f"Merhaba {tr_name}," in tr.get_body(("plain",)).get_content()
        assert en["Subject"] == f"How was your order {english_order}?" and en["Content-Language"] == "en"
        assert f"Hello {en_name}," in en.get_body(("plain",)).get_content()
        assert (sends(store)[turkish_order].language, sends(store)[english_order].language) == ("tr", "en")
        # No conversation at all: Turkish.
        others = [order_no for order_no in wanted if order_no not in (turkish_order, english_order)
                  and sends(store)[order_no].customer_id not in (turkish, english)]
        assert others and all(sends(store)[order_no].language == "tr" for order_no in others)

    def test_it_has_text_and_html_and_one_click_unsubscribe_headers(self, world, smtp):
        settings, store, shop = world
        run_once(settings, store, shop)
        message = smtp.inbox.messages[0]
        assert message["From"] == settings.mail_from and message["Message-ID"]
        assert re.fullmatch(r"<http://shop\.test/unsubscribe/[\w.-]+>", message["List-Unsubscribe"])
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text, html = message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()
        unsubscribe = message["List-Unsubscribe"].strip("<>")
        assert unsubscribe in text and unsubscribe in html
        assert re.search(r"http://shop\.test/feedback/[\w.-]+", text)
        assert '<meta name="viewport"' in html


def low_score_tickets(store):
    with store.session() as s:
        return s.execute(select(Ticket).where(Ticket.source == "low_score")).scalars().all()


def links_in(message):
    text = message.get_body(("plain",)).get_content()
    feedback = re.search(r"http://shop\.test(/feedback/[\w.-]+)", text).group(1)
    return feedback, message["List-Unsubscribe"].strip("<>").removeprefix("http://shop.test")


def run_app(settings, scenario):
    """Runs `scenario(client)` against the bridge's app (its pages; Rasa is not needed)."""
    from bot.desk.app import create_app

    async def main():
        client = TestClient(TestServer(create_app(settings.copy(update={"smtp_host": ""}))))
        await client.start_server()
        try:
            await scenario(client)
        finally:
            await client.close()

    run_async(main)


class TestLinks:
    def test_feedback_page_stores_scores_and_rejects_invalid_ones(self, world, smtp):
        settings, store, shop = world
        run_once(settings, store, shop)
        message = smtp.inbox.messages[0]
        order_no = next(o for o in sends(store) if o in message["Subject"])
        feedback, _ = links_in(message)

        async def scenario(client):
            page = await client.get(feedback)
            assert page.status == 200 and order_no in await page.text()
            assert page.headers["Referrer-Policy"] == "no-referrer"
            preselected = await (await client.get(feedback + "?order=4")).text()
            assert 'name="order_score" value="4" checked' in preselected
            bad = await client.post(feedback, data={"order_score": "7", "service_score": "5"})
            assert bad.status == 400 and "1 ile 5" in await bad.text()
            assert sends(store)[order_no].answered_at is None
            ok = await client.post(feedback, data={"order_score": "4", "service_score": "5", "comment": "Hızlı geldi <b>"})
            assert ok.status == 200
            row = sends(store)[order_no]
            assert (row.order_score, row.service_score, row.comment) == (4, 5, "Hızlı geldi <b>") and row.answered_at
            again = await client.post(feedback, data={"order_score": "2", "service_score": "3"})
            assert again.status == 200
            row = sends(store)[order_no]
            assert (row.order_score, row.service_score, row.comment) == (2, 3, None)
            shown = await (await client.get(feedback)).text()
            assert "Hızlı geldi &lt;b&gt;" not in shown and 'value="2" checked' in shown

        run_app(settings, scenario)

    def test_a_feedback_comment_is_stored_with_card_numbers_and_ids_masked(self, world, smtp):
        settings, store, shop = world
        run_once(settings, store, shop)
        message = smtp.inbox.messages[0]
        order_no = next(o for o in sends(store) if o in message["Subject"])
        feedback, _ = links_in(message)
        comment = "Kartım 4111 1111 1111 1111 ccv 123 iki kez çekildi, TC 10000000146, sipariş 400142"

        async def scenario(client):
            answer = await client.post(feedback, data={"order_score": "1", "service_score": "2", "comment": comment})
            assert answer.status == 200
            shown = await (await client.get(feedback)).text()
            assert "4111" not in shown and "10000000146" not in shown

        run_app(settings, scenario)
        stored = sends(store)[order_no].comment
        assert stored == ("Kartım [gizlendi: kart] ccv [gizlendi: CVV] iki kez çekildi, TC [gizlendi: TCKN], "
                          "sipariş 400142")

    def test_a_score_of_one_or_two_opens_one_ticket_with_the_customers_words(self, world, smtp):
        settings, store, shop = world
        run_once(settings, store, shop)
        message = smtp.inbox.messages[0]
        order_no = next(o for o in sends(store) if o in message["Subject"])
        feedback, _ = links_in(message)

        async def scenario(client):
            await client.post(feedback, data={"order_score": "4", "service_score": "3", "comment": "idare eder"})
            assert low_score_tickets(store) == []  # a 3 is not a complaint
            await client.post(feedback, data={"order_score": "4", "service_score": "1", "comment": "Kimse aramadı"})
            await client.post(feedback, data={"order_score": "1", "service_score": "1", "comment": "Hâlâ aramadı"})

        run_app(settings, scenario)
        (ticket,) = low_score_tickets(store)  # once per e-mail, however often the page is answered
        send = sends(store)[order_no]
        assert (ticket.order_no, ticket.email, ticket.customer_id, ticket.category, ticket.channel) == (
            order_no, send.email, send.customer_id, "hizmet", "email")
        assert ticket.text.startswith("Kimse aramadı") and ticket.resolution_due is not None

    def test_unsubscribe_needs_a_post_and_the_next_run_skips_that_customer(self, world, smtp):
        settings, store, shop = world
        now = datetime.now(timezone.utc)
        run_once(settings, store, shop, now=now)
        # A customer who got an e-mail and has another delivered order, outside the window for now.
        sent = sends(store)
        with shop.sessions() as s:
            email, other = next(
                (row.email, other) for row in sent.values()
                for other in s.execute(select(Order.order_no).where(Order.customer_id == row.customer_id,
                                                                    Order.status == "teslim_edildi")).scalars()
                if other not in sent)
        message = smtp.inbox.to(email)[0]
        _, unsubscribe = links_in(message)

        def optouts():
            with store.session() as s:
                return list(s.execute(select(EmailOptOut.email)).scalars())

        async def scenario(client):
            page = await client.get(unsubscribe)
            assert page.status == 200 and email in await page.text() and "<form method=\"post\"" in await page.text()
            assert optouts() == []  # mail scanners follow links: GET changes nothing
            done = await client.post(unsubscribe)
            assert done.status == 200 and optouts() == [email]
            one_click = await client.post(unsubscribe, data="List-Unsubscribe=One-Click",
                                          headers={"Content-Type": "application/x-www-form-urlencoded"})
            assert one_click.status == 200 and optouts() == [email]  # idempotent

        run_app(settings, scenario)
        received = len(smtp.inbox.to(email))

        # Their other order is delivered again, as if it were 3 days ago: still nothing for them.
        with shop.sessions() as s:
            s.execute(update(Shipment).where(Shipment.order_no == other).values(delivered_at=now - timedelta(days=3)))
            s.commit()
        result = run_once(settings, store, shop, now=now)
        assert other not in result.sent and result.skipped["unsubscribed"] >= 1
        assert len(smtp.inbox.to(email)) == received

    def test_forged_expired_or_foreign_tokens_get_400_and_change_nothing(self, world, smtp):
        settings, store, shop = world
        run_once(settings, store, shop)
        feedback, unsubscribe = links_in(smtp.inbox.messages[0])
        send_id = sends(store)[next(o for o in sends(store) if o in smtp.inbox.messages[0]["Subject"])].id
        forged_unsubscribe = "/unsubscribe/" + links.unsubscribe_token("another-secret-of-thirty-two-bytes!", "nur.gunes@example.com", "tr")
        tampered = unsubscribe[:-3] + ("aaa" if not unsubscribe.endswith("aaa") else "bbb")
        expired = "/feedback/" + links.feedback_token(SECRET, send_id, "tr", now=datetime.now(timezone.utc) - timedelta(days=61))
        feedback_as_unsubscribe = "/unsubscribe/" + feedback.removeprefix("/feedback/")
        unsubscribe_as_feedback = "/feedback/" + unsubscribe.removeprefix("/unsubscribe/")
        login = issue_token(DeskUser(id=1, username="ayse", role="agent"), SECRET, hours=1)  # an agent's login

        async def scenario(client):
            for path in (forged_unsubscribe, tampered, "/unsubscribe/" + login, "/unsubscribe/nonsense", feedback_as_unsubscribe):
                for method in ("GET", "POST"):
                    response = await client.request(method, path)
                    body = await response.text()
                    assert response.status == 400 and "Geçersiz bağlantı" in body and "Invalid link" in body
            for path in (expired, "/feedback/" + login, feedback[:-2] + "xx", unsubscribe_as_feedback):
                assert (await client.get(path)).status == 400
                assert (await client.post(path, data={"order_score": "5", "service_score": "5"})).status == 400

        run_app(settings, scenario)
        with store.session() as s:
            assert s.execute(select(EmailOptOut)).first() is None
            assert s.execute(select(EmailSend).where(EmailSend.answered_at.is_not(None))).first() is None

    def test_link_tokens_are_not_login_tokens(self):
        from bot.desk.accounts import read_token

        assert read_token(links.feedback_token(SECRET, 1, "tr"), SECRET) is None
        assert read_token(links.unsubscribe_token(SECRET, "a@example.com", "en"), SECRET) is None
        assert links.read_unsubscribe(SECRET, links.unsubscribe_token(SECRET, "A@Example.com", "en")).email == "a@example.com"


class TestSchedule:
    def test_off_without_smtp_host(self, world, caplog):
        settings, store, shop = world
        caplog.set_level("INFO")

        async def main():
            return start_followup_job(settings.copy(update={"smtp_host": ""}), store, shop)

        assert run_async(main) is None
        assert "Follow-up e-mails are off" in caplog.text

    def test_the_job_runs_periodically_and_survives_a_failing_run(self, world, smtp, monkeypatch, caplog):
        settings, store, shop = world
        wanted = expected(shop, datetime.now(timezone.utc))
        runs = []
        real_run_once = job.run_once

        def flaky_run_once(*args, **kwargs):
            runs.append(1)
            if len(runs) == 1:
                raise RuntimeError("database away")
            return real_run_once(*args, **kwargs)

        monkeypatch.setattr(job, "run_once", flaky_run_once)
        fast = settings.copy(update={"followup_interval_minutes": 0.001})

        async def main():
            task = start_followup_job(fast, store, shop)
            assert isinstance(task, asyncio.Task)
            for _ in range(200):
                if len(runs) >= 3:
                    break
                await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        run_async(main)
        assert len(runs) >= 3 and "database away" in caplog.text
        assert len(smtp.inbox.messages) == len(wanted)  # the runs after the failure sent each once


def test_candidates_carry_what_the_email_needs(world):
    settings, store, shop = world
    candidate = select_candidates(settings, store, shop).candidates[0]
    assert isinstance(candidate, Candidate) and candidate.language == "tr" and "@" in candidate.email
