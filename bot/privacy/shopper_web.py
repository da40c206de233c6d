"""The privacy notice on the web: the public pages /gizlilik (Turkish) and /en/privacy (English),
and the admins' API to edit it, GET/PUT /api/privacy/notice (+ /history).

The pages render the admins' plain text, escaped: paragraphs split at blank lines, line breaks
kept, and a paragraph of one short line without final punctuation shown as a heading. The text
lives in the studio's documents (bot/privacy/notice.py); a PUT names the revision it edited and
bumps the version that shoppers' acknowledgements record. The shoppers' own choices travel over
the chat socket (bot/privacy/shopper_choices.py), not here.

The page's "last updated" is the shop's (Istanbul) calendar day of the last save. The admins' API
words its own refusals in the language of the admin's page (`lang` in the query or the JSON body,
Turkish without one) as `{"error": words, "code": code}`; the checks of the text itself (bot/privacy/notice.py)
still answer in Turkish.
"""
from __future__ import annotations

import asyncio
import re
from datetime import datetime
from html import escape
from typing import Any, Dict, List, Optional

from aiohttp import web

from actions.store.types import shop_date
from bot import i18n
from bot.desk import texts
from bot.desk.auth import authorised
from bot.desk.store import iso, parse_iso
from bot.privacy import notice
from bot.studio import web as studio_web
from bot.studio.repository import Conflict, Studio, StudioError

ADMIN = ("admin",)
MAX_BODY_BYTES = 256 * 1024
HEADING_MAX_CHARS = 80
PAGE_PATHS = {"tr": "/gizlilik", "en": "/en/privacy"}
HOME_PATHS = {"tr": "/", "en": "/en"}  # the storefront in the page's language
# The admins' API speaks the page's language (`lang`), Turkish without one (its words are in
# locale/*/LC_MESSAGES/privacy.po and studio.po).
ADMIN_LANGUAGE = i18n.DEFAULT_LANGUAGE
CSS = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#f5f7f9;color:#1d2430;font:17px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
header{background:#0b5c74;color:#fff;padding:14px 18px}
header p{margin:0;max-width:720px;margin:0 auto;display:flex;justify-content:space-between;gap:12px;flex-wrap:wrap}
header a{color:#fff}
main{max-width:720px;margin:0 auto;padding:20px 18px 48px;background:#fff;min-height:100vh}
h1{font-size:1.6rem;line-height:1.25;margin:0 0 6px}
h2{font-size:1.15rem;margin:28px 0 6px}
p{margin:0 0 14px;overflow-wrap:anywhere}
.meta{color:#56606b;font-size:.9rem;margin-bottom:22px}
a{color:#0b5c74}
:focus-visible{outline:3px solid #1d2430;outline-offset:2px}
"""
# Final punctuation that makes a one-line paragraph a sentence rather than a heading.
SENTENCE_END = re.compile(r"[.,;:!?…]$")


def add_routes(app: web.Application) -> None:
    app.router.add_get(PAGE_PATHS["tr"], notice_page("tr"))
    app.router.add_get(PAGE_PATHS["en"], notice_page("en"))
    app.router.add_get("/api/privacy/notice", get_notice)
    app.router.add_put("/api/privacy/notice", put_notice)
    app.router.add_get("/api/privacy/notice/history", notice_history)


def _studio(request: web.Request) -> Studio:
    return request.app[studio_web.STUDIO]


def _refusal(message: str, code: str, status: int = 400, **extra: Any) -> web.Response:
    return web.json_response({"error": message, "code": code, **extra}, status=status,
                             headers={"Cache-Control": "no-store"})


def reader_language(request: web.Request) -> str:
    """The language of the admin's page (`lang` of the query), Turkish without one."""
    return i18n.language_of(request.query.get("lang") or ADMIN_LANGUAGE)


async def _admin(request: web.Request):
    return await authorised(request, ADMIN, refusal=texts.say("auth.forbidden", reader_language(request)))


# --- the public pages ---------------------------------------------------------------------------

def notice_page(language: str):
    async def handler(request: web.Request) -> web.Response:
        document = await asyncio.to_thread(notice.notice_document, _studio(request))
        html = render_page(language, document["content"], document.get("updated_at"))
        return web.Response(text=html, content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-cache", "Content-Language": language})

    return handler


def page_words(language: str) -> Dict[str, str]:
    """The page's own words (not the notice's) in `language`, escaped for HTML."""
    keys = {"title": "privacy:page.title", "store": "privacy:page.store", "other": "privacy:page.other_language",
            "version": "privacy:page.version", "updated": "privacy:page.updated", "back": "privacy:page.back"}
    words = {name: escape(i18n.say(key, language)) for name, key in keys.items()}
    words["home"] = HOME_PATHS[language]
    return words


def shop_day(updated_at: Any) -> Optional[str]:
    """The shop's (Istanbul) calendar day of a moment, an aware datetime or its ISO text ("2026-11-20")."""
    if not updated_at:
        return None
    moment = updated_at if isinstance(updated_at, datetime) else parse_iso(str(updated_at))
    return shop_date(moment).isoformat()


def render_page(language: str, content: Dict[str, Any], updated_at: Any = None) -> str:
    """The public page; `updated_at` is the document's last save (its ISO text, as
    notice.notice_document gives it, or a datetime)."""
    words, other = page_words(language), "en" if language == "tr" else "tr"
    version = escape(str(content.get("version", "")))
    day = shop_day(updated_at)
    updated = f" · {words['updated']}: {escape(day)}" if day else ""
    return f"""<!doctype html>
<html lang="{language}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<title>{words['title']} · {words['store']}</title><style>{CSS}</style></head>
<body><header><p><a href="{words['home']}">{words['back']}</a>
<a href="{PAGE_PATHS[other]}" hreflang="{other}" lang="{other}">{words['other']}</a></p></header>
<main><h1>{words['store']} · {words['title']}</h1>
<p class="meta">{words['version']} {version}{updated}</p>
{render_text(content[language]['full'])}
</main></body></html>
"""


def render_text(text: str) -> str:
    """Plain text as escaped HTML: blank-line paragraphs, kept line breaks, short lines as headings."""
    blocks: List[str] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in paragraph.strip().splitlines() if line.strip()]
        if not lines:
            continue
        if is_heading(lines):
            blocks.append(f"<h2>{escape(lines[0])}</h2>")
        else:
            blocks.append("<p>" + "<br>\n".join(escape(line) for line in lines) + "</p>")
    return "\n".join(blocks)


def is_heading(lines: List[str]) -> bool:
    return len(lines) == 1 and len(lines[0]) <= HEADING_MAX_CHARS and not SENTENCE_END.search(lines[0])


# --- the admins' API ----------------------------------------------------------------------------

def document_view(document: Dict[str, Any]) -> Dict[str, Any]:
    return {"content": document["content"], "revision": document["revision"], "updated_by": document["updated_by"],
            "updated_at": document["updated_at"], "pages": dict(PAGE_PATHS)}


async def get_notice(request: web.Request) -> web.Response:
    await _admin(request)
    document = await asyncio.to_thread(notice.notice_document, _studio(request))
    return web.json_response(document_view(document), headers={"Cache-Control": "no-store"})


async def put_notice(request: web.Request) -> web.Response:
    """{"content": {"tr": {"short", "full"}, "en": {...}}, "revision"} → the saved document (a new
    version); 400 for a bad text, 409 with both versions when someone saved in between."""
    identity = await _admin(request)
    language = reader_language(request)
    if request.content_length and request.content_length > MAX_BODY_BYTES:
        return _refusal(i18n.say("studio:request.too_large", language), "too_large", 413)
    try:
        body = await request.json()
    except (ValueError, RecursionError, UnicodeDecodeError):
        return _refusal(i18n.say("studio:request.not_json", language), "not_json")
    if not isinstance(body, dict):
        return _refusal(i18n.say("privacy:notice.not_object", language), "not_object")
    if isinstance(body.get("lang"), str) and "lang" not in request.query:
        language = i18n.language_of(body["lang"])
    try:
        document = await asyncio.to_thread(notice.save, _studio(request), body.get("content"), body.get("revision"),
                                           identity.username)
    except Conflict as conflict:
        by = conflict.by or i18n.say("studio:someone", language)
        return _refusal(i18n.say("privacy:notice.conflict", language, by=by), "conflict", 409,
                      conflict={"yours": conflict.yours, "theirs": conflict.theirs, "revision": conflict.revision,
                                "by": conflict.by, "at": iso(conflict.at)})
    except StudioError as refused:  # the text's own checks (bot/privacy/notice.py), in Turkish
        return _refusal(refused.message, "invalid", refused.status)
    return web.json_response(document_view(document), headers={"Cache-Control": "no-store"})


async def notice_history(request: web.Request) -> web.Response:
    await _admin(request)
    studio = _studio(request)
    await asyncio.to_thread(notice.notice_document, studio)
    changes = await asyncio.to_thread(studio.history, notice.DOCUMENT)
    return web.json_response({"changes": changes}, headers={"Cache-Control": "no-store"})
