"""The dashboard's API (/api/reports, /api/reports.csv) on the running bridge: admins only, clear
errors for bad parameters, the same figures as `build_report` on the same database."""
import csv
import io
import re

import pytest
import requests

from bot.reports.metrics import build_report
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


@pytest.mark.parametrize("params, words", [
    ({"period": "year"}, "Dönem"), ({"date": "2026-13-45"}, "Tarih"), ({"date": "23.11.2026"}, "Tarih"),
    ({"agent": "ayse"}, "Temsilci"), ({"language": "de"}, "Dil"), ({"group": "customers"}, "Tablo"),
    ({"group": "series", "lang": "de"}, "CSV dili"),
])
def test_bad_parameters_get_a_clear_turkish_answer(bridge, params, words):
    path = "/api/reports.csv" if "group" in params else "/api/reports"
    response = get(bridge, path, bridge.token("yonetici"), **params)
    assert response.status_code == 400
    assert response.json()["error"].startswith(words)


def test_the_admin_gets_the_report_its_charts_and_summary(bridge):
    response = get(bridge, "/api/reports", bridge.token("yonetici"), period="week", date="2026-11-18")
    assert response.status_code == 200
    body = response.json()
    store = bridge.desk_store()
    try:
        expected = build_report(store, "week", fx.WEEK)
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
    assert rows[4]["Asistanın çözdüğü (%)"] == ""  # Friday: no contact, an empty cell rather than 0
    assert all(re.fullmatch(r"(\d+,\d)?", row["Asistanın çözdüğü (%)"]) for row in rows)

    agents = get(bridge, "/api/reports.csv", bridge.token("yonetici"), date="2026-11-18", group="agents")
    names = [row["Temsilci"] for row in csv.DictReader(io.StringIO(agents.content.decode("utf-8-sig")), delimiter=";")]
    assert "Ayşe K." in names

    english = get(bridge, "/api/reports.csv", bridge.token("yonetici"), period="week", date="2026-11-18",
                  group="series", lang="en")
    assert english.status_code == 200 and english.content.startswith(b"\xef\xbb\xbf")
    english_rows = list(csv.DictReader(io.StringIO(english.content.decode("utf-8-sig"))))
    assert [row["Contacts"] for row in english_rows] == [row["Sohbet"] for row in rows]
    assert [row["Containment (%)"] for row in english_rows] == [
        row["Asistanın çözdüğü (%)"].replace(",", ".") for row in rows]
