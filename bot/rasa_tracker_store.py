"""Rasa's conversation trackers in the project's own database, so that a conversation survives a
model swap (`PUT /model` builds a new agent with a new tracker store) and a restart of the Rasa
server. Rasa's default, the in-memory tracker store, loses every conversation in both cases.

endpoints.yml:

    tracker_store:
      type: bot.rasa_tracker_store.ProjectTrackerStore

The connection is DATABASE_URL (rasa_env passes Settings.store_database_url: SQLite under
`state/` by default, PostgreSQL when DATABASE_URL is a postgresql URL); a `url:` in the endpoint
overrides it. Rasa keeps one row per event in its table `events` (SQLTrackerStore.SQLEvent) and
creates it itself (`create_all`, at start-up and at every `PUT /model`). No table of ours is
called `events` (the desk's is `handoff_events`), and no migration touches it: the desk's Alembic
environment only includes its own tables, the store's only runs its own scripts and autogenerates
new ones against a scratch database (actions/store/migrate.py).
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Dict, Optional, Text

from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain

log = logging.getLogger(__name__)
_engines: Dict[str, Engine] = {}


def database_url() -> str:
    """DATABASE_URL, else the project's default database (when Rasa is started by hand)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from bot.settings import get_settings

    return get_settings().store_database_url


def rasa_parameters(url: str) -> Dict[str, Any]:
    """An SQLAlchemy URL as SQLTrackerStore's keyword arguments (dialect, host, port, db, ...)."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() == "sqlite":
        # Rasa would fall back to a `rasa.db` in the working directory; an in-memory database
        # would keep nothing across a restart (and is one database per pooled connection).
        if not database or database == ":memory:":
            raise ValueError(f"the tracker store needs an SQLite file, not {url!r}")
        # Absolute, resolved as every other engine of the project resolves it (from the working
        # directory), so Rasa's log and a later chdir cannot point it at another file.
        database = str(Path(database).expanduser().resolve())
    return {
        "dialect": parsed.drivername,  # keeps the driver: postgresql+psycopg2
        "host": parsed.host,
        "port": parsed.port,
        "db": database,
        "username": parsed.username,
        "password": parsed.password,  # already unquoted; Rasa's URL quotes it again
        "query": dict(parsed.query) or None,  # e.g. options=-csearch_path=<schema> on PostgreSQL
    }


def project_engine(url: str) -> Engine:
    """One engine per database and process. `PUT /model` builds a new agent with a new tracker
    store and never closes the old one, whose pooled connections would stay open until garbage
    collection: one pool for all of them."""
    if url not in _engines:
        from actions.store.database import make_engine

        _engines[url] = make_engine(url)
    return _engines[url]


class ProjectTrackerStore(SQLTrackerStore):
    """SQLTrackerStore on DATABASE_URL, with the project's engine settings for that database."""

    def __init__(self, domain: Optional[Domain] = None, host: Optional[Text] = None,
                 event_broker: Optional[EventBroker] = None, **kwargs: Any) -> None:
        # Rasa passes the endpoint's `url:` as `host` (None without one).
        url = host or database_url()
        parameters = rasa_parameters(url)
        # Made first: it also creates the SQLite file's folder, which Rasa's create_all needs.
        engine = project_engine(SQLTrackerStore.get_db_url(**parameters).render_as_string(hide_password=False))
        super().__init__(domain=domain, event_broker=event_broker, **parameters, **kwargs)
        # Rasa's own engine has SQLite's defaults: a new connection (file open, schema read) per
        # session, an fsync per commit (synchronous=FULL), and the rollback journal, where a writer
        # blocks the readers of the file, unless another process already switched it to WAL. The
        # project's engine (actions/store/database.py, as the bridge and the action server use on
        # the same file) pools connections, sets WAL with synchronous=NORMAL (sqlite3's 5 s busy
        # timeout stays), and pre-pings PostgreSQL connections a server may have dropped.
        rasa_engine, self.engine = self.engine, engine
        self.sessionmaker = sessionmaker(bind=self.engine)
        rasa_engine.dispose()
        log.info("Conversation trackers in %r (table `events`)", self.engine.url)
