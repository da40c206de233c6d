"""The privacy notice, the marketing e-mail choice and "end chat" in the widget (widget/widget.js), on a
phone, with the keyboard only, against the real bridge and assistant. What the browser shows is
checked against what the bridge stored (bot/privacy/)."""
import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bot.privacy.models import Consent
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.integration

MESSAGES = "#kd-messages .kd-msg"
BOT = '#kd-messages .kd-msg[data-sender="bot"]'
SESSION_KEY = "kuzey-destek-session"
WORDS = {
    "tr": {"path": "/", "title": "Sohbete başlamadan önce", "accept": "Anladım, sohbete başla",
           "full": "Aydınlatma metninin tamamı", "page": "/gizlilik", "masked": "maskelenir",
           "marketing": "kampanya ve memnuniyet e-postaları", "privacy": "Gizlilik", "saved": "Tercihiniz kaydedildi.",
           "end": "Sohbeti bitir", "end_yes": "Evet, sohbeti bitir", "ended": "Sohbet bitirildi",
           "question": "kargo ücreti ne kadar", "answer": "49,90"},
    "en": {"path": "/en", "title": "Before you start", "accept": "OK, start chatting", "full": "Full privacy notice",
           "page": "/en/privacy", "masked": "masked", "marketing": "offers and satisfaction surveys",
           "privacy": "Privacy", "saved": "Your choice has been saved.", "end": "End chat",
           "end_yes": "Yes, end the chat", "ended": "The chat has ended", "question": "how much is shipping",
           "answer": "49.90"},
}


def open_phone(new_page, url):
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True, acknowledge_notice=False)
    page.goto(url)
    return page


def focused_id(page):
    return page.evaluate("document.activeElement && document.activeElement.id")


def tab_to(page, element_id, backwards=False, limit=80):
    """Presses Tab (Shift+Tab) until the element has the focus, as a keyboard user would."""
    for _ in range(limit):
        if focused_id(page) == element_id:
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    pytest.fail(f"#{element_id} cannot be reached with the keyboard")


def consents_of(running_bridge, session_id):
    with running_bridge.desk_store().session() as s:
        return [(c.kind, c.granted) for c in s.execute(select(Consent).where(Consent.conversation_id == session_id)
                                                       .order_by(Consent.id)).scalars()]


def session_of(page):
    return page.evaluate(f"localStorage.getItem('{SESSION_KEY}')")


@pytest.mark.parametrize("language", ["tr", "en"])
def test_the_notice_and_the_marketing_choice_with_the_keyboard_on_a_phone(running_bridge, new_page, screenshot,
                                                                          language):
    words = WORDS[language]
    page = open_phone(new_page, running_bridge.url + words["path"])
    tab_to(page, "kd-launcher")
    page.keyboard.press("Enter")

    notice = page.locator("#kd-notice")
    expect(notice).to_be_visible()
    expect(notice).to_be_focused()  # read first; nothing can be written before it
    expect(page.locator("#kd-input")).to_be_hidden()
    expect(page.locator("#kd-toolbar")).to_be_hidden()
    expect(page.locator("#kd-notice-title")).to_have_text(words["title"])
    expect(page.locator("#kd-notice-text")).to_contain_text(words["masked"])
    expect(page.locator("#kd-notice-link")).to_have_attribute("href", re.compile(re.escape(words["page"]) + "$"))
    expect(page.locator("#kd-notice-link")).to_contain_text(words["full"])
    expect(page.locator("#kd-notice-marketing-label")).to_contain_text(words["marketing"])
    expect(page.locator("#kd-notice-marketing")).not_to_be_checked()  # never ticked for the shopper
    expect(page.locator("#kd-notice-accept")).to_have_text(words["accept"])
    expect(page.locator("#kd-notice-accept")).to_be_in_viewport()
    expect(page.locator("#kd-connection")).to_be_hidden()
    page.wait_for_function("() => !document.getAnimations().length")  # the panel's opening is over
    screenshot(page, "notice")
    session_id = session_of(page)
    assert consents_of(running_bridge, session_id) == []

    # Turkish: ticks the marketing box under the notice. English: leaves it and decides later in the menu.
    tab_to(page, "kd-notice-marketing")
    if language == "tr":
        page.keyboard.press("Space")
        expect(page.locator("#kd-notice-marketing")).to_be_checked()
    tab_to(page, "kd-notice-accept")
    page.keyboard.press("Enter")
    expect(notice).to_be_hidden()
    expect(page.locator("#kd-input")).to_be_focused()
    expected = [("notice", True)] + ([("marketing", True)] if language == "tr" else [])
    assert_eventually(lambda: consents_of(running_bridge, session_id) == expected)

    # The menu in the header shows the choice and changes it, with the keyboard.
    tab_to(page, "kd-privacy-toggle", backwards=True)
    expect(page.locator("#kd-privacy-toggle")).to_have_text(words["privacy"])
    page.keyboard.press("Enter")
    expect(page.locator("#kd-privacy-menu")).to_be_visible()
    expect(page.locator("#kd-privacy-toggle")).to_have_attribute("aria-expanded", "true")
    checkbox = page.locator("#kd-marketing")
    expect(checkbox).to_be_focused()
    expect(page.locator("#kd-marketing-label")).to_contain_text(words["marketing"])
    if language == "tr":
        expect(checkbox).to_be_checked()
    else:
        expect(checkbox).not_to_be_checked()
    page.keyboard.press("Space")  # withdraws (tr) or gives (en)
    expect(page.locator("#kd-privacy-status")).to_have_text(words["saved"])
    screenshot(page, "menu")
    expected.append(("marketing", language == "en"))
    assert_eventually(lambda: consents_of(running_bridge, session_id) == expected)
    page.keyboard.press("Escape")  # the menu closes, the chat stays open
    expect(page.locator("#kd-privacy-menu")).to_be_hidden()
    expect(page.locator("#kd-privacy-toggle")).to_be_focused()
    expect(page.locator("#kd-panel")).to_be_visible()

    # A reload of this session asks the server, which says the notice was read.
    page.reload()
    expect(page.locator("#kd-connection")).to_be_hidden()
    expect(page.locator("#kd-input")).to_be_visible()
    expect(notice).to_be_hidden()
    assert session_of(page) == session_id


def test_end_chat_clears_the_transcript_and_a_reload_starts_empty(running_bridge, new_page, screenshot):
    words = WORDS["tr"]
    page = open_phone(new_page, running_bridge.url + "/")
    tab_to(page, "kd-launcher")
    page.keyboard.press("Enter")
    tab_to(page, "kd-notice-accept")
    page.keyboard.press("Enter")
    expect(page.locator("#kd-input")).to_be_focused()
    page.keyboard.type(words["question"])
    page.keyboard.press("Enter")
    expect(page.locator(BOT).first).to_contain_text(words["answer"], timeout=60_000)
    ended_id = session_of(page)

    # The same chat in a second tab of the same browser.
    other_tab = page.context.new_page()
    other_tab.goto(running_bridge.url + "/")
    other_tab.locator("#kd-launcher").click()
    expect(other_tab.locator(BOT).first).to_contain_text(words["answer"], timeout=15_000)

    tab_to(page, "kd-end", backwards=True)
    expect(page.locator("#kd-end")).to_have_text(words["end"])
    page.keyboard.press("Enter")
    expect(page.locator("#kd-end-confirm")).to_be_visible()
    expect(page.locator("#kd-end-yes")).to_be_focused()
    screenshot(page, "confirm")
    page.keyboard.press("Escape")  # second thoughts: nothing happens
    expect(page.locator("#kd-end-confirm")).to_be_hidden()
    expect(page.locator("#kd-end")).to_be_focused()
    assert page.locator(MESSAGES).count() >= 2

    page.keyboard.press("Enter")
    expect(page.locator("#kd-end-yes")).to_have_text(words["end_yes"])
    page.keyboard.press("Enter")
    expect(page.locator(MESSAGES)).to_have_count(0)
    expect(page.locator("#kd-messages .kd-empty")).to_contain_text(words["ended"])
    expect(page.locator("#kd-notice")).to_be_visible()  # a new chat begins with the notice again
    expect(page.locator("#kd-notice")).to_be_focused()
    assert session_of(page) not in (None, ended_id)
    screenshot(page, "ended")
    expect(other_tab.locator(MESSAGES)).to_have_count(0)  # the other tab forgot it too
    assert running_bridge.desk_store().conversation(ended_id).ended_at is not None

    page.reload()
    expect(page.locator("#kd-notice")).to_be_visible()
    expect(page.locator(MESSAGES)).to_have_count(0)
    assert session_of(page) != ended_id
    other_tab.close()


def assert_eventually(check, timeout=10.0):
    """The server's answer may land just after the page changed."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            assert check()
        time.sleep(0.1)


@pytest.mark.parametrize("path, language", [("/gizlilik", "tr"), ("/en/privacy", "en")])
def test_the_full_notice_reads_well_on_a_phone(running_bridge, new_page, screenshot, path, language):
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(running_bridge.url + path)
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("h1")).to_contain_text("Kuzey Market")
    assert page.locator("main h2").count() >= 8  # its sections
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")  # no sideways scrolling
    assert page.evaluate("parseFloat(getComputedStyle(document.querySelector('main p:not(.meta)')).fontSize)") >= 16
    screenshot(page, "page")
