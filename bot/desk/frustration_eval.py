"""How well the frustration scorer agrees with the hand-labelled shopper messages.

`.venv/bin/python -m bot.desk.frustration_eval` writes results/frustration.json and
results/frustration.md: precision, recall, F1 and accuracy overall, per language and per split
(the `test` split was never used to tune the word lists' weights or the threshold), the
misclassified messages with the signals that fired, and the mean time per call.
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
        "by_split": {split: _scores(o for o in outcomes if o["split"] == split)
                     for split in _values(outcomes, "split")},
        "by_language": {lang: _scores(o for o in outcomes if o["lang"] == lang) for lang in _values(outcomes, "lang")},
        "test_by_language": {lang: _scores(o for o in outcomes if o["lang"] == lang and o["split"] == "test")
                             for lang in _values(outcomes, "lang")},
        "errors": [_error(o) for o in outcomes if o["predicted"] != o["frustrated"]],
        "timing": _timing(scorer, rows, timing_rounds) if timing_rounds else None,
    }


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
    return {"n": len(outcomes), "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": precision, "recall": recall, "f1": f1, "accuracy": accuracy}


def _error(outcome: Dict[str, Any]) -> Dict[str, Any]:
    error = {key: outcome[key] for key in ("text", "lang", "split", "frustrated", "score", "signals")}
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


def markdown_summary(results: Dict[str, Any]) -> str:
    lines = [
        "# Frustration scorer on the labelled shopper messages",
        "",
        f"`{results['labelled']}`, threshold {results['threshold']}. The `test` split was never used for tuning.",
    ]
    timing = results.get("timing")
    if timing:
        lines.append(f"Mean {timing['mean_ms']:.2f} ms per call (p95 {timing['p95_ms']:.2f} ms, "
                     f"{timing['calls']} calls).")
    lines += [
        "",
        "| part | n | precision | recall | F1 | accuracy |",
        "|---|---|---|---|---|---|",
    ]
    parts = [("all", results["overall"])]
    parts += [(f"split {split}", scores) for split, scores in results["by_split"].items()]
    parts += [(f"language {lang}", scores) for lang, scores in results["by_language"].items()]
    parts += [(f"test split, {lang}", scores) for lang, scores in results["test_by_language"].items()]
    for name, s in parts:
        lines.append(f"| {name} | {s['n']} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} "
                     f"| {s['accuracy']:.3f} |")
    lines += ["", f"## Misclassified ({len(results['errors'])})", ""]
    for e in results["errors"]:
        kind = "missed (labelled frustrated)" if e["frustrated"] else "false alarm (labelled calm)"
        context = f" — history: {e['history']}" if e.get("history") else ""
        signals = ", ".join(e["signals"]) or "none"
        lines.append(f"- {kind}, {e['lang']}/{e['split']}, score {e['score']} ({signals}): "
                     f"`{e['text']}`{context}")
    if not results["errors"]:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def write_results(results: Dict[str, Any], directory: Path = RESULTS_DIR) -> None:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "frustration.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n",
                                                encoding="utf-8")
    (directory / "frustration.md").write_text(markdown_summary(results), encoding="utf-8")


if __name__ == "__main__":
    results = evaluate()
    write_results(results)
    print(markdown_summary(results))
