"""The dashboard's API (/api/reports, /api/reports.csv) on the running bridge: admins only, clear
errors for bad parameters (worded in the reader's language, with a code), the same figures as
`build_report` on the same database, and everything it words in English when asked (`lang=en`)."""
import csv
import io
import re

import pytest
import requests

from bot.reports.metrics import build_report
from bot.tickets.sla import SupportCalendar
from tests.browser.visible_text import TURKISH_ONLY
from tests import report_fixtures as fx

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def bridge(running_bridge):
    """The bridge with the report fixtures' conversations (week of 16 November 2026) in its database."""
    store = running_bridge.desk_store()
    running_bridge.agent_ids = fx.load(store, prefix="api-")
    store.engine.dispose()
    return running_bridge


def get(bridge, path, token=None, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{bridge.url}{path}", params=params, headers=headers, timeout=30)


@pytest.mark.parametrize("path", ["/api/reports", "/api/reports.csv"])
def test_only_a_logged_in_admin_gets_reports(bridge, path):
    for token in (None, "not-a-token"):
        response = get(bridge, path, token)
        assert response.status_code == 401
        assert response.json() == {"error": "Oturum açmanız gerekiyor."}
    for username in ("ayse", "editor"):
        response = get(bridge, path, bridge.token(username))
        assert response.status_code == 403
        assert response.json() == {"error": "Bu sayfa yalnızca yöneticiler içindir."}


BAD_PARAMETERS = [
    ({"period": "year"}, "Dönem", "The period", "period"),
    ({"date": "2026-13-45"}, "Tarih", "The date", "date"), ({"date": "23.11.2026"}, "Tarih", "The date", "date"),
    ({"date": "1999-12-31"}, "Tarih 2000", "The date must be between", "date_range"),
    ({"agent": "ayse"}, "Temsilci", "The agent", "agent"), ({"language": "de"}, "Dil", "The language", "language"),
    ({"group": "customers"}, "Tablo", "The table", "group"),
]


@pytest.mark.parametrize("params, words, _, code", BAD_PARAMETERS + [
    ({"group": "series", "lang": "de"}, "CSV dili", None, "csv_language")])
def test_bad_parameters_get_a_clear_turkish_answer(bridge, params, words, _, code):
    path = "/api/reports.csv" if "group" in params else "/api/reports"
    response = get(bridge, path, bridge.token("yonetici"), **params)
    assert response.status_code == 400
    assert response.json()["error"].startswith(words)
    assert response.json()["code"] == code


@pytest.mark.parametrize("params, _, words, code", BAD_PARAMETERS)
def test_bad_parameters_are_worded_in_english_for_an_english_page(bridge, params, _, words, code):
    path = "/api/reports.csv" if "group" in params else "/api/reports"
    response = get(bridge, path, bridge.token("yonetici"), lang="en", **params)
    assert response.status_code == 400
    assert response.json()["error"].startswith(words) and response.json()["code"] == code
    assert not TURKISH_ONLY.search(response.json()["error"])


def test_a_refusal_in_english(bridge):
    response = get(bridge, "/api/reports", bridge.token("ayse"), lang="en")
    assert response.status_code == 403
    assert response.json() == {"error": "This page is for managers only."}


def test_the_admin_gets_the_report_its_charts_and_summary(bridge):
    response = get(bridge, "/api/reports", bridge.token("yonetici"), period="week", date="2026-11-18")
    assert response.status_code == 200
    body = response.json()
    store = bridge.desk_store()
    settings = bridge.settings
    try:  # the bridge's support hours count the tickets' times
        expected = build_report(store, "week", fx.WEEK, calendar=SupportCalendar.from_settings(
            settings.support_hours, settings.support_holidays))
    finally:
        store.engine.dispose()
    assert body["report"] == expected
    assert body["report"]["period"]["label"] == "16–22 Kasım 2026"
    assert body["report"]["totals"]["contacts"] >= 5
    assert [chart["id"] for chart in body["charts"]][:3] == ["contacts", "rates", "satisfaction"]
    assert body["summary"] and all(isinstance(line, str) for line in body["summary"])
    assert body["languages"] == ["tr", "en"]
    assert {"id": bridge.agent_ids["ayse"], "name": "Ayşe K."} in body["agents"]
    assert body["labels"]["handoff_reasons"]["frustration"] == "Müşteri sinirliydi"
    # The three figures apart, and the tickets.
    totals = body["report"]["totals"]
    assert totals["queued_then_ticketed"] >= 1 and totals["after_hours_tickets"] >= 1 and totals["left_queue"] >= 1
    tickets = body["report"]["tickets"]
    assert tickets["totals"]["opened"] >= 4 and tickets["totals"]["sla_targets"] >= 5
    assert body["labels"]["ticket_categories"]["kargo"] == "Kargo ve teslimat"
    assert any("talep açıldı" in line for line in body["summary"])
    # The contacts by customer segment: the fixtures' anonymous shoppers and those of known customers.
    segments = {row["segment"]: row for row in body["report"]["segments"]}
    assert list(segments) == ["vip", "open_ticket", "recent_return", "none", "anonymous"]
    assert segments["anonymous"]["contacts"] >= 5 and segments["anonymous"]["csat_responses"] >= 1
    assert body["labels"]["segments"]["anonymous"] == "Kimliği bilinmeyen"
    assert all(item["reason"] in body["labels"]["contact_reasons"] for row in segments.values()
               for item in row["top_reasons"])


def test_in_english_the_report_is_the_same_and_its_words_are_english(bridge):
    token = bridge.token("yonetici")
    turkish = get(bridge, "/api/reports", token, period="week", date="2026-11-18").json()
    english = get(bridge, "/api/reports", token, period="week", date="2026-11-18", lang="en").json()
    assert english["report"] == turkish["report"]  # the figures and the report's own labels do not change
    assert english["labels"]["period"] == "16–22 November 2026" and english["labels"]["previous"] == "9–15 November 2026"
    assert turkish["labels"]["period"] == "16–22 Kasım 2026"
    assert english["labels"]["handoff_reasons"]["frustration"] == "The customer was upset"
    assert english["labels"]["languages"] == {"tr": "Turkish", "en": "English"}
    assert english["labels"]["ticket_categories"]["kargo"] == "Shipping and delivery"
    assert english["labels"]["segments"]["vip"] == "VIP customer"
    assert english["summary"][0].startswith("In the week of 16–22 November 2026 there were")
    assert [chart["id"] for chart in english["charts"]] == [chart["id"] for chart in turkish["charts"]]
    names = [row["name"] for row in english["report"]["agents"]]
    assert "Ayşe K." in names

    def words(body):
        """Every word the page shows from the answer but the agents' names and what shoppers wrote."""
        found = [*body["summary"], *(v for group in ("handoff_reasons", "contact_reasons", "tags", "languages",
                                                     "ticket_categories", "ticket_channels", "ticket_sources",
                                                     "segments")
                                     for v in body["labels"][group].values()), body["labels"]["period"]]
        for chart in body["charts"]:
            config = chart["config"]
            found += [chart["title"], chart["summary"], *map(str, config["data"]["labels"]),
                      *(dataset["label"] for dataset in config["data"]["datasets"]),
                      *(axis["title"]["text"] for axis in config["options"].get("scales", {}).values()
                        if "title" in axis)]
        for name in names:
            found = [text.replace(name, "") for text in found]
        return found

    assert [text for text in words(english) if TURKISH_ONLY.search(text)] == []
    assert [text for text in words(turkish) if TURKISH_ONLY.search(text)]  # the same check finds Turkish


def test_filters_by_agent_and_language(bridge):
    token, ayse = bridge.token("yonetici"), bridge.agent_ids["ayse"]
    body = get(bridge, "/api/reports", token, period="month", date="2026-11-05", agent=str(ayse), language="tr").json()
    assert body["report"]["filters"] == {"agent_id": ayse, "language": "tr"}
    assert body["report"]["period"]["label"] == "Kasım 2026"
    assert [row["agent_id"] for row in body["report"]["agents"]] == [ayse]


def test_csv_with_a_bom_for_excel(bridge):
    response = get(bridge, "/api/reports.csv", bridge.token("yonetici"), period="week", date="2026-11-18",
                   group="series")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="kuzey-rapor-week-2026-11-16-series.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    # Turkish by default: ";" and decimal commas, which Turkish Excel splits into cells and numbers.
    text = response.content.decode("utf-8-sig")
    assert text.startswith("Başlangıç;Dilim;Sohbet;")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert [row["Başlangıç"][:10] for row in rows] == [f"2026-11-{day}" for day in range(16, 23)]
    assert sum(int(row["Sohbet"]) for row in rows) >= 5
    assert rows[4]["Asistanın çözdüğü (%)"] == "0,0"  # Friday: C9 only, which became a ticket
    assert all(re.fullmatch(r"(\d+,\d)?", row["Asistanın çözdüğü (%)"]) for row in rows)
    assert int(rows[4]["Kuyruktan talebe dönüşen"]) >= 1 and int(rows[5]["Mesai dışı talep"]) >= 1

    agents = get(bridge, "/api/reports.csv", bridge.token("yonetici"), date="2026-11-18", group="agents")
    names = [row["Temsilci"] for row in csv.DictReader(io.StringIO(agents.content.decode("utf-8-sig")), delimiter=";")]
    assert "Ayşe K." in names

    categories = get(bridge, "/api/reports.csv", bridge.token("yonetici"), date="2026-11-18", group="ticket_categories")
    assert categories.headers["Content-Disposition"].endswith('-ticket_categories.csv"')
    kargo = next(row for row in csv.DictReader(io.StringIO(categories.content.decode("utf-8-sig")), delimiter=";")
                 if row["Kategori kodu"] == "kargo")
    assert kargo["Kategori"] == "Kargo ve teslimat" and int(kargo["Açılan"]) >= 2

    segments = get(bridge, "/api/reports.csv", bridge.token("yonetici"), date="2026-11-18", group="segments")
    assert segments.headers["Content-Disposition"].endswith('-segments.csv"')
    rows_by_segment = list(csv.DictReader(io.StringIO(segments.content.decode("utf-8-sig")), delimiter=";"))
    assert [row["Segment kodu"] for row in rows_by_segment] == ["vip", "open_ticket", "recent_return", "none",
                                                               "anonymous"]
    assert rows_by_segment[-1]["Segment"] == "Kimliği bilinmeyen" and int(rows_by_segment[-1]["Sohbet"]) >= 5

    english = get(bridge, "/api/reports.csv", bridge.token("yonetici"), period="week", date="2026-11-18",
                  group="series", lang="en")
    assert english.status_code == 200 and english.content.startswith(b"\xef\xbb\xbf")
    english_rows = list(csv.DictReader(io.StringIO(english.content.decode("utf-8-sig"))))
    assert [row["Contacts"] for row in english_rows] == [row["Sohbet"] for row in rows]
    assert [row["Containment (%)"] for row in english_rows] == [
        row["Asistanın çözdüğü (%)"].replace(",", ".") for row in rows]
