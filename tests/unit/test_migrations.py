import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from actions.store.database import make_engine
from actions.store.migrate import upgrade
from actions.store.models import Base as StoreBase
from bot.desk.models import Base as DeskBase
from bot.desk.store import MIGRATIONS as DESK_MIGRATIONS


def _tables_of(metadata):
    return lambda obj, name, kind, *_: kind != "table" or name in metadata.tables


@pytest.mark.parametrize("metadata", [StoreBase.metadata, DeskBase.metadata], ids=["store", "desk"])
def test_migrations_build_exactly_the_models_in_one_shared_database(tmp_path, metadata):
    """Fails when a model changed without a migration (`python -m bot new-migration "..."`).

    The store and the desk share a database, each with its own version table."""
    engine = make_engine(f"sqlite:///{tmp_path / 'kuzey.db'}")
    for _ in range(2):  # a second run is a no-op
        upgrade(engine)
        upgrade(engine, directory=DESK_MIGRATIONS)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": _tables_of(metadata)})
        assert compare_metadata(context, metadata) == []
