"""The manager's dashboard (widget/manager/) in Chromium against the real bridge.

The admin logs in through the form and lands on today; sees the key figures and the charts of
the week of the report fixtures (tests/report_fixtures.py), switches to the month, downloads a
CSV that Turkish Excel reads (";" and decimal commas); on a phone the page still fits; an agent
who logs in is told the page is for managers only."""
import csv
import io
import re

import pytest
from playwright.sync_api import expect

from bot.reports.periods import local_today, period_of
from tests import report_fixtures as fx
from tests.browser.conftest import LAPTOP, PHONE
from tests.browser.login import log_in_at

pytestmark = pytest.mark.integration

ADMINS_ONLY = "Bu sayfa yalnızca yöneticiler içindir."


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
    expect(page.locator(".kpi")).to_have_count(10)
    show_week_of_fixtures(page)
    expect(page.locator("#period-sub")).to_have_text("Önceki dönem: 9–15 Kasım 2026")

    contacts = page.locator('.kpi[data-key="contacts"]')
    expect(contacts.locator(".kpi-label")).to_have_text("Sohbet")
    assert int(contacts.locator(".kpi-value").inner_text().replace(".", "")) >= 5
    expect(page.locator('.kpi[data-key="containment_rate"] .kpi-previous')).to_contain_text("Önceki:")
    expect(page.locator("#summary li").first).to_contain_text("16–22 Kasım 2026")

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
    screenshot(page, "laptop-week")

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
    expect(page.locator(".kpi")).to_have_count(10)
    show_week_of_fixtures(page)
    expect(page.locator("#charts canvas").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The cards wrap: two in a row.
    first, second, third = (page.locator(".kpi").nth(i).bounding_box() for i in range(3))
    assert first["y"] == second["y"] < third["y"]
    screenshot(page, "phone")


def test_an_agent_is_told_the_page_is_for_managers(bridge, new_page, screenshot):
    # Chromium logs the expected 403 as a console error; every other one still fails.
    page = new_page(viewport=LAPTOP, expected_error="403")
    log_in(page, bridge, "ayse")
    expect(page.locator("#login-error")).to_have_text(ADMINS_ONLY)
    expect(page.locator("#app-view")).to_be_hidden()
    assert page.evaluate("sessionStorage.length") == 0
    screenshot(page, "agent-refused")
