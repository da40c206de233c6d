"""The studio's API on the running bridge: who may use it, conflicts, bad input, and a training job
that the bridge starts as its own process and that fails in plain words without changing anything."""
import time

import requests

from bot.desk.store import utcnow
from bot.studio.models import KbJob, KbVersion


def test_agents_and_strangers_get_no_access_to_the_studio(running_bridge, editor_api):
    assert editor_api("GET", "/topics", headers={}).status_code == 401
    refused = editor_api("GET", "/topics", headers=running_bridge.auth_headers("ayse"))
    assert refused.status_code == 403 and "içerik editörleri" in refused.json()["error"]
    assert editor_api("PUT", "/topics/carriers", headers=running_bridge.auth_headers("ayse"), json={}).status_code == 403
    assert requests.get(f"{running_bridge.url}/editor", timeout=10).status_code == 200  # the page itself logs in
    assert editor_api("GET", "/topics", headers=running_bridge.auth_headers("yonetici")).status_code == 200


def test_the_second_save_of_two_editors_gets_both_versions(editor_api):
    topic = editor_api("GET", "/topics/warranty").json()["topic"]
    mine = {**topic["content"], "answer": {**topic["content"]["answer"], "tr": "Benim cevabım."}}
    theirs = {**topic["content"], "answer": {**topic["content"]["answer"], "tr": "Onun cevabı."}}
    assert editor_api("PUT", "/topics/warranty", json={"content": theirs, "revision": topic["revision"]}).status_code == 200
    conflict = editor_api("PUT", "/topics/warranty", json={"content": mine, "revision": topic["revision"]})
    assert conflict.status_code == 409
    body = conflict.json()
    assert body["conflict"]["yours"]["answer"]["tr"] == "Benim cevabım."
    assert body["conflict"]["theirs"]["answer"]["tr"] == "Onun cevabı."
    assert body["conflict"]["by"] == "editor" and "değiştirdi" in body["error"]


def test_bad_input_gets_a_clear_message_and_stores_nothing_broken(editor_api):
    topic = editor_api("GET", "/topics/carriers").json()["topic"]
    revision = topic["revision"]
    for bad in ("not json", "[]", '{"content": 5, "revision": 1}'):
        response = editor_api("PUT", "/topics/carriers", data=bad, headers={**editor_api.headers, "Content-Type": "application/json"})
        assert response.status_code == 400 and response.json()["error"]
    huge = {**topic["content"], "questions": {"tr": [f"soru {i}" for i in range(3000)], "en": []}}
    response = editor_api("PUT", "/topics/carriers", json={"content": huge, "revision": revision})
    assert response.status_code in (400, 413) and response.json()["error"]
    assert editor_api("POST", "/topics", json={"name": "a/b", "content": topic["content"]}).status_code == 400
    assert editor_api("GET", "/topics/a/b").status_code == 404
    script = {**topic["content"], "answer": {**topic["content"]["answer"], "tr": "<script>alert(1)</script> Kargo 😀."}}
    saved = editor_api("PUT", "/topics/carriers", json={"content": script, "revision": revision})
    assert saved.status_code == 200
    assert any("HTML" in p["message"] and p["field"] == "answer.tr" for p in saved.json()["topic"]["problems"])
    published = editor_api("POST", "/publish", json={})
    assert published.status_code == 400 and "carriers" in published.json()["error"]


def test_a_training_job_runs_in_its_own_process_and_a_failure_changes_nothing_live(editor_api):
    studio = editor_api.studio
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
        shown = editor_api("GET", f"/jobs/{job_id}").json()["job"]
        if shown["status"] not in ("queued", "running"):
            break
        time.sleep(1)
    assert shown["status"] == "failed", shown
    assert "Bilgi bankasında sorun var" in shown["error"]
    assert studio.job(job_id).pid  # started by the bridge as a process of its own
    assert studio.live_version().id == live.id
    status = editor_api("GET", "/status").json()
    assert status["live"]["version"] == live.id
