"""Rasa's responses with the knowledge base's answers taken from the live published version.

Configured in endpoints.yml (`nlg: type: bot.studio.nlg.LiveKnowledgeNLG`), so it runs inside the
Rasa server: Rasa's own templated generator over the model's domain, except that
`utter_faq/<topic>` comes from the version editors published last. An answer edit is live about a
second after publishing, with no training and no restart. Runs in Rasa rather than as a callback
server so that a response costs no extra HTTP hop and Rasa does not depend on another process.

What the model still needs at training time: the ResponseSelector learns one class per
`faq/<topic>` from the questions (`use_text_as_label` is off), and Rasa only checks that each
retrieval intent has an `utter_faq/<topic>` response in the domain. The answer texts themselves
are not features, so changing them needs no new model; a new or retired topic does.
"""
from __future__ import annotations

import logging
import os
import time
from typing import Any, Dict, List, Optional, Text

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.trackers import DialogueStateTracker

log = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 1.0
LIVE_VERSION = text("SELECT id FROM kb_versions WHERE status = 'live' ORDER BY id DESC LIMIT 1")
VERSION_CONTENT = text("SELECT content FROM kb_versions WHERE id = :id")


def answer_responses(content: Dict[str, Any]) -> Dict[str, List[Dict[str, Any]]]:
    """`utter_faq/<topic>` of a published version, shaped like bot.knowledge.faq_responses."""
    responses = {}
    for name, document in content.items():
        answer = document.get("answer") or {}
        responses[f"utter_faq/{name}"] = [
            {"text": answer.get("tr", "")},
            {"text": answer.get("en", ""), "condition": [{"type": "slot", "name": "language", "value": "en"}]},
        ]
    return responses


class LiveVersion:
    """The live version's answers, re-read when another version goes live (checked once a second)."""

    def __init__(self, database_url: str):
        self.engine = create_engine(database_url, future=True) if database_url else None
        self.version_id: Optional[int] = None
        self.responses: Dict[str, List[Dict[str, Any]]] = {}
        self.checked_at = 0.0

    def current(self) -> Dict[str, List[Dict[str, Any]]]:
        now = time.monotonic()
        if self.engine is None or now - self.checked_at < CHECK_EVERY_SECONDS:
            return self.responses
        self.checked_at = now
        try:  # one indexed row on a local database: well under a millisecond
            with self.engine.connect() as connection:
                live = connection.execute(LIVE_VERSION).scalar()
                if live is not None and live != self.version_id:
                    import json

                    content = connection.execute(VERSION_CONTENT, {"id": live}).scalar()
                    content = json.loads(content) if isinstance(content, str) else content
                    self.responses, self.version_id = answer_responses(content or {}), live
                    log.info("knowledge base version %s is live", live)
        except SQLAlchemyError as error:  # no studio yet (Rasa without the bridge) or the database is away
            log.debug("live knowledge base not readable, answering from the model: %s", error)
        return self.responses


class LiveKnowledgeNLG(TemplatedNaturalLanguageGenerator):
    def __init__(self, endpoint_config: Any = None, domain: Any = None, database_url: Optional[str] = None) -> None:
        super().__init__(dict(domain.responses) if domain is not None else {})
        self.model_responses = self.responses
        self.live = LiveVersion(database_url if database_url is not None else os.environ.get("DATABASE_URL", ""))

    async def generate(self, utter_action: Text, tracker: DialogueStateTracker, output_channel: Text,
                       **kwargs: Any) -> Optional[Dict[Text, Any]]:
        live = self.live.current()
        # Topics the live version has and the model not (cannot be predicted) are harmless;
        # topics the model has and the version retired keep the model's answer until retrained.
        self.responses = {**self.model_responses, **live} if live else self.model_responses
        return await super().generate(utter_action, tracker, output_channel, **kwargs)
