"""The store on PostgreSQL (the local server of this machine kind; skipped where there is none)."""
import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from actions.store.database import make_engine
from actions.store.seed import seed

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def postgres_schema():
    admin = create_engine(POSTGRES_URL, future=True)
    schema = f"kuzey_test_{uuid.uuid4().hex[:8]}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as error:
        pytest.skip(f"no PostgreSQL at {POSTGRES_URL}: {error.orig}")
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_seed_runs_twice_on_postgresql_without_duplicates(postgres_schema):
    engine = make_engine(postgres_schema)
    first = seed(engine)
    second = seed(engine)
    assert first.counts == second.counts and first.counts["orders"] == 220
    engine.dispose()
