"""The customer's ticket page: `GET /ticket/{token}`, answers `POST /ticket/{token}`, the rating
`POST /ticket/{token}/rating`. The token is the signed link of every ticket e-mail
(bot/tickets/links.py); it names the ticket, its code and the customer's language.

GET changes nothing (mail scanners and link previews open links). A POST answers with a 303 back
to the page (a reload does not send twice) or, when refused, with the page and a clear message,
having stored nothing. Attachments are refused: the page offers none, and a crafted upload is
answered with the reason.

CSRF: there is no cookie or other ambient credential here; the token in the address is the only
authority, and a cross-site form can only post to a page whose token its author already has, so
it can do nothing its author could not do directly. Each response keeps the token from leaking
(no referrer, no caching, no indexing) as the follow-up pages do.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Dict, Iterable, Optional, Tuple

from aiohttp import web
from sqlalchemy import select

from bot.desk.keys import SETTINGS, TICKETS
from bot.desk.limits import MessageRate
from bot.desk.models import DeskUser
from bot.desk.store import utcnow
from bot.followup.web import HEADERS
from bot.privacy.masking import mask_text
from bot.tickets import customer_pages as pages
from bot.tickets.customer_pages import ThreadItem, TicketView
from bot.tickets.customer_texts import expected_answer, first_name, kind, say
from bot.tickets.links import TicketLink, read_ticket_link
from bot.tickets.models import Ticket
from bot.tickets.service import TicketService
from bot.tickets.store import MAX_TEXT, REOPEN_DAYS, TicketError

SCORES = {str(score): score for score in range(1, 6)}
# What a refused answer says, by the store's error code (TicketError.code).
REFUSALS = {"empty": ("error.empty", 400), "too_long": ("error.too_long", 400),
            "ticket_closed": ("error.ticket_closed", 409)}
DONE = {"sent": "page.sent"}
REOPEN_WINDOW = timedelta(days=REOPEN_DAYS)


# Whoever holds a link may answer often, not endlessly: a burst, then a few an hour per ticket.
ANSWER_BURST, ANSWERS_PER_HOUR = 5, 12
ANSWER_RATE = web.AppKey("ticket_answer_rate", MessageRate)


def add_routes(app: web.Application) -> None:
    app[ANSWER_RATE] = MessageRate(ANSWERS_PER_HOUR / 3600, ANSWER_BURST)
    app.router.add_get("/ticket/{token}", ticket_page)
    app.router.add_post("/ticket/{token}", customer_answer)
    app.router.add_post("/ticket/{token}/rating", rating)


async def ticket_page(request: web.Request) -> web.Response:
    found = _ticket(request)
    if found is None:
        return _bad_link()
    ticket, link = found
    notice = say(DONE[request.query["done"]], link.language) if request.query.get("done") in DONE else None
    return _page(request, ticket, link, notice=notice)


async def customer_answer(request: web.Request) -> web.Response:
    found = _ticket(request)
    if found is None:
        return _bad_link()
    ticket, link = found
    language = link.language
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge:  # far more than any text the page lets one write: a file
        return _page(request, ticket, link, error=say("error.too_large", language), status=413)
    except ValueError:  # not a form in UTF-8: answered like an empty one
        form = {}
    if any(not isinstance(value, str) for value in form.values()):
        draft = form.get("message") if isinstance(form.get("message"), str) else ""
        return _page(request, ticket, link, error=say("error.attachment", language), draft=draft, status=400)
    text = form.get("message", "").replace("\x00", "").strip()  # PostgreSQL cannot store NUL
    refusal = _refusal(text)
    if refusal is None and not request.app[ANSWER_RATE].allow(str(ticket.id)):
        return _page(request, ticket, link, error=say("error.too_many", language), draft=text, status=429)
    if refusal is None:
        try:
            # Card numbers, CVVs, TCKNs, IBANs are never stored (KVKK), as in the chat.
            await _service(request).customer_wrote(ticket.id, mask_text(text), utcnow(), channel="page")
        except TicketError as error:
            if error.code == "not_found":  # deleted meanwhile (erased personal data): nothing to show
                return _bad_link()
            if error.code not in REFUSALS:
                raise
            refusal = error.code
    if refusal is not None:
        key, status = REFUSALS[refusal]
        return _page(request, _service(request).store.get(ticket.id) or ticket, link,
                     error=say(key, language, limit=MAX_TEXT), draft=text, status=status)
    raise web.HTTPSeeOther(location=f"{request.path}?done=sent#write", headers=HEADERS)


async def rating(request: web.Request) -> web.Response:
    found = _ticket(request)
    if found is None:
        return _bad_link()
    ticket, link = found
    language = link.language
    try:
        form = await request.post()
    except (ValueError, web.HTTPRequestEntityTooLarge):
        form = {}
    score = SCORES.get(form.get("score") if isinstance(form.get("score"), str) else "")
    if ticket.rating is not None:
        return _page(request, ticket, link, notice=say("rating.already", language), status=409, place="rating")
    if ticket.status not in ("resolved", "closed"):
        return _page(request, ticket, link, error=say("rating.not_yet", language), status=409, place="rating")
    if score is None:
        return _page(request, ticket, link, error=say("rating.invalid", language), status=400, place="rating")
    if not await _service(request).rate(ticket.id, score, utcnow()):  # rated meanwhile (another tab)
        ticket = _service(request).store.get(ticket.id) or ticket
        return _page(request, ticket, link, notice=say("rating.already", language), status=409, place="rating")
    raise web.HTTPSeeOther(location=request.path.removesuffix("/rating") + "#rating", headers=HEADERS)


# --- what the page shows -----------------------------------------------------------------------
def view_of(service: TicketService, ticket: Ticket, language: str, now: datetime) -> TicketView:
    """The customer's view of a ticket: the public thread (their words and the team's replies, never
    notes or events), who handles it by first name, and when to expect an answer."""
    entries = service.store.entries(ticket.id, public_only=True)
    names = _first_names(service, [ticket.owner_id, *(entry.author_id for entry in entries)])
    thread = ([ThreadItem(True, "", ticket.text, ticket.created_at)] if ticket.text.strip() else []) + [
        ThreadItem(entry.kind == "customer", names.get(entry.author_id, "") if entry.kind == "reply" else "", entry.text,
                   entry.created_at) for entry in entries]
    expected = expected_answer(ticket)
    writable = _writable(ticket, now)
    reopen_until = None
    if ticket.status == "resolved" and ticket.resolved_at is not None and writable:
        reopen_until = ticket.resolved_at + REOPEN_WINDOW
    return TicketView(language=language, kind=kind(ticket), code=ticket.code, status=ticket.status,
                      owner=names.get(ticket.owner_id, ""), expected=expected, overdue=expected is not None and expected < now,
                      resolved_at=ticket.resolved_at, reopen_until=reopen_until, can_write=writable,
                      can_rate=ticket.status in ("resolved", "closed") and ticket.rating is None, rating=ticket.rating,
                      thread=thread)


def _writable(ticket: Ticket, now: datetime) -> bool:
    """The store's rule (TicketStore.customer_wrote): closed, or resolved longer ago than REOPEN_DAYS, is final."""
    if ticket.status == "closed":
        return False
    return not (ticket.status == "resolved" and ticket.resolved_at is not None
                and now - ticket.resolved_at > REOPEN_WINDOW)


def _refusal(text: str) -> Optional[str]:
    if not text:
        return "empty"
    if len(text) > MAX_TEXT:
        return "too_long"
    return None  # a closed ticket: the store refuses it (TicketError "ticket_closed"), as for every channel


def _first_names(service: TicketService, ids: Iterable[Optional[int]]) -> Dict[int, str]:
    wanted = {user_id for user_id in ids if user_id is not None}
    if not wanted:
        return {}
    with service.store.session() as s:
        rows = s.execute(select(DeskUser.id, DeskUser.display_name).where(DeskUser.id.in_(wanted)))
        return {user_id: first_name(name) for user_id, name in rows}


# --- helpers -----------------------------------------------------------------------------------
def linked_ticket(service: TicketService, secret: str, token: str) -> Optional[Tuple[Ticket, TicketLink]]:
    """The ticket a link opens; None for a forged, garbled or expired link, or one whose code is
    not the code of the ticket with its id."""
    link = read_ticket_link(secret, token)
    if link is None:
        return None
    ticket = service.store.get(link.ticket_id)
    if ticket is None or ticket.code != link.code:
        return None
    return ticket, link


def _ticket(request: web.Request) -> Optional[Tuple[Ticket, TicketLink]]:
    return linked_ticket(_service(request), request.app[SETTINGS].desk_signing_secret(), request.match_info["token"])


def _page(request: web.Request, ticket: Ticket, link: TicketLink, *, notice: Optional[str] = None,
          error: Optional[str] = None, draft: str = "", status: int = 200, place: str = "write") -> web.Response:
    view = view_of(_service(request), ticket, link.language, utcnow())
    action = request.path.removesuffix("/rating")
    return _html(pages.ticket_page(view, action, notice=notice, error=error, draft=draft, limit=MAX_TEXT, place=place), status)


def _service(request: web.Request) -> TicketService:
    return request.app[TICKETS]


def _html(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8", headers=HEADERS)


def _bad_link() -> web.Response:
    return _html(pages.bad_link(), status=404)
