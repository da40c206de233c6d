from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from actions.store.database import make_engine
from actions.store.migrate import upgrade
from actions.store.models import Base


def test_migrations_build_exactly_the_models(tmp_path):
    """Fails when a model changed without a migration (`python -m bot new-migration "..."`)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    upgrade(engine)  # a second run is a no-op
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
