"""Ticket figures against values worked out by hand (bot/reports/tickets.py), their place in the
summary, the HTML report and the CSV, and the report's tickets on the fixtures' database.

Support hours: weekdays 09:00-22:00, weekends 10:00-18:00 in Istanbul (UTC+3, so 06:00-19:00 and
07:00-15:00 UTC), Turkish public holidays closed. Times below are UTC."""
import csv
import io
import re
from datetime import datetime, timezone
from html import unescape

import pytest

from bot.desk.store import DeskStore
from bot.reports import tickets as figures
from bot.reports.charts import age, charts
from bot.reports.html import render_html
from bot.reports.metrics import build_report
from bot.reports.summary import from_count, summary_lines, ticket_lines, to_count
from bot.reports.web import TICKET_COLUMNS, TICKET_CSV_GROUPS, csv_rows, csv_text
from bot.tickets.models import Ticket
from tests import report_fixtures as fx
from tests.unit.report_sample import sample_report

HOUR = 3600.0
CALENDAR = fx.calendar()


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=timezone.utc)


def ticket(opened, first=None, first_due=None, resolution_due=None, status="open", resolved_at=None, **row):
    """A ticket row as the store leaves it (not saved: the figures are pure over rows and events)."""
    values = dict(id=row.pop("id", 1), category="kargo", channel="chat", source="complaint", language="tr",
                  owner_id=None, status=status, created_at=opened, first_response_at=first,
                  first_response_due=first_due, resolution_due=resolution_due, resolved_at=resolved_at,
                  rating=None, rated_at=None)
    values.update(row)
    return Ticket(**values)


def resolved(at_):
    return at_, {"event": "status", "from": "waiting", "to": "resolved"}


def reopened(at_):
    return at_, {"event": "reopened"}


# The week of Monday 16 November 2026 in Istanbul, as UTC.
WEEK = (at(11, 15, 21), at(11, 22, 21))
AFTER = at(12, 3, 12)


def test_support_hours_across_a_night_and_a_weekend_give_the_medians():
    night = figures.facts_of(ticket(at(11, 16, 18), first=at(11, 17, 7)), [], CALENDAR)  # Mon 21:00 → Tue 10:00
    weekend = figures.facts_of(  # Fri 21:30 → Mon 09:30: 0.5 + Sat 8 + Sun 8 + 0.5
        ticket(at(11, 20, 18, 30), first=at(11, 23, 6, 30), id=2), [], CALENDAR)
    day = figures.facts_of(ticket(at(11, 18, 7), first=at(11, 18, 11), id=3), [], CALENDAR)  # Wed 10:00 → 14:00
    assert (night.first_response_seconds, weekend.first_response_seconds, day.first_response_seconds) == (
        2 * HOUR, 17 * HOUR, 4 * HOUR)
    totals = figures.ticket_totals([night, weekend, day], at(11, 15, 21), at(11, 29, 21), AFTER)
    assert totals["first_responses"] == 3
    assert totals["first_response_median_seconds"] == 4 * HOUR
    assert totals["first_response_p90_seconds"] == 17 * HOUR  # nearest rank: the 3rd of 3
    # Counted in the week of the reply: the weekend ticket's reply came on Monday 23 November.
    week = figures.ticket_totals([night, weekend, day], *WEEK, AFTER)
    assert (week["first_responses"], week["first_response_median_seconds"]) == (2, 3 * HOUR)


def test_percentiles_are_nearest_rank():
    assert figures.percentile([5, 1, 3, 2, 4, 6, 7, 8, 9, 10], 0.9) == 9
    assert figures.percentile([1, 2], 0.9) == 2 and figures.percentile([7], 0.9) == 7
    assert figures.percentile([], 0.9) is None


def test_sla_met_counts_each_deadline_once_when_its_outcome_is_decided():
    # In time; late (missed at its deadline, Tuesday); never answered and past due (missed, Wednesday);
    # not answered yet but not due before the week ends (not counted).
    on_time = figures.facts_of(ticket(at(11, 16, 8), first=at(11, 16, 10), first_due=at(11, 16, 16)), [], CALENDAR)
    late = figures.facts_of(ticket(at(11, 16, 8), first=at(11, 19, 8), first_due=at(11, 17, 8), id=2), [], CALENDAR)
    silent = figures.facts_of(ticket(at(11, 17, 8), first_due=at(11, 18, 8), id=3), [], CALENDAR)
    pending = figures.facts_of(ticket(at(11, 22, 8), first_due=at(11, 23, 8), id=4), [], CALENDAR)
    tickets = [on_time, late, silent, pending]
    totals = figures.ticket_totals(tickets, *WEEK, AFTER)
    assert (totals["sla_targets"], totals["sla_met"], totals["sla_met_rate"], totals["first_response_sla_rate"]) == (
        3, 1, 0.3333, 0.3333)
    # Seen on Sunday morning, the silent one was already missed; the pending one is still open.
    sunday = figures.ticket_totals(tickets, *WEEK, at(11, 22, 9))
    assert (sunday["sla_targets"], sunday["sla_met"]) == (3, 1)
    # The week after counts the pending one, missed on Monday.
    after = figures.ticket_totals(tickets, at(11, 22, 21), at(11, 29, 21), AFTER)
    assert (after["sla_targets"], after["sla_met"], after["sla_met_rate"]) == (1, 0, 0.0)


def test_resolution_time_sla_and_the_reopen_rate():
    # A: resolved Wednesday in time, never reopened. B: resolved Thursday, reopened Friday, resolved
    # again next Monday (its resolution counts then). C: resolved Friday after its deadline.
    a = figures.facts_of(ticket(at(11, 16, 6), resolution_due=at(11, 20, 6), status="resolved"),
                         [resolved(at(11, 18, 6))], CALENDAR)
    b = figures.facts_of(ticket(at(11, 17, 6), resolution_due=at(11, 26, 6), status="resolved", id=2),
                         [resolved(at(11, 19, 6)), reopened(at(11, 20, 6)), resolved(at(11, 23, 6))], CALENDAR)
    c = figures.facts_of(ticket(at(11, 16, 6), resolution_due=at(11, 19, 6), status="closed", id=3),
                         [resolved(at(11, 20, 6)), (at(11, 21, 6), {"event": "status", "from": "resolved",
                                                                     "to": "closed"})], CALENDAR)
    assert [seconds / HOUR for _, seconds in a.resolutions] == [26.0]  # Mon 09-22, Tue 09-22, Wed 09:00
    assert len(c.resolutions) == 1  # resolved → closed is not a second resolution
    week = figures.ticket_totals([a, b, c], *WEEK, AFTER)
    assert (week["resolved"], week["reopened"], week["reopen_rate"]) == (3, 1, 0.3333)
    # A (26 h), B (Tue 09:00 → Thu 09:00: 13 + 13 = 26 h), C (Mon 09:00 → Fri 09:00: 52 h).
    assert (week["resolution_median_seconds"], week["resolution_p90_seconds"]) == (26 * HOUR, 52 * HOUR)
    # Only A's deadline was decided this week in time; C missed its Thursday deadline; B's is next week.
    assert (week["sla_targets"], week["sla_met"], week["resolution_sla_rate"]) == (2, 1, 0.5)
    after = figures.ticket_totals([a, b, c], at(11, 22, 21), at(11, 29, 21), AFTER)
    assert (after["resolved"], after["reopen_rate"], after["resolution_sla_rate"]) == (1, 0.0, 1.0)


def test_the_backlog_is_what_was_open_at_the_period_end_with_its_age_in_calendar_time():
    open_since_monday = figures.facts_of(ticket(at(11, 16, 9)), [], CALENDAR)
    resolved_before_the_end = figures.facts_of(ticket(at(11, 17, 9), status="resolved", id=2),
                                               [resolved(at(11, 18, 9))], CALENDAR)
    resolved_after_the_end = figures.facts_of(ticket(at(11, 20, 21), status="resolved", id=3),
                                              [resolved(at(11, 24, 9))], CALENDAR)
    # Resolved, then put back to open by an agent: open again.
    back_to_open = figures.facts_of(ticket(at(11, 19, 21), id=4), [
        resolved(at(11, 20, 9)), (at(11, 21, 9), {"event": "status", "from": "resolved", "to": "open"})], CALENDAR)
    # A ticket without its history (e.g. migrated): resolved_at is its resolution.
    migrated = figures.facts_of(ticket(at(11, 16, 9), status="closed", resolved_at=at(11, 17, 9), id=5), [], CALENDAR)
    tickets = [open_since_monday, resolved_before_the_end, resolved_after_the_end, back_to_open, migrated]
    week = figures.ticket_totals(tickets, *WEEK, AFTER)
    assert week["backlog"] == 3  # Monday's (6 d 12 h), the one resolved later (2 d) and the one back to open (3 d)
    assert (week["backlog_age_median_seconds"], week["backlog_oldest_seconds"]) == (72 * HOUR, 156 * HOUR)
    assert week["resolved"] == 3 and migrated.resolved_at(at(11, 18, 0))
    # The running period's backlog is the one open now; a period not begun has none.
    assert figures.ticket_totals(tickets, at(11, 29, 21), at(12, 6, 21), AFTER)["backlog"] == 2
    assert figures.ticket_totals(tickets, at(12, 6, 21), at(12, 13, 21), AFTER)["backlog"] is None
    assert age(156 * HOUR) == "6 gün 12 sa" and age(47 * HOUR) == "47 sa" and age(72 * HOUR, "en") == "3 d"


def test_per_owner_per_category_and_what_grew():
    tickets = [figures.facts_of(ticket(at(11, 16, 9), first=at(11, 16, 10), first_due=at(11, 16, 17),
                                       owner_id=7, category="iade", id=1, rating=4, rated_at=at(11, 18, 9)), [],
                                CALENDAR),
               figures.facts_of(ticket(at(11, 17, 9), first=at(11, 18, 10), first_due=at(11, 17, 17),
                                       owner_id=7, category="kargo", id=2), [], CALENDAR),
               figures.facts_of(ticket(at(11, 10, 9), owner_id=8, category="kargo", id=3, status="resolved"),
                                [resolved(at(11, 11, 9))], CALENDAR),
               figures.facts_of(ticket(at(11, 11, 9), owner_id=8, category="iade", id=4, status="resolved"),
                                [resolved(at(11, 12, 9))], CALENDAR)]
    section = figures.tickets_section(tickets, WEEK, (at(11, 8, 21), at(11, 15, 21)), AFTER, {7: "Ayşe K."})
    [ayse] = section["agents"]  # owner 8 had nothing in the week
    assert (ayse["name"], ayse["opened"], ayse["first_response_median_seconds"], ayse["sla_met_rate"],
            ayse["rating_mean"]) == ("Ayşe K.", 2, 7.5 * HOUR, 0.5, 4.0)  # 1 h and 14 h (Tue 12:00 → Wed 13:00)
    assert [(row["category"], row["opened"], row["previous_opened"]) for row in section["categories"]] == [
        ("iade", 1, 1), ("kargo", 1, 1)]
    grown = figures.grown_categories([{"category": "a", "opened": 3, "previous_opened": 2},
                                      {"category": "b", "opened": 5, "previous_opened": 1},
                                      {"category": "c", "opened": 1, "previous_opened": 4}])
    assert [row["category"] for row in grown] == ["b", "a"]


@pytest.mark.parametrize("count, start, end", [
    (7, "7'den", "7'ye"), (12, "12'den", "12'ye"), (3, "3'ten", "3'e"), (4, "4'ten", "4'e"), (5, "5'ten", "5'e"),
    (6, "6'dan", "6'ya"), (9, "9'dan", "9'a"), (0, "0'dan", "0'a"), (10, "10'dan", "10'a"), (40, "40'tan", "40'a"),
    (60, "60'tan", "60'a"), (70, "70'ten", "70'e"), (100, "100'den", "100'e"), (1000, "1.000'den", "1.000'e"),
    (2000000, "2.000.000'dan", "2.000.000'a")])
def test_counts_take_their_turkish_case_endings(count, start, end):
    assert (from_count(count), to_count(count)) == (start, end)
    assert (from_count(count, "en"), to_count(count, "en")) == (str(count) if count < 1000 else f"{count:,}",) * 2


def test_the_summary_names_what_grew_and_the_sla_kept():
    report = sample_report()
    lines = ticket_lines(report)
    assert lines == [
        "12 talep açıldı, 9 talep çözüldü; süre hedeflerinin (SLA) %83 kadarı tutuldu (önceki %75; 8 puan iyileşme).",
        "Taleplere ilk yanıt destek saatleriyle ortanca 3 sa, çözüm ortanca 20 sa sürdü.",
        "Kargo ve teslimat talepleri önceki haftaya göre 4'ten 7'ye çıktı.",  # +3, and more of them
        "“<b>yeni</b>” talepleri önceki haftaya göre 0'dan 3'e çıktı.",
        "Dönem sonunda 4 talep açıktı; en eskisi 3 gün 8 sa bekliyor."]
    assert summary_lines(report)[-len(lines) - 1:-1] == lines  # before the chats' top topic
    english = ticket_lines(report, "en")
    assert english[0] == "12 tickets were opened and 9 resolved; 83% of the deadlines (SLA) were kept " \
                         "(before: 75%; 8 points better)."
    assert "Shipping and delivery tickets rose from 4 to 7 compared with the week before." in english


def test_the_html_report_has_a_tickets_section_with_every_text_escaped():
    report = sample_report()
    html = render_html(report, charts(report), summary_lines(report))
    section = html[html.index('<section class="tickets">'):]
    text = unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section)))
    assert "Talepler (destek kayıtları)" in text and "Kategorilere göre talepler" in text
    assert "Kargo ve teslimat 7 4 5 %90,0 2 sa 18 sa 2" in text
    assert "Ayşe K. 5 2 sa %88,9 4,33 (3) 2" in text
    assert "<b>yeni</b>" not in section and "&lt;b&gt;yeni&lt;/b&gt;" in section
    assert "Mehmet &lt;b&gt;Y.&lt;/b&gt;" in section
    row = re.search(r'<th scope="row">Süre hedefi \(SLA\) tutulan</th>(.*?)</tr>', section).group(1)
    assert "%83,3 (15)" in row and "%75,0 (12)" in row and 'class="better"' in row
    report["tickets"] = {**report["tickets"], "totals": {**report["tickets"]["totals"], "opened": 0, "resolved": 0,
                                                         "backlog": 0, "sla_targets": 0},
                         "previous_totals": {**report["tickets"]["totals"], "opened": 0, "resolved": 0, "backlog": 0,
                                             "sla_targets": 0}}
    quiet = render_html(report, charts(report), [], "en")
    assert "No tickets in this period." in quiet


def test_the_ticket_csv_tables_name_their_codes_in_the_files_language():
    report = sample_report()
    for group in TICKET_CSV_GROUPS:
        for lang, delimiter in (("tr", ";"), ("en", ",")):
            rows = list(csv.reader(io.StringIO(csv_text(csv_rows(report, group, lang), group, lang)),
                                   delimiter=delimiter))
            assert rows[0][-len(TICKET_COLUMNS):] == [headers[lang] for _, headers, _ in TICKET_COLUMNS]
            assert len(rows) == len(report["tickets"][TICKET_CSV_GROUPS[group]]) + 1
    text = csv_text(csv_rows(report, "ticket_categories", "en"), "ticket_categories", "en")
    first = next(csv.DictReader(io.StringIO(text)))
    assert (first["Category code"], first["Category"], first["Opened"], first["SLA kept (%)"],
            first["First response (support s, median)"]) == ("kargo", "Shipping and delivery", "7", "90.0", "7200")
    turkish = list(csv.DictReader(io.StringIO(csv_text(csv_rows(report, "ticket_sources", "tr"), "ticket_sources")),
                                  delimiter=";"))
    assert [row["Kaynak"] for row in turkish] == ["Asistana yazılan şikâyet", "Mesai dışı talep"]
    assert turkish[0]["Çözüm puanı ortalaması (1-5)"] == "4,00"


# --- on the database, through the ticket store ---------------------------------------------------

@pytest.fixture
def store(tmp_path):
    store = DeskStore.open(f"sqlite:///{tmp_path / 'desk.db'}")
    store.agents_by_name = fx.load(store)
    return store


def test_the_reports_tickets_on_the_fixtures(store):
    report = build_report(store, "week", fx.WEEK, calendar=fx.calendar(), now=AFTER)
    tickets = report["tickets"]
    for name, value in fx.EXPECTED_TICKETS_WEEK.items():
        assert tickets["totals"][name] == value, name
    for name, value in fx.EXPECTED_TICKETS_PREVIOUS_WEEK.items():
        assert tickets["previous_totals"][name] == value, name
    assert [(r["category"], r["opened"], r["previous_opened"], r["backlog"]) for r in tickets["categories"]] == [
        ("kargo", 2, 1, 1), ("diger", 2, 0, 2), ("urun", 0, 1, 0)]
    assert [(r["channel"], r["opened"]) for r in tickets["channels"]] == [("chat", 3), ("email", 1)]
    assert [(r["source"], r["opened"]) for r in tickets["sources"]] == [
        ("after_hours", 2), ("complaint", 1), ("low_score", 1)]
    ayse, mehmet = tickets["agents"]
    assert (ayse["name"], ayse["resolved"], ayse["first_response_median_seconds"], ayse["sla_met_rate"],
            ayse["rating_mean"], ayse["backlog"]) == ("Ayşe K.", 2, 4 * HOUR, 1.0, 5.0, 1)
    assert (mehmet["name"], mehmet["resolved"], mehmet["first_response_median_seconds"], mehmet["sla_met_rate"],
            mehmet["rating_mean"], mehmet["backlog"]) == ("Mehmet T.", 0, 3 * HOUR, 0.5, None, 2)
    # The handoff agents' rows carry their tickets as owners; the series its days.
    by_agent = {row["name"]: row for row in report["agents"]}
    assert (by_agent["Ayşe K."]["tickets_opened"], by_agent["Mehmet T."]["tickets_backlog"]) == (2, 2)
    assert [row["tickets_opened"] for row in report["series"]] == [1, 0, 0, 1, 1, 1, 0]
    assert report["trend"][-2]["tickets_sla_met_rate"] == 0.75


def test_the_filters_keep_one_owners_or_one_languages_tickets(store):
    mehmet = build_report(store, "week", fx.WEEK, agent_id=store.agents_by_name["mehmet"], calendar=fx.calendar(),
                          now=AFTER)["tickets"]["totals"]
    assert (mehmet["opened"], mehmet["resolved"], mehmet["sla_targets"], mehmet["backlog"]) == (2, 0, 2, 2)
    english = build_report(store, "week", fx.WEEK, language="en", calendar=fx.calendar(), now=AFTER)["tickets"]
    assert (english["totals"]["opened"], english["totals"]["reopened"]) == (2, 1)  # T3 and T2
    assert [row["category"] for row in english["categories"]] == ["kargo", "diger"]  # T3 was also resolved


def test_what_became_of_a_chat_sent_to_people_follows_its_handoffs_history():
    from bot.desk.models import Handoff
    from bot.reports.metrics import ContactFacts, handoff_outcome

    def contact(*handoffs, queued=()):
        return ContactFacts(1, at(11, 20, 16), "tr", None, False, "session:x", handoffs=list(handoffs),
                            queued=set(queued))

    taken = Handoff(id=1, status="closed", accepted_at=at(11, 20, 16, 5), agent_id=7)
    ticket = Handoff(id=2, status="ticket")
    waited = Handoff(id=3, status="handed_back")
    assert handoff_outcome(contact()) is None
    assert handoff_outcome(contact(taken, ticket)) == "live"
    assert handoff_outcome(contact(taken), agent_id=8) == "left_queue"  # not that agent's chat
    assert handoff_outcome(contact(ticket, queued={2})) == "queued_then_ticketed"  # the same handoff waited
    assert handoff_outcome(contact(waited, ticket, queued={3})) == "queued_then_ticketed"  # the one before it waited
    assert handoff_outcome(contact(ticket)) == "after_hours_ticket"
    assert handoff_outcome(contact(waited, queued={3})) == "left_queue"
