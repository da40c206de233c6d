"""Dense sentence features from Google's multilingual Universal Sentence Encoder (v3).

Sparse n-gram features only know the words of our own training data; a pretrained encoder
knows that "kargocu paketi komşuya bırakmış" and "the courier left it with my neighbour" are
close to each other and far from "taksi çağır" (the encoder itself: bot/sentence_embeddings.py).

Only sentence features are added (the encoder has no per-token output); the intent classifier
and the ResponseSelector combine them with the sparse sequence and sentence features.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.sentence_embeddings import embed, sentence_encoder


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config()}

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        pass

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SentenceEncoderFeaturizer":
        return cls(config, execution_context.node_name)

    def __init__(self, config: Dict[Text, Any], name: Optional[Text] = None) -> None:
        super().__init__(name or "sentence_encoder", config)
        sentence_encoder()

    def process(self, messages: List[Message]) -> List[Message]:
        for attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
            featurized = [m for m in messages if isinstance(m.get(attribute), str) and m.get(attribute)]
            vectors = embed([m.get(attribute) for m in featurized])
            for message, vector in zip(featurized, vectors):
                self.add_features_to_message(None, vector[np.newaxis, :], attribute, message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
