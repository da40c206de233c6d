"""Reads the knowledge base's live version from the project's database, at most once a second.

Used inside the Rasa server (answers, bot/studio/nlg.py) and the action server (topic titles
for suggestions), which learn of a new version this way without a restart.
"""
from __future__ import annotations

import json
import logging
import os
import time
from typing import Any, Dict, Optional

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 1.0
LIVE_VERSION = text("SELECT id FROM kb_versions WHERE status = 'live' ORDER BY id DESC LIMIT 1")
VERSION_CONTENT = text("SELECT content FROM kb_versions WHERE id = :id")


_engines: Dict[str, Engine] = {}


def _engine(url: str) -> Engine:
    """One small engine per database and process: Rasa makes a new generator for every model it
    loads and never closes the old one."""
    if url not in _engines:
        _engines[url] = create_engine(url, future=True, pool_size=1, max_overflow=1) if not url.startswith("sqlite") \
            else create_engine(url, future=True)
    return _engines[url]


class LiveContent:
    def __init__(self, database_url: Optional[str] = None):
        url = database_url if database_url is not None else os.environ.get("DATABASE_URL", "")
        self.engine = _engine(url) if url else None
        self.version_id: Optional[int] = None
        self.content: Dict[str, Any] = {}  # {topic: {"title", "questions", "answer"}}; empty until read
        self.checked_at = -CHECK_EVERY_SECONDS

    def current(self) -> Dict[str, Any]:
        now = time.monotonic()
        if self.engine is None or now - self.checked_at < CHECK_EVERY_SECONDS:
            return self.content
        self.checked_at = now
        try:  # one indexed row on a local database: well under a millisecond
            with self.engine.connect() as connection:
                live = connection.execute(LIVE_VERSION).scalar()
                if live is not None and live != self.version_id:
                    content = connection.execute(VERSION_CONTENT, {"id": live}).scalar()
                    self.content = json.loads(content) if isinstance(content, str) else (content or {})
                    self.version_id = live
                    log.info("knowledge base version %s is live", live)
        except SQLAlchemyError as error:  # no studio yet (Rasa without the bridge) or the database is away
            log.debug("live knowledge base not readable, keeping what we have: %s", error)
        return self.content
