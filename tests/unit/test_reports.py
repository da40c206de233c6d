"""Report figures against values worked out by hand (tests/report_fixtures.py)."""
from datetime import date, datetime, timedelta, timezone

import pytest

from bot.desk.store import DeskStore
from bot.reports.metrics import build_report, not_understood_key
from bot.reports.periods import period_of
from bot.reports.summary import summary_lines
from tests import report_fixtures as fx


@pytest.fixture
def store(tmp_path):
    store = DeskStore.open(f"sqlite:///{tmp_path / 'desk.db'}")
    store.agents_by_name = fx.load(store)
    return store


def test_the_week_in_totals(store):
    report = build_report(store, "week", date(2026, 11, 18))
    assert report["period"] == {"kind": "week", "start": "2026-11-16", "end": "2026-11-23", "label": "16–22 Kasım 2026"}
    assert report["previous"]["start"] == "2026-11-09"
    for name, value in fx.EXPECTED_WEEK.items():
        assert report["totals"][name] == value, name
    for name, value in fx.EXPECTED_PREVIOUS_WEEK.items():
        assert report["previous_totals"][name] == value, name


def test_reasons_tags_and_what_was_not_understood(store):
    report = build_report(store, "week", fx.WEEK)
    assert report["handoff_reasons"] == [{"reason": "frustration", "count": 1}, {"reason": "requested", "count": 1}]
    assert [r["reason"] for r in report["contact_reasons"]] == [
        "complaint", "faq/return_policy", "faq/shipping_cost", "order_status"]
    assert report["resolution_tags"] == [{"tag": "shipping_delay", "count": 2}, {"tag": "return_refund", "count": 1}]
    assert report["not_understood"] == [
        {"text": "kupon kodu calismiyor", "count": 2, "examples": ["KUPON KODU ÇALIŞMIYOR!!", "kupon kodu calismiyor"]},
        {"text": "asdfgh #", "count": 1, "examples": ["asdfgh 123"]},
    ]


def test_per_day_per_agent_and_per_language(store):
    report = build_report(store, "week", fx.WEEK)
    assert [b["start"][:10] for b in report["series"]] == [f"2026-11-{d}" for d in range(16, 23)]
    assert [b["contacts"] for b in report["series"]] == [1, 1, 1, 1, 0, 0, 1]  # C5 is 23:30 on Sunday in Istanbul
    ayse, mehmet = report["agents"]
    assert (ayse["name"], ayse["contacts"], ayse["queue_seconds"], ayse["first_response_seconds"],
            ayse["handling_seconds"], ayse["csat_mean"]) == ("Ayşe K.", 1, 120.0, 180.0, 780.0, 2.0)
    assert (mehmet["name"], mehmet["handling_seconds"], mehmet["csat_mean"]) == ("Mehmet T.", 720.0, 4.0)
    by_language = {row["language"]: row for row in report["languages"]}
    assert (by_language["en"]["contacts"], by_language["en"]["containment_rate"]) == (1, 1.0)
    assert (by_language["tr"]["contacts"], by_language["tr"]["containment_rate"], by_language["tr"]["csat_mean"]) == (4, 0.25, 3.67)


def test_filters_keep_one_agent_or_one_language(store):
    ayse = store.agents_by_name["ayse"]
    only_ayse = build_report(store, "week", fx.WEEK, agent_id=ayse)["totals"]
    assert (only_ayse["contacts"], only_ayse["handling_seconds"], only_ayse["csat_mean"], only_ayse["repeat_contacts"]) == (1, 780.0, 2.0, 0)
    english = build_report(store, "week", fx.WEEK, language="en")["totals"]
    assert (english["contacts"], english["contained"], english["shopper_messages"], english["csat_count"]) == (1, 1, 1, 0)


def test_a_month_and_a_day(store):
    month = build_report(store, "month", date(2026, 11, 30))["totals"]
    assert (month["contacts"], month["contained"], month["handoffs"]) == (8, 4, 3)  # C1-C8: C1, C3, C6, C7 contained
    assert month["handling_seconds"] == pytest.approx((780 + 720 + 1200) / 3, abs=0.1)
    day = build_report(store, "day", date(2026, 11, 17))
    assert day["totals"]["contacts"] == 1 and len(day["series"]) == 24
    assert day["series"][12]["contacts"] == 1  # 09:00 UTC is 12:00 in Istanbul


def test_trend_ends_with_this_period_and_empty_figures_stay_empty(store):
    report = build_report(store, "week", fx.WEEK)
    assert len(report["trend"]) == 8 and report["trend"][-1]["start"] == "2026-11-16"
    assert report["trend"][-2]["contacts"] == 2
    empty = report["trend"][0]
    assert (empty["contacts"], empty["containment_rate"], empty["csat_mean"], empty["nps"]) == (0, None, None, None)


def test_summary_says_what_changed_in_plain_turkish(store):
    lines = summary_lines(build_report(store, "week", fx.WEEK))
    assert lines[0] == "16–22 Kasım 2026 haftasında 5 sohbet oldu (önceki hafta 2; %150 artış)."
    assert lines[1] == "Asistan sohbetlerin %40 kadarını bir temsilciye gerek kalmadan çözdü (önceki %50; 10 puan kötüleşme)."
    assert lines[2] == "2 sohbet bir temsilciye aktarıldı (%40); en sık neden: müşteri sinirliydi."
    assert "Temsilcinin ilk yanıtı ortalama 3 dk 30 sn sürdü (önceki 12 dk; daha hızlı)." in lines
    assert "Memnuniyet (CSAT) 3 yanıtla ortalama 3,7/5 (önceki 3,0)." in lines
    assert lines[-1] == "En sık konu: Şikâyet (1 sohbet)."
    quiet = summary_lines(build_report(store, "week", date(2026, 10, 1)))
    assert quiet == ["28 Eylül – 4 Ekim 2026 haftasında hiç sohbet olmadı."]
    after = summary_lines(build_report(store, "week", date(2026, 11, 30)))
    assert after == ["30 Kasım – 6 Aralık 2026 haftasında hiç sohbet olmadı; önceki hafta 1 sohbet vardı."]


def test_periods_and_not_understood_keys():
    assert period_of("week", date(2026, 11, 22), "Europe/Istanbul").utc_bounds() == (
        datetime(2026, 11, 15, 21, tzinfo=timezone.utc), datetime(2026, 11, 22, 21, tzinfo=timezone.utc))
    assert period_of("month", date(2026, 12, 31), "Europe/Istanbul").end - timedelta(days=1) == datetime(2026, 12, 31)
    with pytest.raises(ValueError):
        period_of("year", date(2026, 1, 1), "Europe/Istanbul")
    assert not_understood_key("İADE KODUM 4711 ÇALIŞMIYOR!!!") == not_understood_key("iade kodum 12 calismiyor")
