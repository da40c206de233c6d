"""Neutralises `/intent{...}` shortcuts in what shoppers type.

Rasa's RegexMessageHandler (last in every NLU graph) turns a message starting with `/` into
an intent with entities, skipping NLU and any verification. This component runs first and
blanks the leading slashes, keeping the text's length so entity offsets still fit the
original message; the handler then finds nothing to unpack and NLU classifies the words.
"""
from __future__ import annotations

import re
from typing import Any, Dict, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.component import MessageProcessor

LEADING_SLASHES = re.compile(r"^[\s/]*/[\s/]*")


def neutralise_slash_command(text: str) -> str:
    """`/inform{"email": "x"}` -> `` inform{"email": "x"}`` (same length, no leading slash)."""
    return LEADING_SLASHES.sub(lambda match: " " * len(match.group()), text)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False
)
class SlashCommandGuard(MessageProcessor):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    def process_message(self, message: Message, training: bool) -> None:
        text = message.get(TEXT)
        if not training and isinstance(text, str) and text.lstrip().startswith("/"):
            message.set(TEXT, neutralise_slash_command(text))
