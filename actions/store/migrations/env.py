"""Alembic environment: runs against the engine handed over in `config.attributes`."""
from alembic import context

from actions.store.models import Base
from actions.store.types import render_item

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    # Batch mode lets ALTER TABLE work on SQLite too.
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                      render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()
