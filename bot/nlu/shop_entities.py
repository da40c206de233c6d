"""Rasa entity extractor for `order_no`, `email`, `rma_code`, `ticket_code` and the shopper's `language`."""
from __future__ import annotations

from typing import Any, Dict, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.language import message_language
from bot.nlu.component import MessageProcessor
from bot.patterns import find_entities

METADATA = "metadata"


def _entity(name: str, value: str, start: int, end: int, extractor: str) -> Dict[str, Any]:
    return {
        ENTITY_ATTRIBUTE_TYPE: name,
        ENTITY_ATTRIBUTE_VALUE: value,
        ENTITY_ATTRIBUTE_START: start,
        ENTITY_ATTRIBUTE_END: end,
        ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
        EXTRACTOR: extractor,
    }


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
class ShopEntityExtractor(MessageProcessor):
    """Deterministic extraction: these values have fixed shapes and must never be missed.

    The `language` entity (page language from the metadata, else the message's words) fills
    the `language` slot, which picks the Turkish or English variation of every response.
    It spans no text (start = end = 0).
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    def process_message(self, message: Message, training: bool) -> None:
        if training:
            return
        text = message.get(TEXT) or ""
        name = self.__class__.__name__
        entities = [
            e for e in message.get(ENTITIES, []) if e.get(ENTITY_ATTRIBUTE_TYPE) != "language"
        ]
        entities += [_entity(m.entity, m.value, m.start, m.end, name) for m in find_entities(text)]
        language = message_language(text, message.get(METADATA))
        if language:
            entities.append(_entity("language", language, 0, 0, name))
        message.set(ENTITIES, entities, add_to_output=True)
