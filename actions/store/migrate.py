"""Alembic migrations driven from code, for the store (actions/store/migrations/) and, with
another folder, the support desk (bot/desk/migrations/).

`upgrade(engine)` brings any database to the newest schema; the seed calls it first.
After a model change: `.venv/bin/python -m bot new-migration "what changed"`. The migrations
folders are deliberately not Python packages: the action server imports every module of the
`actions` package, and Alembic's scripts must only run under Alembic.
"""
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine, directory: Path = MIGRATIONS_DIR) -> Config:
    config = Config()
    config.set_main_option("script_location", str(directory))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head", directory: Path = MIGRATIONS_DIR) -> None:
    command.upgrade(alembic_config(engine, directory), revision)


def new_migration(message: str, directory: Path = MIGRATIONS_DIR) -> None:
    """Writes a migration from the difference between the models and the newest migration."""
    from actions.store.database import make_engine

    scratch = make_engine("sqlite://")
    upgrade(scratch, directory=directory)
    command.revision(alembic_config(scratch, directory), message=message, autogenerate=True)
