"""Builds Rasa's inputs from the project's sources and trains the model, cached by content hash.

The model file is named after a hash of everything that shapes it (config, domain, training
data, knowledge base, our NLU components, the Rasa version), so an unchanged project is never
retrained and a changed one always is.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional

from bot import knowledge
from bot.form_rules import rules_yaml
from bot.settings import PROJECT_ROOT, Settings

RASA_VERSION = "3.6.21"
BUILD_DIR = PROJECT_ROOT / "build" / "rasa"
MODELS_DIR = PROJECT_ROOT / "models"
FAQ_DIR = PROJECT_ROOT / "data" / "faq"
TRAINING_DATA = [PROJECT_ROOT / "data" / name for name in ("nlu", "rules", "stories")]
HASHED_SOURCES = [
    PROJECT_ROOT / "config.yml",
    PROJECT_ROOT / "domain.yml",
    *TRAINING_DATA,
    FAQ_DIR,
    PROJECT_ROOT / "bot" / "nlu",
    PROJECT_ROOT / "bot" / "text.py",
    PROJECT_ROOT / "bot" / "sentence_embeddings.py",
    PROJECT_ROOT / "bot" / "patterns.py",
    PROJECT_ROOT / "bot" / "language.py",
    PROJECT_ROOT / "bot" / "knowledge.py",
    PROJECT_ROOT / "bot" / "form_rules.py",
]
KEEP_MODELS = 3


@dataclass(frozen=True)
class RasaInputs:
    config: Path
    domain: Path
    nlu: Path
    dialogue: List[Path]


def _files(paths: Iterable[Path]) -> List[Path]:
    found: List[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        elif path.exists():
            found.append(path)
    return found


def data_hash(config: Path = PROJECT_ROOT / "config.yml", faq_dir: Path = FAQ_DIR, with_answers: bool = True) -> str:
    """`faq_dir` may be another knowledge base (a studio version's). The knowledge base counts by
    its content, not its files' bytes: comments and layout do not change the model. Without
    answers it is what the model learns (the studio serves answers live, bot/studio/nlg.py), so
    an answer edit never retrains."""
    digest = hashlib.sha256(RASA_VERSION.encode())
    for path in _files([config, *(p for p in HASHED_SOURCES[1:] if p != FAQ_DIR)]):
        digest.update(os.path.relpath(path, PROJECT_ROOT).encode())
        digest.update(path.read_bytes())
    kb = knowledge.load(faq_dir)
    documents = {t.name: knowledge.topic_document(t) for t in kb.topics}
    if not with_answers:
        documents = {name: {k: v for k, v in document.items() if k != "answer"} for name, document in documents.items()}
    digest.update(json.dumps([documents, [str(p.message) for p in kb.problems]], sort_keys=True).encode())
    return digest.hexdigest()[:16]


def model_name(config: Path = PROJECT_ROOT / "config.yml", faq_dir: Path = FAQ_DIR, with_answers: bool = True) -> str:
    prefix = "kuzey" if config.name == "config.yml" else f"kuzey-{config.stem}"
    return f"{prefix}-{data_hash(config, faq_dir, with_answers)}"


def model_path(config: Path = PROJECT_ROOT / "config.yml", faq_dir: Path = FAQ_DIR, models_dir: Path = MODELS_DIR,
               with_answers: bool = True) -> Path:
    return models_dir / f"{model_name(config, faq_dir, with_answers)}.tar.gz"


def blank_spacy_model() -> Path:
    """spaCy's Turkish tokenizer, saved as a loadable pipeline for Rasa's SpacyNLP.

    No trained Turkish spaCy pipeline installs from a package registry, and Rasa only loads
    pipelines from disk or by package name, so the blank one that ships with spaCy is saved.
    """
    path = BUILD_DIR / "spacy" / "tr_blank"
    if not (path / "meta.json").exists():
        import spacy

        path.parent.mkdir(parents=True, exist_ok=True)
        spacy.blank("tr").to_disk(path)
    return path


def prepare(faq_dir: Path = FAQ_DIR, build_dir: Path = BUILD_DIR) -> RasaInputs:
    """Validates the knowledge base and writes Rasa's derived files into the build folder."""
    kb = knowledge.load(faq_dir)
    if kb.problems:
        raise knowledge_error(kb.problems)
    nlu_dir = build_dir / "nlu"
    if nlu_dir.exists():
        shutil.rmtree(nlu_dir)
    shutil.copytree(PROJECT_ROOT / "data" / "nlu", nlu_dir)
    domain = build_dir / "domain.yml"
    knowledge.generate(kb, PROJECT_ROOT / "domain.yml", nlu_dir / "faq.yml", domain)
    form_rules = build_dir / "dialogue" / "form_rules.yml"
    form_rules.parent.mkdir(parents=True, exist_ok=True)
    form_rules.write_text(rules_yaml((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8")), encoding="utf-8")
    return RasaInputs(PROJECT_ROOT / "config.yml", domain, nlu_dir, [*TRAINING_DATA[1:], form_rules.parent])


class KnowledgeBaseError(Exception):
    pass


def knowledge_error(problems: List[knowledge.Problem]) -> KnowledgeBaseError:
    lines = "\n".join(f"  - {p}" for p in problems)
    return KnowledgeBaseError(f"Bilgi bankasında {len(problems)} sorun var:\n{lines}")


def rasa_env(settings: Settings) -> Dict[str, str]:
    env = {**os.environ, **settings.as_env()}
    env.setdefault("ACTION_SERVER_URL", settings.action_server_url)
    env["ACTION_SERVER_TOKEN"] = settings.action_token()  # endpoints.yml sends it, actions/server.py checks it
    env["DATABASE_URL"] = settings.store_database_url
    env["SANIC_HOST"] = settings.host  # rasa-sdk's action server listens on 0.0.0.0 otherwise
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    return env


def rasa_command(*args: str) -> List[str]:
    return [sys.executable, "-m", "rasa", *args]


def train(settings: Settings, force: bool = False, config: Optional[Path] = None, nlu_only: bool = False,
          faq_dir: Path = FAQ_DIR, models_dir: Path = MODELS_DIR, build_dir: Path = BUILD_DIR, output=None,
          with_answers: bool = True) -> Path:
    """Trains unless a model for exactly these inputs exists. Rasa's own progress bars show
    (or go to `output`, an open file, when a background job trains)."""
    config = config or PROJECT_ROOT / "config.yml"
    target = model_path(config, faq_dir, models_dir, with_answers)
    if target.exists() and not force:
        print(f"Model is up to date, not training: {os.path.relpath(target, PROJECT_ROOT)}", flush=True)
        return target
    inputs = prepare(faq_dir, build_dir)
    if "SpacyNLP" in config.read_text(encoding="utf-8"):
        blank_spacy_model()
    models_dir.mkdir(parents=True, exist_ok=True)
    data = ["nlu", "--nlu", str(inputs.nlu)] if nlu_only else ["--data", str(inputs.nlu), *map(str, inputs.dialogue)]
    command = rasa_command(
        "train", *data, "--config", str(config), "--domain", str(inputs.domain),
        "--out", str(models_dir), "--fixed-model-name", target.name.removesuffix(".tar.gz"),
        # --force also skips Rasa's own cache of trained components: a cold, comparable run
        *(["--force"] if force else []),
    )
    print(f"Training {target.name}; this takes several minutes...", flush=True)
    started = time.monotonic()
    subprocess.run(command, cwd=PROJECT_ROOT, env=rasa_env(settings), check=True, stdout=output,
                   stderr=subprocess.STDOUT if output else None)
    seconds = round(time.monotonic() - started, 1)
    report_path(target).write_text(json.dumps(
        {"model": target.name, "training_seconds": seconds, "size_bytes": target.stat().st_size}
    ))
    print(f"Trained in {seconds} s, {target.stat().st_size / 1e6:.1f} MB", flush=True)
    if models_dir == MODELS_DIR:  # the studio keeps every published version's model
        _prune_old_models(config)
    return target


def report_path(model: Path) -> Path:
    """`kuzey-<hash>.tar.gz` -> `kuzey-<hash>.json`: how long it trained and how big it is."""
    return model.with_suffix("").with_suffix(".json")


def training_report(model: Path) -> Dict[str, object]:
    report = report_path(model)
    return json.loads(report.read_text()) if report.exists() else {}


def _prune_old_models(config: Path) -> None:
    prefix = model_name(config).rsplit("-", 1)[0] + "-"
    models = sorted(
        (p for p in MODELS_DIR.glob(f"{prefix}*.tar.gz") if p.name.count("-") == prefix.count("-")),
        key=lambda p: p.stat().st_mtime, reverse=True,
    )
    for old in models[KEEP_MODELS:]:
        old.unlink()
        report_path(old).unlink(missing_ok=True)
