"""Training time, model size and the NLU figures of `python -m bot evaluate`.

By default the cached model is described (its size, and the training time `bot train` recorded
next to it in models/kuzey-<hash>.json) and the held-out test set of the evaluation command is
parsed by the benchmark's running Rasa: the same code (bot/evaluation.py), so the same figures,
without overwriting results/nlu_evaluation.*. `cold_training()` (`--train`) times a cold
training (`rasa train --force`, no cache) into a temporary folder.
"""
from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Dict

from bot.evaluation import HELDOUT, RESULTS_DIR, parse_all
from bot.nlu_metrics import Targets, compute_metrics, load_cases, prediction_from_parse
from bot.settings import PROJECT_ROOT, Settings
from bot.training import blank_spacy_model, prepare, rasa_command, rasa_env, training_report
from bench.stack import Stack
from bench.stats import summary


def model_figures(model: Path) -> Dict[str, Any]:
    recorded = training_report(model)
    evaluation_file = RESULTS_DIR / "nlu_evaluation.json"
    evaluation = json.loads(evaluation_file.read_text()) if evaluation_file.exists() else {}
    return {
        "model": model.name,
        "size_mb": round(model.stat().st_size / 1e6, 1),
        "recorded_training_seconds": recorded.get("training_seconds"),
        "evaluation_file_training_seconds": (evaluation.get("training") or {}).get("training_seconds"),
    }


def nlu_figures(stack: Stack) -> Dict[str, Any]:
    cases = load_cases(HELDOUT)
    parses, latencies = parse_all(stack.settings.rasa_url, stack.settings.rasa_api_token(), cases)
    metrics = compute_metrics(cases, [prediction_from_parse(p) for p in parses])
    latency = summary(latencies)
    return {
        "test_set": str(HELDOUT.relative_to(PROJECT_ROOT)),
        "utterances": len(cases),
        "intent_accuracy": round(metrics["intent"]["accuracy"], 4),
        "intent_macro_f1": round(metrics["intent"]["macro_f1"], 4),
        "intent_by_style": {style: {k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()}
                            for style, scores in metrics["intent_by_style"].items()},
        "topic_accuracy": round(metrics["topic_accuracy"], 4),
        "entities": metrics["entities"],
        "misclassified": len(metrics["errors"]),
        "parse_ms": latency,
        "targets": Targets().check(metrics, latency.get("p95")),
    }


def cold_training(progress=print) -> Dict[str, Any]:
    """`rasa train --force` of the project's data into a temporary folder, timed."""
    inputs = prepare()
    if "SpacyNLP" in inputs.config.read_text(encoding="utf-8"):
        blank_spacy_model()
    with tempfile.TemporaryDirectory(prefix="kuzey-bench-train-") as out:
        command = rasa_command("train", "--data", str(inputs.nlu), *map(str, inputs.dialogue), "--config", str(inputs.config),
                               "--domain", str(inputs.domain), "--out", out, "--fixed-model-name", "bench", "--force")
        progress("training: cold training (several minutes)...")
        started = time.monotonic()
        subprocess.run(command, cwd=PROJECT_ROOT, env=rasa_env(Settings()), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        seconds = round(time.monotonic() - started, 1)
        size = (Path(out) / "bench.tar.gz").stat().st_size
    progress(f"training: {seconds} s, {size / 1e6:.1f} MB")
    return {"seconds": seconds, "size_mb": round(size / 1e6, 1)}
