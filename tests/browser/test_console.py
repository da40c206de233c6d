"""The agent console (widget/console/) in Chromium against the real bridge and assistant.

An agent on a laptop logs in, sees a shopper who asked for a person in the queue, takes the chat,
reads what was said before, answers, writes an internal note (after which the box is a reply box
again), uses a canned response and closes the chat with a resolution tag; another test covers
offers, unread badges, typing, transfer and hand back across two chats and two agents. On a phone
the console shows one column at a time. The agent picks the console's language (TR/EN, remembered;
by default the browser's), and errors from the server are worded in it; in English nothing on the
console is Turkish but what people wrote; outside support hours a banner says so. Shoppers are python-socketio clients (tests/live_chat.py). Selectors are the
stable ones documented in widget/console/README.md. Console errors fail every test (the
`new_page` fixture)."""
import json
import re
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect
from sqlalchemy import select

from bot.desk.models import Handoff
from tests.browser.conftest import LAPTOP, PHONE
from tests.browser.visible_text import seen_texts, turkish

pytestmark = pytest.mark.integration

DESK_CONFIG = Path(__file__).resolve().parents[2] / "data" / "desk.yml"
TRANSCRIPT = "#transcript .msg"
SHOPPER = '#transcript .msg[data-sender="shopper"]'
AGENT = '#transcript .msg[data-sender="agent"]'
HTML = "<b>x</b><script>window.__injected = true</script>"
ASK_FOR_A_PERSON = "bir temsilciyle görüşmek istiyorum"
# The console follows the browser's language unless the agent chose one: these agents' browsers are Turkish.
TURKISH = {"locale": "tr-TR"}
NO_SIDEWAYS_SCROLL = "document.scrollingElement.scrollWidth <= window.innerWidth"
# What people wrote and their names: the only Turkish an English console may show. Canned responses
# are in the chat's language (the placeholder option is the console's own).
PEOPLES_WORDS = ("#transcript .msg-text, #transcript .msg-replies, #transcript .msg-agent .msg-who, "
                 "#transcript .msg-note .msg-who, #me-name, .item-preview, .offer-preview, "
                 '#canned option:not([value=""]), #transfer-agent, .kb-mark-text, #suggest-quote')


def log_in(page, bridge, username="ayse"):
    page.goto(bridge.url + "/agent")
    expect(page.locator("#login-username")).to_be_focused()
    page.locator("#login-username").fill(username)
    page.locator("#login-password").fill(bridge.passwords[username])
    page.locator("#login-password").press("Enter")
    expect(page.locator("#app-view")).to_be_visible()
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    return page


def queue_item(page, session_id):
    return page.locator(f'#queue .queue-item[data-id="{session_id}"]')


def chat_item(page, session_id):
    return page.locator(f'#my-chats .chat-item[data-id="{session_id}"]')


def tab_to(page, selector, presses=60):
    """Presses Tab until `selector` has the focus, as a keyboard user would."""
    target = page.locator(selector)
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return target
    pytest.fail(f"{selector} cannot be reached with Tab")


def canned_text(key, language="tr"):
    """From data/desk.yml, which editors may change."""
    responses = yaml.safe_load(DESK_CONFIG.read_text(encoding="utf-8"))["responses"]
    return next(r["text"][language] for r in responses if r["key"] == key)


def release(bridge, session_id):
    """Leaves no chat behind for the next test: whoever has it hands it back to the assistant."""
    store = bridge.desk_store()
    try:
        conversation = store.conversation(session_id)
        if conversation is None or conversation.state not in ("queued", "agent"):
            return
        owner = store.user(conversation.agent_id).username if conversation.agent_id else "zeynep"
    finally:
        store.engine.dispose()
    agent = bridge.agent(owner)
    try:
        if conversation.state == "queued":
            agent.call("accept", {"conversation_id": session_id})
        agent.call("hand_back", {"conversation_id": session_id})
    finally:
        agent.disconnect()


def test_a_wrong_password_shows_the_servers_error(running_bridge, new_page, screenshot):
    # Chromium logs the expected 401 of /api/login as a console error; every other one still fails.
    page = new_page(viewport=LAPTOP, expected_error="401", **TURKISH)
    page.goto(running_bridge.url + "/agent")
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    expect(page.locator("#login-username")).to_be_focused()
    page.locator("#login-username").fill("ayse")
    page.locator("#login-password").fill("yanlis-sifre")
    page.locator("#login-form button[type=submit]").click()
    expect(page.locator("#login-error")).to_have_text("Kullanıcı adı veya şifre hatalı.")
    expect(page.locator("#login-error")).to_have_attribute("role", "alert")
    expect(page.locator("#app-view")).to_be_hidden()
    assert page.evaluate("sessionStorage.length") == 0
    screenshot(page, "login-error")

    # An empty form is refused before asking the server.
    page.locator("#login-password").fill("")
    page.locator("#login-form button[type=submit]").click()
    expect(page.locator("#login-error")).to_have_text("Kullanıcı adı ve şifre gerekli.")


def test_an_agent_takes_a_chat_from_the_queue_answers_and_closes_it(running_bridge, new_page, screenshot):
    page = log_in(new_page(viewport=LAPTOP, **TURKISH), running_bridge)
    expect(page.locator("#me-name")).to_have_text("Ayşe K.")
    expect(page.locator("#availability")).to_be_checked()
    shopper = running_bridge.shopper()
    session_id = shopper.session_id
    try:
        assert "49,90" in shopper.say("kargo ücreti ne kadar")[0]["text"]
        shopper.say(ASK_FOR_A_PERSON)
        shopper.wait_for("handoff_status", lambda status: status["state"] == "queued")

        # The queue: language, the reason in words, a ticking waiting time, the last words.
        item = queue_item(page, session_id)
        expect(item).to_be_visible()
        expect(item.locator(".badge")).to_have_text("TR")
        expect(item).to_contain_text("Temsilci istedi")
        expect(item).to_contain_text(ASK_FOR_A_PERSON)
        expect(item.locator(".wait")).to_have_text(re.compile(r"^\d+:\d\d$"))
        screenshot(page, "queue")

        # Taken with the keyboard: reachable with Tab, with a visible focus ring.
        page.locator("#availability").focus()
        accept = tab_to(page, f'#queue .queue-item[data-id="{session_id}"] .accept')
        assert accept.evaluate("element => getComputedStyle(element).outlineStyle") != "none"
        page.keyboard.press("Enter")
        chat = chat_item(page, session_id)
        expect(chat).to_be_visible()
        expect(chat.locator(".unread")).to_be_hidden()
        expect(item).to_have_count(0)
        expect(page.locator("#reply")).to_be_focused()
        shopper.wait_for("handoff_status", lambda status: status["state"] == "agent")

        # The whole transcript from the first message, and why the shopper is here.
        expect(page.locator(SHOPPER).first).to_have_text(re.compile("kargo ücreti ne kadar"))
        expect(page.locator(SHOPPER).nth(1)).to_contain_text(ASK_FOR_A_PERSON)
        expect(page.locator('#transcript .msg[data-sender="bot"]').first).to_contain_text("49,90")
        expect(page.locator("#context-reason")).to_contain_text("Temsilci istedi")
        expect(page.locator("#context-frustration")).to_contain_text("/100")
        expect(page.locator("#context-customer")).to_contain_text("Doğrulanmamış müşteri")

        # A reply with Enter reaches the shopper; Shift+Enter is a new line.
        reply = page.locator("#reply")
        reply.type("Merhaba, ben Ayşe.")
        reply.press("Shift+Enter")
        reply.type("Size nasıl yardımcı olabilirim?")
        expect(reply).to_have_value("Merhaba, ben Ayşe.\nSize nasıl yardımcı olabilirim?")
        mark = shopper.mark()
        reply.press("Enter")
        expect(reply).to_have_value("")
        expect(page.locator(AGENT).last.locator(".msg-text")).to_have_text(
            "Merhaba, ben Ayşe.\nSize nasıl yardımcı olabilirim?")
        answer = shopper.wait_for("bot_uttered", lambda m: m["metadata"]["sender"] == "agent", after=mark)
        assert answer["text"] == "Merhaba, ben Ayşe.\nSize nasıl yardımcı olabilirim?"

        # The shopper's HTML is text: no element is made of it, no script runs.
        shopper.say(HTML, wait=False)
        expect(page.locator(SHOPPER).last.locator(".msg-text")).to_have_text(HTML)
        assert page.locator("#transcript b, #transcript script").count() == 0
        assert page.evaluate("window.__injected") is None
        expect(chat.locator(".item-preview")).to_have_text(HTML)
        screenshot(page, "chat")

        # An internal note: yellow, for agents only; the composer says so while the switch is on.
        mark = shopper.mark()
        mode = page.locator("#composer-mode")
        expect(mode).to_have_attribute("data-mode", "reply")
        expect(mode).to_have_text("Müşteriye yanıt")
        page.locator("#note-toggle").check()
        expect(mode).to_have_attribute("data-mode", "note")
        expect(mode).to_have_text(re.compile("İç not"))
        expect(page.locator("#composer")).to_have_class(re.compile(r"\bnote-mode\b"))
        expect(page.locator("#send")).to_have_text("Not ekle")
        reply.fill("Müşteri kargo ücretini sordu.")
        page.locator("#send").click()
        note = page.locator('#transcript .msg[data-sender="note"]').last
        expect(note).to_contain_text("İç not")
        expect(note).to_contain_text("Müşteri kargo ücretini sordu.")
        # One note is one message: the switch is off again, so the next words go to the customer.
        expect(page.locator("#note-toggle")).not_to_be_checked()
        expect(mode).to_have_attribute("data-mode", "reply")
        expect(mode).to_have_text("Müşteriye yanıt")
        expect(page.locator("#composer")).not_to_have_class(re.compile(r"\bnote-mode\b"))
        expect(page.locator("#send")).to_have_text("Gönder")

        # A canned response goes into the reply box for editing, in the chat's language.
        page.locator("#canned").select_option("anything_else")
        expect(reply).to_have_value(canned_text("anything_else"))
        page.locator("#send").click()
        expect(page.locator(AGENT).last.locator(".msg-text")).to_have_text(canned_text("anything_else"))
        shopper.wait_for("bot_uttered", lambda m: m["text"] == canned_text("anything_else"), after=mark)
        assert all("kargo ücretini sordu" not in m["text"] for m in shopper.of("bot_uttered", after=mark))

        # Close with a resolution tag and a note (Escape leaves the dialog without closing).
        dialog = page.locator("#close-dialog")
        page.locator("#close-chat").click()
        expect(dialog).to_be_visible()
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(chat).to_be_visible()
        page.locator("#close-chat").click()
        expect(dialog).to_be_visible()
        expect(dialog.locator("input[name=tag]").first).to_be_visible()
        dialog.locator('input[name=tag][value="solved"]').check()
        page.locator("#close-note").fill("Kargo ücreti anlatıldı.")
        screenshot(page, "close-dialog")
        mark = shopper.mark()
        page.locator("#close-confirm").click()
        expect(dialog).to_be_hidden()
        expect(chat).to_have_count(0)
        expect(page.locator("#toast")).to_contain_text("Sohbet kapatıldı")
        expect(page.locator("#transcript")).to_be_hidden()
        shopper.wait_for("handoff_status", lambda status: status["state"] == "bot", after=mark)
        screenshot(page, "closed")
    finally:
        shopper.disconnect()
        release(running_bridge, session_id)

    with running_bridge.desk_store().session() as s:
        handoff = s.execute(select(Handoff).where(Handoff.conversation_id == session_id)).scalar_one()
    assert (handoff.status, handoff.resolution_tags, handoff.close_note) == ("closed", ["solved"], "Kargo ücreti anlatıldı.")


def test_offers_unread_badges_typing_transfer_and_hand_back(running_bridge, new_page, screenshot):
    ayse = log_in(new_page(viewport=LAPTOP, **TURKISH), running_bridge)
    first, second = running_bridge.shopper(), running_bridge.shopper()
    mehmet = None
    try:
        # An offer: a prominent card with a countdown; accepting opens the chat.
        first.say(ASK_FOR_A_PERSON)
        offer = ayse.locator("#offer")
        expect(offer).to_be_visible()
        expect(offer).to_have_attribute("data-id", first.session_id)
        expect(offer).to_contain_text("Yeni sohbet teklifi")
        expect(offer.locator(".offer-countdown")).to_have_text(re.compile(r"\d+ sn"))
        screenshot(ayse, "offer")
        offer.locator(".accept").click()
        expect(offer).to_be_hidden()
        expect(chat_item(ayse, first.session_id)).to_be_visible()
        expect(ayse.locator(SHOPPER).first).to_contain_text(ASK_FOR_A_PERSON)

        second.say(ASK_FOR_A_PERSON)
        queue_item(ayse, second.session_id).locator(".accept").click()
        expect(chat_item(ayse, second.session_id)).to_be_visible()

        # A message in the chat that is not open: an unread badge and the tab title.
        chat_item(ayse, first.session_id).click()
        expect(ayse.locator(SHOPPER).first).to_contain_text(ASK_FOR_A_PERSON)
        second.say("orada mısınız?", wait=False)
        expect(chat_item(ayse, second.session_id).locator(".unread")).to_have_text("1")
        expect(ayse).to_have_title("(1) Yeni mesaj")
        screenshot(ayse, "unread")
        chat_item(ayse, second.session_id).click()
        expect(ayse.locator(SHOPPER).last).to_contain_text("orada mısınız?")
        expect(chat_item(ayse, second.session_id).locator(".unread")).to_be_hidden()

        # Typing, both ways.
        second.sio.emit("typing", {"active": True})
        expect(ayse.locator("#typing-indicator")).to_have_text("Müşteri yazıyor…")
        mark = second.mark()
        ayse.locator("#reply").type("Buradayım")
        second.wait_for("typing", lambda t: t["sender"] == "agent" and t["active"], after=mark)
        ayse.locator("#reply").press("Enter")
        second.wait_for("bot_uttered", lambda m: m["text"] == "Buradayım", after=mark)

        # Transfer to a colleague who is online and speaks Turkish.
        mehmet = log_in(new_page(viewport={"width": 1024, "height": 768}, **TURKISH), running_bridge, "mehmet")
        ayse.locator("#transfer").click()
        expect(ayse.locator("#transfer-dialog")).to_be_visible()
        expect(ayse.locator("#transfer-agent option")).to_have_count(1)
        expect(ayse.locator("#transfer-agent option").first).to_contain_text("Mehmet D.")
        screenshot(ayse, "transfer")
        ayse.locator("#transfer-confirm").click()
        expect(chat_item(ayse, second.session_id)).to_have_count(0)
        expect(ayse.locator("#toast")).to_contain_text("Mehmet D.")

        # Mehmet sees it (offered or queued, depending on the moment) with the reason and takes it.
        taken = mehmet.locator(f'#offer[data-id="{second.session_id}"]:not([hidden]) .accept, '
                               f'#queue .queue-item[data-id="{second.session_id}"] .accept')
        taken.first.click()
        expect(chat_item(mehmet, second.session_id)).to_be_visible()
        expect(mehmet.locator(AGENT).last).to_contain_text("Buradayım")
        expect(mehmet.locator("#context-reason")).to_contain_text(re.compile("Aktarıldı|Temsilci istedi"))
        screenshot(mehmet, "transferred-1024")
        mehmet.locator("#hand-back").click()
        expect(chat_item(mehmet, second.session_id)).to_have_count(0)

        # Hand the first chat back to the assistant.
        chat_item(ayse, first.session_id).click()
        expect(ayse.locator("#hand-back")).to_be_enabled()
        mark = first.mark()
        ayse.locator("#hand-back").click()
        expect(chat_item(ayse, first.session_id)).to_have_count(0)
        expect(ayse.locator("#toast")).to_contain_text("asistana devredildi")
        first.wait_for("handoff_status", lambda status: status["state"] == "bot", after=mark)
        screenshot(ayse, "handed-back")
    finally:
        for shopper in (first, second):
            shopper.disconnect()
            release(running_bridge, shopper.session_id)


def no_sideways_scroll(page):
    return page.evaluate(NO_SIDEWAYS_SCROLL)


def in_viewport(page, selector):
    """The element is shown and wholly inside the window (not pushed off the side or the bottom)."""
    return page.locator(selector).evaluate("""element => {
        const box = element.getBoundingClientRect();
        return element.offsetParent !== null && box.width > 0 && box.height > 0 && box.left >= 0 && box.top >= 0
            && box.right <= window.innerWidth && box.bottom <= window.innerHeight;
    }""")


def test_on_a_phone_the_console_shows_one_column_at_a_time(running_bridge, new_page, screenshot):
    page = log_in(new_page(viewport=PHONE, is_mobile=True, has_touch=True, **TURKISH), running_bridge)
    expect(page.locator("#app-view")).to_have_attribute("data-view", "list")
    expect(page.locator("#availability")).to_be_visible()
    expect(page.locator("#transcript")).to_be_hidden()
    assert no_sideways_scroll(page)
    shopper = running_bridge.shopper()
    try:
        shopper.say(ASK_FOR_A_PERSON)
        # Offered to this agent (the only one online) or waiting in the queue, depending on the moment.
        take = page.locator(f'#offer[data-id="{shopper.session_id}"]:not([hidden]) .accept, '
                            f'#queue .queue-item[data-id="{shopper.session_id}"] .accept')
        expect(take.first).to_be_visible()
        assert no_sideways_scroll(page)
        screenshot(page, "phone-list")
        take.first.click()

        # The chat fills the screen: the transcript, the reply box and its button, nothing sideways.
        expect(page.locator("#app-view")).to_have_attribute("data-view", "chat")
        expect(page.locator(SHOPPER).first).to_contain_text(ASK_FOR_A_PERSON)
        expect(page.locator("#reply")).to_be_visible()
        expect(page.locator("#reply")).to_be_focused()
        assert in_viewport(page, "#reply") and in_viewport(page, "#send") and in_viewport(page, "#chat-back")
        expect(page.locator("#availability")).to_be_hidden()
        assert no_sideways_scroll(page)
        page.locator("#reply").fill("Merhaba, telefondan yazıyorum.")
        mark = shopper.mark()
        page.locator("#send").click()
        shopper.wait_for("bot_uttered", lambda m: m["text"] == "Merhaba, telefondan yazıyorum.", after=mark)
        assert no_sideways_scroll(page)
        screenshot(page, "phone-chat")

        # The customer's details are a column of their own, with a way back to the chat.
        page.locator("#show-context").click()
        expect(page.locator("#app-view")).to_have_attribute("data-view", "context")
        expect(page.locator("#context-reason")).to_contain_text("Temsilci istedi")
        expect(page.locator("#reply")).to_be_hidden()
        assert no_sideways_scroll(page)
        screenshot(page, "phone-context")
        page.locator("#context-back").click()
        expect(page.locator("#reply")).to_be_visible()

        # Back to the list: the chat is there with its preview; tapping it opens it again.
        page.locator("#chat-back").click()
        expect(page.locator("#app-view")).to_have_attribute("data-view", "list")
        expect(page.locator("#reply")).to_be_hidden()
        expect(chat_item(page, shopper.session_id)).to_be_visible()
        assert no_sideways_scroll(page)
        chat_item(page, shopper.session_id).locator(".chat-open").click()
        expect(page.locator("#reply")).to_be_visible()
        assert in_viewport(page, "#reply")

        # Closing the chat goes back to the list.
        page.locator("#close-chat").click()
        expect(page.locator("#close-dialog")).to_be_visible()
        assert no_sideways_scroll(page)
        page.locator("#close-confirm").click()
        expect(chat_item(page, shopper.session_id)).to_have_count(0)
        expect(page.locator("#app-view")).to_have_attribute("data-view", "list")
        expect(page.locator("#availability")).to_be_visible()
    finally:
        shopper.disconnect()
        release(running_bridge, shopper.session_id)


def test_the_agent_chooses_the_language_and_server_errors_are_worded_in_it(running_bridge, new_page, screenshot):
    # By default the browser's language: an English browser gets the English console.
    english = new_page(viewport=LAPTOP, locale="en-US")
    english.goto(running_bridge.url + "/agent")
    expect(english.locator("html")).to_have_attribute("lang", "en")
    expect(english.locator("#login-submit")).to_have_text("Log in")
    expect(english.get_by_label("Username", exact=True)).to_be_visible()

    page = new_page(viewport=LAPTOP, **TURKISH)
    page.goto(running_bridge.url + "/agent")
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    expect(page.locator("#login-submit")).to_have_text("Giriş yap")
    expect(page.locator('#login-view .lang-switch [data-lang="tr"]')).to_have_attribute("aria-pressed", "true")

    # Switched on the login form; remembered over a reload (and a later login).
    page.locator('#login-view .lang-switch [data-lang="en"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#login-submit")).to_have_text("Log in")
    expect(page.locator('#login-view .lang-switch [data-lang="en"]')).to_have_attribute("aria-pressed", "true")
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("#login-username").fill("ayse")
    page.locator("#login-password").fill(running_bridge.passwords["ayse"])
    page.locator("#login-password").press("Enter")
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    expect(page.locator("#connection")).to_have_text("Connected")
    expect(page.locator("#logout")).to_have_text("Log out")
    expect(page.locator("#chat-title")).to_have_text("No chat selected")
    expect(page).to_have_title("Kuzey Support · Agent console")

    shopper = running_bridge.shopper()
    try:
        shopper.say(ASK_FOR_A_PERSON)
        item = queue_item(page, shopper.session_id)
        expect(item).to_contain_text("Asked for an agent")
        item.locator(".accept").click()
        expect(chat_item(page, shopper.session_id)).to_be_visible()
        expect(page.locator("#context-reason")).to_contain_text("Asked for an agent")
        expect(page.locator("#context-customer")).to_contain_text("Unverified customer")
        expect(page.locator("#composer-mode")).to_have_text("Reply to the customer")
        screenshot(page, "english")

        # The server refuses a message that is too long ({ok: false, error: {code: "too_long", ...}}):
        # the console says so in its own words, in English, and gives the text back.
        too_long = "x" * 4001
        page.locator("#reply").fill(too_long)
        page.locator("#reply").press("Enter")
        expect(page.locator("#toast")).to_have_text("The message is too long; please shorten it.")
        expect(page.locator("#reply")).to_have_value(too_long)

        # Back to Turkish in the top bar: everything shown follows, the same error in Turkish.
        page.locator('#app-view .lang-switch [data-lang="tr"]').click()
        expect(page.locator("html")).to_have_attribute("lang", "tr")
        expect(page.locator("#connection")).to_have_text("Bağlı")
        expect(page.locator("#context-reason")).to_contain_text("Temsilci istedi")
        expect(page.locator("#composer-mode")).to_have_text("Müşteriye yanıt")
        expect(page.locator("#send")).to_have_text("Gönder")
        page.locator("#reply").press("Enter")
        expect(page.locator("#toast")).to_have_text("Mesaj çok uzun; lütfen kısaltın.")
        assert page.evaluate("localStorage.getItem('kuzey.desk.lang')") == "tr"
    finally:
        shopper.disconnect()
        release(running_bridge, shopper.session_id)


def test_in_english_the_console_says_nothing_in_turkish(running_bridge, new_page, screenshot):
    """An English browser: every label, button, heading, status and dialog of the login, the queue, a
    taken chat with its context and the close dialog is English; only people's words may be Turkish."""
    page = new_page(viewport=LAPTOP, locale="en-US")
    page.goto(running_bridge.url + "/agent")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#login-submit")).to_have_text("Log in")
    login = seen_texts(page)
    assert {"Log in with your agent account.", "Username", "Password", "Log in"} <= {t["text"] for t in login}
    assert turkish(login) == []

    page.locator("#login-username").fill("ayse")
    page.locator("#login-password").fill(running_bridge.passwords["ayse"])
    page.locator("#login-password").press("Enter")
    expect(page.locator("#connection")).to_have_text("Connected")
    shopper = running_bridge.shopper()
    try:
        shopper.say(ASK_FOR_A_PERSON)
        item = queue_item(page, shopper.session_id)
        expect(item).to_contain_text("Asked for an agent")
        listed = seen_texts(page, PEOPLES_WORDS)
        assert {"Waiting", "My chats", "Take", "No chat selected", "Log out"} <= {t["text"] for t in listed}
        assert turkish(listed) == [], listed

        item.locator(".accept").click()
        expect(page.locator("#context-customer")).to_contain_text("Unverified customer")
        expect(page.locator(SHOPPER).last).to_contain_text(ASK_FOR_A_PERSON)
        expect(page.locator("#chat-meta")).to_contain_text("Turkish · With an agent")
        chat = seen_texts(page, PEOPLES_WORDS)
        assert {"Transfer", "Hand back to bot", "Close", "Customer", "Why it came to an agent",
                "Reply to the customer"} <= {t["text"] for t in chat}
        assert len(chat) > 40 and turkish(chat) == [], chat
        # The shopper's and the assistant's Turkish words are there, and left as they are.
        assert turkish(seen_texts(page)), "the transcript should hold the Turkish chat"
        screenshot(page, "english-chat")

        page.locator("#close-chat").click()
        expect(page.locator("#close-dialog")).to_be_visible()
        closing = seen_texts(page, PEOPLES_WORDS)
        assert {"Close the chat", "Resolution tags", "Solved"} <= {t["text"] for t in closing}
        assert turkish(closing) == [], closing
        page.locator("#close-cancel").click()

        # The check sees Turkish where there is some: the same views in Turkish.
        page.locator('#app-view .lang-switch [data-lang="tr"]').click()
        expect(page.locator("#logout")).to_have_text("Çıkış yap")
        assert {"Çıkış yap", "Müşteriye yanıt"} <= {t["text"] for t in turkish(seen_texts(page, PEOPLES_WORDS))}
    finally:
        shopper.disconnect()
        release(running_bridge, shopper.session_id)


def test_outside_support_hours_a_banner_says_that_shoppers_get_tickets(running_bridge, new_page, screenshot):
    """The desk state's support_open and support_hours (this bridge is open around the clock, so the
    banner is drawn from a made-up state through the console's own renderer). A real `desk` from the
    bridge may arrive at any moment and redraw the banner as open: each check draws the made-up state
    and reads the banner in one turn of the page's event loop, retried until it holds."""
    page = log_in(new_page(viewport=LAPTOP, **TURKISH), running_bridge)
    banner = page.locator("#hours-banner")
    expect(banner).to_be_hidden()  # open, or a bridge that does not send the field yet

    def shows(state: str, *texts: str) -> None:
        wanted = json.dumps(list(texts))
        page.wait_for_function(f"""() => {{
            KuzeyConsole.renderSupportHours({state});
            const banner = document.querySelector('#hours-banner');
            return !banner.hidden && {wanted}.every(text => banner.textContent.includes(text));
        }}""", timeout=5000)

    shows("{support_open: false, support_hours: 'Hafta içi 09:00-22:00, hafta sonu 10:00-18:00'}",
          "Mesai saatleri dışındayız: yeni talepler bilet olarak kaydediliyor, sohbet sırası açılmıyor.",
          "Destek saatleri: Hafta içi 09:00-22:00, hafta sonu 10:00-18:00")
    screenshot(page, "outside-hours")
    assert page.evaluate("""() => { KuzeyConsole.renderSupportHours({support_hours: 'Hafta içi 09:00-22:00'});
                                    return document.querySelector('#hours-banner').hidden; }""")  # no field: open
    page.locator('#app-view .lang-switch [data-lang="en"]').click()
    shows("{support_open: false, support_hours: {tr: 'Her gün', en: 'Every day'}}",
          "outside support hours", "Support hours: Every day")
    page.evaluate("KuzeyConsole.renderSupportHours({support_open: true})")
    expect(banner).to_be_hidden()
