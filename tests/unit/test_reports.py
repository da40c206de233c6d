"""Report figures against values worked out by hand (tests/report_fixtures.py)."""
from datetime import date, datetime, timedelta, timezone

import pytest

from bot.desk.store import DeskStore
from bot.reports import metrics
from bot.reports.metrics import not_understood_key
from bot.reports.periods import period_of
from bot.reports.summary import summary_lines
from tests import report_fixtures as fx

NOW = datetime(2026, 12, 3, 12, tzinfo=timezone.utc)  # the fixtures' weeks are over; their deadlines have passed


def build_report(store, kind, day, **filters):
    """The report as the dashboard builds it, with the fixtures' support hours and a fixed clock."""
    return metrics.build_report(store, kind, day, calendar=fx.calendar(), now=NOW, **filters)


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
    # Every handoff's reason, whether an agent took it or not (C4, C9, C10, C11 asked for a person).
    assert report["handoff_reasons"] == [{"reason": "requested", "count": 4}, {"reason": "frustration", "count": 1}]
    assert [r["reason"] for r in report["contact_reasons"]] == [
        "complaint", "request_human", "faq/return_policy", "faq/shipping_cost", "order_status"]
    assert report["resolution_tags"] == [{"tag": "shipping_delay", "count": 2}, {"tag": "return_refund", "count": 1}]
    assert report["not_understood"] == [
        {"text": "kupon kodu calismiyor", "count": 2, "examples": ["KUPON KODU ÇALIŞMIYOR!!", "kupon kodu calismiyor"]},
        {"text": "asdfgh #", "count": 1, "examples": ["asdfgh 123"]},
    ]


def test_per_day_per_agent_and_per_language(store):
    report = build_report(store, "week", fx.WEEK)
    assert [b["start"][:10] for b in report["series"]] == [f"2026-11-{d}" for d in range(16, 23)]
    # C11 on Wednesday with C3; C10 is 23:00 on Saturday and C5 23:30 on Sunday in Istanbul.
    assert [b["contacts"] for b in report["series"]] == [1, 1, 2, 1, 1, 1, 1]
    ayse, mehmet = report["agents"]
    assert (ayse["name"], ayse["contacts"], ayse["queue_seconds"], ayse["first_response_seconds"],
            ayse["handling_seconds"], ayse["csat_mean"]) == ("Ayşe K.", 1, 120.0, 180.0, 780.0, 2.0)
    assert (mehmet["name"], mehmet["handling_seconds"], mehmet["csat_mean"]) == ("Mehmet T.", 720.0, 4.0)
    by_language = {row["language"]: row for row in report["languages"]}
    assert (by_language["en"]["contacts"], by_language["en"]["containment_rate"], by_language["en"]["after_hours_tickets"]) \
        == (2, 0.5, 1)  # C3, C10
    assert (by_language["tr"]["contacts"], by_language["tr"]["containment_rate"], by_language["tr"]["csat_mean"],
            by_language["tr"]["queued_then_ticketed"], by_language["tr"]["left_queue"]) == (6, 0.1667, 3.67, 1, 1)


def test_filters_keep_one_agent_or_one_language(store):
    ayse = store.agents_by_name["ayse"]
    only_ayse = build_report(store, "week", fx.WEEK, agent_id=ayse)["totals"]
    assert (only_ayse["contacts"], only_ayse["handling_seconds"], only_ayse["csat_mean"], only_ayse["repeat_contacts"]) == (1, 780.0, 2.0, 0)
    english = build_report(store, "week", fx.WEEK, language="en")["totals"]
    assert (english["contacts"], english["contained"], english["shopper_messages"], english["csat_count"]) == (2, 1, 2, 0)


def test_a_month_and_a_day(store):
    month = build_report(store, "month", date(2026, 11, 30))["totals"]
    # C1-C11: C1, C3, C6, C7 contained; C2, C4, C8 reached an agent, C9-C11 did not.
    assert (month["contacts"], month["contained"], month["handoffs"]) == (11, 4, 3)
    assert (month["queued_then_ticketed"], month["after_hours_tickets"], month["left_queue"]) == (1, 1, 1)
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
    assert (empty["tickets_opened"], empty["tickets_sla_met_rate"], empty["tickets_backlog"]) == (0, None, 0)


def test_summary_says_what_changed_in_plain_turkish(store):
    lines = summary_lines(build_report(store, "week", fx.WEEK))
    assert lines[0] == "16–22 Kasım 2026 haftasında 8 sohbet oldu (önceki hafta 2; %300 artış)."
    assert lines[1] == "Asistan sohbetlerin %25 kadarını bir temsilciye gerek kalmadan çözdü (önceki %50; 25 puan kötüleşme)."
    # Five chats were sent to people; only two reached one.
    assert lines[2] == "5 sohbet bir temsilciye yönlendirildi (%62); en sık neden: müşteri temsilci istedi."
    assert lines[3] == ("Bunlardan temsilciye ulaşan: 2 (%25); kuyrukta kimse almadığı için talebe dönüşen: 1; "
                        "mesai dışında talep olan: 1; kuyruktan ayrılan: 1.")
    assert "Temsilcinin ilk yanıtı ortalama 3 dk 30 sn sürdü (önceki 12 dk; daha hızlı)." in lines
    assert "Memnuniyet (CSAT) 3 yanıtla ortalama 3,7/5 (önceki 3,0)." in lines
    assert lines[-6:] == [
        "4 talep açıldı, 2 talep çözüldü; süre hedeflerinin (SLA) %80 kadarı tutuldu (önceki %75; 5 puan iyileşme).",
        "Taleplere ilk yanıt destek saatleriyle ortanca 3 sa, çözüm ortanca 16 sa sürdü.",
        "Diğer talepler önceki haftaya göre 0'dan 2'ye çıktı.",
        "Kargo ve teslimat talepleri önceki haftaya göre 1'den 2'ye çıktı.",
        "Dönem sonunda 3 talep açıktı; en eskisi 3 gün 13 sa bekliyor.",
        "En sık konu: Şikâyet (2 sohbet)."]
    quiet = summary_lines(build_report(store, "week", date(2026, 10, 1)))
    assert quiet == ["28 Eylül – 4 Ekim 2026 haftasında hiç sohbet olmadı."]
    # No chats this week, but the tickets still open are named (as of now: the week is running).
    after = summary_lines(build_report(store, "week", date(2026, 11, 30)))
    assert after == ["30 Kasım – 6 Aralık 2026 haftasında hiç sohbet olmadı; önceki hafta 1 sohbet vardı.",
                     "Şu anda 3 talep açık; en eskisi 14 gün 4 sa bekliyor."]


def test_when_every_chat_sent_to_people_reached_one_a_single_sentence_says_so(store):
    lines = summary_lines(build_report(store, "week", date(2026, 11, 10)))  # C8 only, taken by Ayşe
    assert lines[2] == "1 sohbet bir temsilciye aktarıldı (%50); en sık neden: müşteri temsilci istedi."
    english = summary_lines(build_report(store, "week", fx.WEEK), "en")
    assert english[2] == "5 chats were sent to an agent (62%); the most frequent reason: the customer asked for an agent."
    assert english[3].startswith("Of these: reached an agent 2 (25%); became a ticket after waiting in the queue")
    assert "Shipping and delivery tickets rose from 1 to 2 compared with the week before." in english


def test_the_three_handoff_figures_follow_the_handoffs_history(store):
    """Reached an agent (accepted), waited in the queue then a ticket ("queued" in its history), a
    ticket at once (no "queued"), left the queue; an agent's own figures count only their chats."""
    totals = build_report(store, "week", fx.WEEK)["totals"]
    assert (totals["handoffs"], totals["queued_then_ticketed"], totals["after_hours_tickets"], totals["left_queue"]) \
        == (2, 1, 1, 1)
    ayse = build_report(store, "week", fx.WEEK, agent_id=store.agents_by_name["ayse"])["totals"]
    assert (ayse["handoffs"], ayse["queued_then_ticketed"], ayse["after_hours_tickets"]) == (1, 0, 0)


def test_periods_and_not_understood_keys():
    assert period_of("week", date(2026, 11, 22), "Europe/Istanbul").utc_bounds() == (
        datetime(2026, 11, 15, 21, tzinfo=timezone.utc), datetime(2026, 11, 22, 21, tzinfo=timezone.utc))
    assert period_of("month", date(2026, 12, 31), "Europe/Istanbul").end - timedelta(days=1) == datetime(2026, 12, 31)
    with pytest.raises(ValueError):
        period_of("year", date(2026, 1, 1), "Europe/Istanbul")
    assert not_understood_key("İADE KODUM 4711 ÇALIŞMIYOR!!!") == not_understood_key("iade kodum 12 calismiyor")
