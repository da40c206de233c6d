"""Intent classifier: a logistic regression on the sentence embedding and character n-grams.

Measured against DIET and Rasa's own LogisticRegressionClassifier on the second held-out set
(`results/nlu_ablation.md`): DIET learns our phrasing by heart and answers other phrasing with
confidence; Rasa's regression sums raw n-gram counts, so a long message's many n-grams outweigh
its meaning and long complaints, stories and out-of-scope requests all drift to one intent. Here
both parts are L2-normalised — the multilingual sentence embedding (meaning, across Turkish and
English) and TF-IDF character n-grams of the Turkish-folded tokens (slang, typos, words the
encoder does not know) — so a message's length does not decide its intent. Its probabilities are
calibrated enough for the FallbackClassifier's threshold to turn doubtful answers into questions.
"""
from __future__ import annotations

import pickle
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, RESPONSE_IDENTIFIER_DELIMITER as RETRIEVAL_SEPARATOR, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy import sparse

from bot.sentence_embeddings import EMBEDDING_SIZE

MODEL_FILE = "sentence_classifier.pickle"


def folded_text(message: Message) -> str:
    """The message as the TurkishNormalizer's lemmas: `SİPARİŞİM 400142'nin` -> `siparisim 000000`."""
    return " ".join(token.lemma or token.text for token in message.get(TOKENS_NAMES[TEXT]) or [])


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class SentenceIntentClassifier(IntentClassifier, GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "C": 10.0,             # weak regularisation: the features are few and normalised
            "min_ngram": 2,
            "max_ngram": 4,
            "ranking_length": 10,
            # Also choose the retrieval intent's response (the FAQ topic) from the same model, in
            # the shape of Rasa's ResponseSelector output, so that no ResponseSelector is needed.
            "select_responses": False,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 fitted: Optional[tuple] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._ngrams, self._model = fitted or (None, None)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SentenceIntentClassifier":
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "SentenceIntentClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                fitted = pickle.loads((directory / MODEL_FILE).read_bytes())
        except (ValueError, FileNotFoundError):
            fitted = None  # trained on no intent examples
        return cls(config, model_storage, resource, fitted)

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            return self._resource
        self._ngrams = TfidfVectorizer(analyzer="char_wb", lowercase=False, sublinear_tf=True,
                                       ngram_range=(self.config["min_ngram"], self.config["max_ngram"]))
        self._ngrams.fit([folded_text(e) for e in examples])
        self._model = LogisticRegression(C=self.config["C"], max_iter=3000, random_state=42)
        # FAQ topics as classes of their own: "faq" as one class would mix twelve unrelated
        # subjects; their probabilities are added up again for the intent.
        self._model.fit(self._features(examples), [e.get_full_intent() for e in examples])
        with self._model_storage.write_to(self._resource) as directory:
            (directory / MODEL_FILE).write_bytes(pickle.dumps((self._ngrams, self._model)))
        return self._resource

    def _features(self, messages: List[Message]) -> sparse.csr_matrix:
        dense = []
        for message in messages:
            sentence = message.get_dense_features(TEXT)[1]
            # zeros where no sentence encoder ran (an ablation without it)
            dense.append(sentence.features[0] if sentence is not None else np.zeros(EMBEDDING_SIZE, dtype=np.float32))
        ngrams = self._ngrams.transform([folded_text(m) for m in messages])
        return sparse.hstack([sparse.csr_matrix(np.vstack(dense)), ngrams]).tocsr()

    def process(self, messages: List[Message]) -> List[Message]:
        if self._model is None or not messages:
            return messages
        probabilities = self._model.predict_proba(self._features(messages))
        intents = [str(name).split(RETRIEVAL_SEPARATOR, 1)[0] for name in self._model.classes_]
        for message, row in zip(messages, probabilities):
            by_intent: Dict[str, float] = {}
            for intent, p in zip(intents, row):
                by_intent[intent] = by_intent.get(intent, 0.0) + float(p)
            ranking = sorted(({"name": name, "confidence": p} for name, p in by_intent.items()),
                             key=lambda r: -r["confidence"])[: self.config["ranking_length"]]
            message.set("intent", ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
            if self.config["select_responses"]:
                self._select_response(message, row)
        return messages

    def _select_response(self, message: Message, row: np.ndarray) -> None:
        """The topic within each retrieval intent, as Rasa's ResponseSelector reports it
        (`response_selector.<intent>`: the chosen response and a ranking), with the topic's
        probability given its intent as the confidence. Deterministic, unlike the TensorFlow
        ResponseSelector it replaces, and it trains in seconds instead of minutes."""
        selectors: Dict[str, Any] = {}
        for retrieval_intent in sorted({str(c).split(RETRIEVAL_SEPARATOR, 1)[0] for c in self._model.classes_
                                        if RETRIEVAL_SEPARATOR in str(c)}):
            members = [(str(name), float(p)) for name, p in zip(self._model.classes_, row)
                       if str(name).startswith(retrieval_intent + RETRIEVAL_SEPARATOR)]
            total = sum(p for _, p in members) or 1.0
            ranking = sorted(({"confidence": p / total, "intent_response_key": name} for name, p in members),
                             key=lambda r: -r["confidence"])[: self.config["ranking_length"]]
            top = ranking[0]
            selectors[retrieval_intent] = {
                "response": {"responses": None, "confidence": top["confidence"],
                             "intent_response_key": top["intent_response_key"],
                             "utter_action": f"utter_{top['intent_response_key']}"},
                "ranking": ranking,
            }
        if selectors:
            message.set("response_selector", {"all_retrieval_intents": sorted(selectors), **selectors}, add_to_output=True)
