"""`python -m bot evaluate`: NLU quality, latency and footprint on the held-out test set.

The test set (`tests/nlu/heldout.yml`) is never trained on. Every utterance goes through Rasa's
HTTP API (`POST /model/parse`), so the latency is what the bridge will see. Results are written
to `results/nlu_evaluation.json` and a readable `results/nlu_evaluation.md`.
"""
from __future__ import annotations

import json
import platform
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import click
import requests
import yaml

from bot.nlu_metrics import Case, Prediction, Targets, compute_metrics, load_cases, percentile, prediction_from_parse
from bot.processes import ServiceGroup, rasa_server
from bot.settings import PROJECT_ROOT, Settings
from bot.training import BUILD_DIR, blank_spacy_model, model_path, train, training_report

HELDOUT = PROJECT_ROOT / "tests" / "nlu" / "heldout.yml"
RESULTS_DIR = PROJECT_ROOT / "results"
WARMUP_MESSAGES = 20


def parse_all(rasa_url: str, token: str, cases: Sequence[Case]) -> tuple[List[Prediction], List[float]]:
    session = requests.Session()
    url = f"{rasa_url}/model/parse"
    for case in cases[:WARMUP_MESSAGES]:
        session.post(url, params={"token": token}, json={"text": case.text}, timeout=30).raise_for_status()
    predictions, latencies = [], []
    for case in cases:
        started = time.perf_counter()
        response = session.post(url, params={"token": token}, json={"text": case.text}, timeout=30)
        latencies.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        predictions.append(prediction_from_parse(response.json()))
    return predictions, latencies


def _measure(settings: Settings, model: Path, cases: Sequence[Case]) -> Dict[str, Any]:
    server = rasa_server(settings, model)
    with ServiceGroup(settings, [server]):
        time.sleep(3)  # let start-up allocations settle before reading memory
        memory = server.rss_bytes()
        predictions, latencies = parse_all(settings.rasa_url, settings.rasa_api_token(), cases)
    return _measured(cases, predictions, latencies, round(memory / 2**20, 1))


def _measured(cases: Sequence[Case], predictions: List[Prediction], latencies: List[float],
              memory_mb: Optional[float]) -> Dict[str, Any]:
    return {
        "metrics": compute_metrics(cases, predictions),
        "latency_ms": {"p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95),
                       "max": max(latencies), "n": len(latencies)},
        "rasa_memory_after_start_mb": memory_mb,
    }


def _machine() -> Dict[str, Any]:
    import os

    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}


def run_evaluation(settings: Settings, url: Optional[str] = None, ablation: bool = False) -> Dict[str, Any]:
    cases = load_cases(HELDOUT)
    if url:
        # A running server has its model loaded already: measure it, train nothing.
        model = model_path()
        measured = _measured(cases, *parse_all(url, settings.rasa_api_token(), cases), memory_mb=None)
    else:
        model = train(settings)
        measured = _measure(settings, model, cases)
    targets = Targets()
    results = {
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": _machine(),
        "test_set": {"path": str(HELDOUT.relative_to(PROJECT_ROOT)), "utterances": len(cases),
                     "turkish": sum(c.style != "english" for c in cases),
                     "english": sum(c.style == "english" for c in cases)},
        "model": model.name,
        "training": training_report(model),
        **measured,
    }
    results["targets"] = targets.check(results["metrics"], results["latency_ms"]["p95"])
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "nlu_evaluation.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))
    summary = markdown_summary(results)
    (RESULTS_DIR / "nlu_evaluation.md").write_text(summary)
    click.echo(summary)
    if ablation:
        run_ablation(settings, cases, results)
    return results


def markdown_summary(results: Dict[str, Any]) -> str:
    m = results["metrics"]
    lines = [
        "# NLU evaluation (held-out test set)", "",
        f"Measured {results['measured_at']} on {results['machine']['cpus']} CPUs, Python {results['machine']['python']}; "
        f"model `{results['model']}`; {results['test_set']['utterances']} utterances "
        f"({results['test_set']['turkish']} Turkish, {results['test_set']['english']} English).", "",
        "| style | n | intent accuracy | macro-F1 |", "|---|---|---|---|",
        f"| **all** | {m['intent']['n']} | {m['intent']['accuracy']:.1%} | {m['intent']['macro_f1']:.3f} |",
    ]
    for style, s in m["intent_by_style"].items():
        lines.append(f"| {style} | {s['n']} | {s['accuracy']:.1%} | {s['macro_f1']:.3f} |")
    lines += ["", f"Knowledge-base topic accuracy: {m['topic_accuracy']:.1%} "
                  f"({m['topic_accuracy_when_faq_recognised']:.1%} when the question was recognised as FAQ)", "",
              "| entity | precision | recall | support |", "|---|---|---|---|"]
    for name, e in m["entities"].items():
        lines.append(f"| {name} | {e['precision']:.1%} | {e['recall']:.1%} | {e['support']} |")
    latency = results["latency_ms"]
    training = results.get("training") or {}
    lines += ["", f"Parse latency over Rasa's HTTP API: p50 {latency['p50']:.1f} ms, p95 {latency['p95']:.1f} ms "
                  f"(n={latency['n']}).",
              f"Training time: {training.get('training_seconds', 'n/a')} s; model size "
              f"{(training.get('size_bytes') or 0) / 1e6:.1f} MB; Rasa server memory after start: "
              f"{results.get('rasa_memory_after_start_mb')} MB.", "", "Targets:", ""]
    lines += [f"- [{'x' if ok else ' '}] {name}" for name, ok in results["targets"].items()]
    if m["errors"]:
        lines += ["", f"Misclassified ({len(m['errors'])}):", "", "| text | style | expected | predicted |", "|---|---|---|---|"]
        lines += [f"| {e['text']} | {e['style']} | {e['expected']} | {e['predicted']} |" for e in m["errors"]]
    return "\n".join(lines) + "\n"


def _without(pipeline: List[Dict[str, Any]], name: str, **config: Any) -> List[Dict[str, Any]]:
    return [c for c in pipeline if not (c["name"] == name and all(c.get(k) == v for k, v in config.items()))]


def _with_spacy_tokenizer(pipeline: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    spacy = [{"name": "SpacyNLP", "model": str(blank_spacy_model())}, {"name": "SpacyTokenizer"}]
    return [part for c in pipeline for part in (spacy if c["name"] == "WhitespaceTokenizer" else [c])]


# Each variant changes one choice of config.yml, so the comparison stays in step with it.
PIPELINE_VARIANTS = {
    "without_turkish_normalizer": lambda p: _without(p, "bot.nlu.turkish_normalizer.TurkishNormalizer"),
    "without_char_ngrams": lambda p: _without(p, "CountVectorsFeaturizer", analyzer="char_wb"),
    "spacy_tokenizer": _with_spacy_tokenizer,
}


def ablation_configs() -> List[Path]:
    base = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    folder = BUILD_DIR / "ablation"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, change in PIPELINE_VARIANTS.items():
        variant = {key: value for key, value in base.items() if key != "policies"}
        variant["pipeline"] = change(base["pipeline"])
        path = folder / f"{name}.yml"
        path.write_text(yaml.safe_dump(variant, allow_unicode=True, sort_keys=False), encoding="utf-8")
        paths.append(path)
    return paths


def run_ablation(settings: Settings, cases: Sequence[Case], main_results: Dict[str, Any]) -> None:
    """Trains each pipeline variant (NLU only) and measures it the same way as the main model."""
    rows = [{"pipeline": "config.yml (chosen)", **_ablation_row(main_results)}]
    for config in ablation_configs():
        click.echo(f"\n== Pipeline variant {config.name} ==")
        model = train(settings, config=config, nlu_only=True)
        measured = _measure(settings, model, cases)
        rows.append({"pipeline": config.name, **_ablation_row({**measured, "training": training_report(model)})})
    (RESULTS_DIR / "nlu_ablation.json").write_text(json.dumps(rows, ensure_ascii=False, indent=2))
    lines = ["# NLU pipeline choices, measured on the held-out set", "",
             "| pipeline | intent acc. | macro-F1 | worst style | topic acc. | parse p50 ms | p95 ms | train s |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['pipeline']} | {r['intent_accuracy']:.1%} | {r['macro_f1']:.3f} | {r['worst_style']} | "
                     f"{r['topic_accuracy']:.1%} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['training_seconds']} |")
    (RESULTS_DIR / "nlu_ablation.md").write_text("\n".join(lines) + "\n")
    click.echo("\n".join(lines))


def _ablation_row(results: Dict[str, Any]) -> Dict[str, Any]:
    m = results["metrics"]
    worst = min(m["intent_by_style"].items(), key=lambda item: item[1]["accuracy"])
    return {
        "intent_accuracy": m["intent"]["accuracy"], "macro_f1": m["intent"]["macro_f1"],
        "worst_style": f"{worst[0]} {worst[1]['accuracy']:.1%}", "topic_accuracy": m["topic_accuracy"],
        "p50_ms": results["latency_ms"]["p50"], "p95_ms": results["latency_ms"]["p95"],
        "training_seconds": (results.get("training") or {}).get("training_seconds"),
    }
