"""Publishing, the training job, the model swap and rollback.

The training job runs in its own process (`python -m bot kb job ID`): it trains the candidate
with Rasa's CLI in a child process, runs the gate, starts a parse-only Rasa with the candidate for
the "try it" box, and, when the gate passes, loads the model into the serving Rasa
(`PUT /model`). Nothing live changes before that last step, so a failed training changes nothing.
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, Optional

import requests

from bot import knowledge
from bot.desk.store import utcnow
from bot.processes import Service, ServiceGroup, free_port
from bot.settings import PROJECT_ROOT, Settings
from bot.studio.repository import Studio, StudioError, carry_answers, studio_text
from bot.training import (KnowledgeBaseError, data_hash, model_path, prepare, rasa_command, train,
                          training_report)

log = logging.getLogger(__name__)

DESK_CONFIG = PROJECT_ROOT / "data" / "desk.yml"
DEFAULT_TRAINING_SECONDS = 300.0
CANDIDATE_KEPT_SECONDS = 3600  # the "try it" server of a candidate nobody publishes stops after this
SWAP_TIMEOUT_SECONDS = 300


def open_studio(settings: Settings) -> Studio:
    """The studio on the project's database (migrated), seeded from data/faq/ on first use."""
    from bot.desk.store import DeskStore
    from bot.training import FAQ_DIR

    store = DeskStore.open(settings.store_database_url)
    studio = Studio(store.session, FAQ_DIR)
    studio.seed_if_empty(DESK_CONFIG)
    return studio


def studio_dir(settings: Settings) -> Path:
    return settings.state_dir / "studio"


def models_dir(settings: Settings) -> Path:
    return studio_dir(settings) / "models"


def write_faq(content: Dict[str, Any], folder: Path) -> Path:
    """A version's topics as topic files: what Rasa's training inputs are generated from (and, by
    `bot kb export`, data/faq/ itself: other files in the folder are left alone)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in [*folder.glob("*.yml"), *folder.glob("*.yaml")]:
        old.unlink()
    for name, document in content.items():
        (folder / f"{name}.yml").write_text(knowledge.topic_yaml(name, document), encoding="utf-8")
    return folder


def keep_model(settings: Settings, model: Path, name: Optional[str] = None) -> Path:
    """Published models live in the studio's folder, where nothing prunes them, named after what
    they learnt (`name`, the knowledge base without its answers)."""
    target = models_dir(settings) / (name or model.name)
    if model.resolve() != target.resolve() and not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(model, target)
        except OSError:  # another file system
            shutil.copy2(model, target)
    return target


def ensure_live_model(settings: Settings, studio: Studio) -> Path:
    """The model for the live content with the current code: found, or trained now (`bot up`)."""
    live = studio.live_version()
    faq = write_faq(live.content, studio_dir(settings) / "live" / "faq")
    target = model_path(faq_dir=faq, models_dir=models_dir(settings), with_answers=False)
    if not target.exists():
        repository = model_path()  # trained from data/faq/ (`make train`, the tests)
        if repository.exists() and data_hash(with_answers=False) == data_hash(faq_dir=faq, with_answers=False):
            target = keep_model(settings, repository, target.name)
        else:
            target = train(settings, faq_dir=faq, models_dir=models_dir(settings), with_answers=False,
                           build_dir=studio_dir(settings) / "build" / "live")
    if live.model != str(target):
        studio.set_version(live.id, model=str(target))
    return target


def _swap_replica(settings: Settings, url: str, model: Path) -> Optional[str]:
    """One replica's blue/green swap; None when it serves `model` now, else the editor's reason."""
    try:
        response = requests.post(f"{url}/pool/model", params={"token": settings.rasa_api_token()},
                                 json={"model_file": str(model.resolve())}, timeout=SWAP_TIMEOUT_SECONDS)
    except requests.RequestException:
        return studio_text("publish.unreachable")
    if response.status_code >= 300:
        return studio_text("publish.swap_failed", status=response.status_code)
    return None


def swap_model(settings: Settings, model: Path, previous: Optional[Path] = None) -> float:
    """Blue/green through bot/rasa_pool.py on every Rasa replica, one after the other (each swap
    briefly runs a second Rasa): a second Rasa loads `model` and takes over once warm;
    conversations stay in the shared tracker store. A replica that fails stops the publish; the
    replicas already swapped go back to `previous` (the live model), so all serve one model.
    Returns the seconds it took."""
    started = time.monotonic()
    swapped = []
    for url in settings.rasa_replica_urls:
        problem = _swap_replica(settings, url, model)
        if problem is None:
            swapped.append(url)
            continue
        log.error("Rasa replica %s did not take %s: %s", url, model.name, problem)
        stuck = [done for done in swapped
                 if previous is None or _swap_replica(settings, done, previous) is not None]
        if stuck:
            log.error("Rasa replicas %s still serve %s", ", ".join(stuck), model.name)
        replicas = f" [{url}]" if len(settings.rasa_replica_urls) > 1 else ""
        still = f" [{model.name}: {', '.join(stuck)}]" if stuck else ""
        raise StudioError(f"{problem}{replicas}{still}")
    return time.monotonic() - started


def _model_of(version: Any) -> Optional[Path]:
    """The version's model file, if it has one that still exists (to go back to)."""
    model = Path(version.model) if version is not None and version.model else None
    return model if model is not None and model.exists() else None


def publish(studio: Studio, by: str, note: Optional[str] = None) -> Dict[str, Any]:
    """Answers only: live at once. Otherwise a candidate and a queued training job."""
    pending = studio.pending()
    if not pending["needs_training"]:
        version = studio.make_version("answers", by, note)
        live = studio.go_live(version.id, by)
        return {"kind": "answers", "version": live.id}
    version = studio.make_version("model", by, note)
    job = studio.add_job(version.id, by)
    return {"kind": "training", "job": job.id, "version": version.id}


def publish_candidate(settings: Settings, studio: Studio, version_id: int, by: str,
                      override_reason: Optional[str] = None) -> Dict[str, Any]:
    version = studio.version(version_id)
    if version.model is None:
        raise StudioError(studio_text("publish.no_model"))
    live = studio.live_version()
    if live is not None and version.based_on and live.id != version.based_on:
        merged = carry_answers(version.content, studio.version(version.based_on).content, live.content)
        if merged != version.content:
            studio.set_version(version_id, content=merged)
    seconds = swap_model(settings, Path(version.model), _model_of(live))
    studio.go_live(version_id, by, override_reason=override_reason, action="override" if override_reason else "publish")
    return {"version": version_id, "swap_seconds": round(seconds, 2)}


def rollback(settings: Settings, studio: Studio, version_id: int, by: str) -> Dict[str, Any]:
    live = studio.live_version()
    copy = studio.rollback_copy(version_id, by)
    swap_seconds = 0.0
    if copy.model and (live is None or copy.model != live.model):
        if not Path(copy.model).exists():
            studio.set_version(copy.id, status="failed")
            raise StudioError(studio_text("publish.model_missing"))
        swap_seconds = swap_model(settings, Path(copy.model), _model_of(live))
    studio.go_live(copy.id, by, action="rollback")
    studio.reset_drafts(copy.content, by)
    return {"version": copy.id, "swap_seconds": round(swap_seconds, 2)}


# --- the training job (its own process) ---------------------------------------------------

def parse_only_server(settings: Settings, model: Path, work: Path, name: str) -> Service:
    """A Rasa with just the model (no channels' state kept): for the gate and "try it"."""
    endpoints = _empty_endpoints(work)
    port = free_port()
    return Service(
        name,
        rasa_command("run", "--model", str(model), "--enable-api", f"--auth-token={settings.rasa_api_token()}",
                     "--interface", "127.0.0.1", "--port", str(port), "--endpoints", str(endpoints),
                     "--credentials", str(endpoints)),
        f"http://127.0.0.1:{port}/",
        work / f"{name.replace(' ', '-')}.log",
    )


def parse_heldout(settings: Settings, url: str) -> list:
    from bot.studio import gate

    session = requests.Session()
    return [session.post(f"{url}/model/parse", params={"token": settings.rasa_api_token()}, json={"text": text},
                         timeout=60).json() for text in gate.heldout_texts()]


class Progress:
    """Writes the job's phase, progress (0..1) and the seconds it expects are left: training by the
    last training's duration, the gate by a fixed estimate."""

    PHASES = {"training": 0.0, "validating": 0.7, "stories": 0.75, "evaluating": 0.85}
    GATE_SECONDS = 150.0  # validate, story tests, two parse-only Rasa starts and 242 parses

    def __init__(self, studio: Studio, job_id: int, expected_training: float):
        self.studio, self.job_id, self.expected = studio, job_id, expected_training
        self.started = time.monotonic()

    def phase(self, name: str) -> None:
        start = self.PHASES[name]
        left = self.GATE_SECONDS * (1 - start) / 0.3 if start else self.expected + self.GATE_SECONDS
        self.studio.update_job(self.job_id, phase=name, progress=start, eta_seconds=round(left))

    def tick_training(self) -> None:
        elapsed = time.monotonic() - self.started
        share = min(elapsed / self.expected, 0.97)
        self.studio.update_job(self.job_id, progress=0.7 * share,
                               eta_seconds=round(max(self.expected - elapsed, 5) + self.GATE_SECONDS))


def expected_training_seconds(studio: Studio) -> float:
    live = studio.live_version()
    report = training_report(Path(live.model)) if live and live.model else {}
    return float(report.get("training_seconds") or DEFAULT_TRAINING_SECONDS)


def run_job(settings: Settings, studio: Studio, job_id: int, auto_publish: bool = False) -> str:
    """Trains and gates one candidate. A candidate that passed waits for the editor's "publish"
    (or is published at once with `auto_publish`, as `bot kb publish` does); meanwhile its Rasa
    answers the "try it" box. Returns the job's status."""
    from bot.studio import gate  # scikit-learn's metrics: only the job process needs them

    job = studio.job(job_id)
    version = studio.version(job.version_id)
    work = studio_dir(settings) / "work" / f"v{version.id}"
    work.mkdir(parents=True, exist_ok=True)
    progress = Progress(studio, job_id, expected_training_seconds(studio))
    studio.update_job(job_id, status="running", pid=os.getpid(), started_at=utcnow())
    candidate_server: Optional[Service] = None
    try:
        faq = write_faq(version.content, work / "faq")
        progress.phase("training")
        model = _train_with_progress(settings, faq, work, progress)
        model = keep_model(settings, model)
        studio.set_version(version.id, model=str(model))

        result = gate.GateResult()
        progress.phase("validating")
        result.checks["validate"] = gate.validate_data(settings, prepare(faq, work / "build"))
        if not result.checks["validate"]["ok"]:
            result.reasons.append(studio_text("gate.validate_failed"))
        progress.phase("stories")
        result.checks["stories"] = gate.story_tests(settings, model, work / "stories", _empty_endpoints(work))
        if not result.checks["stories"]["ok"]:
            result.reasons.append(studio_text("gate.stories_failed", stories=", ".join(result.checks["stories"]["failed"][:5])))
        progress.phase("evaluating")
        candidate_server = parse_only_server(settings, model, work, "candidate rasa")
        ServiceGroup(settings, [candidate_server]).start(progress=lambda _: None)
        studio.update_job(job_id, candidate_url=candidate_server.health_url.rstrip("/"))
        candidate_scores = gate.heldout_scores(parse_heldout(settings, candidate_server.health_url.rstrip("/")))
        live = studio.live_version()
        gate.compare(result, candidate_scores, _live_scores(settings, Path(live.model)) if live and live.model else None)
        gate.save_scores(model, candidate_scores)
        status = "passed" if result.passed else "blocked"
        studio.set_version(version.id, gate=result.as_json(), status="candidate" if result.passed else "blocked")
        studio.update_job(job_id, status=status, phase="done", progress=1.0, eta_seconds=0, finished_at=utcnow())
        if result.passed and auto_publish:
            publish_candidate(settings, studio, version.id, job.requested_by or "studio")
            return "published"
        _serve_try_it_until_decided(studio, version.id, candidate_server)
        return status
    except KnowledgeBaseError as error:
        return _fail(studio, job_id, version.id, studio_text("job.kb_problem", error=error))
    except subprocess.CalledProcessError:
        return _fail(studio, job_id, version.id, studio_text("job.training_failed", log=work / "training.log"))
    except StudioError as error:
        return _fail(studio, job_id, version.id, error.message)
    except Exception as error:  # noqa: BLE001 — whatever broke, the editor gets words and nothing live changes
        log.exception("studio job %s failed", job_id)
        return _fail(studio, job_id, version.id, studio_text("job.unexpected", error=type(error).__name__))
    finally:
        if candidate_server is not None:
            candidate_server.stop()


def _empty_endpoints(work: Path) -> Path:
    """Endpoints for a Rasa that only parses or is tested: no tracker store, NLG or actions."""
    path = work / "parse-endpoints.yml"
    path.write_text("# parse only: no tracker store, no actions\n", encoding="utf-8")
    return path


def _train_with_progress(settings: Settings, faq: Path, work: Path, progress: Progress) -> Path:
    outcome: Dict[str, Any] = {}

    def training() -> None:
        try:
            with (work / "training.log").open("w") as output:
                outcome["model"] = train(settings, faq_dir=faq, models_dir=models_dir(settings), build_dir=work / "build",
                                         output=output, with_answers=False)
        except BaseException as error:  # handed to the job's thread
            outcome["error"] = error

    thread = threading.Thread(target=training, daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(2.0)
        progress.tick_training()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["model"]


def _live_scores(settings: Settings, model: Path) -> Optional[Dict[str, float]]:
    from bot.studio import gate

    cached = gate.cached_scores(model)
    if cached is not None or not model.exists():
        return cached
    work = studio_dir(settings) / "work" / "live"
    work.mkdir(parents=True, exist_ok=True)
    server = parse_only_server(settings, model, work, "live rasa")
    with ServiceGroup(settings, [server]):
        scores = gate.heldout_scores(parse_heldout(settings, server.health_url.rstrip("/")))
    gate.save_scores(model, scores)
    return scores


def _serve_try_it_until_decided(studio: Studio, version_id: int, server: Service) -> None:
    """The candidate stays askable until it is published, or a newer one replaces it."""
    deadline = time.monotonic() + CANDIDATE_KEPT_SECONDS
    while time.monotonic() < deadline and server.running():
        if studio.version(version_id).status not in ("candidate", "blocked"):
            return
        time.sleep(2)


def _fail(studio: Studio, job_id: int, version_id: int, message: str) -> str:
    studio.set_version(version_id, status="failed", gate={"passed": False, "reasons": [message]})
    studio.update_job(job_id, status="failed", phase="done", error=message, finished_at=utcnow(), eta_seconds=0)
    return "failed"


def start_job_process(settings: Settings, job_id: int) -> subprocess.Popen:
    """The bridge starts each job as its own process (never inside the serving Rasa)."""
    log_path = studio_dir(settings) / "work" / f"job-{job_id}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as output:
        return subprocess.Popen([sys.executable, "-m", "bot", "kb", "job", str(job_id)], cwd=PROJECT_ROOT,
                                env={**os.environ, **settings.as_env()}, stdout=output, stderr=subprocess.STDOUT,
                                start_new_session=True)
