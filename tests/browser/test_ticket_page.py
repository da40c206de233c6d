"""The customer's ticket page (/ticket/{token}) in Chromium on a 390×844 phone.

The bridge's real application runs inside the test process (tests/resilience/inprocess.py, a fake
Rasa: the page needs no assistant) on its own SQLite file; the test changes tickets through a
TicketService on the same database, as the console would, and opens the signed link as the
customer would from the e-mail. Screenshots: test-artifacts/screenshots/test_*-<name>.png.
"""
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bot.desk.models import DeskUser
from bot.desk.store import DeskStore
from bot.processes import free_port
from bot.settings import Settings
from bot.tickets.links import ticket_url
from bot.tickets.service import TicketService
from bot.tickets.setup import ticket_store
from bot.tickets.store import NewTicket
from tests.asyncio_thread import run_async
from tests.browser.conftest import PHONE
from tests.resilience.inprocess import InProcessBridge
from tests.unit.desk_harness import CalmScorer


@pytest.fixture
def bridge(tmp_path):
    port = free_port()
    settings = Settings(state_dir=tmp_path / "state", database_url=f"sqlite:///{tmp_path / 'kuzey.db'}", bridge_port=port,
                        desk_secret="ticket-browser-tests-secret-32-chars", public_url=f"http://127.0.0.1:{port}",
                        smtp_host="")
    running = InProcessBridge(settings, scorer_factory=CalmScorer).start()
    store = DeskStore.open(settings.database_url)
    service = TicketService(ticket_store(settings, store.engine))
    with store.session() as s:
        agent_id = s.execute(select(DeskUser.id).where(DeskUser.username == "ayse")).scalar_one()  # "Ayşe K."
    yield settings, service, agent_id
    running.stop()
    store.engine.dispose()


def now():
    return datetime.now(timezone.utc)


def no_sideways_scrolling(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_customer_reads_the_thread_and_answers_on_a_phone(bridge, new_page, screenshot):
    settings, service, agent_id = bridge
    ticket = run_async(lambda: service.open(NewTicket(
        source="complaint", category="delivery", language="tr", email="ali.veli@example.com",
        text="Siparişim 10 gündür gelmedi, kargo takip numarası da çalışmıyor."), now()))
    run_async(lambda: service.reply(ticket.id, agent_id, "Merhaba, kargo firmasıyla görüştük: paketiniz <b>yarın</b> "
                                    "teslim edilecek.\nGecikme için özür dileriz.", now()))

    page = new_page(viewport=PHONE)
    page.goto(ticket_url(settings, ticket, now()))
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    expect(page.locator("h1")).to_have_text("Şikayetiniz")
    expect(page.locator(".facts")).to_contain_text(ticket.code)
    expect(page.locator(".status")).to_have_text("Sizden yanıt bekleniyor")
    expect(page.locator(".facts")).to_contain_text("Ayşe")
    expect(page.locator(".facts")).not_to_contain_text("Ayşe K.")
    messages = page.locator(".thread .msg")
    expect(messages).to_have_count(2)
    expect(messages.nth(0)).to_contain_text("Siparişim 10 gündür gelmedi")
    expect(messages.nth(1).locator(".who")).to_contain_text("Ayşe · Kuzey Market")
    expect(messages.nth(1).locator(".text")).to_contain_text("paketiniz <b>yarın</b> teslim edilecek.")  # as text
    no_sideways_scrolling(page)
    screenshot(page, "thread")

    page.get_by_label("Bize yazın").fill("Teşekkürler, yarın evde olacağım. <i>Kapıda</i> bırakabilirler.")
    page.get_by_role("button", name="Gönder").click()
    expect(page.get_by_role("status")).to_have_text("Mesajınız ekibimize ulaştı.")
    expect(messages).to_have_count(3)
    expect(messages.nth(2)).to_have_class("msg mine")
    expect(messages.nth(2).locator(".text")).to_have_text("Teşekkürler, yarın evde olacağım. <i>Kapıda</i> bırakabilirler.")
    expect(page.locator(".status")).to_have_text("Ekibimiz inceliyor")
    expect(page.get_by_label("Bize yazın")).to_have_value("")
    no_sideways_scrolling(page)
    screenshot(page, "answered")
    assert service.store.get(ticket.id).status == "open"


def test_an_english_customer_rates_the_resolution_once(bridge, new_page, screenshot):
    settings, service, agent_id = bridge
    ticket = run_async(lambda: service.open(NewTicket(source="after_hours", category="returns", language="en",
                                                      email="jane@example.com", text="My refund has not arrived."), now()))
    run_async(lambda: service.reply(ticket.id, agent_id, "The refund was sent today; it shows in 2-3 days.", now()))
    run_async(lambda: service.set_status(ticket.id, "resolved", agent_id, now()))

    page = new_page(viewport=PHONE, locale="en-GB")
    page.goto(ticket_url(settings, ticket, now()))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".status")).to_have_text("Resolved")
    expect(page.get_by_role("group", name="How satisfied are you with the resolution?")).to_be_visible()
    no_sideways_scrolling(page)
    screenshot(page, "rating-form")

    page.locator(".scores label").nth(3).click()  # 4
    page.get_by_role("button", name="Send rating").click()
    expect(page.locator(".rated")).to_have_text("You rated the resolution 4/5. Thank you.")
    expect(page.locator('input[name="score"]')).to_have_count(0)  # asked once
    screenshot(page, "rated")
    assert service.store.get(ticket.id).rating == 4
