"""The console's Tickets view (widget/console/, GET/POST /api/tickets…) in Chromium against the real bridge.

Tickets are seeded with the ticket core (TicketStore) on the running bridge's database, with support
open around the clock (the test stack's setting), so a complaint opened 7 hours ago owes its first
answer within the hour: inside the 2-hour warning window, highlighted amber with the words "Süresi
dolmak üzere"; one opened 10 hours ago is past its deadline: red, "Süresi doldu". An agent on a laptop
reaches the Tickets view with the keyboard, finds both, opens the first, reads the linked chat (folded
until asked for), writes an internal note (yellow, "İç not — müşteri görmez", never in the public
thread) and a reply that starts from a canned response, and resolves it; what people wrote is shown as
text, never as HTML. On a phone the view shows one column at a time without sideways scrolling.
Screenshots: test-artifacts/screenshots/test-*-tickets-*.png."""
import uuid
from datetime import timedelta

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import select

from bot.desk.models import DeskUser
from bot.desk.store import utcnow
from bot.tickets.setup import ticket_store
from bot.tickets.store import NewTicket
from tests.browser.conftest import LAPTOP, PHONE
from tests.browser.login import log_in_at
from tests.browser.visible_text import seen_texts, turkish

pytestmark = pytest.mark.integration

TURKISH = {"locale": "tr-TR"}
NUR = 1000  # a demo store customer, with orders
SHOPPER_HTML = "Kutum ezik geldi <b>hemen</b> <img src=x onerror=window.__injected=1>"
NOTE = "Kargo firmasını aradım <i>yarın</i> dönecekler"
AMBER = "rgb(254, 243, 199)"  # #fef3c7, console.css: .ticket-item[data-due=breaching]
RED = "rgb(254, 226, 226)"  # --red-soft: .ticket-item[data-due=breached]
NO_SIDEWAYS_SCROLL = "document.scrollingElement.scrollWidth <= window.innerWidth"
# What people wrote: the only Turkish an English console may show (canned responses are in the
# ticket's language); people's names are taken out of the console's own sentences.
PEOPLES_WORDS = ("#ticket-words, #ticket-thread .msg-text, #ticket-transcript .msg-text, #ticket-list .item-preview, "
                 '#tcontext-customer dd, #me-name, #ticket-canned option:not([value=""]), #ticket-owner')
NAMES = ["Ayşe K.", "Mehmet D.", "Zeynep Ş.", "Nur Güneş", "Nur"]


@pytest.fixture
def tickets(running_bridge):
    """A complaint due within the hour with its chat, and an after-hours request already overdue."""
    store = running_bridge.desk_store()
    tickets = ticket_store(running_bridge.settings, store.engine)
    now, marker = utcnow(), uuid.uuid4().hex[:8]
    chat = store.create_conversation("tr")
    store.update_conversation(chat.id, customer_id=NUR)
    store.add_message(chat.id, "shopper", SHOPPER_HTML)
    store.add_message(chat.id, "bot", "Şikâyetinizi kaydettim.")
    near = tickets.open(NewTicket("complaint", "kargo", "tr", f"{SHOPPER_HTML} ({marker})", customer_id=NUR,
                                  email=f"nur-{marker}@example.com", conversation_id=chat.id, segments=["vip"]),
                        now - timedelta(hours=7))
    late = tickets.open(NewTicket("after_hours", "diger", "en", f"Where is my refund? ({marker})",
                                  email=f"late-{marker}@example.com"), now - timedelta(hours=10))
    with store.session() as s:
        ids = {user.username: user.id for user in s.execute(select(DeskUser)).scalars()}
    yield {"store": tickets, "near": near, "late": late, "chat": chat.id, "ids": ids}
    store.engine.dispose()


def log_in(page, bridge, username="ayse"):
    log_in_at(page, bridge, "/agent", username)
    expect(page.locator("#app-view")).to_be_visible()
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    return page


def tab_to(page, selector, presses=40):
    target = page.locator(selector)
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return target
    pytest.fail(f"{selector} cannot be reached with Tab")


def row(page, ticket):
    return page.locator(f'#ticket-list .ticket-item[data-id="{ticket.id}"]')


def background(locator):
    return locator.evaluate("element => getComputedStyle(element).backgroundColor")


def canned_apology(bridge):
    """The canned response as the bridge serves it now (editors may change it in the studio)."""
    response = requests.get(f"{bridge.url}/api/desk/canned", headers=bridge.auth_headers("ayse"), timeout=30)
    return next(r for r in response.json()["responses"] if r["key"] == "apology")["text"]["tr"]


def test_an_agent_answers_and_resolves_a_ticket_near_its_deadline(running_bridge, new_page, screenshot, tickets):
    near, late, store = tickets["near"], tickets["late"], tickets["store"]
    page = log_in(new_page(viewport=LAPTOP, **TURKISH), running_bridge)

    # The Tickets view beside the live chats, reached with the keyboard.
    expect(page.locator("#section-tickets")).to_have_text("Talepler")
    page.locator(".topbar .brand").click()  # Tab goes on from here
    tab_to(page, "#section-tickets").press("Enter")
    expect(page.locator("#tickets-view")).to_be_visible()
    expect(page.locator("#chats-view")).to_be_hidden()
    expect(page.locator("#section-tickets")).to_have_attribute("aria-pressed", "true")

    # "Süresi dolmak üzere": the complaint due within the hour is amber and says so; the overdue one red.
    page.locator('#ticket-views [data-view="breaching"]').click()
    expect(page.locator('#ticket-views [data-view="breaching"]')).to_have_attribute("aria-pressed", "true")
    expect(row(page, near)).to_have_attribute("data-due", "breaching")
    expect(row(page, near)).to_contain_text("Süresi dolmak üzere")
    expect(row(page, near)).to_contain_text(near.code)
    expect(row(page, near).locator(".ticket-due")).to_contain_text("kaldı")
    assert background(row(page, near).locator(".ticket-open")) == AMBER
    expect(row(page, late)).to_have_attribute("data-due", "breached")
    expect(row(page, late)).to_contain_text("Süresi doldu")
    expect(row(page, late).locator(".ticket-due")).to_contain_text("önce doldu")
    assert background(row(page, late).locator(".ticket-open")) == RED
    # The most urgent first.
    ids = page.locator("#ticket-list .ticket-item").evaluate_all("items => items.map(i => Number(i.dataset.id))")
    assert ids.index(late.id) < ids.index(near.id)
    screenshot(page, "tickets-breaching")

    # The search finds it by its code, also in lower case.
    page.locator("#ticket-q").fill(near.code.lower())
    page.locator("#ticket-q").press("Enter")
    expect(page.locator("#ticket-list .ticket-item")).to_have_count(1)
    expect(row(page, near)).to_be_visible()

    # The ticket page: code, status, deadline, the customer and their words, as text.
    row(page, near).locator(".ticket-open").click()
    expect(page.locator("#ticket-title")).to_have_text(near.code)
    expect(page.locator("#ticket-due")).to_have_attribute("data-due", "breaching")
    expect(page.locator("#ticket-due")).to_contain_text("İlk yanıt")
    expect(page.locator("#ticket-words")).to_contain_text(SHOPPER_HTML)
    expect(page.locator("#tcontext-customer")).to_contain_text("Nur Güneş")
    expect(page.locator("#tcontext-segments")).to_contain_text("VIP müşteri")
    expect(page.locator("#tcontext-orders tbody tr").first).to_be_visible()
    # The linked chat is folded until asked for.
    expect(page.locator("#ticket-transcript")).to_be_hidden()
    page.locator("#ticket-transcript-title").click()
    expect(page.locator('#ticket-transcript .msg[data-sender="shopper"] .msg-text')).to_have_text(SHOPPER_HTML)

    # An internal note: marked as such, never public.
    page.locator("#ticket-reply").fill(NOTE)
    page.locator("#ticket-note").click()
    note = page.locator("#ticket-thread .entry-note").last
    expect(note.locator(".msg-text")).to_have_text(NOTE)
    expect(note).to_contain_text("İç not — müşteri görmez")
    expect(page.locator("#ticket-reply")).to_have_value("")

    # A reply from a canned response (inserted for editing), then resolved.
    page.locator("#ticket-canned").select_option("apology")
    apology = canned_apology(running_bridge)
    expect(page.locator("#ticket-reply")).to_have_value(apology)
    page.locator("#ticket-reply").press("End")
    page.locator("#ticket-reply").type(" Kargonuzu takip ediyorum.")
    page.locator("#ticket-send").click()
    reply = page.locator("#ticket-thread .entry-reply").last
    expect(reply.locator(".msg-text")).to_have_text(f"{apology} Kargonuzu takip ediyorum.")
    expect(page.locator("#ticket-status")).to_have_text("Müşteri yanıtı bekleniyor")
    screenshot(page, "tickets-answered")
    page.locator("#ticket-resolve").click()
    expect(page.locator("#ticket-status")).to_have_text("Çözüldü")
    expect(page.locator("#ticket-resolve")).to_be_hidden()

    assert page.evaluate("window.__injected") is None
    assert page.locator("#ticket-body b, #ticket-body i, #ticket-body img").count() == 0
    stored = store.get(near.id)
    assert stored.status == "resolved" and stored.first_response_at is not None
    public = [(e.kind, e.text) for e in store.entries(near.id, public_only=True)]
    assert public == [("reply", f"{apology} Kargonuzu takip ediyorum.")]
    assert ("note", NOTE) in [(e.kind, e.text) for e in store.entries(near.id)]
    screenshot(page, "tickets-resolved")

    # In English, nothing on the Tickets view is Turkish but what people wrote and their names (the
    # confirmation said before the switch is dismissed first: it is not worded again).
    page.locator("#toast").click()
    expect(page.locator("#toast")).to_be_hidden()
    page.locator('#app-view .lang-switch [data-lang="en"]').click()
    expect(page.locator("#section-tickets")).to_have_text("Tickets")
    expect(page.locator("#ticket-status")).to_have_text("Resolved")
    expect(page.locator("#ticket-thread .entry-note").last).to_contain_text("Internal note — the customer does not see it")
    assert turkish(seen_texts(page, PEOPLES_WORDS), NAMES) == []
    screenshot(page, "tickets-english")


def test_on_a_phone_the_tickets_show_one_column_at_a_time(running_bridge, new_page, screenshot, tickets):
    near = tickets["near"]
    page = log_in(new_page(viewport=PHONE, is_mobile=True, has_touch=True, **TURKISH), running_bridge)
    page.locator("#section-tickets").click()
    page.locator('#ticket-views [data-view="breaching"]').click()
    expect(row(page, near)).to_have_attribute("data-due", "breaching")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot(page, "tickets-phone-list")

    row(page, near).locator(".ticket-open").click()
    expect(page.locator("#tickets-view")).to_have_attribute("data-tview", "ticket")
    expect(page.locator("#ticket-title")).to_have_text(near.code)
    expect(page.locator("#ticket-list")).to_be_hidden()
    expect(page.locator("#ticket-send")).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot(page, "tickets-phone-ticket")

    page.locator("#ticket-show-customer").click()
    expect(page.locator("#tcontext-customer")).to_contain_text("Nur Güneş")
    expect(page.locator("#ticket-send")).to_be_hidden()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot(page, "tickets-phone-customer")
    page.locator("#ticket-context-back").click()
    page.locator("#ticket-back").click()
    expect(page.locator("#tickets-view")).to_have_attribute("data-tview", "list")
    expect(row(page, near)).to_be_visible()
