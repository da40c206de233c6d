"""The storefront widget (widget/widget.js) in Chromium against the real bridge and assistant.

A shopper on a phone: opens the chat with the keyboard, asks, gets the answer, uses a quick
reply, reloads and finds the conversation again. Selectors are the stable ones documented in
widget/README.md. Console errors fail every test (the `new_page` fixture)."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP, PHONE

pytestmark = pytest.mark.integration

MESSAGES = "#kd-messages .kd-msg"
SHOPPER = '#kd-messages .kd-msg[data-sender="shopper"]'
BOT = '#kd-messages .kd-msg[data-sender="bot"]'
AGENT = '#kd-messages .kd-msg[data-sender="agent"]'
XSS = "<img src=x onerror=alert(1)>"
GIBBERISH = ["qxzv plmok wrrt", "zzkv qopw mnnx", "blorf snarg", "tptp rrr", "vbnm"]


def open_phone(new_page, url):
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(url)
    return page


def open_with_keyboard(page):
    """Tab from the top of the page to the launcher, as a keyboard user would, and press Enter."""
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "kd-launcher":
            break
    else:
        pytest.fail("the launcher cannot be reached with Tab")
    expect(page.locator("#kd-launcher")).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(page.locator("#kd-panel")).to_be_visible()
    expect(page.locator("#kd-launcher")).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#kd-input")).to_be_focused()
    expect(page.locator("#kd-connection")).to_be_hidden()  # connected, session confirmed


def settled(page, timeout_ms=20_000):
    """Waits until no bot message has arrived for 1.5 s (answers may come in several messages)."""
    page.wait_for_function(
        """() => {
            const now = Date.now(), n = document.querySelectorAll('#kd-messages .kd-msg').length;
            if (window.__kdCount !== n) { window.__kdCount = n; window.__kdSince = now; }
            return document.querySelector('#kd-typing').hidden && now - window.__kdSince > 1500;
        }""",
        polling=250, timeout=timeout_ms,
    )
    return page.locator(MESSAGES).count()


def test_a_shopper_on_a_phone_asks_uses_a_quick_reply_and_finds_the_chat_after_a_reload(
        running_bridge, parse, new_page, screenshot):
    page = open_phone(new_page, running_bridge.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    expect(page.locator("#kd-launcher")).to_have_attribute("aria-label", "Canlı destek sohbetini aç")
    screenshot(page, "storefront")

    open_with_keyboard(page)
    # On a phone the panel covers the whole screen (once its opening animation has run).
    page.wait_for_function("""() => {
        const r = document.querySelector('#kd-panel').getBoundingClientRect();
        return r.top === 0 && r.left === 0 && r.width === innerWidth && r.height === innerHeight;
    }""", timeout=5_000)
    expect(page.locator("#kd-status")).to_have_text("Dijital asistan")
    expect(page.locator("#kd-messages")).to_have_attribute("role", "log")

    page.keyboard.type("kargo ücreti ne kadar")
    page.keyboard.press("Enter")
    expect(page.locator(SHOPPER)).to_have_count(1)  # shown at once, before the answer
    expect(page.locator(SHOPPER).first).to_contain_text("kargo ücreti ne kadar")
    expect(page.locator("#kd-input")).to_have_value("")
    expect(page.locator(BOT).first).to_contain_text("49,90 TL", timeout=60_000)
    settled(page)
    screenshot(page, "answer")

    # Something the assistant does not understand gets suggestions as quick replies.
    miss = next(text for text in GIBBERISH if parse(text)["intent"]["name"] == "nlu_fallback")
    page.locator("#kd-input").fill(miss)
    page.keyboard.press("Enter")
    quick_replies = page.locator(".kd-quick-reply")
    expect(quick_replies.first).to_be_visible(timeout=60_000)
    settled(page)
    screenshot(page, "quick-replies")
    title = quick_replies.first.inner_text()
    bots = page.locator(BOT).count()
    quick_replies.first.click()
    expect(page.locator(".kd-quick-replies")).to_have_count(0)  # that set cannot be used twice
    expect(page.locator(SHOPPER)).to_have_count(3)
    expect(page.locator(SHOPPER).last).to_contain_text(title)
    expect(page.locator(BOT)).to_have_count(bots + 1, timeout=60_000)
    settled(page)
    screenshot(page, "quick-reply-answer")

    # Shift+Enter is a new line, not a send.
    page.locator("#kd-input").focus()
    page.keyboard.type("satır bir")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("satır iki")
    expect(page.locator("#kd-input")).to_have_value("satır bir\nsatır iki")
    page.locator("#kd-input").fill("")

    shown = page.locator(f"{MESSAGES} .kd-bubble").all_inner_texts()
    page.reload()
    # The panel stays open across the reload and the bridge sends the whole history.
    expect(page.locator("#kd-panel")).to_be_visible()
    expect(page.locator(MESSAGES)).to_have_count(len(shown), timeout=15_000)
    assert page.locator(f"{MESSAGES} .kd-bubble").all_inner_texts() == shown
    screenshot(page, "after-reload")

    page.locator("#kd-input").press("Escape")
    expect(page.locator("#kd-panel")).to_be_hidden()
    expect(page.locator("#kd-launcher")).to_be_focused()


def test_html_in_a_message_is_shown_as_text(running_bridge, new_page, screenshot):
    page = open_phone(new_page, running_bridge.url + "/")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_with_keyboard(page)

    page.keyboard.type(XSS)
    page.keyboard.press("Enter")
    expect(page.locator(SHOPPER).first).to_contain_text(XSS)
    expect(page.locator(f"{MESSAGES}:not([data-sender='shopper'])").first).to_be_visible(timeout=60_000)
    settled(page)
    assert page.locator("#kd-messages img").count() == 0
    screenshot(page, "sent")

    page.reload()  # the stored copy, rendered from history, is text too
    expect(page.locator(SHOPPER).first).to_contain_text(XSS)
    assert page.locator("#kd-messages img").count() == 0
    assert dialogs == []


def test_the_english_storefront_has_an_english_widget(running_bridge, new_page, screenshot):
    page = open_phone(new_page, running_bridge.url + "/en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#kd-launcher")).to_have_attribute("aria-label", "Open the support chat")
    open_with_keyboard(page)
    expect(page.locator("#kd-title")).to_have_text("Kuzey Market Support")
    expect(page.locator("#kd-status")).to_have_text("Digital assistant")
    expect(page.locator("#kd-input")).to_have_attribute("placeholder", "Type your message…")
    expect(page.locator("#kd-send")).to_have_attribute("aria-label", "Send")

    page.keyboard.type("how much is shipping")
    page.keyboard.press("Enter")
    expect(page.locator(BOT).first).to_contain_text(re.compile("shipping", re.I), timeout=60_000)
    settled(page)
    screenshot(page, "answer")


def test_an_agent_takes_over_and_the_widget_says_who_is_helping(running_bridge, new_page, screenshot):
    page = new_page(viewport=LAPTOP)
    page.goto(running_bridge.url + "/")
    page.locator("#kd-launcher").click()
    expect(page.locator("#kd-connection")).to_be_hidden()
    ayse = running_bridge.agent("ayse")
    session_id = None
    try:
        page.locator("#kd-input").fill("bir temsilciyle görüşmek istiyorum")
        page.locator("#kd-send").click()
        expect(page.locator("#kd-status")).to_have_text(re.compile(r"^Sıradaki yeriniz: \d+"), timeout=60_000)
        session_id = page.evaluate("localStorage.getItem('kuzey-destek-session')")
        screenshot(page, "queued")

        ack = ayse.call("accept", {"conversation_id": session_id})
        assert ack["ok"], ack
        expect(page.locator("#kd-status")).to_have_text("Ayşe K. sizinle ilgileniyor")
        ayse.call("typing", {"conversation_id": session_id, "active": True})
        expect(page.locator("#kd-typing")).to_have_text("Ayşe K. yazıyor…")
        ayse.call("send", {"conversation_id": session_id, "text": "Merhaba, ben Ayşe.\nSiparişinize bakıyorum."})
        agent_message = page.locator(AGENT).last
        expect(agent_message.locator(".kd-msg-name")).to_have_text("Ayşe K.")
        expect(agent_message.locator(".kd-bubble")).to_have_text("Merhaba, ben Ayşe.\nSiparişinize bakıyorum.")
        expect(page.locator("#kd-typing")).to_be_hidden()
        screenshot(page, "agent")

        # A message while the panel is closed shows on the launcher's badge.
        page.keyboard.press("Escape")
        ayse.call("send", {"conversation_id": session_id, "text": "Kargonuz yarın elinizde."})
        expect(page.locator("#kd-badge")).to_have_text("1")
        screenshot(page, "unread")

        ayse.call("hand_back", {"conversation_id": session_id})
        expect(page.locator("#kd-status")).to_have_text("Dijital asistan")
    finally:
        if session_id:
            ayse.call("hand_back", {"conversation_id": session_id})
        ayse.disconnect()


def test_after_an_answer_and_thanks_the_shopper_rates_with_buttons(running_bridge, new_page, screenshot):
    """The satisfaction question in the page's language, answered by tapping the buttons."""
    page = open_phone(new_page, running_bridge.url + "/en")
    open_with_keyboard(page)
    page.keyboard.type("how much is shipping")
    page.keyboard.press("Enter")
    expect(page.locator(BOT).first).to_contain_text("49.90", timeout=60_000)
    settled(page)
    page.locator("#kd-input").fill("thanks")
    page.keyboard.press("Enter")
    scores = page.locator(".kd-quick-reply")
    expect(scores).to_have_count(5, timeout=60_000)
    expect(page.locator(MESSAGES).last).to_contain_text("How satisfied are you")
    settled(page)
    screenshot(page, "csat-question")
    scores.nth(4).click()
    expect(page.get_by_role("button", name="No comment")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="No comment").click()
    expect(page.locator(MESSAGES).last).to_contain_text("Thank you for your feedback", timeout=30_000)
    expect(page.locator(".kd-quick-reply")).to_have_count(0)
    screenshot(page, "csat-thanks")


HEADER_CONTROL_IS_ON_TOP = """element => {
    const box = element.getBoundingClientRect();
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return hit === element || element.contains(hit);
}"""


@pytest.mark.parametrize("path, live_support, language_link", [
    ("/", "Canlı destek", "English"), ("/en", "Live support", "Türkçe"),
])
def test_the_open_widget_leaves_the_storefront_header_usable_on_a_desktop(
        running_bridge, new_page, screenshot, path, live_support, language_link):
    page = new_page(viewport=LAPTOP)
    page.goto(running_bridge.url + path)
    header_button = page.locator("header").get_by_role("button", name=live_support)
    header_link = page.locator("header").get_by_role("link", name=language_link)
    expect(header_link).to_be_visible()
    page.locator("#kd-launcher").click()
    expect(page.locator("#kd-panel")).to_be_visible()
    expect(page.locator("#kd-connection")).to_be_hidden()
    page.wait_for_timeout(300)  # the opening animation
    for control in (header_button, header_link):
        assert control.evaluate(HEADER_CONTROL_IS_ON_TOP), f"the open panel covers {control}"
    # The panel keeps below the header, still a usable chat window.
    panel = page.locator("#kd-panel").bounding_box()
    header = page.locator("header").bounding_box()
    assert panel["y"] >= header["y"] + header["height"] and panel["height"] >= 360
    assert page.locator("#kd-input").evaluate(HEADER_CONTROL_IS_ON_TOP)
    screenshot(page, "desktop-open")

    # Still works as a header button: pressing it (with the panel open) keeps the chat open.
    header_button.click()
    expect(page.locator("#kd-panel")).to_be_visible()
    # Scrolled down, the header is gone and the panel takes its full height again.
    page.mouse.wheel(0, 600)
    page.wait_for_function("() => document.querySelector('#kd-panel').getBoundingClientRect().height >= 600")


def test_the_order_status_puts_the_tracking_link_on_its_own_line(running_bridge, new_page, screenshot):
    """An order in transit: the tracking link and the estimated delivery are separate lines."""
    page = new_page(viewport=LAPTOP)
    page.goto(running_bridge.url + "/")
    page.locator("#kd-launcher").click()
    expect(page.locator("#kd-connection")).to_be_hidden()
    page.locator("#kd-input").fill("400142 nolu siparişim nerede")
    page.keyboard.press("Enter")
    expect(page.locator(BOT).last).to_contain_text(re.compile("e-posta", re.I), timeout=60_000)
    settled(page)
    page.locator("#kd-input").fill("elif.aslan@example.com")
    page.keyboard.press("Enter")
    answer = page.locator(f"{BOT} .kd-bubble", has_text="Tahmini teslim")
    expect(answer).to_have_count(1, timeout=60_000)
    link = answer.locator("a.kd-link")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", re.compile(r"^https?://.*56603117226"))
    assert "Tahmini" not in link.inner_text()
    lines = [line.strip() for line in answer.inner_text().split("\n")]
    link_line = next(line for line in lines if "http" in line)
    assert "Tahmini" not in link_line, lines
    assert any(line.startswith("Tahmini teslim:") for line in lines), lines
    # Drawn on separate lines too: the estimate starts below the link.
    estimate_top = answer.evaluate("""bubble => {
        const range = document.createRange();
        const node = Array.from(bubble.childNodes).find(n => n.nodeType === 3 && n.textContent.includes('Tahmini'));
        const start = node.textContent.indexOf('Tahmini');
        range.setStart(node, start);
        range.setEnd(node, start + 7);
        return range.getBoundingClientRect().top;
    }""")
    link_box = link.bounding_box()
    assert estimate_top >= link_box["y"] + link_box["height"] - 1
    screenshot(page, "order-status")
