"""DATABASE_URL -> Rasa's SQLTrackerStore parameters, and the tracker store on a real SQLite file
beside the project's own tables."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from actions.store.database import make_engine
from actions.store.migrate import upgrade
from actions.store.models import Base as StoreBase
from bot.desk.models import Base as DeskBase
from bot.desk.store import MIGRATIONS as DESK_MIGRATIONS
from bot.rasa_tracker_store import ProjectTrackerStore, rasa_parameters
from bot.settings import Settings
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, SlotSet, UserUttered
from tests.asyncio_thread import run_async


def rendered(parameters):
    """The URL Rasa builds from the parameters."""
    return SQLTrackerStore.get_db_url(**parameters).render_as_string(hide_password=False)


def test_the_default_sqlite_file_maps_to_its_absolute_path(tmp_path):
    url = Settings(state_dir=tmp_path / "state").store_database_url
    parameters = rasa_parameters(url)
    assert parameters == {"dialect": "sqlite", "host": None, "port": None, "db": str(tmp_path / "state" / "kuzey.db"),
                          "username": None, "password": None, "query": None}
    assert rendered(parameters) == url


def test_a_relative_sqlite_path_is_made_absolute_from_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    parameters = rasa_parameters("sqlite:///state/kuzey.db")
    assert parameters["db"] == str(tmp_path.resolve() / "state" / "kuzey.db")


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_sqlite_database_is_refused(url):
    # Rasa would silently use `rasa.db` (for "sqlite://"), or keep nothing across a restart.
    with pytest.raises(ValueError):
        rasa_parameters(url)


def test_a_postgresql_url_maps_to_every_part():
    url = "postgresql://kuzey:p%40ss%3Aw%2Frd@db.example:6543/kuzey?options=-csearch_path%3Dsupport"
    parameters = rasa_parameters(url)
    assert parameters == {"dialect": "postgresql", "host": "db.example", "port": 6543, "db": "kuzey",
                          "username": "kuzey", "password": "p@ss:w/rd",
                          "query": {"options": "-csearch_path=support"}}
    assert make_url(rendered(parameters)) == make_url(url)


def test_a_postgresql_url_keeps_its_driver_and_defaults():
    parameters = rasa_parameters("postgresql+psycopg2://postgres@127.0.0.1/test")
    assert parameters == {"dialect": "postgresql+psycopg2", "host": "127.0.0.1", "port": None, "db": "test",
                          "username": "postgres", "password": None, "query": None}
    assert rendered(parameters) == "postgresql+psycopg2://postgres@127.0.0.1/test"


DOMAIN = Domain.from_yaml("""
version: "3.1"
slots:
  order_no: {type: text, mappings: [{type: custom}]}
forms:
  order_status_form: {required_slots: [order_no]}
""")


def test_trackers_live_in_the_projects_database_beside_its_tables(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'state' / 'kuzey.db'}"  # the folder does not exist yet
    monkeypatch.setenv("DATABASE_URL", url)
    engine = make_engine(url)
    upgrade(engine)
    upgrade(engine, directory=DESK_MIGRATIONS)

    async def converse():
        store = ProjectTrackerStore(domain=DOMAIN)
        tracker = await store.get_or_create_tracker("shopper-1")
        tracker.update_with_events([UserUttered("400142 nolu siparişim nerede"), SlotSet("order_no", "400142"),
                                    ActiveLoop("order_status_form")], DOMAIN)
        await store.save(tracker)
        store.engine.dispose()  # nothing kept in open connections
        # A new store, as after a `PUT /model`: the same pool, not one more per model swap.
        swapped = ProjectTrackerStore(domain=DOMAIN)
        assert swapped.engine is store.engine
        return await swapped.retrieve("shopper-1")

    again = run_async(converse)
    assert again.get_slot("order_no") == "400142" and again.active_loop_name == "order_status_form"

    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("SELECT count(DISTINCT sender_id) FROM events")).scalar() == 1
    # Rasa's table changes nothing for the migrations: both still run and match their models.
    upgrade(engine)
    upgrade(engine, directory=DESK_MIGRATIONS)
    assert "events" in inspect(engine).get_table_names()
    for metadata in (StoreBase.metadata, DeskBase.metadata):
        assert "events" not in metadata.tables
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "include_object": lambda obj, name, kind, *_, m=metadata: kind != "table" or name in m.tables})
            assert compare_metadata(context, metadata) == []
    engine.dispose()
