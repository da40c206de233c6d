"""The studio's page and JSON API on the bridge (docs/editor-studio.md), for editors and admins.

The bridge never trains: publishing a question change queues a job that a watcher here starts as
its own process (`python -m bot kb job ID`), one at a time.
"""
from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Awaitable, Callable, Dict, Optional

import aiohttp
from aiohttp import web

from bot import i18n
from bot.desk.accounts import Identity
from bot.desk.auth import authorised
from bot.desk.store import iso, utcnow
from bot.settings import PROJECT_ROOT, Settings
from bot.studio import publishing
from bot.studio.repository import (STUDIO_LANGUAGE, Conflict, Studio, StudioError, job_summary, studio_text,
                                   version_summary)

log = logging.getLogger(__name__)

STUDIO = web.AppKey("studio", Studio)
STUDIO_SETTINGS = web.AppKey("studio_settings", Settings)
EDITOR_ROLES = ("editor", "admin")
EDITORS_ONLY = studio_text("editors_only")
PAGE = PROJECT_ROOT / "widget" / "editor" / "index.html"
JOB_POLL_SECONDS = 2.0
MAX_BODY_BYTES = 512 * 1024
MAX_DESK_ITEMS = 200  # canned responses, and tags
MAX_TRY_CHARS = 1000

Handler = Callable[[web.Request, Identity], Awaitable[web.Response]]


def error(message: str, status: int = 400, **extra: Any) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


def editor_only(handler: Handler, roles: tuple = EDITOR_ROLES) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def wrapped(request: web.Request) -> web.Response:
        identity = await authorised(request, roles, refusal=EDITORS_ONLY)
        try:
            return await handler(request, identity)
        except Conflict as conflict:
            return error(studio_text("conflict", by=conflict.by or studio_text("someone")), 409,
                         conflict={"yours": conflict.yours, "theirs": conflict.theirs, "revision": conflict.revision,
                                   "by": conflict.by, "at": iso(conflict.at)})
        except StudioError as failure:
            return error(failure.message, failure.status)

    return wrapped


async def body(request: web.Request) -> Dict[str, Any]:
    if request.content_length and request.content_length > MAX_BODY_BYTES:
        raise StudioError(studio_text("request.too_large"), 413)
    try:
        data = await request.json()
    except (ValueError, RecursionError, UnicodeDecodeError):
        raise StudioError(studio_text("request.not_json"))
    if not isinstance(data, dict):
        raise StudioError(studio_text("request.invalid"))
    return data


def _studio(request: web.Request) -> Studio:
    return request.app[STUDIO]


async def _run(function: Callable, *args: Any) -> Any:
    """Database work off the event loop: shoppers' turns must not wait for an editor's save."""
    return await asyncio.to_thread(function, *args)


# --- topics ----------------------------------------------------------------------------------

async def list_topics(request: web.Request, who: Identity) -> web.Response:
    query = request.query.get("q", "")[:200]
    return web.json_response({"topics": await _run(_studio(request).topics, query)})


async def get_topic(request: web.Request, who: Identity) -> web.Response:
    return web.json_response({"topic": await _run(_studio(request).topic, request.match_info["name"])})


async def create_topic(request: web.Request, who: Identity) -> web.Response:
    data = await body(request)
    topic = await _run(_studio(request).create_topic, data.get("name"), data.get("content"), who.username)
    return web.json_response({"topic": topic}, status=201)


async def save_topic(request: web.Request, who: Identity) -> web.Response:
    data = await body(request)
    topic = await _run(_studio(request).save_topic, request.match_info["name"], data.get("content"), data.get("revision"),
                       who.username)
    return web.json_response({"topic": topic})


async def retire_topic(request: web.Request, who: Identity) -> web.Response:
    data = await body(request)
    return web.json_response({"topic": await _run(_studio(request).retire_topic, request.match_info["name"],
                                                  data.get("revision"), who.username)})


async def restore_topic(request: web.Request, who: Identity) -> web.Response:
    data = await body(request)
    return web.json_response({"topic": await _run(_studio(request).restore_topic, request.match_info["name"],
                                                  data.get("revision"), who.username)})


async def topic_history(request: web.Request, who: Identity) -> web.Response:
    return web.json_response({"changes": await _run(_studio(request).history, request.match_info["name"])})


# --- canned responses and tags ---------------------------------------------------------------

async def get_desk(request: web.Request, who: Identity) -> web.Response:
    return web.json_response(await _run(_studio(request).document))


async def save_desk(request: web.Request, who: Identity) -> web.Response:
    data = await body(request)
    content = check_desk_content(data.get("content"))
    return web.json_response(await _run(_studio(request).save_document, content, data.get("revision"), who.username))


def check_desk_content(content: Any) -> Dict[str, Any]:
    """Canned responses and tags: unique keys, both languages, plain short text."""
    if not isinstance(content, dict):
        raise StudioError(studio_text("desk.invalid_content"))
    checked: Dict[str, Any] = {"responses": [], "tags": []}
    for kind, text_field in (("responses", "text"), ("tags", None)):
        items = content.get(kind) or []
        if not isinstance(items, list) or len(items) > MAX_DESK_ITEMS:
            raise StudioError(studio_text("desk.too_many", limit=MAX_DESK_ITEMS))
        keys = set()
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("key"), str) or not item["key"].strip():
                raise StudioError(studio_text("desk.key_missing"))
            key = item["key"].strip()[:64]
            if key in keys:
                raise StudioError(studio_text("desk.duplicate_key", key=key))
            keys.add(key)
            entry: Dict[str, Any] = {"key": key, "title": _both_languages(item.get("title"), studio_text("desk.title_of", key=key), 80)}
            if text_field:
                entry["text"] = _both_languages(item.get(text_field), studio_text("desk.text_of", key=key), 1000)
            checked[kind].append(entry)
    return checked


def _both_languages(value: Any, what: str, limit: int) -> Dict[str, str]:
    if not isinstance(value, dict):
        raise StudioError(studio_text("desk.both_languages", what=what))
    out = {}
    for language, key in (("tr", "bridge:language.tr"), ("en", "bridge:language.en")):
        text, name = value.get(language), i18n.say(key, STUDIO_LANGUAGE)
        if not isinstance(text, str) or not text.strip():
            raise StudioError(studio_text("desk.language_missing", what=what, language_name=name))
        if len(text) > limit:
            raise StudioError(studio_text("desk.language_too_long", what=what, language_name=name, limit=limit))
        out[language] = text.replace("\x00", "").strip()
    return out


# --- publishing ------------------------------------------------------------------------------

async def status(request: web.Request, who: Identity) -> web.Response:
    studio = _studio(request)
    live = await _run(studio.live_version)
    return web.json_response({
        "live": {"version": live.id, "published_at": iso(live.published_at), "by": live.created_by, "kind": live.kind} if live else None,
        "pending": await _run(studio.pending),
        "job": job_summary(await _run(studio.current_job)),
        "role": who.role,
    })


async def publish(request: web.Request, who: Identity) -> web.Response:
    data = await body(request)
    note = data.get("note") if isinstance(data.get("note"), str) else None
    outcome = await _run(publishing.publish, _studio(request), who.username, (note or "")[:500] or None)
    return web.json_response(outcome)


async def get_job(request: web.Request, who: Identity) -> web.Response:
    job = await _run(_studio(request).job, _int(request.match_info["id"]))
    if job is None:
        return error(studio_text("job.not_found"), 404)
    return web.json_response({"job": job_summary(job), "version": version_summary(await _run(_studio(request).version, job.version_id))})


async def publish_job(request: web.Request, who: Identity) -> web.Response:
    """A candidate that passed the gate; or, for an admin with a reason, one it blocked."""
    data = await body(request)
    studio = _studio(request)
    job = await _run(studio.job, _int(request.match_info["id"]))
    if job is None:
        return error(studio_text("job.not_found"), 404)
    version = await _run(studio.version, job.version_id)
    reason = data.get("reason") if isinstance(data.get("reason"), str) else ""
    if version.status == "blocked":
        if who.role != "admin":
            return error(studio_text("publish.blocked_admin_only"), 403)
        if len(reason.strip()) < 5:
            return error(studio_text("publish.reason_needed"))
    elif version.status != "candidate":
        return error(studio_text("publish.not_ready"))
    outcome = await _run(publishing.publish_candidate, request.app[STUDIO_SETTINGS], studio, version.id, who.username,
                         reason.strip()[:500] if version.status == "blocked" else None)
    await _run(lambda: studio.update_job(job.id, status="published"))
    return web.json_response(outcome)


async def list_versions(request: web.Request, who: Identity) -> web.Response:
    return web.json_response({"versions": await _run(_studio(request).versions)})


async def rollback(request: web.Request, who: Identity) -> web.Response:
    outcome = await _run(publishing.rollback, request.app[STUDIO_SETTINGS], _studio(request), _int(request.match_info["id"]),
                         who.username)
    return web.json_response(outcome)


async def try_it(request: web.Request, who: Identity) -> web.Response:
    """What the candidate (else the live model) makes of a question, and the answer it would give."""
    data = await body(request)
    text, language = data.get("text"), data.get("language") if data.get("language") in ("tr", "en") else "tr"
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TRY_CHARS:
        return error(studio_text("try.bad_question", limit=MAX_TRY_CHARS))
    studio, settings = _studio(request), request.app[STUDIO_SETTINGS]
    job = await _run(studio.current_job)
    version = await _run(studio.version, job.version_id) if job and job.candidate_url else None
    if version is not None and version.status in ("candidate", "blocked"):
        url, model, content = job.candidate_url, "candidate", version.content
    else:
        live = await _run(studio.live_version)
        url, model, content = settings.rasa_replica_urls[0], "live", live.content
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as http:
            async with http.post(f"{url}/model/parse", params={"token": settings.rasa_api_token()},
                                 json={"text": text.strip()}) as response:
                parse = await response.json()
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        return error(studio_text("try.unreachable"), 503)
    intent = (parse.get("intent") or {})
    topic = _topic(parse)
    answer = ((content.get(topic) or {}).get("answer") or {}).get(language) if topic else None
    return web.json_response({"intent": intent.get("name"), "confidence": round(float(intent.get("confidence") or 0), 3),
                              "topic": topic, "answer": answer, "model": model})


def _topic(parse: Dict[str, Any]) -> Optional[str]:
    if (parse.get("intent") or {}).get("name") != "faq":
        return None
    selected = ((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}
    key = selected.get("intent_response_key") or ""
    return key.split("/", 1)[1] if "/" in key else None


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise StudioError(studio_text("bad_number"), 404)


# --- the job watcher -------------------------------------------------------------------------

async def watch_jobs(studio: Studio, settings: Settings) -> None:
    """Starts queued trainings one at a time; a job whose process died is failed in plain words."""
    while True:
        try:
            await asyncio.to_thread(_step, studio, settings)
        except Exception:  # noqa: BLE001 — the watcher must outlive a database hiccup
            log.exception("studio job watcher")
        await asyncio.sleep(JOB_POLL_SECONDS)


def _step(studio: Studio, settings: Settings) -> None:
    job = studio.current_job()
    if job is not None and job.status == "running" and job.pid and not _alive(job.pid):
        studio.update_job(job.id, status="failed", phase="done", finished_at=utcnow(),
                          error=studio_text("job.process_died"))
        studio.set_version(job.version_id, status="failed")
    claimed = studio.claim_next_job()
    if claimed is not None:
        process = publishing.start_job_process(settings, claimed.id)
        studio.update_job(claimed.id, pid=process.pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A finished child of ours stays a zombie until reaped; reap it so it counts as gone.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


async def page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(PAGE, headers={"Cache-Control": "no-cache"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/editor", page)
    routes = [
        ("GET", "/api/editor/topics", list_topics), ("POST", "/api/editor/topics", create_topic),
        ("GET", "/api/editor/topics/{name}", get_topic), ("PUT", "/api/editor/topics/{name}", save_topic),
        ("POST", "/api/editor/topics/{name}/retire", retire_topic), ("POST", "/api/editor/topics/{name}/restore", restore_topic),
        ("GET", "/api/editor/topics/{name}/history", topic_history),
        ("GET", "/api/editor/desk", get_desk), ("PUT", "/api/editor/desk", save_desk),
        ("GET", "/api/editor/status", status), ("POST", "/api/editor/publish", publish),
        ("GET", "/api/editor/jobs/{id}", get_job), ("POST", "/api/editor/jobs/{id}/publish", publish_job),
        ("GET", "/api/editor/versions", list_versions), ("POST", "/api/editor/versions/{id}/rollback", rollback),
        ("POST", "/api/editor/try", try_it),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, editor_only(handler))
