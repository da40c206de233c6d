"""The agent console (widget/console/) in Chromium against the real bridge and assistant.

An agent on a laptop logs in, sees a shopper who asked for a person in the queue, takes the chat,
reads what was said before, answers, writes an internal note, uses a canned response and closes
the chat with a resolution tag; another test covers offers, unread badges, typing, transfer and
hand back across two chats and two agents. Shoppers are python-socketio clients
(tests/live_chat.py). Selectors are the stable ones documented in widget/console/README.md.
Console errors fail every test (the `new_page` fixture)."""
import re
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect
from sqlalchemy import select

from bot.desk.models import Handoff
from tests.browser.conftest import LAPTOP

pytestmark = pytest.mark.integration

DESK_CONFIG = Path(__file__).resolve().parents[2] / "data" / "desk.yml"
TRANSCRIPT = "#transcript .msg"
SHOPPER = '#transcript .msg[data-sender="shopper"]'
AGENT = '#transcript .msg[data-sender="agent"]'
HTML = "<b>x</b><script>window.__injected = true</script>"
ASK_FOR_A_PERSON = "bir temsilciyle görüşmek istiyorum"


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
    page = new_page(viewport=LAPTOP, expected_error="401")
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
    page = log_in(new_page(viewport=LAPTOP), running_bridge)
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

        # An internal note: yellow, for agents only.
        mark = shopper.mark()
        page.locator("#note-toggle").check()
        reply.fill("Müşteri kargo ücretini sordu.")
        page.locator("#send").click()
        note = page.locator('#transcript .msg[data-sender="note"]').last
        expect(note).to_contain_text("İç not")
        expect(note).to_contain_text("Müşteri kargo ücretini sordu.")
        page.locator("#note-toggle").uncheck()

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
    ayse = log_in(new_page(viewport=LAPTOP), running_bridge)
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
        mehmet = log_in(new_page(viewport={"width": 1024, "height": 768}), running_bridge, "mehmet")
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
