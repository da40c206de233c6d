"""The editors' inbox on the bridge: what shoppers could not get answered (bot/studio/inbox.py).

Bearer token of an `editor` or `admin` (the studio's `editor_only`); answers are JSON, errors
`{"error": "<plain Turkish>"}`. A group is named by the id of one of its items (`id` in the list).

| method, path | body | answer |
|---|---|---|
| GET `/api/editor/inbox?status=new&sort=frequent&q=&limit=100` | | `{groups: [group], total, counts: {new, added, new_topic, dismissed}}` (status: new, added, new_topic, dismissed; sort: frequent = most items first, recent = newest first) |
| GET `/api/editor/inbox/{group}` | | `{group: group + entries: [item], suggestions: [{name, title: {tr,en}, score, source: "assistant" or "words"}]}` |
| GET `/api/editor/inbox/{group}/messages?item=` | | `{group, item, conversation_id, language, earlier, later, messages: [{id, sender, text, time, agent_name, intent, understood, marked}]}` the conversation around the item's message (the group's newest item by default) |
| GET `/api/editor/inbox/{group}/suggestions` | | `{suggestions: [...]}` as above |
| POST `/api/editor/inbox/{group}/add` | `{topic, text?, language?, items?}` | `{group, topic: topic as in /api/editor/topics/{name}, added: false when the topic had the question, question, language}`; 400 with the reason when the text cannot be a question as it is (order number, e-mail, brackets) or another topic has it; 409 when decided meanwhile |
| GET `/api/editor/inbox/{group}/draft` | | `{group, draft: {name, content}}` a new topic pre-filled from the group; create it with POST `/api/editor/topics` |
| POST `/api/editor/inbox/{group}/new_topic` | `{topic, items?}` | `{group}` after the topic was created from the draft |
| POST `/api/editor/inbox/{group}/dismiss` | `{items?}` | `{group}` |
| POST `/api/editor/inbox/{group}/reopen` | | `{group}` a dismissed group back to `new` |

group: `{id, text, key, count, shopper_messages, agent_marks, conversations, language, languages,
intents: [{intent, count}], confidence (lowest), first_at, last_at, examples: [text],
marks: [{item, agent, suggested_answer, conversation_id, message_id, at}], status, topic,
resolved_by, resolved_at, items: [id]}`. item: `{id, source, text, conversation_id, message_id,
intent, confidence, language, agent, suggested_answer, status, topic, resolved_by, resolved_at,
created_at}`. `items` in a body restricts a decision to some of the group's items.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, Optional

import aiohttp
from aiohttp import web

from bot.desk.accounts import Identity
from bot.studio.inbox import Inbox, suggested_topics
from bot.studio.repository import StudioError, studio_text
from bot.studio.web import STUDIO, STUDIO_SETTINGS, _run, body, editor_only

log = logging.getLogger(__name__)

PARSE_TIMEOUT_SECONDS = 5.0
MAX_LIMIT = 500


def _inbox(request: web.Request) -> Inbox:
    studio = request.app[STUDIO]
    return Inbox(studio.sessions, studio)


def _group_id(request: web.Request) -> int:
    raw = request.match_info["group"]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12):
        raise StudioError(studio_text("inbox.no_group"), 404)
    return int(raw)


def _items(data: Dict[str, Any]) -> Any:
    return data.get("items")


async def _optional_body(request: web.Request) -> Dict[str, Any]:
    return await body(request) if request.can_read_body else {}


async def list_groups(request: web.Request, who: Identity) -> web.Response:
    query = request.query
    raw_limit = query.get("limit", "100")
    limit = min(int(raw_limit), MAX_LIMIT) if raw_limit.isascii() and raw_limit.isdigit() and len(raw_limit) <= 6 else 100
    answer = await _run(_inbox(request).groups, query.get("status", "new"), query.get("q", "")[:200],
                        query.get("sort", "frequent"), limit)
    return web.json_response(answer)


async def get_group(request: web.Request, who: Identity) -> web.Response:
    inbox = _inbox(request)
    group = await _run(inbox.group, _group_id(request))
    return web.json_response({"group": {**group, "suggestions": await _suggestions(request, inbox, group["text"])}})


async def get_suggestions(request: web.Request, who: Identity) -> web.Response:
    inbox = _inbox(request)
    group = await _run(inbox.group, _group_id(request))
    return web.json_response({"suggestions": await _suggestions(request, inbox, group["text"])})


async def _suggestions(request: web.Request, inbox: Inbox, text: str) -> list:
    topics = await _run(inbox.active_topics)
    return suggested_topics(text, topics, await live_parse(request, text))


async def live_parse(request: web.Request, text: str) -> Optional[Dict[str, Any]]:
    """The live Rasa's reading of a text (its FAQ topic ranking); None when it cannot be asked."""
    settings = request.app[STUDIO_SETTINGS]
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=PARSE_TIMEOUT_SECONDS)) as http:
            async with http.post(f"{settings.rasa_replica_urls[0]}/model/parse", params={"token": settings.rasa_api_token()},
                                 json={"text": text}) as response:
                if response.status != 200:
                    return None
                parse = await response.json()
                return parse if isinstance(parse, dict) else None
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        log.info("inbox: the assistant could not be asked for topics; suggesting by words")
        return None


async def get_messages(request: web.Request, who: Identity) -> web.Response:
    raw = request.query.get("item")
    item = int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) <= 12 else None
    return web.json_response(await _run(_inbox(request).transcript, _group_id(request), item))


async def add_to_topic(request: web.Request, who: Identity) -> web.Response:
    data = await body(request)
    answer = await _run(_inbox(request).add_to_topic, _group_id(request), data.get("topic"), who.username,
                        data.get("text"), data.get("language"), _items(data))
    return web.json_response(answer)


async def get_draft(request: web.Request, who: Identity) -> web.Response:
    return web.json_response(await _run(_inbox(request).draft, _group_id(request)))


async def new_topic(request: web.Request, who: Identity) -> web.Response:
    data = await body(request)
    return web.json_response(await _run(_inbox(request).mark_new_topic, _group_id(request), data.get("topic"),
                                        who.username, _items(data)))


async def dismiss(request: web.Request, who: Identity) -> web.Response:
    data = await _optional_body(request)
    return web.json_response(await _run(_inbox(request).dismiss, _group_id(request), who.username, _items(data)))


async def reopen(request: web.Request, who: Identity) -> web.Response:
    return web.json_response(await _run(_inbox(request).reopen, _group_id(request), who.username))


def add_routes(app: web.Application) -> None:
    routes = [
        ("GET", "/api/editor/inbox", list_groups),
        ("GET", "/api/editor/inbox/{group}", get_group),
        ("GET", "/api/editor/inbox/{group}/messages", get_messages),
        ("GET", "/api/editor/inbox/{group}/suggestions", get_suggestions),
        ("POST", "/api/editor/inbox/{group}/add", add_to_topic),
        ("GET", "/api/editor/inbox/{group}/draft", get_draft),
        ("POST", "/api/editor/inbox/{group}/new_topic", new_topic),
        ("POST", "/api/editor/inbox/{group}/dismiss", dismiss),
        ("POST", "/api/editor/inbox/{group}/reopen", reopen),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, editor_only(handler))
