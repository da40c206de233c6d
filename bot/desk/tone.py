"""How angry or fed up a message sounds, learned from labelled examples.

The word lists of `data/frustration.yml` name what they find, but real shoppers say "sabrım
kalmadı", "hiç beklemezdim sizden" or "this bot is a joke" in more ways than any list holds. A
logistic regression on the multilingual sentence encoder's embeddings (the same encoder the NLU
uses) generalises across wordings and across Turkish and English; character n-grams of the
folded text beside them catch slang and misspellings the encoder has never seen. It is one more
named signal of the scorer ("tone"), so an agent still sees why a chat was escalated.

It learns from `data/frustration_examples.yml` (angry and calm complaints) and, as calm
examples, from the assistant's own training texts of the intents that are never angry by nature
(greetings, thanks, FAQ questions, order numbers...): without them "tmm saol" or "faturayı avukatlık
bürosu adına kesebilir misiniz" sounded angry to it. The fitted model is cached by a hash of its
inputs under build/, so the bridge starts fast and an edit of the examples retrains it.
Cost: about 2.4 ms of the bridge's CPU per shopper message (2.8 ms per score against 0.3 ms for
the word lists alone, measured on this project's 2-core machines).
"""
from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import List, Sequence, Tuple

import numpy as np
import yaml
from scipy import sparse

from bot.sentence_embeddings import embed
from bot.nlu_data import faq_questions, nlu_examples
from bot.settings import PROJECT_ROOT
from bot.text import fold

EXAMPLES = PROJECT_ROOT / "data" / "frustration_examples.yml"
CACHE_DIR = PROJECT_ROOT / "build" / "tone"
# Intents whose training texts are calm by nature (besides every FAQ question); the others
# (orders, returns, complaints...) are often told with feeling and are left out.
CALM_BY_NATURE = frozenset({"greet", "goodbye", "thank", "affirm", "inform", "bot_challenge"})
# scikit-learn's C; with it and min_probability 0.7 in data/frustration.yml the tuning set
# (tests/frustration/labelled.yml) had the fewest false alarms at the same recall.
REGULARISATION = 10.0


def load_examples(path: Path = EXAMPLES) -> List[Tuple[str, bool]]:
    rows = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["examples"]
    examples = [(str(row["text"]), bool(row["frustrated"])) for row in rows]
    if len({label for _, label in examples}) < 2:
        raise ValueError(f"{path}: the tone model needs both frustrated and calm examples")
    return examples


def calm_assistant_texts() -> List[str]:
    return [text for intent, text in nlu_examples() + faq_questions()
            if intent in CALM_BY_NATURE or intent.startswith("faq/")]


class ToneModel:
    def __init__(self, examples_path: Path = EXAMPLES):
        examples = load_examples(examples_path) + [(text, False) for text in calm_assistant_texts()]
        key = hashlib.sha256(pickle.dumps((examples, REGULARISATION, Path(__file__).read_bytes()))).hexdigest()[:16]
        cached = CACHE_DIR / f"tone-{key}.pickle"
        if cached.exists():
            self._ngrams, self._model = pickle.loads(cached.read_bytes())
        else:
            self._ngrams, self._model = _fit(examples)
            CACHE_DIR.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(f".{os.getpid()}.tmp")  # bridges starting together
            partial.write_bytes(pickle.dumps((self._ngrams, self._model)))
            partial.replace(cached)

    def probability(self, text: str) -> float:
        """0..1: how likely a support lead would call this message frustrated."""
        return self.probabilities([text])[0]

    def probabilities(self, texts: Sequence[str]) -> List[float]:
        features = _features(self._ngrams, list(texts))
        return [float(p) for p in self._model.predict_proba(features)[:, 1]]


def _fit(examples: List[Tuple[str, bool]]):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts = [text for text, _ in examples]
    ngrams = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), preprocessor=fold, sublinear_tf=True, min_df=2)
    ngrams.fit(texts)
    model = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=3000)
    model.fit(_features(ngrams, texts), np.array([frustrated for _, frustrated in examples]))
    return ngrams, model


def _features(ngrams, texts: List[str]) -> sparse.csr_matrix:
    # The encoder reads the text as written (it knows Turkish with its letters; folded text gave
    # more false alarms on the tuning set); the n-grams read it folded.
    return sparse.hstack([sparse.csr_matrix(embed(texts)), ngrams.transform(texts)]).tocsr()
