"""The ticket's life in the store: codes, deadlines, replies, notes, reopening, rating, ownership
under races, and the migration that turns earlier complaint records into tickets."""
from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from actions.store.database import make_engine
from actions.store.migrate import upgrade
from bot.desk.models import DeskUser
from bot.desk.store import MIGRATIONS as DESK_MIGRATIONS
from bot.tickets.assignment import TicketAgent, assign_waiting
from bot.tickets.models import OPEN_STATUSES, Ticket, TicketEntry
from bot.tickets.sla import SupportCalendar, parse_targets
from bot.tickets.store import NewTicket, TicketError, TicketStore

# Thursday 3 December 2026, 10:00 in Istanbul (UTC+3)
THURSDAY_10 = datetime(2026, 12, 3, 7, 0, tzinfo=timezone.utc)
HOURS = "mon-fri 09:00-18:00"


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'tickets.db'}")
    upgrade(engine)
    upgrade(engine, directory=DESK_MIGRATIONS)
    return engine


@pytest.fixture
def store(engine):
    return TicketStore(engine, SupportCalendar.from_settings(HOURS), parse_targets("complaint=4/16, *=8/24"))


def agents(engine, *names, languages=("tr",), capacity=20):
    with store_session(engine) as s:
        users = [DeskUser(username=n, display_name=n.title(), role="agent", password_hash="x", languages=list(languages),
                          max_chats=3, max_tickets=capacity, skills=[], active=True, created_at=THURSDAY_10) for n in names]
        s.add_all(users)
        s.commit()
        return [u.id for u in users]


def store_session(engine):
    from actions.store.database import make_sessionmaker

    return make_sessionmaker(engine)()


def complaint(**values) -> NewTicket:
    return NewTicket(**{"source": "complaint", "category": "kargo", "language": "tr", "text": "Paketim gelmedi", **values})


def test_a_complaint_gets_its_code_and_deadlines_counted_in_support_hours(store):
    ticket = store.open(complaint(), THURSDAY_10)
    assert ticket.code == f"SKT-2026-{ticket.id:06d}" and ticket.status == "new"
    # 4 support hours from Thursday 10:00: 14:00; 16: 8 on Thursday + 8 on Friday -> Friday 17:00 (Istanbul)
    assert ticket.first_response_due == datetime(2026, 12, 3, 11, 0, tzinfo=timezone.utc)
    assert ticket.resolution_due == datetime(2026, 12, 4, 14, 0, tzinfo=timezone.utc)
    other = store.open(NewTicket("after_hours", "diger", "en", "help"), THURSDAY_10)
    assert other.code.startswith("DST-2026-") and other.resolution_due == datetime(2026, 12, 7, 13, 0, tzinfo=timezone.utc)  # 8 + 9 + 7 on Monday


def test_unknown_sources_and_bad_texts_are_refused_and_change_nothing(store, engine):
    with pytest.raises(TicketError):
        store.open(complaint(source="rumour"), THURSDAY_10)
    ticket = store.open(complaint(), THURSDAY_10)
    for bad in ("", "   ", "x" * 5001, None):
        with pytest.raises(TicketError):
            store.reply(ticket.id, 1, bad, THURSDAY_10)
    with store_session(engine) as s:
        assert s.execute(select(func.count()).select_from(Ticket)).scalar() == 1
        assert [e.kind for e in s.execute(select(TicketEntry)).scalars()] == ["event"]


def test_a_reply_stops_the_first_response_clock_and_a_note_never_reaches_the_public_thread(store, engine):
    (ayse,) = agents(engine, "ayse")
    ticket = store.open(complaint(), THURSDAY_10)
    store.note(ticket.id, ayse, "Kargo firmasını aradım", THURSDAY_10 + timedelta(minutes=5))
    store.reply(ticket.id, ayse, "Paketiniz yarın gelecek.", THURSDAY_10 + timedelta(minutes=30))
    ticket = store.get(ticket.id)
    assert (ticket.status, ticket.owner_id) == ("waiting", ayse)
    assert ticket.first_response_at == THURSDAY_10 + timedelta(minutes=30)
    assert [e.text for e in store.entries(ticket.id, public_only=True)] == ["Paketiniz yarın gelecek."]
    store.reply(ticket.id, ayse, "Bir ek bilgi.", THURSDAY_10 + timedelta(hours=2))
    assert store.get(ticket.id).first_response_at == THURSDAY_10 + timedelta(minutes=30)  # the first one counts


def test_a_customer_who_writes_within_seven_days_reopens_later_not_and_a_closed_ticket_stays_closed(store):
    ticket = store.open(complaint(), THURSDAY_10)
    store.set_status(ticket.id, "resolved", THURSDAY_10 + timedelta(hours=1))
    store.customer_wrote(ticket.id, "Hâlâ gelmedi!", THURSDAY_10 + timedelta(days=2), "page")
    reopened = store.get(ticket.id)
    assert (reopened.status, reopened.reopened, reopened.resolved_at) == ("open", 1, None)
    assert reopened.resolution_due > THURSDAY_10 + timedelta(days=2)  # a fresh deadline from the reopening
    store.set_status(ticket.id, "resolved", THURSDAY_10 + timedelta(days=3))
    with pytest.raises(TicketError) as late:
        store.customer_wrote(ticket.id, "Bir şey daha", THURSDAY_10 + timedelta(days=11), "page")
    assert late.value.code == "ticket_closed" and store.get(ticket.id).status == "resolved"
    store.set_status(ticket.id, "closed", THURSDAY_10 + timedelta(days=12))
    with pytest.raises(TicketError):
        store.reply(ticket.id, 1, "geç", THURSDAY_10 + timedelta(days=12))


def test_a_resolution_is_rated_once_from_one_to_five_and_only_when_resolved(store):
    ticket = store.open(complaint(), THURSDAY_10)
    assert store.rate(ticket.id, 5, THURSDAY_10) is False  # not resolved yet
    store.set_status(ticket.id, "resolved", THURSDAY_10)
    for bad in (0, 6, "5", True):
        with pytest.raises(TicketError):
            store.rate(ticket.id, bad, THURSDAY_10)
    assert store.rate(ticket.id, 4, THURSDAY_10) is True
    assert store.rate(ticket.id, 1, THURSDAY_10) is False and store.get(ticket.id).rating == 4


def test_a_reassignment_from_a_stale_view_is_refused_and_capacity_holds(store, engine):
    ayse, mehmet = agents(engine, "ayse", "mehmet")
    first, second = store.open(complaint(), THURSDAY_10), store.open(complaint(), THURSDAY_10)
    assert store.assign(first.id, ayse, THURSDAY_10, expected_owner=None)
    assert not store.assign(first.id, mehmet, THURSDAY_10, expected_owner=None)  # someone was faster
    assert store.get(first.id).owner_id == ayse
    assert not store.assign(second.id, ayse, THURSDAY_10, expected_owner=None, capacity=1)  # she is full
    assert store.get(second.id).owner_id is None


def test_fifty_tickets_while_three_agents_come_and_go_each_get_one_owner_and_no_limit_is_passed(store, engine):
    """Two "bridges" (threads) assign while a third opens tickets and agents come and go."""
    ids = agents(engine, "ayse", "mehmet", "zeynep", capacity=12)
    present = {ids[0]}
    lock = threading.Lock()
    errors = []
    moments = []

    def opener():
        for n in range(50):
            store.open(complaint(text=f"şikayet {n}"), THURSDAY_10 + timedelta(seconds=n))
            with lock:  # an agent logs in or out now and then
                if n % 7 == 3:
                    present.symmetric_difference_update({ids[n % 3]})

    def bridge(seed):
        rng = random.Random(seed)
        for _ in range(60):
            with lock:
                here = [TicketAgent(i, ["tr"], (), 12) for i in present]
            try:
                assign_waiting(store, here, THURSDAY_10)
                moments.append(store.open_counts())
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            threading.Event().wait(rng.random() / 200)

    threads = [threading.Thread(target=opener)] + [threading.Thread(target=bridge, args=(s,)) for s in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everyone = [TicketAgent(i, ["tr"], (), 12) for i in ids]
    assign_waiting(store, everyone, THURSDAY_10)
    assert errors == []
    with store_session(engine) as s:
        rows = s.execute(select(Ticket)).scalars().all()
    assert len(rows) == 50 and len({r.code for r in rows}) == 50  # none lost, none doubled
    loads = store.open_counts()
    assert all(count <= 12 for moment in moments + [loads] for count in moment.values())
    assert sum(loads.values()) == 36 and sum(1 for r in rows if r.owner_id is None) == 14  # 3 x 12, the rest wait
    with store_session(engine) as s:  # every assignment in the history names the owner the ticket has
        for row in rows:
            assigned = s.execute(select(TicketEntry.data).where(TicketEntry.ticket_id == row.id)).scalars().all()
            owners = [d["to"] for d in assigned if d and d.get("event") == "assigned"]
            assert owners == ([row.owner_id] if row.owner_id else [])
    assert all(r.status in OPEN_STATUSES for r in rows)


def test_earlier_complaint_records_and_after_hours_requests_become_tickets_by_migration(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine)
    upgrade(engine, revision="9774a89f67af", directory=DESK_MIGRATIONS)  # before tickets
    with engine.begin() as c:
        c.execute(text("INSERT INTO complaint_tickets (id, reference, category, text, language, conversation_id, status,"
                       " created_at, respond_by) VALUES (3, 'SKT-2026-000003', 'kargo', 'Kutu ezik geldi', 'tr', 'c1',"
                       " 'acik', '2026-11-20 10:00:00.000000', '2026-11-22 10:00:00.000000')"))
        c.execute(text("INSERT INTO conversations (id, created_at, last_message_at, language, state, frustration,"
                       " signals, queue_priority) VALUES ('c2', '2026-11-21 22:00:00', '2026-11-21 22:00:00', 'en',"
                       " 'bot', 0, '[]', 1)"))
        c.execute(text("INSERT INTO handoffs (conversation_id, reason, frustration, status, requested_at,"
                       " resolution_tags, ticket_email) VALUES ('c2', 'requested', 0, 'ticket',"
                       " '2026-11-21 22:00:00', '[]', 'jo@example.com')"))
        c.execute(text("INSERT INTO handoffs (conversation_id, reason, frustration, status, requested_at,"
                       " resolution_tags) VALUES ('c2', 'requested', 0, 'ticket', '2026-11-22 22:00:00', '[]')"))
    upgrade(engine, directory=DESK_MIGRATIONS)
    store = TicketStore(engine, SupportCalendar.from_settings(HOURS), parse_targets("*=8/24"))
    unanswerable = store.by_code("DST-2026-000005")
    assert (unanswerable.email, unanswerable.status) == (None, "closed")  # nobody could answer it
    migrated = store.by_code("SKT-2026-000003")
    assert (migrated.id, migrated.source, migrated.text, migrated.status) == (3, "complaint", "Kutu ezik geldi", "new")
    assert migrated.resolution_due == datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
    (after_hours,) = store.of_customer(email="jo@example.com")
    assert (after_hours.code, after_hours.language, after_hours.conversation_id) == ("DST-2026-000004", "en", "c2")
    assert store.open(complaint(), THURSDAY_10).id == 6  # new codes continue after the migrated ones
