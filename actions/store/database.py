"""Engine and session factory for the store database (SQLite by default, any SQLAlchemy URL)."""
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
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
