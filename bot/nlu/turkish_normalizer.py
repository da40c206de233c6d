"""Writes a Turkish-aware, accent-folded form of every token into `token.lemma`.

CountVectorsFeaturizer reads `token.lemma` (use_lemma defaults to true) and lower-cases it
with `str.lower()`, which breaks `İ`/`I`. Folding here makes `SİPARİŞİM`, `SIPARISIM` and
`siparişim` one feature, while `token.text` and the entity offsets stay untouched. Digits are
masked so that "an order number" is one feature rather than thousands of unseen numbers.
"""
from __future__ import annotations

import re
from typing import Any, Dict, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.component import MessageProcessor
from bot.text import fold

_DIGIT = re.compile(r"\d")
_EMAIL = re.compile(r"^\S+@\S+\.\w+$")
# `400142'nin`, `kargom'un`: the suffix after an apostrophe carries no topic.
_APOSTROPHE_SUFFIX = re.compile(r"['’`´].*$")


def token_lemma(token_text: str) -> str:
    folded = fold(token_text)
    if _EMAIL.match(folded):
        return "emailadresi"
    folded = _APOSTROPHE_SUFFIX.sub("", folded) or folded
    return _DIGIT.sub("0", folded)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False
)
class TurkishNormalizer(MessageProcessor):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    def process_message(self, message: Message, training: bool) -> None:
        for attribute_tokens in set(TOKENS_NAMES.values()):
            for token in message.get(attribute_tokens) or []:
                token.lemma = token_lemma(token.text)
