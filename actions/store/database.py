"""Engine and session factory for the store database (SQLite by default, any SQLAlchemy URL)."""
import os
import threading
import weakref
from pathlib import Path
from typing import Tuple

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite:///"):
        # SQLAlchemy 1.4 opens a new connection per session for an SQLite file (NullPool); a pool
        # keeps them (each is used by one thread at a time, hence check_same_thread off).
        engine = create_engine(url, future=True, poolclass=QueuePool, connect_args={"check_same_thread": False})
    else:
        engine = create_engine(url, future=True, pool_pre_ping=True)  # a server may have dropped idle connections
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _configure(dbapi_connection, _record):
            dbapi_connection.execute("PRAGMA foreign_keys=ON")  # SQLite leaves them off by default
            # Erased or anonymised content is overwritten on disk, not left in free pages (KVKK).
            dbapi_connection.execute("PRAGMA secure_delete=ON")
            if url.startswith("sqlite:///"):
                # Write-ahead log: readers never wait for the writer (the bridge and the action
                # server share the file), and a commit needs no fsync of its own. A commit survives
                # any process crash or restart; only a power cut may lose the last moments.
                dbapi_connection.execute("PRAGMA journal_mode=WAL")
                dbapi_connection.execute("PRAGMA synchronous=NORMAL")
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, future=True, expire_on_commit=False)


# (process id, url) -> engine, kept while anyone uses it; a forked child builds its own.
_shared: "weakref.WeakValueDictionary[Tuple[int, str], Engine]" = weakref.WeakValueDictionary()
_shared_lock = threading.Lock()


def engine_for(url: str) -> Engine:
    """The process's one engine (and connection pool) for the database at `url`, so that the
    parts of a process that share a database (the desk, the shop's store, the follow-up job)
    share its connections too. An in-memory SQLite database lives in its engine: each call
    gets a new one."""
    if make_url(url).database in (None, "", ":memory:"):
        return make_engine(url)
    key = (os.getpid(), url)
    with _shared_lock:
        engine = _shared.get(key)
        if engine is None:
            engine = make_engine(url)
            _shared[key] = engine
        return engine
