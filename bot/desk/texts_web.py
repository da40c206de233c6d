"""The staff pages' words from the text catalogue: `GET /api/texts/{domain}?lang=tr|en`.

The staff pages keep no text tables of their own: at start they load their domain in their
language as one JSON object `{key: text}`, in the file's order, and fill the `{name}` placeholders
themselves (widget/shared/texts.js). The agent console (widget/console/) loads `console`, the
manager's dashboard (widget/manager/) `manager`; the editors' studio (widget/editor/) and the admins'
personal data page (widget/privacy/) load the words they share, `staff`, and their own, `editor` and
`privacy_page`. Only those domains are served (BROWSER_DOMAINS; anything else is 404): the server's
own domains stay on the server. No login is needed, the login form needs its words
too, and nothing in them is secret.

A language the catalogue does not have gets Turkish, as everywhere (bot/i18n.py); the answer's
`Content-Language` says which it is. A text missing in a language is Turkish as well. Browser
texts have no plural forms (the page has no gettext rule to pick one): a plural message in one of
these domains is refused when it is first served, and tests/unit/test_catalogue.py refuses it
earlier.

Caching: the answer carries an ETag (a hash of the body) and `Cache-Control: no-cache`, so a
browser asks again on every load and gets a bodiless 304 while the texts are unchanged. The files
are read once per process, like every catalogue.
"""
from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from aiohttp import web

from bot import i18n

BROWSER_DOMAINS = ("console", "manager", "staff", "editor", "privacy_page")
ROUTE = "/api/texts/{domain}"
CACHE_CONTROL = "no-cache"


@dataclass(frozen=True)
class Served:
    """One domain in one language, ready to send."""

    language: str
    body: bytes
    etag: str


def browser_texts(domain: str, language: str, catalogues: Optional[i18n.Catalogues] = None) -> Dict[str, str]:
    """{key: unformatted text} of a browser domain in `language` (Turkish where it has no text)."""
    catalogues = catalogues or i18n.CATALOGUES
    if domain not in BROWSER_DOMAINS:
        raise KeyError(f"{domain!r} is not a browser domain ({', '.join(BROWSER_DOMAINS)})")
    entries = catalogues.entries(domain, i18n.DEFAULT_LANGUAGE)
    plural = [key for key, entry in entries.items() if entry.plural]
    if plural:
        raise ValueError(f"the browser domain {domain!r} cannot have plural messages: {plural}")
    return {key: catalogues.template(f"{domain}:{key}", language) for key in entries}


class BrowserTexts:
    """The answers of the route, made once per (domain, language)."""

    def __init__(self, catalogues: Optional[i18n.Catalogues] = None):
        self._catalogues = catalogues
        self._served: Dict[Tuple[str, str], Served] = {}
        self._lock = threading.Lock()

    def served(self, domain: str, language: Optional[str]) -> Served:
        language = i18n.language_of(language)
        key = (domain, language)
        found = self._served.get(key)
        if found is None:
            body = json.dumps(browser_texts(domain, language, self._catalogues), ensure_ascii=False).encode("utf-8")
            found = Served(language, body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
            with self._lock:
                self._served.setdefault(key, found)
        return found

    async def handle(self, request: web.Request) -> web.StreamResponse:
        domain = request.match_info["domain"]
        if domain not in BROWSER_DOMAINS:
            raise web.HTTPNotFound()
        served = self.served(domain, request.query.get("lang"))
        headers = {"ETag": served.etag, "Cache-Control": CACHE_CONTROL, "Content-Language": served.language}
        wanted = _etags(request.headers.get("If-None-Match", ""))
        if served.etag in wanted or "*" in wanted:
            return web.Response(status=304, headers=headers)
        return web.Response(body=served.body, content_type="application/json", charset="utf-8", headers=headers)


def _etags(header: str) -> set:
    """The entity tags of an If-None-Match header (weak ones compare as strong: the body is the same)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def add_routes(app: web.Application, catalogues: Optional[i18n.Catalogues] = None) -> None:
    app.router.add_get(ROUTE, BrowserTexts(catalogues).handle)
