"""The checks a candidate model passes before it may go live.

1. `rasa data validate` on the candidate's training data and domain;
2. the story tests (tests/stories) against the candidate model;
3. the held-out NLU set (tests/nlu/heldout.yml) on the candidate and on the live model: a drop of
   more than one point in intent or topic accuracy blocks publishing.
The live model's held-out figures are kept next to its file, so they are measured once.
"""
from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from bot.nlu_metrics import compute_metrics, load_cases, prediction_from_parse
from bot.settings import PROJECT_ROOT, Settings
from bot.studio.repository import studio_text
from bot.training import RasaInputs, rasa_command, rasa_env

HELDOUT = PROJECT_ROOT / "tests" / "nlu" / "heldout.yml"
STORIES = PROJECT_ROOT / "tests" / "stories"
MAX_DROP_POINTS = 1.0


@dataclass
class GateResult:
    checks: Dict[str, Any] = field(default_factory=dict)
    reasons: List[str] = field(default_factory=list)  # why publishing is blocked, in plain Turkish

    @property
    def passed(self) -> bool:
        return not self.reasons

    def as_json(self) -> Dict[str, Any]:
        return {"passed": self.passed, "reasons": self.reasons, **self.checks}


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _tail(text: str, lines: int = 15) -> str:
    """The end of a tool's output for the page, without terminal colours."""
    return "\n".join(ANSI.sub("", text).strip().splitlines()[-lines:])


def validate_data(settings: Settings, inputs: RasaInputs) -> Dict[str, Any]:
    command = rasa_command("data", "validate", "--config", str(inputs.config), "--domain", str(inputs.domain),
                           "--data", str(inputs.nlu), *map(str, inputs.dialogue))
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=rasa_env(settings), capture_output=True, text=True)
    return {"ok": result.returncode == 0, "output": _tail(result.stdout + result.stderr)}


def story_tests(settings: Settings, model: Path, out_dir: Path, endpoints: Path) -> Dict[str, Any]:
    out_dir.mkdir(parents=True, exist_ok=True)
    command = rasa_command("test", "core", "--model", str(model), "--stories", str(STORIES), "--endpoints", str(endpoints),
                           "--fail-on-prediction-errors", "--out", str(out_dir))
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=rasa_env(settings), capture_output=True, text=True)
    failed_file = out_dir / "failed_test_stories.yml"
    failed_text = failed_file.read_text(encoding="utf-8") if failed_file.exists() else ""
    failed = [line.split(":", 1)[1].strip() for line in failed_text.splitlines() if line.startswith("- story:")]
    return {"ok": result.returncode == 0 and not failed, "failed": failed[:20],
            "output": "" if result.returncode == 0 else _tail(result.stdout + result.stderr)}


def heldout_scores(parses: List[Dict[str, Any]]) -> Dict[str, float]:
    cases = load_cases(HELDOUT)
    metrics = compute_metrics(cases, [prediction_from_parse(p) for p in parses])
    return {"intent": round(metrics["intent"]["accuracy"] * 100, 2),
            "topic": round((metrics["topic_accuracy"] or 0.0) * 100, 2), "n": len(cases)}


def heldout_texts() -> List[str]:
    return [case.text for case in load_cases(HELDOUT)]


def live_scores_cache(model: Path) -> Path:
    return model.with_suffix("").with_suffix(".heldout.json")


def cached_scores(model: Path) -> Optional[Dict[str, float]]:
    path = live_scores_cache(model)
    return json.loads(path.read_text()) if path.exists() else None


def save_scores(model: Path, scores: Dict[str, float]) -> None:
    live_scores_cache(model).write_text(json.dumps(scores))


def compare(result: GateResult, candidate: Dict[str, float], live: Optional[Dict[str, float]]) -> None:
    result.checks["heldout"] = {"candidate": candidate, "live": live}
    if live is None:
        return
    for key, label in (("intent", "gate.intent"), ("topic", "gate.topic")):
        drop = live[key] - candidate[key]
        if drop > MAX_DROP_POINTS:
            result.reasons.append(studio_text("gate.heldout_drop", measure=studio_text(label), live=live[key],
                                              candidate=candidate[key], drop=drop, max_drop=MAX_DROP_POINTS))
