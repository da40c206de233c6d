"""How well the frustration scorer agrees with hand-labelled shopper messages.

Two sets: `tests/frustration/labelled.yml` tuned the weights and the threshold (its figures say
little about new wordings), and `tests/frustration/outside.yml`, written by someone who never
read the word lists or the tone examples, which nothing is tuned on: the held-out measure.
`.venv/bin/python -m bot.desk.frustration_eval` writes results/frustration.json and
results/frustration.md: per set precision, recall, the share of calm messages escalated (false
alarms), per language and per kind of message, the misclassified messages with the signals that
fired, and the mean time per call.
"""
from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

import yaml

from bot.desk.frustration import FrustrationScorer
from bot.settings import PROJECT_ROOT

LABELLED = PROJECT_ROOT / "tests" / "frustration" / "labelled.yml"
OUTSIDE = PROJECT_ROOT / "tests" / "frustration" / "outside.yml"
SETS = {"tuning": LABELLED, "held-out": OUTSIDE}
RESULTS_DIR = PROJECT_ROOT / "results"
TIMING_ROUNDS = 20  # every message is scored this many times for the timing


def load_labelled(path: Path = LABELLED) -> List[Dict[str, Any]]:
    rows = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    for row in rows:
        row.setdefault("history", [])
        row.setdefault("bot_failures", 0)
    return rows


def evaluate(path: Path = LABELLED, scorer: Optional[FrustrationScorer] = None,
             timing_rounds: int = TIMING_ROUNDS) -> Dict[str, Any]:
    scorer = scorer or FrustrationScorer()
    rows = load_labelled(path)
    outcomes = []
    for row in rows:
        result = scorer.score(row["text"], history=row["history"], bot_failures=row["bot_failures"])
        outcomes.append({**row, "predicted": result.escalate, "score": result.score, "signals": list(result.signals)})
    return {
        "threshold": scorer.threshold,
        "labelled": _shown(path),
        "overall": _scores(outcomes),
        "by_language": {lang: _scores(o for o in outcomes if o["lang"] == lang) for lang in _values(outcomes, "lang")},
        "by_kind": {kind: _scores(o for o in outcomes if o.get("kind") == kind)
                    for kind in _values([o for o in outcomes if o.get("kind")], "kind")},
        "errors": [_error(o) for o in outcomes if o["predicted"] != o["frustrated"]],
        "timing": _timing(scorer, rows, timing_rounds) if timing_rounds else None,
    }


def evaluate_sets(scorer: Optional[FrustrationScorer] = None) -> Dict[str, Any]:
    scorer = scorer or FrustrationScorer()
    return {name: evaluate(path, scorer, timing_rounds=TIMING_ROUNDS if name == "held-out" else 0)
            for name, path in SETS.items()}


def _shown(path: Path) -> str:
    path = Path(path).resolve()
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _values(outcomes: Sequence[Dict[str, Any]], key: str) -> List[str]:
    return sorted({o[key] for o in outcomes})


def _scores(outcomes: Iterable[Dict[str, Any]]) -> Dict[str, Any]:
    outcomes = list(outcomes)
    tp = sum(o["predicted"] and o["frustrated"] for o in outcomes)
    fp = sum(o["predicted"] and not o["frustrated"] for o in outcomes)
    fn = sum(not o["predicted"] and o["frustrated"] for o in outcomes)
    tn = len(outcomes) - tp - fp - fn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = (tp + tn) / len(outcomes) if outcomes else 0.0
    false_alarms = fp / (fp + tn) if fp + tn else 0.0
    return {"n": len(outcomes), "tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": precision,
            "recall": recall, "f1": f1, "accuracy": accuracy, "false_alarm_rate": false_alarms}


def _error(outcome: Dict[str, Any]) -> Dict[str, Any]:
    error = {key: outcome[key] for key in ("text", "lang", "frustrated", "score", "signals")}
    if outcome["history"]:
        error["history"] = outcome["history"]
    if outcome["bot_failures"]:
        error["bot_failures"] = outcome["bot_failures"]
    return error


def _timing(scorer: FrustrationScorer, rows: Sequence[Dict[str, Any]], rounds: int) -> Dict[str, Any]:
    """Mean and 95th percentile wall time of one `score` call, as the bridge makes it."""
    for row in rows:  # warm-up
        scorer.score(row["text"], history=row["history"])
    times = []
    for _ in range(rounds):
        for row in rows:
            started = time.perf_counter()
            scorer.score(row["text"], history=row["history"], bot_failures=row["bot_failures"],
                         previous_scores=(0.1, 0.3))
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"calls": len(times), "mean_ms": sum(times) / len(times), "p95_ms": times[int(len(times) * 0.95)],
            "python": platform.python_version(), "machine": platform.machine()}


def markdown_summary(all_results: Dict[str, Dict[str, Any]]) -> str:
    lines = ["# Frustration scorer on labelled shopper messages", "",
             "*Recall*: angry messages escalated. *False alarms*: calm messages escalated. The tuning set "
             "shaped the word lists, weights and threshold; the held-out set was written by someone who "
             "never read them and nothing is tuned on it.", ""]
    for name, results in all_results.items():
        lines += [f"## {name}: `{results['labelled']}` (threshold {results['threshold']})", ""]
        timing = results.get("timing")
        if timing:
            lines += [f"Mean {timing['mean_ms']:.2f} ms per call (p95 {timing['p95_ms']:.2f} ms, "
                      f"{timing['calls']} calls).", ""]
        lines += ["| part | n | recall | false alarms | precision | F1 |", "|---|---|---|---|---|---|"]
        parts = [("all", results["overall"])]
        parts += [(f"language {lang}", scores) for lang, scores in results["by_language"].items()]
        parts += [(f"kind {kind}", scores) for kind, scores in results["by_kind"].items()]
        for part, s in parts:
            lines.append(f"| {part} | {s['n']} | {s['recall']:.1%} | {s['false_alarm_rate']:.1%} | "
                         f"{s['precision']:.3f} | {s['f1']:.3f} |")
        lines += ["", f"Misclassified ({len(results['errors'])}):", ""]
        for e in results["errors"]:
            kind = "missed (labelled frustrated)" if e["frustrated"] else "false alarm (labelled calm)"
            context = f" — history: {e['history']}" if e.get("history") else ""
            signals = ", ".join(e["signals"]) or "none"
            lines.append(f"- {kind}, {e['lang']}, score {e['score']} ({signals}): `{e['text']}`{context}")
        if not results["errors"]:
            lines.append("None.")
        lines.append("")
    return "\n".join(lines)


def write_results(results: Dict[str, Dict[str, Any]], directory: Path = RESULTS_DIR) -> None:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "frustration.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n",
                                                encoding="utf-8")
    (directory / "frustration.md").write_text(markdown_summary(results), encoding="utf-8")


if __name__ == "__main__":
    results = evaluate_sets()
    write_results(results)
    print(markdown_summary(results))
