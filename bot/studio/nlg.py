"""Rasa's responses with the knowledge base's answers taken from the live published version.

Configured in endpoints.yml (`nlg: type: bot.studio.nlg.LiveKnowledgeNLG`), so it runs inside the
Rasa server: Rasa's own templated generator over the model's domain, except that
`utter_faq/<topic>` comes from the version editors published last. An answer edit is live about a
second after publishing, with no training and no restart. Runs in Rasa rather than as a callback
server so that a response costs no extra HTTP hop and Rasa does not depend on another process.

What the model needs at training time: one class per `faq/<topic>`, learnt from the questions
(and titles) by our classifier, which also picks the topic (bot/nlu/sentence_classifier.py); and
Rasa only checks that each retrieval intent has an `utter_faq/<topic>` response in the domain.
Rasa's ResponseSelector, which this project used before, did the same with
`use_text_as_label: false` (its default): the answer texts were never features. So changing an
answer needs no new model; a new or retired topic, a question or a title does.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.trackers import DialogueStateTracker

from bot.knowledge import answer_responses
from bot.studio.live import LiveContent


class LiveKnowledgeNLG(TemplatedNaturalLanguageGenerator):
    """`responses` is what Rasa sets (the agent assigns the model's domain responses after loading
    a model, to the object made before it); reading it gives them with the live answers on top."""

    def __init__(self, endpoint_config: Any = None, domain: Any = None, database_url: Optional[str] = None) -> None:
        self._model_responses: Dict[str, List[Dict[str, Any]]] = {}
        self._live_answers: Dict[str, List[Dict[str, Any]]] = {}
        self._merged: Dict[str, List[Dict[str, Any]]] = {}
        super().__init__(dict(domain.responses) if domain is not None else {})
        self.live = LiveContent(database_url)
        self.live_version: Optional[int] = None

    @property
    def responses(self) -> Dict[str, List[Dict[str, Any]]]:
        return self._merged

    @responses.setter
    def responses(self, value: Dict[str, List[Dict[str, Any]]]) -> None:
        self._model_responses = dict(value or {})
        self._merge()

    def _merge(self) -> None:
        # Topics the version has and the model not cannot be predicted, so are harmless; topics
        # the model has and the version retired keep the model's answer until retrained.
        self._merged = {**self._model_responses, **self._live_answers}

    async def generate(self, utter_action: Text, tracker: DialogueStateTracker, output_channel: Text,
                       **kwargs: Any) -> Optional[Dict[Text, Any]]:
        content = self.live.current()
        if self.live.version_id != self.live_version:
            answers = {name: document.get("answer") or {} for name, document in content.items()}
            self._live_answers, self.live_version = answer_responses(answers), self.live.version_id
            self._merge()
        return await super().generate(utter_action, tracker, output_channel, **kwargs)
