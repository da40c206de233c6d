"""The admins' personal data page (widget/privacy/, /privacy) in Chromium against the real bridge.

The admin records a data subject request by e-mail, sees its 30-day deadline, previews what we
hold, answers it with an export (both files built in the browser and downloaded) and finds it under
answered requests; the audit log lists the export and downloads as CSV. An erasure on another demo
customer is confirmed only by typing their identifier, says what it destroyed, and leaves a
destruction record on the retention tab, whose "run now" works. An overdue request is red and on
top; refusing needs a reason. The notice tab saves the texts the public pages show, and a save after
someone else's shows what they saved and loses nothing. An agent gets neither the page nor its API.
Console errors fail every test (the `new_page` fixture), except the refusals a test provokes.

Each test uses demo customers no other test uses (data/demo_store.json: 1013, 1017, 1019) and its
own conversation rows; the erasure leaves 1017's orders as the law requires."""
import csv
import io
import json
import re
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import func, select, update

from actions.store.models import Order
from bot.desk.models import Conversation, Message
from bot.desk.store import utcnow
from bot.privacy.models import PrivacyRequest
from tests.browser.conftest import LAPTOP, PHONE
from tests.browser.login import log_in_at
from tests.browser.visible_text import seen_texts, turkish

pytestmark = pytest.mark.integration

ACCESS_CUSTOMER, ACCESS_EMAIL = 1013, "merve.kilic@example.com"
ERASURE_CUSTOMER, ERASURE_PHONE = 1017, "0530 197 86 36"
REFUSED_CUSTOMER = 1019
ADMINS_ONLY = "Bu sayfa yalnızca yöneticiler içindir."
FORBIDDEN = "Bu sayfa için yetkiniz yok."
# Chromium logs the 4xx answers a test provokes (a bad e-mail, a refusal, a conflict) as console errors.
PROVOKED = "the server responded with a status of 4"
MONTHS = ("Ocak", "Şubat", "Mart", "Nisan", "Mayıs", "Haziran", "Temmuz", "Ağustos", "Eylül", "Ekim", "Kasım",
          "Aralık")
ISTANBUL = "Europe/Istanbul"
RED = "rgb(185, 28, 28)"  # --red in widget/shared/base.css
# The only Turkish an English page may show: what people typed (notes, reasons), outcomes kept in the words
# of the admin who answered earlier, the user's name, and the toggle that names Turkish in Turkish (lang="tr").
TYPED_OR_KEPT = ".note, .outcome, .reason, .lang-toggle, #me-name"
NO_SUCH_CUSTOMER = "999998"


class Api:
    """The privacy API as one logged-in user."""

    def __init__(self, bridge, username):
        self.url = bridge.url
        self.headers = bridge.auth_headers(username)

    def call(self, method, path, body=None):
        return requests.request(method, self.url + path, json=body, headers=self.headers, timeout=60)

    def ok(self, method, path, body=None):
        response = self.call(method, path, body)
        assert response.status_code < 300, (response.status_code, response.text)
        return response.json()


def log_in(page, bridge, username="yonetici"):
    log_in_at(page, bridge, "/privacy", username)
    return page


def add_conversation(bridge, customer_id, texts):
    """A verified customer's conversation, as the bridge stores it; returns its id."""
    store = bridge.desk_store()
    now, conversation_id = utcnow(), f"privacy-test-{uuid.uuid4().hex[:12]}"
    with store.session() as s:
        s.add(Conversation(id=conversation_id, created_at=now, last_message_at=now, language="tr", state="bot",
                           customer_id=customer_id, signals=[]))
        for sender, text in texts:
            s.add(Message(conversation_id=conversation_id, sender=sender, text=text, quick_replies=[], created_at=now))
        s.commit()
    store.engine.dispose()
    return conversation_id


def orders_of(bridge, customer_id):
    store = bridge.desk_store()
    with store.session() as s:
        count = s.execute(select(func.count()).select_from(Order).where(Order.customer_id == customer_id)).scalar_one()
    store.engine.dispose()
    return count


def turkish_day(moment):
    local = moment.astimezone(ZoneInfo(ISTANBUL))  # an aware UTC moment
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}"


def record_request(page, kind, identifier_kind, identifier, note):
    """Fills "Yeni başvuru" and returns the new request's card."""
    form = page.locator("#new-request")
    form.get_by_label(kind, exact=True).check()
    form.get_by_label(identifier_kind, exact=True).check()
    label = {"E-posta": "E-posta adresi", "Telefon": "Telefon numarası", "Müşteri numarası": "Müşteri numarası"}
    form.get_by_label(label[identifier_kind], exact=True).fill(identifier)
    form.get_by_label("Not: başvuru nasıl geldi?").fill(note)
    form.get_by_role("button", name="Başvuruyu kaydet").click()
    expect(page.locator("#notice")).to_have_text(re.compile(r"^Başvuru #\d+ kaydedildi\. Son gün: "))
    number = int(re.search(r"#(\d+)", page.locator("#notice").inner_text()).group(1))
    card = page.locator(f'#open-list .request[data-id="{number}"]')
    expect(card).to_be_visible()
    return number, card


def test_an_admin_answers_an_access_request_with_both_downloads(running_bridge, new_page, screenshot, tmp_path):
    conversation = add_conversation(running_bridge, ACCESS_CUSTOMER, [
        ("shopper", "400777 nolu siparişim nerede? Merve Kılıç"), ("bot", "Siparişiniz kargoda.")])
    # Times are shown in the browser's own zone: the team's is Istanbul.
    page = log_in(new_page(viewport=LAPTOP, expected_error=PROVOKED, timezone_id=ISTANBUL), running_bridge)
    expect(page.locator("#app-view")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Başvurular"))).to_have_attribute("aria-current", "page")
    assert page.evaluate("sessionStorage.getItem('kuzey.privacy.token')")

    # A wrong e-mail: the server's words next to the form, nothing recorded.
    form = page.locator("#new-request")
    form.get_by_label("Bilgi ve kopya", exact=True).check()
    form.get_by_label("E-posta", exact=True).check()
    form.get_by_role("button", name="Başvuruyu kaydet").click()
    expect(page.locator("#new-request-error")).to_have_text("Kişinin e-posta adresini yazın.")
    form.get_by_label("E-posta adresi", exact=True).fill("merve.kilic")
    form.get_by_role("button", name="Başvuruyu kaydet").click()
    expect(page.locator("#new-request-error")).to_have_text("Geçerli bir e-posta adresi girin.")

    received = utcnow()
    number, card = record_request(page, "Bilgi ve kopya", "E-posta", "Merve.Kilic@example.com",
                                  "E-posta ile geldi, 2 Aralık")
    expect(page.locator("#new-request-error")).to_have_text("")
    expect(card.locator(".request-title")).to_have_text(f"Bilgi ve kopya Başvuru #{number}")
    expect(card.locator(".deadline")).to_have_text("30 gün kaldı")
    expect(card).to_contain_text("E-posta: merve.kilic@example.com")
    expect(card).to_contain_text("E-posta ile geldi, 2 Aralık")
    expect(card.locator("dd.received")).to_have_text(re.compile(r"^\d{1,2}\s\S+\s\d{4}\s\d{2}:\d{2}$"))
    shown = card.locator("dd.received").inner_text()
    istanbul = received.astimezone(ZoneInfo(ISTANBUL))
    assert any(shown.endswith((istanbul + timedelta(minutes=m)).strftime("%H:%M")) for m in (0, 1)), shown
    expect(card.locator("dd.due")).to_have_text(turkish_day(received + timedelta(days=30)))

    # What we hold, before answering.
    card.get_by_role("button", name="İncele ve yanıtla").click()
    expect(card.get_by_role("button", name="İncele ve yanıtla")).to_have_attribute("aria-expanded", "true")
    preview = card.locator(".preview")
    expect(preview.locator(".preview-intro")).to_have_text(re.compile(f"^Müşteri no {ACCESS_CUSTOMER} ile eşleşti"))
    expect(preview.locator('.count-row[data-key="customer"]')).to_have_text("Müşteri kaydı1")
    expect(preview.locator('.count-row[data-key="conversations"] dd')).to_have_text("1")
    expect(preview.locator('.count-row[data-key="messages"] dd')).to_have_text("2")
    kept = orders_of(running_bridge, ACCESS_CUSTOMER)
    assert kept > 0
    expect(preview.locator('.count-row[data-key="kept_orders"] dd')).to_have_text(str(kept))
    screenshot(page, "preview")

    card.get_by_label("Not (erişim kaydına yazılır, isteğe bağlı)").fill("KVKK md. 11 başvurusu")
    card.get_by_role("button", name="Kopyayı hazırla ve yanıtla").click()
    result = page.locator("#answer-result")
    expect(result.locator("h2")).to_have_text(f"Başvuru #{number} yanıtlandı: verilerin kopyası hazır")
    expect(result).to_be_focused()

    with page.expect_download() as info:
        result.get_by_role("link", name=re.compile("JSON olarak indir")).click()
    download = info.value
    assert download.suggested_filename == f"kisisel-veriler-{number}.json"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    exported = json.loads(path.read_text(encoding="utf-8"))
    assert exported["identifiers"]["customer_ids"] == [ACCESS_CUSTOMER]
    assert exported["customer"][0]["email"] == ACCESS_EMAIL
    mine = [c for c in exported["conversations"] if c["id"] == conversation]
    assert [m["text"] for m in mine[0]["messages"]] == ["400777 nolu siparişim nerede? Merve Kılıç", "Siparişiniz kargoda."]
    assert len(exported["kept_records"]["orders"]) == kept
    assert path.read_text(encoding="utf-8").startswith('{\n  "generated_at"')  # indented by two

    with page.expect_download() as info:
        result.get_by_role("link", name=re.compile("Okunur sayfa olarak indir")).click()
    download = info.value
    assert download.suggested_filename == f"kisisel-veriler-{number}.html"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "Kişisel verileriniz" in html
    assert ACCESS_EMAIL in html and "Siparişiniz kargoda." in html

    # Answered: gone from the open ones, listed below with who and what.
    expect(page.locator(f'#open-list .request[data-id="{number}"]')).to_have_count(0)
    answered = page.locator(f'#answered-list .request[data-id="{number}"]')
    expect(answered.locator(".badge-status-answered")).to_have_text("Yanıtlandı")
    expect(answered).to_contain_text("yonetici")
    expect(answered.locator(".outcome")).to_have_text(re.compile("dışa aktarıldı"))
    screenshot(page, "answered")

    # The audit log: this customer's entries, the export with its reason; read-only; as CSV.
    page.get_by_role("button", name="Erişim kaydı").click()
    audit = page.locator("#view-audit")
    audit.get_by_label("Müşteri numarası", exact=True).fill("12a")
    page.get_by_role("button", name="Göster").click()
    expect(page.locator("#audit-error")).to_have_text("Müşteri numarası yalnızca rakamlardan oluşur.")
    audit.get_by_label("Müşteri numarası", exact=True).fill(str(ACCESS_CUSTOMER))
    page.get_by_role("button", name="Göster").click()
    expect(page.locator("#audit-error")).to_have_text("")
    expect(page.locator("#audit-count")).to_have_text(re.compile(f"^Müşteri no {ACCESS_CUSTOMER}: \\d+ kayıt"))
    export_row = page.locator('#audit-rows tr[data-action="export"]', has_text=f"Başvuru #{number}")
    expect(export_row).to_have_count(1)
    expect(export_row).to_contain_text("Veriler dışa aktarıldı")
    expect(export_row).to_contain_text("yonetici (yönetici)")
    expect(export_row).to_contain_text("KVKK md. 11 başvurusu")
    expect(page.locator('#audit-rows tr[data-action="search"]', has_text=f"Başvuru #{number}")).to_have_count(1)
    expect(page.locator("#audit-rows button, #audit-rows input, #audit-rows a")).to_have_count(0)
    screenshot(page, "audit")

    with page.expect_download() as info:
        page.get_by_role("button", name="CSV indir").click()
    download = info.value
    assert download.suggested_filename == f"denetim-kaydi-musteri-{ACCESS_CUSTOMER}.csv"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows and all(row["customer_id"] == str(ACCESS_CUSTOMER) for row in rows)
    assert any(row["action"] == "export" and row["subject"] == f"request:{number}" and row["actor"] == "yonetici"
               and row["reason"] == "KVKK md. 11 başvurusu" for row in rows)
    # The CSV export is itself in the log.
    expect(page.locator('#audit-rows tr[data-action="read_audit"]', has_text="CSV dışa aktarma").first).to_be_visible()


def test_an_erasure_is_confirmed_by_typing_the_identifier_on_a_phone(running_bridge, new_page, screenshot):
    conversation = add_conversation(running_bridge, ERASURE_CUSTOMER, [
        ("shopper", "Telefonum 05301978636, kargom gelmedi"), ("bot", "Kargonuzu kontrol ediyorum.")])
    page = log_in(new_page(viewport=PHONE, is_mobile=True, has_touch=True), running_bridge)
    expect(page.locator("#app-view")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    number, card = record_request(page, "Silme", "Telefon", ERASURE_PHONE, "Çağrı merkezine telefonla")
    expect(card.locator(".request-title")).to_have_text(f"Silme Başvuru #{number}")
    expect(card).to_contain_text("Telefon: 0530 197 86 36")
    card.get_by_role("button", name="İncele ve yanıtla").click()
    expect(card.locator('.count-row[data-key="conversations"] dd')).to_have_text("1")
    expect(card.locator('.count-row[data-key="messages"] dd')).to_have_text("2")
    expect(card.locator(".answer-help")).to_contain_text("Sipariş ve fatura kayıtları yasa gereği saklanır")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The dialog says what happens and lets go only once the identifier is typed.
    card.get_by_role("button", name="Verileri sil…").click()
    dialog = page.locator("#erase-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("h2")).to_have_text("Veriler kalıcı olarak silinsin mi?")
    expect(dialog).to_contain_text("Bu işlem geri alınamaz.")
    expect(dialog).to_contain_text("Sipariş, fatura ve iade kayıtları Türk Ticaret Kanunu ve Vergi Usul Kanunu gereği saklanır")
    confirm = dialog.get_by_label("Onaylamak için kişinin telefon numarasını yazın: 0530 197 86 36")
    expect(confirm).to_be_focused()
    erase = dialog.get_by_role("button", name="Kalıcı olarak sil")
    expect(erase).to_be_disabled()
    screenshot(page, "erase-dialog")

    # Cancelling changes nothing.
    dialog.get_by_role("button", name="Vazgeç").click()
    expect(dialog).to_be_hidden()
    expect(card.get_by_role("button", name="Verileri sil…")).to_be_focused()
    card.get_by_role("button", name="Verileri sil…").click()
    confirm.fill("0530 197 86 35")
    expect(erase).to_be_disabled()
    confirm.fill("+90 (530) 197-8636")  # any spelling of the same number
    expect(erase).to_be_enabled()
    erase.click()
    expect(dialog).to_be_hidden()

    result = page.locator("#answer-result")
    expect(result.locator("h2")).to_have_text(f"Başvuru #{number} yanıtlandı: veriler silindi")
    expect(result.locator('.count-row[data-key="messages"] dd')).to_have_text("2")
    expect(result.locator('.count-row[data-key="conversations"] dd')).to_have_text("1")
    expect(result).to_contain_text("Sipariş, fatura ve iade kayıtları")
    answered = page.locator(f'#answered-list .request[data-id="{number}"]')
    expect(answered.locator(".identifier")).to_have_text("Telefon: [silindi]")
    expect(answered.locator(".outcome")).to_have_text(re.compile("^Silindi/anonimleştirildi: "))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "erased")

    store = running_bridge.desk_store()
    with store.session() as s:
        assert s.execute(select(Message.text).where(Message.conversation_id == conversation)).scalars().all() == ["", ""]
        assert s.get(Conversation, conversation).customer_id < 0  # a pseudonym that leads to no customer
    store.engine.dispose()
    assert orders_of(running_bridge, ERASURE_CUSTOMER) > 0  # kept as the law requires

    # The destruction record, the periods (read-only) and a retention run by hand.
    page.get_by_role("button", name="Saklama süreleri").click()
    expect(page.locator('.period[data-key="transcripts"]')).to_have_text(
        "Doğrulanmış müşterilerin sohbetleri730 gün (yaklaşık 2 yıl)")
    expect(page.locator('.period[data-key="unverified_conversations"] dd')).to_have_text("180 gün")
    expect(page.locator('.period[data-key="audit_log"] dd')).to_have_text("1.095 gün (yaklaşık 3 yıl)")
    expect(page.locator("#view-retention")).to_contain_text("RETENTION_TRANSCRIPT_DAYS")
    expect(page.locator("#view-retention input, #view-retention textarea, #view-retention select")).to_have_count(0)
    record = page.locator(f'#retention-rows tr[data-request="{number}"]')
    expect(record).to_contain_text(f"Silme başvurusu #{number}")
    expect(record).to_contain_text("Anonimleştirildi")
    expect(record).to_contain_text("Mesajlar: 2")
    page.get_by_role("button", name="Şimdi çalıştır").click()
    expect(page.locator("#confirm-dialog")).to_contain_text("Bu geri alınamaz")
    page.locator("#confirm-ok").click()
    expect(page.locator("#retention-status")).to_have_text(
        re.compile(r"^(Süresi dolmuş kayıt yoktu; hiçbir şey değişmedi\.|Tamamlandı: .+\.)$"))
    screenshot(page, "retention")


def test_an_overdue_request_is_red_on_top_and_refusing_needs_a_reason(running_bridge, new_page, screenshot):
    admin = Api(running_bridge, "yonetici")
    late = admin.ok("POST", "/api/privacy/requests", {"kind": "access", "identifier_kind": "customer",
                                                       "identifier": str(REFUSED_CUSTOMER), "note": "noter kanalıyla"})
    store = running_bridge.desk_store()
    with store.session() as s:
        now = utcnow()
        s.execute(update(PrivacyRequest).where(PrivacyRequest.id == late["id"])
                  .values(received_at=now - timedelta(days=32, hours=1), due_at=now - timedelta(days=2, hours=1)))
        s.commit()
    store.engine.dispose()

    page = log_in(new_page(viewport=LAPTOP, expected_error=PROVOKED), running_bridge)
    first = page.locator("#open-list .request").first
    expect(first).to_have_attribute("data-id", str(late["id"]))
    expect(first.locator(".deadline")).to_have_text("⚠ Süre doldu: 2 gün gecikti")
    assert first.locator(".deadline").evaluate("node => getComputedStyle(node).color") == RED
    expect(page.locator("#open-summary")).to_contain_text("başvurunun süresi geçti")
    expect(page.locator("#requests-tab-count")).to_have_class(re.compile("late"))
    screenshot(page, "overdue")

    first.get_by_role("button", name="Reddet…").click()
    reason = first.get_by_label("Reddetme gerekçesi (kişiye bildirilir)")
    expect(reason).to_be_focused()
    first.get_by_role("button", name="Başvuruyu reddet").click()
    expect(first.locator(".refuse-error")).to_have_text("Reddetme gerekçesi yazın; kişiye bu gerekçe bildirilir.")
    reason.fill("Kimlik doğrulanamadı.")
    first.get_by_role("button", name="Başvuruyu reddet").click()
    expect(page.locator("#notice")).to_have_text(f"Başvuru #{late['id']} reddedildi.")
    refused = page.locator(f'#answered-list .request[data-id="{late["id"]}"]')
    expect(refused.locator(".badge-status-refused")).to_have_text("Reddedildi")
    expect(refused.locator(".outcome")).to_have_text("Kimlik doğrulanamadı.")
    [row] = [r for r in admin.ok("GET", "/api/privacy/requests")["requests"] if r["id"] == late["id"]]
    assert row["status"] == "refused" and row["answered_by"] == "yonetici"

    # English, and back.
    page.locator("#lang-toggle").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Answered requests")).to_be_visible()
    expect(refused.locator(".badge-status-refused")).to_have_text("Refused")
    page.locator("#lang-toggle").click()
    expect(page.locator("html")).to_have_attribute("lang", "tr")


def test_an_english_browser_gets_the_page_and_the_servers_words_in_english(running_bridge, new_page, screenshot):
    page = new_page(viewport=LAPTOP, locale="en-GB", expected_error=PROVOKED, timezone_id=ISTANBUL)
    page.goto(running_bridge.url + "/privacy")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#login-submit")).to_have_text("Log in")
    assert turkish(seen_texts(page, TYPED_OR_KEPT)) == []
    page.get_by_label("Username", exact=True).fill("yonetici")
    page.get_by_label("Password", exact=True).fill(running_bridge.passwords["yonetici"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Open requests")).to_be_visible()
    expect(page).to_have_title("Kuzey Destek · Personal data")

    # The server's refusal in the page's language.
    form = page.locator("#new-request")
    form.get_by_label("Access and copy", exact=True).check()
    form.get_by_label("E-mail", exact=True).check()
    form.get_by_label("E-mail address", exact=True).fill("not-an-address")
    form.get_by_role("button", name="Record the request").click()
    expect(page.locator("#new-request-error")).to_have_text("Enter a valid e-mail address.")

    form.locator('input[name="identifier_kind"][value="customer"]').check()
    expect(form.locator("#new-identifier-label")).to_have_text("Customer number")
    form.locator("#new-identifier").fill(NO_SUCH_CUSTOMER)
    form.get_by_label("Note: how did the request arrive?").fill("by e-mail")
    form.get_by_role("button", name="Record the request").click()
    expect(page.locator("#notice")).to_have_text(
        re.compile(r"^Request #\d+ recorded\. Deadline: \d{1,2} [A-Z][a-z]+ \d{4}\.$"))
    number = int(re.search(r"#(\d+)", page.locator("#notice").inner_text()).group(1))
    card = page.locator(f'#open-list .request[data-id="{number}"]')
    card.get_by_role("button", name="Refuse…").click()
    card.get_by_role("button", name="Refuse the request").click()
    expect(card.locator(".refuse-error")).to_have_text("Write the reason for refusing; the person is told this reason.")
    card.get_by_role("button", name="Review and answer").click()
    expect(card.locator(".preview-intro")).to_be_visible()
    assert turkish(seen_texts(page, TYPED_OR_KEPT)) == [], turkish(seen_texts(page, TYPED_OR_KEPT))
    card.get_by_role("button", name="Prepare the copy and answer").click()
    expect(page.locator("#answer-result h2")).to_have_text(f"Request #{number} answered: the copy of the data is ready")
    # The outcome is kept in the words of the admin who answered.
    answered = page.locator(f'#answered-list .request[data-id="{number}"]')
    expect(answered.locator(".outcome")).to_have_text("Exported: chats 0, complaints 0, ratings 0.")
    expect(answered.locator(".badge-status-answered")).to_have_text("Answered")
    assert turkish(seen_texts(page, TYPED_OR_KEPT)) == [], turkish(seen_texts(page, TYPED_OR_KEPT))
    screenshot(page, "english-requests")

    # Each tab once its data is shown.
    for tab, loaded in (("Audit log", page.locator("#audit-rows tr").first),
                        ("Retention", page.locator(".period").first),
                        ("Privacy notice", page.locator("#notice-updated", has_text="Live version: "))):
        page.get_by_role("button", name=tab, exact=True).click()
        expect(loaded).to_be_visible()
        shown = seen_texts(page, TYPED_OR_KEPT)
        assert len(shown) > 10 and turkish(shown) == [], (tab, turkish(shown))
    screenshot(page, "english-notice")


def test_the_notice_is_edited_and_a_later_save_loses_nothing(running_bridge, new_page, screenshot):
    admin = Api(running_bridge, "yonetici")
    original = admin.ok("GET", "/api/privacy/notice")
    page = log_in(new_page(viewport=LAPTOP, expected_error=PROVOKED), running_bridge)
    try:
        page.get_by_role("button", name="Aydınlatma metni").click()
        tr_full = page.locator("#notice-tr-full")
        expect(tr_full).to_have_value(original["content"]["tr"]["full"])
        expect(page.locator("#notice-en-short")).to_have_value(original["content"]["en"]["short"])
        expect(page.locator("#notice-updated")).to_contain_text(f"Yayındaki sürüm: {original['content']['version']}")
        expect(page.get_by_role("link", name="/gizlilik")).to_have_attribute("href", "/gizlilik")
        expect(page.get_by_role("link", name="/en/privacy")).to_have_attribute("href", "/en/privacy")

        added = f"Test paragrafı {uuid.uuid4().hex[:6]}: verileriniz güvende."
        tr_full.fill(original["content"]["tr"]["full"] + "\n\n" + added)
        expect(page.locator("#notice-status")).to_have_text("Kaydedilmemiş değişiklikleriniz var.")
        page.get_by_role("button", name="Kaydet ve yayımla").click()
        expect(page.locator("#notice-status")).to_have_text("Kaydedildi: yayındaki sayfalar güncellendi.")
        assert added in requests.get(running_bridge.url + "/gizlilik", timeout=10).text
        saved = admin.ok("GET", "/api/privacy/notice")
        assert saved["revision"] == original["revision"] + 1
        expect(page.locator("#notice-updated")).to_contain_text(f"Yayındaki sürüm: {saved['content']['version']}")

        # Someone else saves in between: their text is shown, mine stays and can still be saved.
        theirs = json.loads(json.dumps(saved["content"]))
        theirs["en"]["short"] = saved["content"]["en"]["short"] + " (edited elsewhere)"
        admin.ok("PUT", "/api/privacy/notice", {"content": theirs, "revision": saved["revision"]})
        mine = original["content"]["tr"]["short"] + " Benim ekim."
        page.locator("#notice-tr-short").fill(mine)
        page.get_by_role("button", name="Kaydet ve yayımla").click()
        conflict = page.locator("#notice-conflict")
        expect(conflict).to_be_visible()
        expect(conflict.locator(".conflict-message")).to_contain_text("yonetici değiştirdi")
        expect(conflict.locator("#notice-theirs-en-short")).to_have_value(theirs["en"]["short"])
        expect(page.locator("#notice-tr-short")).to_have_value(mine)
        expect(page.locator("#notice-keep")).to_be_focused()
        screenshot(page, "notice-conflict")
        page.locator("#notice-keep").click()
        expect(page.locator("#notice-status")).to_have_text("Kaydedildi: yayındaki sayfalar güncellendi.")
        expect(conflict).to_be_hidden()
        final = admin.ok("GET", "/api/privacy/notice")
        assert final["content"]["tr"]["short"] == mine
        assert final["content"]["en"]["short"] == saved["content"]["en"]["short"]  # mine, as I chose to save it
    finally:
        # The texts back as they were (the version goes on), for the widget's tests.
        current = admin.ok("GET", "/api/privacy/notice")
        content = {language: original["content"][language] for language in ("tr", "en")}
        admin.ok("PUT", "/api/privacy/notice", {"content": content, "revision": current["revision"]})


def test_an_agent_gets_neither_the_page_nor_its_api(running_bridge, new_page, screenshot):
    page = log_in(new_page(viewport=LAPTOP), running_bridge, "ayse")
    expect(page.locator("#login-error")).to_have_text(ADMINS_ONLY)
    expect(page.locator("#login-home")).to_have_text("Sizin sayfanız: Temsilci paneli (/agent)")
    expect(page.locator("#login-home a")).to_have_attribute("href", "/agent")
    expect(page.locator("#app-view")).to_be_hidden()
    assert page.evaluate("sessionStorage.length") == 0
    screenshot(page, "agent-refused")

    agent = Api(running_bridge, "ayse")
    for method, path, body in [
        ("GET", "/api/privacy/requests", None),
        ("POST", "/api/privacy/requests", {"kind": "access", "identifier_kind": "customer", "identifier": "1013"}),
        ("GET", "/api/privacy/requests/1/preview", None), ("POST", "/api/privacy/requests/1/answer", {}),
        ("POST", "/api/privacy/requests/1/refuse", {"reason": "x"}), ("GET", "/api/privacy/audit", None),
        ("GET", "/api/privacy/audit?format=csv", None), ("GET", "/api/privacy/retention", None),
        ("POST", "/api/privacy/retention/run", {}), ("GET", "/api/privacy/notice", None),
        ("PUT", "/api/privacy/notice", {"content": {}, "revision": 1}),
    ]:
        response = agent.call(method, path, body)
        assert response.status_code == 403, (method, path, response.status_code)
        assert response.json() == {"error": FORBIDDEN}
    assert requests.get(f"{running_bridge.url}/api/privacy/requests", timeout=10).status_code == 401

    # The refusals are in the audit log, for the admin to see.
    admin = Api(running_bridge, "yonetici")
    entries = admin.ok("GET", "/api/privacy/audit")["entries"]
    assert any(e["action"] == "refused" and e["actor"] == "ayse" and e["subject"] == "/api/privacy/requests"
               for e in entries)
