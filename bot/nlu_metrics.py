"""NLU quality figures on the held-out test set, as pure functions over cases and predictions."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

import yaml
from sklearn.metrics import f1_score

ENTITY_TYPES = ("order_no", "email", "rma_code")
STYLES = ("plain", "no_diacritics", "capitals", "typo", "slang", "english")


@dataclass(frozen=True)
class Case:
    text: str
    intent: str
    style: str
    topic: Optional[str] = None
    entities: Tuple[Tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Prediction:
    intent: str
    topic: Optional[str] = None
    entities: Tuple[Tuple[str, str], ...] = ()


def load_cases(path: Path) -> List[Case]:
    cases = []
    for row in yaml.safe_load(path.read_text(encoding="utf-8")):
        entities = tuple(sorted((name, str(value)) for name, value in (row.get("entities") or {}).items()))
        cases.append(Case(row["text"], row["intent"], row["style"], row.get("topic"), entities))
    return cases


def prediction_from_parse(parse: Dict[str, Any]) -> Prediction:
    """Reads Rasa's `/model/parse` answer."""
    intent = (parse.get("intent") or {}).get("name") or "none"
    selector = (parse.get("response_selector") or {}).get("faq") or {}
    key = (selector.get("response") or {}).get("intent_response_key") or ""
    topic = key.split("/", 1)[1] if "/" in key else None
    entities = tuple(sorted(
        (e["entity"], str(e["value"])) for e in parse.get("entities") or [] if e.get("entity") in ENTITY_TYPES
    ))
    return Prediction(intent, topic, entities)


def _intent_scores(pairs: Sequence[Tuple[Case, Prediction]]) -> Dict[str, Any]:
    truth = [c.intent for c, _ in pairs]
    predicted = [p.intent for _, p in pairs]
    correct = sum(t == p for t, p in zip(truth, predicted))
    macro_f1 = f1_score(truth, predicted, labels=sorted(set(truth)), average="macro", zero_division=0)
    return {"n": len(pairs), "accuracy": correct / len(pairs), "macro_f1": float(macro_f1)}


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
    for case, prediction in pairs:
        by_style[case.style].append((case, prediction))
    faq = [(c, p) for c, p in pairs if c.intent == "faq"]
    topic_correct = sum(p.intent == "faq" and p.topic == c.topic for c, p in faq)
    topic_given_faq = [(c, p) for c, p in faq if p.intent == "faq"]
    errors = [
        {"text": c.text, "style": c.style, "expected": c.intent + (f"/{c.topic}" if c.topic else ""),
         "predicted": p.intent + (f"/{p.topic}" if p.intent == "faq" and p.topic else "")}
        for c, p in pairs
        if c.intent != p.intent or (c.intent == "faq" and p.topic != c.topic)
    ]
    return {
        "intent": _intent_scores(pairs),
        "intent_by_style": {style: _intent_scores(by_style[style]) for style in STYLES if by_style[style]},
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
    intent_accuracy_per_style: float = 0.95
    topic_accuracy: float = 0.92
    order_no_recall: float = 1.0
    parse_p95_ms: float = 50.0
    results: Dict[str, bool] = field(default_factory=dict)

    def check(self, metrics: Dict[str, Any], p95_ms: Optional[float]) -> Dict[str, bool]:
        self.results = {
            f"intent accuracy >= {self.intent_accuracy_per_style:.0%} in every style": all(
                s["accuracy"] >= self.intent_accuracy_per_style for s in metrics["intent_by_style"].values()
            ),
            f"topic accuracy >= {self.topic_accuracy:.0%}": (metrics["topic_accuracy"] or 0) >= self.topic_accuracy,
            "order_no recall 100%": metrics["entities"]["order_no"]["recall"] >= self.order_no_recall,
        }
        if p95_ms is not None:
            self.results[f"parse p95 < {self.parse_p95_ms:.0f} ms"] = p95_ms < self.parse_p95_ms
        return self.results
