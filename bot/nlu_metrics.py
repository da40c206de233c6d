"""NLU quality figures on the held-out test sets, as pure functions over cases and predictions.

A prediction is *correct* when its intent (and, for `faq`, its topic) is the expected one; a
*fallback* (`nlu_fallback`) asks the shopper back, which is a miss but an honest one; every other
miss is *confidently wrong*: the assistant answers a question that was not asked.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

import yaml
from sklearn.metrics import f1_score

ENTITY_TYPES = ("order_no", "email", "rma_code")
STYLES = ("plain", "no_diacritics", "capitals", "typo", "slang", "long", "mixed", "english")
LANGUAGES = ("tr", "en")
FALLBACK = "nlu_fallback"


@dataclass(frozen=True)
class Case:
    text: str
    intent: str
    style: str
    topic: Optional[str] = None
    entities: Tuple[Tuple[str, str], ...] = ()
    lang: str = ""

    @property
    def language(self) -> str:
        return self.lang or ("en" if self.style == "english" else "tr")

    @property
    def label(self) -> str:
        return self.intent + (f"/{self.topic}" if self.topic else "")


@dataclass(frozen=True)
class Prediction:
    intent: str
    topic: Optional[str] = None
    entities: Tuple[Tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        return self.intent + (f"/{self.topic}" if self.intent == "faq" and self.topic else "")


def is_correct(case: Case, prediction: Prediction) -> bool:
    return case.intent == prediction.intent and (case.intent != "faq" or case.topic == prediction.topic)


def load_cases(path: Path) -> List[Case]:
    cases = []
    for row in yaml.safe_load(path.read_text(encoding="utf-8")):
        entities = tuple(sorted((name, str(value)) for name, value in (row.get("entities") or {}).items()))
        cases.append(Case(row["text"], row["intent"], row["style"], row.get("topic"), entities, row.get("lang", "")))
    return cases


def prediction_from_parse(parse: Dict[str, Any]) -> Prediction:
    """Reads Rasa's `/model/parse` answer."""
    intent = (parse.get("intent") or {}).get("name") or "none"
    topic = _selected_topic(parse)
    entities = tuple(sorted(
        (e["entity"], str(e["value"])) for e in parse.get("entities") or [] if e.get("entity") in ENTITY_TYPES
    ))
    return Prediction(intent, topic, entities)


def _intent_scores(pairs: Sequence[Tuple[Case, Prediction]]) -> Dict[str, Any]:
    """Intent accuracy and macro-F1 (intent only), and the share answered correctly, asked back
    (fallback) or answered confidently wrong (intent and topic)."""
    truth = [c.intent for c, _ in pairs]
    predicted = [p.intent for _, p in pairs]
    correct = sum(t == p for t, p in zip(truth, predicted))
    macro_f1 = f1_score(truth, predicted, labels=sorted(set(truth)), average="macro", zero_division=0)
    answered_right = sum(is_correct(c, p) for c, p in pairs)
    fallbacks = sum(p.intent == FALLBACK for _, p in pairs)
    return {"n": len(pairs), "accuracy": correct / len(pairs), "macro_f1": float(macro_f1),
            "correct": answered_right / len(pairs), "fallback_rate": fallbacks / len(pairs),
            "confidently_wrong_rate": (len(pairs) - answered_right - fallbacks) / len(pairs)}


def _per_intent(pairs: Sequence[Tuple[Case, Prediction]]) -> Dict[str, Dict[str, Any]]:
    """Precision, recall and F1 per expected intent (topics folded into `faq`)."""
    scores = {}
    for intent in sorted({c.intent for c, _ in pairs}):
        tp = sum(c.intent == intent and p.intent == intent for c, p in pairs)
        support = sum(c.intent == intent for c, _ in pairs)
        predicted = sum(p.intent == intent for _, p in pairs)
        precision = tp / predicted if predicted else 0.0
        recall = tp / support
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        fallbacks = sum(c.intent == intent and p.intent == FALLBACK for c, p in pairs)
        scores[intent] = {"n": support, "precision": precision, "recall": recall, "f1": f1,
                          "fallback_rate": fallbacks / support}
    return scores


def _confusions(pairs: Sequence[Tuple[Case, Prediction]], top: int = 15) -> List[Dict[str, Any]]:
    """The most frequent expected -> predicted mistakes, fallbacks left out."""
    counts: Dict[Tuple[str, str], int] = defaultdict(int)
    for case, prediction in pairs:
        if not is_correct(case, prediction) and prediction.intent != FALLBACK:
            counts[(case.label, prediction.label)] += 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"expected": e, "predicted": p, "count": n} for (e, p), n in ordered[:top]]


def _entity_scores(pairs: Sequence[Tuple[Case, Prediction]]) -> Dict[str, Dict[str, float]]:
    counts = {name: {"tp": 0, "fp": 0, "fn": 0} for name in ENTITY_TYPES}
    for case, prediction in pairs:
        gold: Set[Tuple[str, str]] = set(case.entities)
        found: Set[Tuple[str, str]] = set(prediction.entities)
        for name, _ in found & gold:
            counts[name]["tp"] += 1
        for name, _ in found - gold:
            counts[name]["fp"] += 1
        for name, _ in gold - found:
            counts[name]["fn"] += 1
    scores = {}
    for name, c in counts.items():
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
        scores[name] = {"precision": precision, "recall": recall, "support": c["tp"] + c["fn"]}
    return scores


def compute_metrics(cases: Sequence[Case], predictions: Sequence[Prediction]) -> Dict[str, Any]:
    pairs = list(zip(cases, predictions))
    by_style: Dict[str, List[Tuple[Case, Prediction]]] = defaultdict(list)
    by_language: Dict[str, List[Tuple[Case, Prediction]]] = defaultdict(list)
    for case, prediction in pairs:
        by_style[case.style].append((case, prediction))
        by_language[case.language].append((case, prediction))
    out_of_scope = [(c, p) for c, p in pairs if c.intent == "out_of_scope"]
    faq = [(c, p) for c, p in pairs if c.intent == "faq"]
    topic_correct = sum(p.intent == "faq" and p.topic == c.topic for c, p in faq)
    topic_given_faq = [(c, p) for c, p in faq if p.intent == "faq"]
    errors = [
        {"text": c.text, "style": c.style, "expected": c.label, "predicted": p.label}
        for c, p in pairs if not is_correct(c, p)
    ]
    return {
        "intent": _intent_scores(pairs),
        "intent_by_style": {style: _intent_scores(by_style[style]) for style in STYLES if by_style[style]},
        "by_language": {lang: _intent_scores(by_language[lang]) for lang in LANGUAGES if by_language[lang]},
        "per_intent": _per_intent(pairs),
        "confusions": _confusions(pairs),
        "out_of_scope_recall": (
            sum(p.intent == "out_of_scope" for _, p in out_of_scope) / len(out_of_scope) if out_of_scope else None
        ),
        "topic_accuracy": topic_correct / len(faq) if faq else None,
        "topic_accuracy_when_faq_recognised": (
            sum(p.topic == c.topic for c, p in topic_given_faq) / len(topic_given_faq) if topic_given_faq else None
        ),
        "entities": _entity_scores(pairs),
        "errors": errors,
    }


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * q
    low, high = int(rank), min(int(rank) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Targets:
    """What the first held-out set (written from the intent list) must keep scoring."""
    intent_accuracy: float = 0.97
    intent_accuracy_per_style: float = 0.95
    topic_accuracy: float = 0.92
    order_no_recall: float = 1.0
    parse_p95_ms: float = 50.0
    results: Dict[str, bool] = field(default_factory=dict)

    def check(self, metrics: Dict[str, Any], p95_ms: Optional[float]) -> Dict[str, bool]:
        self.results = {
            f"intent accuracy >= {self.intent_accuracy:.0%}": metrics["intent"]["accuracy"] >= self.intent_accuracy,
            f"intent accuracy >= {self.intent_accuracy_per_style:.0%} in every style": all(
                s["accuracy"] >= self.intent_accuracy_per_style for s in metrics["intent_by_style"].values()
            ),
            f"topic accuracy >= {self.topic_accuracy:.0%}": (metrics["topic_accuracy"] or 0) >= self.topic_accuracy,
            "order_no recall 100%": metrics["entities"]["order_no"]["recall"] >= self.order_no_recall,
        }
        if p95_ms is not None:
            self.results[f"parse p95 < {self.parse_p95_ms:.0f} ms"] = p95_ms < self.parse_p95_ms
        return self.results


@dataclass
class OutsideTargets:
    """What the second held-out set (real-shopper situations, written without reading data/) must
    score: answered right (intent and topic) per language, rarely confidently wrong, and requests
    for other services recognised as out of scope."""
    correct: Dict[str, float] = field(default_factory=lambda: {"tr": 0.92, "en": 0.88})
    confidently_wrong_max: float = 0.04
    out_of_scope_recall: float = 0.85

    def check(self, metrics: Dict[str, Any]) -> Dict[str, bool]:
        results = {}
        for lang, floor in self.correct.items():
            scores = metrics["by_language"][lang]
            results[f"{lang}: answered right >= {floor:.0%}"] = scores["correct"] >= floor
            results[f"{lang}: confidently wrong <= {self.confidently_wrong_max:.0%}"] = (
                scores["confidently_wrong_rate"] <= self.confidently_wrong_max)
        results[f"out of scope recognised >= {self.out_of_scope_recall:.0%}"] = (
            (metrics["out_of_scope_recall"] or 0) >= self.out_of_scope_recall)
        return results


def with_thresholds(parse: Dict[str, Any], threshold: float, ambiguity: float) -> Prediction:
    """The prediction Rasa's FallbackClassifier would give with other thresholds, read from the
    ranking it keeps (so that one parse of each text serves the whole calibration sweep)."""
    ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != FALLBACK]
    prediction = prediction_from_parse(parse)
    if not ranking:
        return prediction
    top = ranking[0]
    second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
    if top["confidence"] < threshold or top["confidence"] - second < ambiguity:
        return Prediction(FALLBACK, None, prediction.entities)
    return Prediction(top["name"], prediction.topic if top["name"] == "faq" else None, prediction.entities)


def _selected_topic(parse: Dict[str, Any]) -> Optional[str]:
    selector = (parse.get("response_selector") or {}).get("faq") or {}
    key = (selector.get("response") or {}).get("intent_response_key") or ""
    return key.split("/", 1)[1] if "/" in key else None
