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
