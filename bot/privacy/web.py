"""The admins' privacy page (/privacy) and its API: data subject requests, the audit log, retention.

Admins only; every look at a person's data, every export and erasure is written to the audit log
with who, when and why (bot/privacy/audit.py). Routes: docs/privacy.md.

The API speaks the language of the admin's page: `lang` in the query (or in a JSON body), Turkish
without one. A refusal is `{"error": words, "code": code}` (400), the words being `admin_error.<code>`
of the `privacy` domain (bot/privacy/errors.py); the outcome kept with an answered request is worded in
that language too.
"""
from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Optional

from aiohttp import web
from sqlalchemy.orm import Session

from bot import i18n
from bot.desk import texts
from bot.desk.auth import NO_STORE, authorised, request_address
from bot.desk.store import iso, utcnow
from bot.privacy import audit, export, requests as subject_requests, retention
from bot.privacy.audit import Actor
from bot.privacy.errors import AdminError
from bot.settings import PROJECT_ROOT, Settings

PAGE = PROJECT_ROOT / "widget" / "privacy" / "index.html"
ADMIN = ("admin",)


@dataclass
class PrivacyContext:
    sessions: Callable[[], Session]
    settings: Settings

    @property
    def state_dir(self) -> Path:
        return self.settings.state_dir


PRIVACY = web.AppKey("privacy", PrivacyContext)
# Where a JSON body's `lang` is kept on the request once read (the query's `lang` comes first).
BODY_LANGUAGE = "privacy.language"


def add_routes(app: web.Application) -> None:
    app.router.add_get("/privacy", page)
    app.router.add_get("/api/privacy/requests", list_requests)
    app.router.add_post("/api/privacy/requests", open_request)
    app.router.add_get("/api/privacy/requests/{id:\\d{1,9}}/preview", preview)
    app.router.add_post("/api/privacy/requests/{id:\\d{1,9}}/answer", answer)
    app.router.add_post("/api/privacy/requests/{id:\\d{1,9}}/refuse", refuse)
    app.router.add_get("/api/privacy/audit", audit_log)
    app.router.add_get("/api/privacy/retention", retention_state)
    app.router.add_post("/api/privacy/retention/run", retention_run)


async def page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(PAGE, headers={"Cache-Control": "no-cache"})


def reader_language(request: web.Request) -> str:
    """The language the answer is worded in: `lang` of the query, else of the JSON body; else Turkish."""
    return i18n.language_of(request.query.get("lang") or request.get(BODY_LANGUAGE))


async def _admin(request: web.Request) -> Actor:
    identity = await authorised(request, ADMIN, refusal=texts.say("auth.forbidden", reader_language(request)))
    address = request_address(request, _context(request).settings.trust_proxy)
    return Actor(name=identity.username, user_id=identity.user_id, role=identity.role, address=address)


def _context(request: web.Request) -> PrivacyContext:
    return request.app[PRIVACY]


async def _body(request: web.Request) -> Dict[str, Any]:
    try:
        body = await request.json()
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        raise _bad(request, AdminError("not_object"))
    if isinstance(body.get("lang"), str):
        request[BODY_LANGUAGE] = body["lang"]
    return body


def _bad(request: web.Request, error: AdminError) -> web.HTTPException:
    """400 with {"error": words, "code": code}, in the admin's language."""
    body = {"error": error.words(reader_language(request)), "code": error.code}
    return web.HTTPBadRequest(text=json.dumps(body, ensure_ascii=False), content_type="application/json",
                              headers=NO_STORE)


def _text(request: web.Request, body: Dict[str, Any], key: str, limit: int = 2000) -> str:
    value = body.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise _bad(request, AdminError("too_long", field=key, limit=limit))
    return value.strip()


async def _in_thread(request: web.Request, work: Callable[[Session], Any]) -> Any:
    sessions = _context(request).sessions

    def run() -> Any:
        with sessions() as s:
            return work(s)

    try:
        return await asyncio.to_thread(run)
    except AdminError as error:
        raise _bad(request, error) from None


# --- requests ----------------------------------------------------------------------------
async def list_requests(request: web.Request) -> web.Response:
    await _admin(request)
    now = utcnow()
    return web.json_response({"requests": await _in_thread(request, lambda s: subject_requests.requests(s, now)),
                              "now": iso(now)})


async def open_request(request: web.Request) -> web.Response:
    actor = await _admin(request)
    body = await _body(request)
    context, now = _context(request), utcnow()
    created = await _in_thread(request, lambda s: subject_requests.open_request(
        s, _text(request, body, "kind", 16), _text(request, body, "identifier_kind", 16),
        _text(request, body, "identifier", 254), now, context.settings.privacy_request_days,
        _text(request, body, "note")))
    audit.record(context.sessions, actor, "request_opened", customer_id=created["customer_id"],
                 subject=f"request:{created['id']}")
    return web.json_response(created, status=201)


async def preview(request: web.Request) -> web.Response:
    """What an answer would cover, as counts per kind of data (looking is audited too)."""
    actor = await _admin(request)
    request_id = int(request.match_info["id"])

    found = await _in_thread(request, lambda s: subject_requests.preview(s, request_id))
    audit.record(_context(request).sessions, actor, "search", customer_id=found["customer_id"],
                 subject=f"request:{request_id}")
    return web.json_response(found)


async def answer(request: web.Request) -> web.Response:
    actor = await _admin(request)
    body = await _body(request)
    reason = _text(request, body, "reason") or None  # checked before anything is changed
    context, request_id, now = _context(request), int(request.match_info["id"]), utcnow()
    language = reader_language(request)  # the outcome kept with the request is worded in it
    result = await _in_thread(request, lambda s: subject_requests.answer(s, request_id, actor.name, now,
                                                                         context.state_dir, language))
    action = "export" if result.document is not None else "erase"
    audit.record(context.sessions, actor, action, customer_id=result.request["customer_id"],
                 subject=f"request:{request_id}", reason=reason)
    payload: Dict[str, Any] = {"request": result.request, "destroyed": result.destroyed}
    if result.document is not None:
        payload.update(document=result.document, html=export.render_html(result.document))
    return web.json_response(payload)


async def refuse(request: web.Request) -> web.Response:
    actor = await _admin(request)
    body = await _body(request)
    request_id, now, reason = int(request.match_info["id"]), utcnow(), _text(request, body, "reason")
    refused = await _in_thread(request, lambda s: subject_requests.refuse(s, request_id, actor.name, now, reason))
    audit.record(_context(request).sessions, actor, "request_refused", customer_id=refused["customer_id"],
                 subject=f"request:{request_id}")
    return web.json_response(refused)


# --- audit log ---------------------------------------------------------------------------
async def audit_log(request: web.Request) -> web.Response:
    actor = await _admin(request)
    customer = request.query.get("customer_id", "")
    if customer and not re.fullmatch(r"[0-9]{1,9}", customer):
        raise _bad(request, AdminError("bad_customer"))
    customer_id: Optional[int] = int(customer) if customer else None
    entries = await _in_thread(request, lambda s: audit.entries(s, customer_id=customer_id, limit=5000))
    audit.record(_context(request).sessions, actor, "read_audit", customer_id=customer_id,
                 subject="csv" if request.query.get("format") == "csv" else None)
    if request.query.get("format") != "csv":
        return web.json_response({"entries": entries})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=audit.COLUMNS)
    writer.writeheader()
    writer.writerows(audit.spreadsheet_safe(entries))
    return web.Response(text=out.getvalue(), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": 'attachment; filename="denetim-kaydi.csv"'})


# --- retention ---------------------------------------------------------------------------
async def retention_state(request: web.Request) -> web.Response:
    await _admin(request)
    periods = retention.Periods.from_settings(_context(request).settings)
    records = await _in_thread(request, lambda s: [record_view(r) for r in retention.destruction_records(s)])
    return web.json_response({"periods": periods.as_record(), "records": records})


async def retention_run(request: web.Request) -> web.Response:
    actor = await _admin(request)
    periods, now = retention.Periods.from_settings(_context(request).settings), utcnow()
    record = await _in_thread(request, lambda s: record_view(r) if (r := retention.run_retention(s, periods, now, actor.name)) else None)
    audit.record(_context(request).sessions, actor, "retention_run")
    return web.json_response({"record": record})


def record_view(record) -> Dict[str, Any]:
    return {"id": record.id, "at": iso(record.at), "trigger": record.trigger, "request_id": record.request_id,
            "actor": record.actor, "method": record.method, "counts": dict(record.counts or {}),
            "rules": dict(record.rules or {})}
