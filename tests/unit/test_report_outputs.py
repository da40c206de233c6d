"""The dashboard's API, its CSV and the HTML report show the figures worked out by hand
(tests/report_fixtures.py), on a database that holds only those conversations."""
import csv
import io
import json
import re
from html import unescape

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from bot.desk.store import DeskStore
from bot.settings import Settings
from tests import report_fixtures as fx
from tests.asyncio_thread import run_async

ADMIN_PASSWORD = "yonetici-report-secret"


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.setenv("KUZEY_PASSWORD_YONETICI", ADMIN_PASSWORD)
    settings = Settings(state_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'kuzey.db'}", smtp_host="",
                        desk_secret="report-tests-secret-of-32-characters")
    store = DeskStore.open(settings.database_url)
    agents = fx.load(store)
    store.engine.dispose()
    return settings, agents


def ask_dashboard(settings, requests):
    """Logs in as the admin and GETs each (path, params); returns the responses' bodies."""
    from bot.desk.app import create_app

    async def main():
        client = TestClient(TestServer(create_app(settings)))
        await client.start_server()
        try:
            login = await client.post("/api/login", json={"username": "yonetici", "password": ADMIN_PASSWORD})
            headers = {"Authorization": "Bearer " + (await login.json())["token"]}
            bodies = []
            for path, params in requests:
                response = await client.get(path, params=params, headers=headers)
                assert response.status == 200, await response.text()
                bodies.append(await response.read())
            return bodies
        finally:
            await client.close()

    return run_async(main)


def test_dashboard_figures_are_the_hand_computed_ones(world):
    settings, agents = world
    week = {"period": "week", "date": "2026-11-18"}
    body, series_csv, agents_csv, english_csv, categories_csv, owners_csv = ask_dashboard(settings, [
        ("/api/reports", week), ("/api/reports.csv", {**week, "group": "series"}),
        ("/api/reports.csv", {**week, "group": "agents", "lang": "tr"}),
        ("/api/reports.csv", {**week, "group": "agents", "lang": "en"}),
        ("/api/reports.csv", {**week, "group": "ticket_categories"}),
        ("/api/reports.csv", {**week, "group": "ticket_agents", "lang": "en"})])
    answer = json.loads(body)
    report = answer["report"]
    for name, value in fx.EXPECTED_WEEK.items():
        assert report["totals"][name] == value, name
    for name, value in fx.EXPECTED_PREVIOUS_WEEK.items():
        assert report["previous_totals"][name] == value, name
    for name, value in fx.EXPECTED_TICKETS_WEEK.items():
        assert report["tickets"]["totals"][name] == value, name
    for name, value in fx.EXPECTED_TICKETS_PREVIOUS_WEEK.items():
        assert report["tickets"]["previous_totals"][name] == value, name
    assert answer["summary"][0] == "16–22 Kasım 2026 haftasında 8 sohbet oldu (önceki hafta 2; %300 artış)."
    assert "Kargo ve teslimat talepleri önceki haftaya göre 1'den 2'ye çıktı." in answer["summary"]
    assert answer["labels"]["ticket_categories"] == {"kargo": "Kargo ve teslimat", "diger": "Diğer", "urun": "Ürün"}
    assert answer["labels"]["ticket_sources"]["after_hours"] == "Mesai dışı talep"

    # Turkish by default: ";" between cells and decimal commas, as Turkish Excel reads them.
    days = list(csv.DictReader(io.StringIO(series_csv.decode("utf-8-sig")), delimiter=";"))
    assert [int(row["Sohbet"]) for row in days] == [1, 1, 2, 1, 1, 1, 1]
    assert days[0]["Asistanın çözdüğü (%)"] == "100,0" and days[1]["Asistanın çözdüğü (%)"] == "0,0"
    # The three figures apart: reached an agent, a ticket after the queue, a ticket after hours (and left the queue).
    assert [(row["Temsilciye aktarılan"], row["Kuyruktan talebe dönüşen"], row["Mesai dışı talep"],
             row["Kuyruktan ayrılan"]) for row in days] == [
        ("0", "0", "0", "0"), ("1", "0", "0", "0"), ("0", "0", "0", "1"), ("1", "0", "0", "0"),
        ("0", "1", "0", "0"), ("0", "0", "1", "0"), ("0", "0", "0", "0")]
    # Tickets per day: opened, and open at the day's end (Istanbul).
    assert [(row["Açılan talep"], row["Açık talep (dönem sonu)"]) for row in days] == [
        ("1", "1"), ("0", "1"), ("0", "0"), ("1", "1"), ("1", "1"), ("1", "3"), ("0", "3")]
    assert days[1]["Talep SLA tutulan (%)"] == "100,0"  # T1 answered in time on Tuesday
    assert days[3]["Talep ilk yanıt (destek sn, ortanca)"] == "21600"  # T3: 6 support hours
    by_agent = {row["Temsilci"]: row for row in
                csv.DictReader(io.StringIO(agents_csv.decode("utf-8-sig")), delimiter=";")}
    assert set(by_agent) == {"Ayşe K.", "Mehmet T."}
    ayse = by_agent["Ayşe K."]
    assert (ayse["Kuyrukta bekleme (sn, ort.)"], ayse["İlk yanıt (sn, ort.)"], ayse["İşlem süresi (sn, ort.)"],
            ayse["CSAT ortalaması (1-5)"]) == ("120", "180", "780", "2,00")
    assert english_csv.startswith(b"\xef\xbb\xbf")
    english = {row["Agent"]: row for row in csv.DictReader(io.StringIO(english_csv.decode("utf-8-sig")))}
    assert (english["Ayşe K."]["Time in queue (s, avg.)"], english["Ayşe K."]["CSAT average (1-5)"]) == ("120", "2.00")
    assert (english["Ayşe K."]["Tickets resolved"], english["Mehmet T."]["Ticket SLA kept (%)"]) == ("2", "50.0")

    # The tickets by category, and by owner in English.
    categories = {row["Kategori kodu"]: row for row in
                  csv.DictReader(io.StringIO(categories_csv.decode("utf-8-sig")), delimiter=";")}
    assert list(categories) == ["kargo", "diger", "urun"]
    kargo = categories["kargo"]
    assert (kargo["Kategori"], kargo["Açılan"], kargo["Önceki dönem açılan"], kargo["Çözülen"], kargo["SLA tutulan (%)"],
            kargo["Yeniden açılan (%)"], kargo["Çözüm (destek sn, ortanca)"]) == (
        "Kargo ve teslimat", "2", "1", "2", "100,0", "50,0", "57600")
    assert (categories["urun"]["Açılan"], categories["urun"]["SLA tutulan (%)"]) == ("0", "")
    owners = {row["Agent"]: row for row in csv.DictReader(io.StringIO(owners_csv.decode("utf-8-sig")))}
    assert (owners["Ayşe K."]["Resolved"], owners["Ayşe K."]["Resolution rating average (1-5)"],
            owners["Mehmet T."]["SLA kept (%)"], owners["Mehmet T."]["Open (end of period)"]) == ("2", "5.00", "50.0", "2")


def test_the_html_report_shows_the_same_figures(world, tmp_path, monkeypatch):
    settings, _ = world
    monkeypatch.setenv("STATE_DIR", str(settings.state_dir))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    from bot import settings as settings_module
    from bot.cli import main

    settings_module.get_settings.cache_clear()
    output = tmp_path / "week.html"
    try:
        result = CliRunner().invoke(main, ["report", "--period", "week", "--date", "2026-11-18", "--output", str(output)])
    finally:
        settings_module.get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "16–22 Kasım 2026: 8 sohbet" in result.output
    html = output.read_text(encoding="utf-8")
    text = unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))
    assert "16–22 Kasım 2026 haftasında 8 sohbet oldu (önceki hafta 2; %300 artış)." in text
    assert "Kargo ve teslimat talepleri önceki haftaya göre 1'den 2'ye çıktı." in text
    kpis = {label: (now, before) for label, now, before in
            re.findall(r'<th scope="row">([^<]+)</th><td>([^<]+)</td><td>([^<]+)</td>', html)}
    assert kpis["Sohbet"] == ("8", "2")
    assert kpis["Asistanın kendi çözdüğü"] == ("%25,0 (2)", "%50,0 (1)")
    assert kpis["Temsilciye aktarılan"] == ("%25,0 (2)", "%50,0 (1)")
    assert kpis["Kuyrukta kimse almadığı için talebe dönüşen"] == ("1", "0")
    assert kpis["Mesai dışında talep olan"] == ("1", "0")
    assert kpis["Temsilci almadan kuyruktan ayrılan"] == ("1", "0")
    assert kpis["Anlaşılmayan mesaj"][0] == "%25,0 (3)"
    assert kpis["Kuyrukta bekleme (ort.)"] == ("2 dk", "10 dk")
    assert kpis["Temsilcinin ilk yanıtı (ort.)"] == ("3 dk 30 sn", "12 dk")
    assert kpis["İşlem süresi (ort.)"] == ("12 dk 30 sn", "20 dk")
    assert kpis["CSAT (1–5)"] == ("3,67 (3)", "3,00 (1)")
    assert kpis["NPS"] == ("+100 (1)", "—")
    assert kpis["7 gün içinde yeniden gelen"] == ("%25,0 (2)", "%0,0 (0)")
    assert "kupon kodu calismiyor" in text
    # The tickets' section: figures against the week before, in support hours; categories, owners.
    assert kpis["Açılan talep"] == ("4", "2") and kpis["Çözülen talep"] == ("2", "2")
    assert kpis["Süre hedefi (SLA) tutulan"] == ("%80,0 (4)", "%75,0 (3)")
    assert kpis["İlk yanıt (destek saati, ortanca)"] == ("3 sa", "6 sa")
    assert kpis["Çözüm (destek saati, ortanca)"] == ("16 sa", "13 sa")
    assert kpis["Yeniden açılan"] == ("%50,0 (1)", "%0,0 (0)")
    assert kpis["Dönem sonunda açık"] == ("3", "0") and kpis["En eski açık talep"][0] == "3 gün 13 sa"
    assert "Kargo ve teslimat 2 1 2 %100,0 4 sa 16 sa 1" in text
    assert "Mehmet T. 0 3 sa %50,0 — 2" in text
    assert not re.search(r"""(src|href)=["']?https?:""", html)  # self-contained: Chart.js and the data are inline
