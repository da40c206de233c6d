"""The dashboard's API, its CSV and the HTML report show the figures worked out by hand
(tests/report_fixtures.py), on a database that holds only those conversations."""
import csv
import io
import json
import re

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
    body, series_csv, agents_csv, english_csv = ask_dashboard(settings, [
        ("/api/reports", week), ("/api/reports.csv", {**week, "group": "series"}),
        ("/api/reports.csv", {**week, "group": "agents", "lang": "tr"}),
        ("/api/reports.csv", {**week, "group": "agents", "lang": "en"})])
    report = json.loads(body)["report"]
    for name, value in fx.EXPECTED_WEEK.items():
        assert report["totals"][name] == value, name
    for name, value in fx.EXPECTED_PREVIOUS_WEEK.items():
        assert report["previous_totals"][name] == value, name
    assert json.loads(body)["summary"][0] == "16–22 Kasım 2026 haftasında 5 sohbet oldu (önceki hafta 2; %150 artış)."

    # Turkish by default: ";" between cells and decimal commas, as Turkish Excel reads them.
    days = list(csv.DictReader(io.StringIO(series_csv.decode("utf-8-sig")), delimiter=";"))
    assert [int(row["Sohbet"]) for row in days] == [1, 1, 1, 1, 0, 0, 1]
    assert days[0]["Asistanın çözdüğü (%)"] == "100,0" and days[1]["Asistanın çözdüğü (%)"] == "0,0"
    by_agent = {row["Temsilci"]: row for row in
                csv.DictReader(io.StringIO(agents_csv.decode("utf-8-sig")), delimiter=";")}
    assert set(by_agent) == {"Ayşe K.", "Mehmet T."}
    ayse = by_agent["Ayşe K."]
    assert (ayse["Kuyrukta bekleme (sn, ort.)"], ayse["İlk yanıt (sn, ort.)"], ayse["İşlem süresi (sn, ort.)"],
            ayse["CSAT ortalaması (1-5)"]) == ("120", "180", "780", "2,00")
    assert english_csv.startswith(b"\xef\xbb\xbf")
    english = {row["Agent"]: row for row in csv.DictReader(io.StringIO(english_csv.decode("utf-8-sig")))}
    assert (english["Ayşe K."]["Time in queue (s, avg.)"], english["Ayşe K."]["CSAT average (1-5)"]) == ("120", "2.00")


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
    assert "16–22 Kasım 2026: 5 sohbet" in result.output
    html = output.read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "16–22 Kasım 2026 haftasında 5 sohbet oldu (önceki hafta 2; %150 artış)." in text
    kpis = {label: (now, before) for label, now, before in
            re.findall(r'<th scope="row">([^<]+)</th><td>([^<]+)</td><td>([^<]+)</td>', html)}
    assert kpis["Sohbet"] == ("5", "2")
    assert kpis["Asistanın kendi çözdüğü"] == ("%40,0 (2)", "%50,0 (1)")
    assert kpis["Temsilciye aktarılan"] == ("%40,0 (2)", "%50,0 (1)")
    assert kpis["Anlaşılmayan mesaj"][0] == "%33,3 (3)"
    assert kpis["Kuyrukta bekleme (ort.)"] == ("2 dk", "10 dk")
    assert kpis["Temsilcinin ilk yanıtı (ort.)"] == ("3 dk 30 sn", "12 dk")
    assert kpis["İşlem süresi (ort.)"] == ("12 dk 30 sn", "20 dk")
    assert kpis["CSAT (1–5)"] == ("3,67 (3)", "3,00 (1)")
    assert kpis["NPS"] == ("+100 (1)", "—")
    assert kpis["7 gün içinde yeniden gelen"] == ("%40,0 (2)", "%0,0 (0)")
    assert "kupon kodu calismiyor" in text
    assert not re.search(r"""(src|href)=["']?https?:""", html)  # self-contained: Chart.js and the data are inline
