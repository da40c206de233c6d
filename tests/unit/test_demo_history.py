"""The demo history (`python -m bot seed --history`, bot/demo_history/): eight weeks that look like
a small shop's, marked as demo, added once, fast, the same for the same day, and enough for every
report. One history on a fresh SQLite file is shared by most tests (it takes a few seconds).

The anchor is Thursday 3 December 2026, 10:56 in Istanbul: the eight weeks hold Republic Day
(Thursday 29 October, closed) and "Efsane Cuma" (Friday 27 November, the campaign day).
"""
import functools
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from statistics import mean

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from actions.store.database import make_engine, make_sessionmaker
from actions.store.migrate import upgrade
from actions.store.models import Customer, StoreMeta
from actions.store.seed import ANCHOR_KEY, DEMO_STORE, seed
from actions.store.types import shop_date
from bot.demo_history.history import add_history, remove_history, wants_history_on_start
from bot.demo_history.lines import DEMO_NOTE
from bot.demo_history.marker import KEY
from bot.desk.accounts import ensure_demo_accounts
from bot.desk.models import Contact, Conversation, EmailSend, Handoff, HandoffEvent, Message, Rating
from bot.desk.store import DeskStore, migrate
from bot.reports.metrics import build_report
from bot.settings import Settings
from bot.tickets.models import OPEN_STATUSES, SOURCES, Ticket, TicketEntry
from bot.tickets.sla import SupportCalendar, parse_targets, target_for

UTC = timezone.utc
NOW = datetime(2026, 12, 3, 7, 56, tzinfo=UTC)
CAMPAIGN, HOLIDAY = date(2026, 11, 27), date(2026, 10, 29)
FULL_WEEKS = [date(2026, 10, 12) + timedelta(weeks=n) for n in range(7)]  # Mondays of the complete weeks
LAST_WEEK = date(2026, 11, 23)
SETTINGS = dict(database_url="", support_hours="mon-fri 09:00-22:00, sat-sun 10:00-18:00", support_holidays="tr",
                ticket_sla="complaint=8/48, after_hours=4/24, chat_followup=8/48, low_score=8/48, missed_promise=4/24, *=8/48")


def fresh_database(path):
    """A new SQLite file as `make run` leaves it before the history: the shop seeded (anchored at NOW),
    the desk migrated, the demo accounts there."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with make_sessionmaker(engine).begin() as session:
        session.merge(StoreMeta(key=ANCHOR_KEY, value=NOW.isoformat()))
    seed(engine)
    migrate(engine)
    with make_sessionmaker(engine)() as session:
        ensure_demo_accounts(session, DEMO_STORE, NOW)
    return engine


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    engine = fresh_database(tmp_path_factory.mktemp("history") / "kuzey.db")
    started = time.monotonic()
    report = add_history(engine, Settings(**SETTINGS), now=NOW)
    report.seconds = time.monotonic() - started
    return engine, report


@pytest.fixture(scope="module")
def rows(history):
    engine, _ = history
    with make_sessionmaker(engine)() as s:
        return {
            "contacts": s.execute(select(Contact)).scalars().all(),
            "conversations": s.execute(select(Conversation)).scalars().all(),
            "handoffs": s.execute(select(Handoff)).scalars().all(),
            "events": s.execute(select(HandoffEvent)).scalars().all(),
            "ratings": s.execute(select(Rating)).scalars().all(),
            "tickets": s.execute(select(Ticket)).scalars().all(),
            "entries": s.execute(select(TicketEntry).order_by(TicketEntry.id)).scalars().all(),
            "emails": s.execute(select(EmailSend)).scalars().all(),
            "customers": set(s.execute(select(Customer.id)).scalars()),
            "latest_message": s.execute(select(func.max(Message.created_at))).scalar(),
            "understood": dict(s.execute(select(Message.understood, func.count(Message.id)).where(
                Message.sender == "shopper", Message.understood.is_not(None)).group_by(Message.understood)).all()),
            "messages_by_language": dict(s.execute(select(Contact.language, func.count(Message.id))
                                                   .join(Contact, Contact.id == Message.contact_id)
                                                   .group_by(Contact.language)).all()),
        }


def week_of(moment):
    day = shop_date(moment)
    return day - timedelta(days=day.weekday())


def test_it_is_fast_and_reports_what_it_added(history):
    _, report = history
    assert report.added
    assert report.seconds < 30, f"{report.seconds:.1f} s"  # a few seconds on an idle machine; the CI box is shared
    assert [d.day for d in report.days][0] == date(2026, 10, 9) and report.days[-1].day == shop_date(NOW)
    assert {"contacts", "handoffs", "tickets", "ratings", "messages"} <= set(report.counts)


def test_every_full_week_looks_like_a_small_shops(rows):
    contacts = Counter(week_of(c.started_at) for c in rows["contacts"])
    handoffs = Counter(week_of(h.requested_at) for h in rows["handoffs"])
    tickets = Counter(week_of(t.created_at) for t in rows["tickets"])
    csat = Counter(week_of(r.created_at) for r in rows["ratings"] if r.kind == "csat")
    for monday in FULL_WEEKS:
        assert 150 <= contacts[monday] <= 400, (monday, contacts[monday])
        assert 0.06 <= handoffs[monday] / contacts[monday] <= 0.25, (monday, handoffs[monday])
        assert 10 <= tickets[monday] <= 70, (monday, tickets[monday])
        assert csat[monday] >= 15, (monday, csat[monday])


def test_both_languages_about_three_to_one(rows):
    languages = Counter(c.language for c in rows["contacts"])
    assert 0.15 <= languages["en"] / sum(languages.values()) <= 0.35
    assert set(rows["messages_by_language"]) == {"tr", "en"}
    assert {t.language for t in rows["tickets"]} == {"tr", "en"}


def test_busy_days_and_quiet_days(rows):
    per_day = Counter(shop_date(c.started_at) for c in rows["contacts"])
    days = [d for d in per_day if d < shop_date(NOW)]
    sundays = mean(per_day[d] for d in days if d.weekday() == 6)
    mondays = mean(per_day[d] for d in days if d.weekday() == 0)
    other_thursdays = mean(per_day[d] for d in days if d.weekday() == 3 and d != HOLIDAY)
    assert per_day[CAMPAIGN] > 2 * mean(per_day[d] for d in days if d.weekday() == 4 and d != CAMPAIGN)
    assert mondays > 1.5 * sundays
    assert per_day[HOLIDAY] < 0.75 * other_thursdays
    # support is closed on the holiday: every handoff of that day became an after-hours ticket
    holiday = [h for h in rows["handoffs"] if shop_date(h.requested_at) == HOLIDAY]
    assert holiday and {h.status for h in holiday} == {"ticket"}


def test_conversations_have_reasons_misses_and_answers(rows):
    reasons = Counter(c.reason for c in rows["contacts"])
    assert reasons["order_status"] > 0 and reasons["complaint"] > 0
    assert sum(n for r, n in reasons.items() if r and r.startswith("faq/")) > 0.25 * len(rows["contacts"])
    answered = sum(1 for c in rows["contacts"] if c.answered)
    assert 0.6 <= answered / len(rows["contacts"]) <= 0.95
    understood = rows["understood"]
    assert 0.03 <= understood[False] / (understood[False] + understood[True]) <= 0.2  # mostly understood, some misses
    customers = {c.customer_id for c in rows["conversations"] if c.customer_id is not None}
    assert customers and customers <= rows["customers"]  # only the demo store's customers


def test_handoffs_wait_get_taken_expire_and_become_tickets(rows):
    statuses = Counter(h.status for h in rows["handoffs"])
    assert statuses["closed"] > statuses["ticket"] > statuses["handed_back"] > 0
    reasons = {h.reason for h in rows["handoffs"]}
    assert {"requested", "frustration", "repeated_fallback"} <= reasons
    waits = [(h.accepted_at - h.requested_at).total_seconds() for h in rows["handoffs"] if h.accepted_at]
    assert min(waits) > 0 and 20 < sorted(waits)[len(waits) // 2] < 300
    assert all(h.agent_id and h.first_response_at > h.accepted_at and h.closed_at > h.first_response_at
               for h in rows["handoffs"] if h.status == "closed")
    kinds = defaultdict(list)
    for event in rows["events"]:
        kinds[event.handoff_id].append(event.kind)
    assert any("offer_expired" in k and "accepted" in k for k in kinds.values())
    assert any(k[0] == "queued" and k[-1] == "ticketed" for k in kinds.values())  # queued, then ticketed at closing
    assert any(k == ["ticket"] for k in kinds.values())  # after hours


def test_ratings_mostly_good_some_bad_with_comments_and_nps(rows):
    csat = [r for r in rows["ratings"] if r.kind == "csat"]
    nps = [r for r in rows["ratings"] if r.kind == "nps"]
    assert sum(1 for r in csat if r.score >= 4) > 0.6 * len(csat)
    assert any(r.score <= 2 and r.comment for r in csat)
    assert nps and all(0 <= r.score <= 10 for r in nps) and any(r.score >= 9 for r in nps)
    assert all(r.contact_id for r in rows["ratings"])


def test_every_ticket_source_and_complaint_category(rows):
    assert {t.source for t in rows["tickets"]} == set(SOURCES)
    complaints = {t.category for t in rows["tickets"] if t.source == "complaint"}
    assert complaints == {"kargo", "urun", "iade", "odeme", "hizmet", "diger"}
    assert all(t.conversation_id and t.conversation_id.startswith("demo-")
               for t in rows["tickets"] if t.source in ("complaint", "after_hours", "chat_followup"))


def test_tickets_have_owners_and_deadlines_of_the_support_calendar(rows):
    calendar = SupportCalendar.from_settings(SETTINGS["support_hours"], SETTINGS["support_holidays"])
    targets = parse_targets(SETTINGS["ticket_sla"])
    reopened_at = {e.ticket_id: e.created_at for e in rows["entries"] if (e.data or {}).get("event") == "reopened"}
    for ticket in rows["tickets"]:
        target = target_for(targets, ticket.category, ticket.source)
        assert ticket.first_response_due == calendar.add(ticket.created_at, target.first_response), ticket.code
        start = reopened_at.get(ticket.id, ticket.created_at)
        assert ticket.resolution_due == calendar.add(start, target.resolution), ticket.code
        assert ticket.owner_id is not None or ticket.status == "new", ticket.code
        if ticket.first_response_at:
            assert calendar.is_open(ticket.first_response_at), ticket.code  # agents answer in support hours
    assert sum(1 for t in rows["tickets"] if t.reopened) > 0


def test_most_tickets_meet_their_deadlines_some_do_not_some_are_open(rows):
    tickets = rows["tickets"]
    answered = [t for t in tickets if t.first_response_at]
    late_first = [t for t in answered if t.first_response_at > t.first_response_due]
    resolved = [t for t in tickets if t.resolved_at]
    late_resolution = [t for t in resolved if t.resolved_at > t.resolution_due]
    assert 0 < len(late_first) < 0.25 * len(answered)
    assert 0 < len(late_resolution) < 0.25 * len(resolved)
    backlog = [t for t in tickets if t.status in OPEN_STATUSES]
    assert 3 <= len(backlog) < 0.2 * len(tickets)
    assert any(t.breached_at for t in backlog)  # the oldest open ones are past due, and were alerted
    assert all(t.breached_at for t in late_first + late_resolution)
    assert sum(1 for t in tickets if t.rating) > 0.3 * len(resolved)
    assert {"resolved", "closed"} <= {t.status for t in tickets}


def test_nothing_happens_after_now(rows):
    assert rows["latest_message"] < NOW
    assert max(e.created_at for e in rows["entries"]) < NOW
    assert max(t.rated_at for t in rows["tickets"] if t.rated_at) < NOW
    assert max(r.created_at for r in rows["ratings"]) < NOW


def test_follow_up_emails_some_answered(rows):
    emails = rows["emails"]
    assert emails and len({e.order_no for e in emails}) == len(emails)
    answered = [e for e in emails if e.answered_at]
    assert 0 < len(answered) < len(emails)
    assert all(e.sent_at < e.answered_at < NOW for e in answered)


def test_everything_is_marked_as_demo(history, rows):
    engine, _ = history
    assert all(c.id.startswith("demo-") for c in rows["conversations"])
    assert all(c.ended_at is not None for c in rows["conversations"])  # no widget can resume a demo session
    noted = {e.ticket_id for e in rows["entries"] if e.kind == "note" and e.text == DEMO_NOTE}
    assert noted == {t.id for t in rows["tickets"]}
    with make_sessionmaker(engine)() as s:
        assert '"state": "added"' in s.get(StoreMeta, KEY).value and NOW.isoformat() in s.get(StoreMeta, KEY).value


def test_the_last_week_fills_every_report_figure(history):
    engine, _ = history
    report = build_report(DeskStore(engine), "week", LAST_WEEK)
    totals = report["totals"]
    for name in ("contacts", "contained", "handoffs", "shopper_messages", "not_understood", "csat_count", "nps_count",
                 "repeat_contacts", "turned_into_knowledge"):
        assert totals[name] > 0, name
    for name in ("queue_seconds", "first_response_seconds", "handling_seconds", "csat_mean", "nps"):
        assert totals[name] is not None, name
    for table in ("handoff_reasons", "contact_reasons", "not_understood", "resolution_tags", "agents"):
        assert report[table], table
    assert {row["language"] for row in report["languages"]} == {"tr", "en"}
    assert all(day["contacts"] > 0 for day in report["series"])
    assert all(week["contacts"] > 0 for week in report["trend"])
    assert report["knowledge"]["turned_into_knowledge"] > 0


def test_the_last_week_fills_the_ticket_figures_and_the_handoff_outcomes(history):
    """The reports' ticket section and the outcomes of handoffs (bot/reports/tickets.py, metrics.py)."""
    engine, _ = history
    report = build_report(DeskStore(engine), "week", LAST_WEEK)
    totals = report["totals"]
    assert totals["queued_then_ticketed"] > 0 and totals["after_hours_tickets"] > 0 and totals["handoffs"] > 0
    tickets = report["tickets"]["totals"]
    for name in ("opened", "resolved", "first_response_median_seconds", "resolution_median_seconds", "sla_met_rate",
                 "ratings", "backlog"):
        assert tickets[name], name
    assert 0.6 < tickets["first_response_sla_rate"] < 1 and 0.6 < tickets["resolution_sla_rate"] <= 1
    assert len(report["tickets"]["categories"]) >= 4 and report["tickets"]["agents"]


def test_a_second_run_adds_nothing(history, rows):
    engine, _ = history
    again = add_history(engine, Settings(**SETTINGS), now=NOW + timedelta(days=1))
    assert not again.added and "already" in again.reason
    with make_sessionmaker(engine)() as s:
        assert s.execute(select(func.count(Contact.id))).scalar() == len(rows["contacts"])
        assert s.execute(select(func.count(Ticket.id))).scalar() == len(rows["tickets"])


def test_the_same_day_gives_the_same_history_and_it_can_be_removed(history, rows, tmp_path):
    """Later the same day, on another database: the same weeks, the same conversations and
    tickets up to the first history's end (then a few more)."""
    engine = fresh_database(tmp_path / "other.db")
    later = NOW + timedelta(hours=10)  # 20:56 in Istanbul, the same day
    other = add_history(engine, Settings(**SETTINGS), now=later)
    assert other.counts["contacts"] >= history[1].counts["contacts"]
    with make_sessionmaker(engine)() as s:
        contacts = s.execute(select(Contact)).scalars().all()
        tickets = s.execute(select(Ticket)).scalars().all()
    for monday in FULL_WEEKS:
        assert Counter(week_of(c.started_at) for c in contacts)[monday] == Counter(
            week_of(c.started_at) for c in rows["contacts"])[monday]
        assert Counter(week_of(t.created_at) for t in tickets)[monday] == Counter(
            week_of(t.created_at) for t in rows["tickets"])[monday]

    def before(items, moment, *fields):
        return sorted(tuple(getattr(item, f) for f in fields) for item in items if getattr(item, fields[0]) < moment)
    day_before = NOW - timedelta(days=1)
    assert before(contacts, day_before, "started_at", "conversation_id", "reason", "answered") == before(
        rows["contacts"], day_before, "started_at", "conversation_id", "reason", "answered")
    settled = NOW - timedelta(days=21)  # their lives ended before either history's end
    assert before(tickets, settled, "created_at", "code", "status", "owner_id", "rating") == before(
        rows["tickets"], settled, "created_at", "code", "status", "owner_id", "rating")
    answered = {t.code: (t.owner_id, t.first_response_at) for t in rows["tickets"] if t.first_response_at}
    assert {t.code: (t.owner_id, t.first_response_at) for t in tickets if t.code in answered} == answered

    removed = remove_history(engine)
    assert removed["conversations"] == other.counts["conversations"] and removed["tickets"] == other.counts["tickets"]
    with make_sessionmaker(engine)() as s:
        for model in (Conversation, Contact, Message, Handoff, HandoffEvent, Rating, Ticket, TicketEntry, EmailSend):
            assert s.execute(select(func.count()).select_from(model)).scalar() == 0, model.__tablename__
        assert s.execute(select(func.count(Customer.id))).scalar() == 60  # the shop stays
    # removed on purpose: `make run` leaves it out, an explicit request adds it again
    assert not wants_history_on_start(Settings(**SETTINGS), engine)
    assert add_history(engine, Settings(**SETTINGS), now=later, weeks=1).added


def test_make_run_adds_it_only_to_a_new_embedded_database(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    upgrade(engine)
    migrate(engine)
    assert wants_history_on_start(Settings(**SETTINGS), engine)
    given = Settings(**{**SETTINGS, "database_url": f"sqlite:///{tmp_path / 'new.db'}"})
    assert not wants_history_on_start(given, engine)  # a DATABASE_URL database only when asked
    store = DeskStore(engine)
    store.create_conversation("tr", "a-real-shopper")
    assert not wants_history_on_start(Settings(**SETTINGS), engine)  # it had conversations before


def test_the_command_adds_once_and_says_so(tmp_path, monkeypatch):
    import bot.demo_history.history
    from bot import cli

    settings = Settings(**{**SETTINGS, "state_dir": tmp_path})
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    monkeypatch.setattr(bot.demo_history.history, "add_history", functools.partial(add_history, weeks=1))  # the wiring, quickly
    runner = CliRunner()
    first = runner.invoke(cli.main, ["seed", "--history"])
    assert first.exit_code == 0, first.output
    assert "Demo history added" in first.output and "--history --remove" in first.output
    second = runner.invoke(cli.main, ["seed", "--history"])
    assert second.exit_code == 0 and "not added again" in second.output
    wrong = runner.invoke(cli.main, ["seed", "--remove"])
    assert wrong.exit_code != 0 and "--history --remove" in wrong.output
