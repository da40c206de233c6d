"""The store on PostgreSQL (the local server of this machine kind; skipped where there is none)."""
import pytest

from actions.store.database import make_engine
from actions.store.seed import seed
from tests.stack import postgres_schema_url


@pytest.fixture
def postgres_schema():
    with postgres_schema_url() as url:
        yield url


def test_seed_runs_twice_on_postgresql_without_duplicates(postgres_schema):
    engine = make_engine(postgres_schema)
    first = seed(engine)
    second = seed(engine)
    assert first.counts == second.counts and first.counts["orders"] == 220
    engine.dispose()


def test_complaint_records_become_tickets_on_postgresql_and_new_codes_follow_them(postgres_schema):
    from datetime import datetime, timezone

    from sqlalchemy import text

    from actions.store.migrate import upgrade
    from bot.desk.store import MIGRATIONS
    from bot.tickets.sla import SupportCalendar, parse_targets
    from bot.tickets.store import NewTicket, TicketStore

    engine = make_engine(postgres_schema)
    upgrade(engine)
    upgrade(engine, revision="9774a89f67af", directory=MIGRATIONS)  # the desk before tickets
    with engine.begin() as c:
        c.execute(text("INSERT INTO complaint_tickets (id, reference, category, text, language, conversation_id, status,"
                       " created_at, respond_by) VALUES (3, 'SKT-2026-000003', 'kargo', 'Kutu ezik', 'tr', 'c1', 'acik',"
                       " '2026-11-20 10:00', '2026-11-22 10:00')"))
    upgrade(engine, directory=MIGRATIONS)
    store = TicketStore(engine, SupportCalendar.from_settings("always"), parse_targets("*=8/24"))
    assert store.by_code("SKT-2026-000003").text == "Kutu ezik"
    # the id sequence was moved past the migrated ids: no clash with an explicit id
    fresh = store.open(NewTicket("complaint", "kargo", "tr", "yeni"), datetime(2026, 12, 3, 9, tzinfo=timezone.utc))
    assert fresh.id == 4 and fresh.code == "SKT-2026-000004"
    engine.dispose()
