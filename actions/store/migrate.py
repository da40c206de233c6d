"""Alembic migrations of the store database (actions/store/migrations/), driven from code.

`upgrade(engine)` brings any database to the newest schema; the seed calls it first.
After a model change: `.venv/bin/python -m bot new-migration "what changed"`. The migrations
folder is deliberately not a Python package: the action server imports every module of the
`actions` package, and Alembic's scripts must only run under Alembic.
"""
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def new_migration(message: str) -> None:
    """Writes a migration from the difference between the models and the newest migration."""
    from actions.store.database import make_engine

    scratch = make_engine("sqlite://")
    upgrade(scratch)
    command.revision(alembic_config(scratch), message=message, autogenerate=True)
