"""Alembic environment of the desk: its own version table, so it shares a database with the store."""
from alembic import context

from actions.store.types import render_item
from bot.desk.models import Base
import bot.privacy.models  # noqa: F401  (so do the privacy tables)
import bot.studio.models  # noqa: F401  (the studio's tables share the desk's metadata)
import bot.tickets.models  # noqa: F401  (and the tickets')

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, render_item=render_item,
                      version_table="alembic_version_desk",
                      include_object=lambda obj, name, kind, *_: kind != "table" or name in Base.metadata.tables)
    with context.begin_transaction():
        context.run_migrations()
