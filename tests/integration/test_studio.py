"""The studio against the real Rasa: answers live without restart, a failed training changes
nothing, the gate blocks a regression, an admin's override swaps the model under load with no
failed turn and no lost conversation, and rollback brings the old model back without training.

The training test trains one candidate (several minutes with Rasa's cache) and is the only one
here that does; it restores the live version it found.
"""
import copy
import sys
import threading
import time

import pytest

from bench.swap import Chatter, during_swap
from bot.desk.store import DeskStore
from bot.studio import publishing
from bot.studio.publishing import DESK_CONFIG, ensure_live_model, publish, publish_candidate, rollback, run_job
from bot.studio.repository import Studio
from bot.training import FAQ_DIR

ANSWER_SECONDS = 10


@pytest.fixture
def studio(running_assistant, trained_model):
    store = DeskStore.open(running_assistant.store_database_url)
    studio = Studio(store.session, FAQ_DIR)
    studio.seed_if_empty(DESK_CONFIG)
    live_before = studio.live_version()
    if live_before.model is None:
        studio.set_version(live_before.id, model=str(trained_model))
    yield studio
    if studio.live_version().id != live_before.id:
        rollback(running_assistant, studio, live_before.id, "test-cleanup")
    studio.reset_drafts(studio.live_version().content, "test-cleanup")
    store.engine.dispose()


def edit(studio, name, change):
    topic = studio.topic(name)
    content = copy.deepcopy(topic["content"])
    change(content)
    return studio.save_topic(name, content, topic["revision"], "editor")


def answer_of(shopper, text):
    return " ".join(message.get("text", "") for message in shopper.say(text))


def test_an_answer_edit_reaches_shoppers_within_seconds_without_training_or_restart(studio, shopper):
    question = "kargo ücreti ne kadar"
    new_answer = "Kargo bu hafta tüm siparişlerde ücretsizdir (test)."
    edit(studio, "shipping_cost", lambda c: c["answer"].update(tr=new_answer))
    published = time.monotonic()
    assert publish(studio, "editor")["kind"] == "answers"
    seen = None
    while time.monotonic() - published < ANSWER_SECONDS:
        if new_answer in answer_of(shopper(), question):
            seen = time.monotonic() - published
            break
        time.sleep(0.2)
    assert seen is not None, "the new answer did not reach the shopper"
    print(f"answer edit live after {seen:.2f} s")


def test_a_failed_training_says_why_and_changes_nothing_live(studio, running_assistant, monkeypatch):
    live = studio.live_version()
    edit(studio, "carriers", lambda c: c["questions"]["tr"].append("hangi kargo firmasıyla gönderiyorsunuz acaba"))
    outcome = publish(studio, "editor")
    # Rasa's training process fails as it would on a full disk: a real child process, exit 3.
    monkeypatch.setattr(publishing, "train", lambda *a, **k: _failing_training())
    status = run_job(running_assistant, studio, outcome["job"])
    job = studio.job(outcome["job"])
    assert status == "failed" and job.status == "failed"
    assert "yayındaki sürüm değişmedi" in job.error
    assert studio.version(outcome["version"]).status == "failed"
    assert studio.live_version().id == live.id
    # the drafts are kept: nothing the editor wrote is lost
    assert "hangi kargo firmasıyla gönderiyorsunuz acaba" in studio.topic("carriers")["content"]["questions"]["tr"]


def _failing_training():
    import subprocess

    subprocess.run([sys.executable, "-c", "import sys; sys.exit(3)"], check=True)


def test_the_gate_blocks_a_regression_and_an_override_swaps_the_model_under_load(studio, running_assistant, shopper):
    """Swapping the Turkish questions of two topics makes the candidate confuse them: the held-out
    topic accuracy drops by more than a point and the gate blocks it."""
    first = studio.topic("installments")["content"]["questions"]["tr"]
    second = studio.topic("payment_methods")["content"]["questions"]["tr"]
    edit(studio, "installments", lambda c: c["questions"].update(tr=second))
    edit(studio, "payment_methods", lambda c: c["questions"].update(tr=first))
    outcome = publish(studio, "editor")
    assert outcome["kind"] == "training"

    # The gate's candidate server stays up for "try it" until the version is decided: run the
    # job in a thread, as its own process would.
    result = {}
    job_thread = threading.Thread(target=lambda: result.update(status=run_job(running_assistant, studio, outcome["job"])))
    job_thread.start()
    deadline = time.monotonic() + 1500
    while studio.job(outcome["job"]).status in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(5)
    version = studio.version(outcome["version"])
    gate = version.gate
    print("gate:", gate)
    assert studio.job(outcome["job"]).status == "blocked", gate
    assert gate["validate"]["ok"] and gate["stories"]["ok"], gate
    assert gate["heldout"]["live"]["topic"] - gate["heldout"]["candidate"]["topic"] > 1.0
    assert any("konu doğruluğu" in reason for reason in gate["reasons"])

    # A conversation with state (the language slot) before the swap...
    remembered = shopper({"language": "en"})
    remembered.say("hello")
    # ...then an admin publishes anyway while shoppers chat.
    with Chatter(f"{running_assistant.rasa_url}/webhooks/rest/webhook", 4, sender="swap") as shoppers:
        time.sleep(3)
        swap_started = time.monotonic()
        swapped = publish_candidate(running_assistant, studio, version.id, "yonetici", override_reason="test: swap under load")
        swap_ended = time.monotonic()
        time.sleep(3)
    job_thread.join(60)
    figures = during_swap(shoppers.turns, swap_started, swap_ended)
    job = studio.job(outcome["job"])
    print(f"question edit: training and gate {(job.finished_at - job.created_at).total_seconds():.0f} s, then the swap")
    print(f"swap {swapped['swap_seconds']:.2f} s; turns {figures['turns']}, failed {figures['failed_turns']}; "
          f"p50 before {figures['p50_before_ms']:.0f} ms, p95 during {figures['p95_during_ms']:.0f} ms")
    assert figures["failed_turns"] == 0 and figures["turns_during"] > 0
    assert studio.live_version().id == version.id and studio.live_version().override_reason == "test: swap under load"
    assert remembered.tracker()["slots"]["language"] == "en"  # the conversation survived the swap

    # Rollback: the previous model comes back without training.
    previous = version.based_on
    started = time.monotonic()
    back = rollback(running_assistant, studio, previous, "editor")
    print(f"rollback live after {time.monotonic() - started:.2f} s")
    assert studio.live_version().id == back["version"]
    assert studio.live_version().model == studio.version(previous).model
    assert studio.topic("installments")["content"]["questions"]["tr"] == first


def test_the_live_model_of_a_new_installation_is_the_repositorys_without_training(running_assistant, trained_model, tmp_path):
    """A fresh state folder: the studio seeds from data/faq/ and runs on the model `make train`
    made (the same file, linked), instead of training again; an answer edit keeps it."""
    import os

    from bot.studio.publishing import open_studio

    settings = running_assistant.copy(update={"state_dir": tmp_path, "database_url": ""})
    fresh = open_studio(settings)
    model = ensure_live_model(settings, fresh)
    assert os.path.samefile(model, trained_model)
    edit(fresh, "carriers", lambda c: c["answer"].update(tr="Yeni bir cevap."))
    publish(fresh, "editor")
    assert ensure_live_model(settings, fresh) == model
