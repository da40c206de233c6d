"""The studio's API on the running bridge: who may use it, conflicts, bad input, and a training job
that the bridge starts as its own process and that fails in plain words without changing anything."""
import time

import pytest
import requests

from bot.desk.store import DeskStore, utcnow
from bot.studio.models import KbJob, KbVersion
from bot.studio.repository import Studio
from bot.training import FAQ_DIR


def login(bridge, username):
    response = requests.post(f"{bridge.url}/api/login", json={"username": username, "password": bridge.passwords[username]},
                             timeout=10)
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
def api(running_bridge):
    headers = login(running_bridge, "editor")
    store = DeskStore.open(running_bridge.settings.store_database_url)
    studio = Studio(store.session, FAQ_DIR)

    def call(method, path, headers=headers, **kwargs):
        return requests.request(method, f"{running_bridge.url}/api/editor{path}", headers=headers, timeout=30, **kwargs)

    call.studio, call.headers = studio, headers
    yield call
    studio.reset_drafts(studio.live_version().content, "test-cleanup")
    store.engine.dispose()


def test_agents_and_strangers_get_no_access_to_the_studio(running_bridge, api):
    assert api("GET", "/topics", headers={}).status_code == 401
    refused = api("GET", "/topics", headers=login(running_bridge, "ayse"))
    assert refused.status_code == 403 and "içerik editörleri" in refused.json()["error"]
    assert api("PUT", "/topics/carriers", headers=login(running_bridge, "ayse"), json={}).status_code == 403
    assert requests.get(f"{running_bridge.url}/editor", timeout=10).status_code == 200  # the page itself logs in
    assert api("GET", "/topics", headers=login(running_bridge, "yonetici")).status_code == 200


def test_the_second_save_of_two_editors_gets_both_versions(api):
    topic = api("GET", "/topics/warranty").json()["topic"]
    mine = {**topic["content"], "answer": {**topic["content"]["answer"], "tr": "Benim cevabım."}}
    theirs = {**topic["content"], "answer": {**topic["content"]["answer"], "tr": "Onun cevabı."}}
    assert api("PUT", "/topics/warranty", json={"content": theirs, "revision": topic["revision"]}).status_code == 200
    conflict = api("PUT", "/topics/warranty", json={"content": mine, "revision": topic["revision"]})
    assert conflict.status_code == 409
    body = conflict.json()
    assert body["conflict"]["yours"]["answer"]["tr"] == "Benim cevabım."
    assert body["conflict"]["theirs"]["answer"]["tr"] == "Onun cevabı."
    assert body["conflict"]["by"] == "editor" and "değiştirdi" in body["error"]


def test_bad_input_gets_a_clear_message_and_stores_nothing_broken(api):
    topic = api("GET", "/topics/carriers").json()["topic"]
    revision = topic["revision"]
    for bad in ("not json", "[]", '{"content": 5, "revision": 1}'):
        response = api("PUT", "/topics/carriers", data=bad, headers={**api.headers, "Content-Type": "application/json"})
        assert response.status_code == 400 and response.json()["error"]
    huge = {**topic["content"], "questions": {"tr": [f"soru {i}" for i in range(3000)], "en": []}}
    response = api("PUT", "/topics/carriers", json={"content": huge, "revision": revision})
    assert response.status_code in (400, 413) and response.json()["error"]
    assert api("POST", "/topics", json={"name": "a/b", "content": topic["content"]}).status_code == 400
    assert api("GET", "/topics/a/b").status_code == 404
    script = {**topic["content"], "answer": {**topic["content"]["answer"], "tr": "<script>alert(1)</script> Kargo 😀."}}
    saved = api("PUT", "/topics/carriers", json={"content": script, "revision": revision})
    assert saved.status_code == 200
    assert any("HTML" in p["message"] and p["field"] == "answer.tr" for p in saved.json()["topic"]["problems"])
    published = api("POST", "/publish", json={})
    assert published.status_code == 400 and "carriers" in published.json()["error"]


def test_a_training_job_runs_in_its_own_process_and_a_failure_changes_nothing_live(api):
    studio = api.studio
    live = studio.live_version()
    broken = dict(live.content)
    broken["carriers"] = {**broken["carriers"], "questions": {"tr": ["tek soru"], "en": []}}  # too few to train on
    with studio.sessions() as s:
        version = KbVersion(kind="model", status="candidate", content=broken, created_by="editor", created_at=utcnow(),
                            based_on=live.id)
        s.add(version)
        s.flush()
        job = KbJob(version_id=version.id, status="queued", progress=0.0, requested_by="editor", created_at=utcnow())
        s.add(job)
        s.commit()
        job_id = job.id
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        shown = api("GET", f"/jobs/{job_id}").json()["job"]
        if shown["status"] not in ("queued", "running"):
            break
        time.sleep(1)
    assert shown["status"] == "failed", shown
    assert "Bilgi bankasında sorun var" in shown["error"]
    assert studio.job(job_id).pid  # started by the bridge as a process of its own
    assert studio.live_version().id == live.id
    status = api("GET", "/status").json()
    assert status["live"]["version"] == live.id
