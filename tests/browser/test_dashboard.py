"""The manager's dashboard (widget/manager/) in Chromium against the real bridge.

The admin logs in through the form and lands on today; sees the key figures and the charts of
the week of the report fixtures (tests/report_fixtures.py), the chats sent to people that no agent
took apart from those one did, and the tickets (cards, by category, by agent), switches to the
month, downloads a CSV that Turkish Excel reads (";" and decimal commas); on a phone the page still fits; an agent
who logs in is told the page is for managers only. An English browser gets the whole dashboard in
English (the page's words, the server's charts, summary and names, the CSV); only names and what
shoppers wrote may be Turkish."""
import csv
import io
import re

import pytest
from playwright.sync_api import expect

from bot.reports.periods import local_today, period_of
from tests import report_fixtures as fx
from tests.browser.conftest import LAPTOP, PHONE
from tests.browser.login import log_in_at
from tests.browser.visible_text import seen_texts, turkish

pytestmark = pytest.mark.integration

ADMINS_ONLY = "Bu sayfa yalnızca yöneticiler içindir."
# Names and what shoppers wrote: the only Turkish an English dashboard may show.
PEOPLES_WORDS = ('#me-name, #not-understood td, #agents td:first-child, #ticket-agents td:first-child, '
                 '#f-agent option:not([value=""])')
# The words Chart.js draws on the canvases: categories, legends, axis titles.
CHART_WORDS = """() => Array.from(document.querySelectorAll('#charts canvas')).flatMap((canvas) => {
  const chart = Chart.getChart(canvas);
  const axes = Object.values(chart.options.scales || {}).map((axis) => axis.title && axis.title.display ? axis.title.text : '');
  return [...chart.data.labels.map(String), ...chart.data.datasets.map((set) => set.label), ...axes].filter(Boolean);
})"""


@pytest.fixture(scope="module")
def bridge(running_bridge):
    store = running_bridge.desk_store()
    fx.load(store, prefix="dash-")
    store.engine.dispose()
    return running_bridge


def log_in(page, bridge, username="yonetici"):
    return log_in_at(page, bridge, "/manager", username)


def show_week_of_fixtures(page):
    page.get_by_label("Dönem", exact=True).select_option("week")
    page.get_by_label("Tarih", exact=True).fill(fx.WEEK.isoformat())
    expect(page.locator("#period-title")).to_have_text("Haftalık rapor · 16–22 Kasım 2026")


def test_the_admin_sees_figures_charts_and_downloads_a_csv(bridge, new_page, screenshot, tmp_path):
    page = log_in(new_page(viewport=LAPTOP), bridge)
    expect(page.locator("#app-view")).to_be_visible()
    # It opens on today (in Istanbul), not on the week.
    today = period_of("day", local_today(bridge.settings.report_timezone), bridge.settings.report_timezone)
    expect(page.get_by_label("Dönem", exact=True)).to_have_value("day")
    expect(page.locator("#period-title")).to_have_text(f"Günlük rapor · {today.label}")
    expect(page.locator("#kpis .kpi")).to_have_count(10)
    expect(page.locator("#ticket-kpis .kpi")).to_have_count(6)
    show_week_of_fixtures(page)
    expect(page.locator("#period-sub")).to_have_text("Önceki dönem: 9–15 Kasım 2026")

    contacts = page.locator('.kpi[data-key="contacts"]')
    expect(contacts.locator(".kpi-label")).to_have_text("Sohbet")
    assert int(contacts.locator(".kpi-value").inner_text().replace(".", "")) >= 5
    expect(page.locator('.kpi[data-key="containment_rate"] .kpi-previous')).to_contain_text("Önceki:")
    expect(page.locator("#summary li").first).to_contain_text("16–22 Kasım 2026")
    # "Handed to an agent" counts those an agent took; the others are named apart under it.
    handed = page.locator('#kpis .kpi[data-key="handoff_rate"]')
    expect(handed.locator(".kpi-label")).to_have_text("Temsilciye aktarılan")
    expect(handed.locator(".kpi-extra")).to_have_text(
        re.compile(r"^Talebe dönüşen: kuyruktan [1-9]\d*, mesai dışı [1-9]\d* · kuyruktan ayrılan [1-9]\d*$"))
    expect(page.locator("#summary")).to_contain_text("Bunlardan temsilciye ulaşan:")

    # Charts drawn by Chart.js, each with an accessible name.
    canvases = page.locator("#charts canvas")
    expect(canvases.first).to_be_visible()
    assert canvases.count() >= 4
    assert page.evaluate("Array.from(document.querySelectorAll('#charts canvas'))"
                         ".every(c => Chart.getChart(c) && c.width > 0 && c.getAttribute('aria-label'))")
    reasons = page.locator('[data-chart="handoff_reasons"]')
    expect(reasons.locator("canvas")).to_have_attribute("aria-label", re.compile(r"^Temsilciye aktarma nedenleri: En çok: "))
    expect(reasons.locator("figcaption")).to_contain_text("Müşteri sinirliydi")

    # Tables; a shopper's text stays text.
    expect(page.locator("#not-understood")).to_contain_text("kupon kodu calismiyor")
    expect(page.locator("#tags tbody tr").first).to_contain_text("Kargo gecikmesi")
    # The resolution tags once: as a table with their counts, not also as a chart of the same.
    expect(page.get_by_text("Temsilcilerin sonuç etiketleri", exact=True)).to_have_count(1)
    expect(page.locator('[data-chart="resolution_tags"]')).to_have_count(0)
    expect(page.locator("#agents")).to_contain_text("Ayşe K.")
    # The chats by customer segment: a row each, the fixtures' anonymous shoppers last.
    segments = page.locator("#segments tbody tr")
    expect(segments).to_have_count(5)
    expect(segments.first.locator("td").first).to_have_text("VIP müşteri")
    expect(segments.nth(4).locator("td").first).to_have_text("Kimliği bilinmeyen")
    assert int(segments.nth(4).locator("td").nth(1).inner_text()) >= 5
    expect(segments.nth(4).locator("td").nth(4)).to_contain_text("SSS:")
    screenshot(page, "laptop-week")
    page.locator("#segments-title").scroll_into_view_if_needed()
    screenshot(page, "laptop-segments")
    page.locator("#period-title").scroll_into_view_if_needed()

    # The tickets: cards, by category (with the week before), by channel and source, by agent.
    tickets = page.locator("#ticket-kpis")
    expect(tickets.locator('.kpi[data-key="opened"] .kpi-label')).to_have_text("Açılan talep")
    assert int(tickets.locator('.kpi[data-key="opened"] .kpi-value').inner_text()) >= 4
    expect(tickets.locator('.kpi[data-key="sla_met_rate"] .kpi-value')).to_contain_text("%")
    expect(tickets.locator('.kpi[data-key="backlog"] .kpi-extra')).to_contain_text("En eskisi:")
    expect(page.locator("#ticket-categories tbody tr").first).to_contain_text("Kargo ve teslimat")
    expect(page.locator("#ticket-channels")).to_contain_text("Mesai dışı talep")
    expect(page.locator("#ticket-agents")).to_contain_text("Ayşe K.")
    expect(page.locator("#summary")).to_contain_text("Kargo ve teslimat talepleri önceki haftaya göre")
    page.locator("#tickets-title").scroll_into_view_if_needed()
    screenshot(page, "laptop-tickets")

    page.get_by_label("Dönem", exact=True).select_option("month")
    expect(page.locator("#period-title")).to_have_text("Aylık rapor · Kasım 2026")
    expect(page.locator('[data-chart="contacts"] canvas')).to_be_visible()
    assert page.evaluate("Chart.getChart(document.querySelector('[data-chart=contacts] canvas')).data.labels.length") == 30

    page.get_by_label("CSV tablosu", exact=True).select_option("agents")
    with page.expect_download() as info:
        page.get_by_role("button", name="CSV indir").click()
    download = info.value
    assert download.suggested_filename == "kuzey-rapor-month-2026-11-01-agents.csv"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    content = path.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    assert text.startswith("Temsilci no;Temsilci;Sohbet;")
    ayse = next(row for row in csv.DictReader(io.StringIO(text), delimiter=";") if row["Temsilci"] == "Ayşe K.")
    assert re.fullmatch(r"\d+,\d\d", ayse["CSAT ortalaması (1-5)"])
    screenshot(page, "laptop-month")


def test_the_dashboard_fits_a_phone(bridge, new_page, screenshot):
    page = log_in(new_page(viewport=PHONE), bridge)
    expect(page.locator("#kpis .kpi")).to_have_count(10)
    show_week_of_fixtures(page)
    expect(page.locator("#charts canvas").first).to_be_visible()
    expect(page.locator("#ticket-categories tbody tr").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The cards wrap: two in a row (the tickets' too).
    for cards in ("#kpis .kpi", "#ticket-kpis .kpi"):
        first, second, third = (page.locator(cards).nth(i).bounding_box() for i in range(3))
        assert first["y"] == second["y"] < third["y"], cards
    screenshot(page, "phone")


def test_an_agent_is_told_the_page_is_for_managers(bridge, new_page, screenshot):
    # Chromium logs the expected 403 as a console error; every other one still fails.
    page = new_page(viewport=LAPTOP, expected_error="403")
    log_in(page, bridge, "ayse")
    expect(page.locator("#login-error")).to_have_text(ADMINS_ONLY)
    expect(page.locator("#app-view")).to_be_hidden()
    assert page.evaluate("sessionStorage.length") == 0
    screenshot(page, "agent-refused")


def test_in_english_the_dashboard_says_nothing_in_turkish(bridge, new_page, screenshot, tmp_path):
    page = new_page(viewport=LAPTOP, locale="en-US", expected_error="403")  # as for the agent below
    page.goto(bridge.url + "/manager")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#login-submit")).to_have_text("Log in")
    login = seen_texts(page)
    assert {"Kuzey Support · Manager dashboard", "Log in with your manager account.", "Username"} <= {
        t["text"] for t in login}
    assert turkish(login) == []
    # An agent is told in English that the page is not theirs (the check happens in the page).
    page.get_by_label("Username", exact=True).fill("ayse")
    page.get_by_label("Password", exact=True).fill(bridge.passwords["ayse"])
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#login-error")).to_have_text("This page is for managers only.")
    expect(page.locator("#login-home")).to_contain_text("Your page: Agent console (/agent)")

    page.get_by_label("Username", exact=True).fill("yonetici")
    page.get_by_label("Password", exact=True).fill(bridge.passwords["yonetici"])
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#kpis .kpi")).to_have_count(10)
    page.get_by_label("Period", exact=True).select_option("week")
    page.get_by_label("Date", exact=True).fill(fx.WEEK.isoformat())
    expect(page.locator("#period-title")).to_have_text("Weekly report · 16–22 November 2026")
    expect(page.locator("#period-sub")).to_have_text("Period before: 9–15 November 2026")
    expect(page.locator('.kpi[data-key="contacts"] .kpi-label')).to_have_text("Chats")
    expect(page.locator("#summary li").first).to_contain_text("16–22 November 2026")
    expect(page.locator("#charts canvas").first).to_be_visible()
    expect(page.locator("#agents")).to_contain_text("Ayşe K.")
    expect(page).to_have_title("16–22 November 2026 · Kuzey Support · Manager dashboard")

    names = page.eval_on_selector_all('#f-agent option:not([value=""])', "options => options.map(o => o.textContent)")
    assert "Ayşe K." in names
    shown = seen_texts(page, PEOPLES_WORDS)
    assert {"Key figures", "Charts", "Agents' resolution tags", "Solved by the assistant", "Time in queue",
            "Download CSV", "Why chats were handed to agents", "Tickets", "Tickets by category", "Deadlines (SLA) kept",
            "Shipping and delivery", "After-hours request", "Customer segments", "Not identified",
            "Top reasons"} <= {t["text"] for t in shown}
    # Agents' names also stand in the charts' sentences ("Ayşe K.: first response 3 min ...").
    assert len(shown) > 80 and turkish(shown, names) == [], turkish(shown, names)
    drawn = [{"where": "chart", "text": word} for word in page.evaluate(CHART_WORDS)]
    assert {"Solved by the assistant", "Handed to an agent", "Chats"} <= {t["text"] for t in drawn}
    assert turkish(drawn, names) == [], turkish(drawn, names)
    screenshot(page, "english-week")

    # The CSV in English: "," and decimal points, English headers.
    page.get_by_label("CSV table", exact=True).select_option("agents")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    text = path.read_bytes().decode("utf-8-sig")
    assert text.startswith("Agent id,Agent,Contacts,")
    ayse = next(row for row in csv.DictReader(io.StringIO(text)) if row["Agent"] == "Ayşe K.")
    assert re.fullmatch(r"\d+\.\d\d", ayse["CSAT average (1-5)"])

    # The tickets by category, in English.
    page.get_by_label("CSV table", exact=True).select_option("ticket_categories")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    assert info.value.suggested_filename == "kuzey-rapor-week-2026-11-16-ticket_categories.csv"
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    kargo = next(row for row in rows if row["Category code"] == "kargo")
    assert kargo["Category"] == "Shipping and delivery" and re.fullmatch(r"\d+\.\d", kargo["SLA kept (%)"])

    # The check sees Turkish where there is some: the same report in Turkish.
    page.locator('#app-view .lang-switch [data-lang="tr"]').click()
    expect(page.locator("#period-title")).to_have_text("Haftalık rapor · 16–22 Kasım 2026")
    expect(page.locator('[data-chart="handoff_reasons"] figcaption')).to_contain_text("Müşteri")
    words = {t["text"] for t in turkish(seen_texts(page, PEOPLES_WORDS), names)}
    assert {"Çıkış yap", "Temsilcilerin sonuç etiketleri", "Dönem"} <= words
    assert turkish([{"text": word} for word in page.evaluate(CHART_WORDS)], names)
