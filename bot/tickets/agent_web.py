"""The agents' Tickets API, for the console's Tickets view (widget/console/): agents and admins.

    GET  /api/tickets?view=mine|unassigned|breaching|open|waiting|resolved|closed|all&category=&q=
    GET  /api/tickets/agents                  who can own a ticket
    GET  /api/tickets/{id}                    the ticket page: thread, customer, chat, canned responses
    POST /api/tickets/{id}/reply   {text}     a public reply (e-mailed when SMTP is set up)
    POST /api/tickets/{id}/note    {text}     an internal note: never shown to the customer
    POST /api/tickets/{id}/status  {status}   open | waiting | resolved | closed
    POST /api/tickets/{id}/assign  {agent_id: int|null, seen_owner: int|null}

Every agent reads every ticket (a team inbox, as in Zammad); opening one with a customer or an
address is written to the audit log like opening a chat with a customer (once per login and
ticket within AUDIT_AGAIN_SECONDS, so the console's refreshes do not flood the log). Changes go
through the TicketService (`app[TICKETS]`), so the thread, the e-mail and the consoles' refresh
follow the same path everywhere.

Words follow the console's language, `lang` in the query (Turkish without one). A refusal is
`{"code", "message", "error"}` (`error` repeats the words for the shared clients that read it),
the words being `ticketError.<code>` of the catalogue domain `console`; nothing is changed by a
refused request. Lists: `view=breaching` are the open tickets whose next deadline is past or less
than `ticket_warn_hours` of support time away (bot/tickets/views.py); `q` is a ticket code, an
e-mail address or an order number (exactly, as TicketStore.search compares them).
"""
from __future__ import annotations

import asyncio
import re
import time
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from actions.store.interface import StoreUnavailable
from actions.store.models import Customer
from bot import i18n
from bot.desk.accounts import Identity
from bot.desk.auth import NO_STORE, authorised, request_address
from bot.desk.keys import DESK, SETTINGS, TICKETS
from bot.desk.models import DeskUser
from bot.desk.store import iso, utcnow
from bot.desk.views import message_view
from bot.privacy import audit
from bot.privacy.masking import mask_text
from bot.studio import web as studio_web
from bot.tickets.models import OPEN_STATUSES, Ticket
from bot.tickets.store import MAX_TEXT, TicketError, TicketStore, next_deadline
from bot.tickets.views import entry_view, ticket_fields, ticket_row

STAFF = ("agent", "admin")
VIEWS = ("mine", "unassigned", "breaching", "open", "waiting", "resolved", "closed", "all")
SETTABLE_STATUSES = ("open", "waiting", "resolved", "closed")
CATEGORY = re.compile(r"^[a-z0-9_][a-z0-9_.-]{0,31}$")
MAX_QUERY = 254  # an e-mail address at most
LIST_LIMIT = 200
SCAN_LIMIT = 1000  # open tickets read to find the breaching ones (their window is in support time)
EARLIER_CHATS = 10
AUDIT_AGAIN_SECONDS = 600.0
AUDIT_MEMORY = 5000  # (login, ticket) pairs remembered per bridge
# A refused change of the ticket core, as an HTTP status.
TICKET_ERROR_STATUS = {"not_found": 404, "ticket_closed": 409, "conflict": 409, "empty": 400, "too_long": 400,
                       "invalid": 400}

Handler = Callable[[web.Request, Identity], Awaitable[web.Response]]
# (login session, ticket id) -> when its look was last written to the audit log, per bridge.
VIEWED = web.AppKey("tickets_viewed", dict)


class Refused(Exception):
    """A request answered with `ticketError.<code>` and an HTTP status; nothing was changed."""

    def __init__(self, status: int, code: str, **params: Any):
        super().__init__(code)
        self.status, self.code, self.params = status, code, params



def add_routes(app: web.Application) -> None:
    app[VIEWED] = {}
    app.router.add_get("/api/tickets", staff_only(list_tickets))
    app.router.add_get("/api/tickets/agents", staff_only(list_agents))
    app.router.add_get(r"/api/tickets/{id:\d{1,9}}", staff_only(get_ticket))
    app.router.add_post(r"/api/tickets/{id:\d{1,9}}/reply", staff_only(reply))
    app.router.add_post(r"/api/tickets/{id:\d{1,9}}/note", staff_only(note))
    app.router.add_post(r"/api/tickets/{id:\d{1,9}}/status", staff_only(set_status))
    app.router.add_post(r"/api/tickets/{id:\d{1,9}}/assign", staff_only(assign))


# --- doors and refusals ------------------------------------------------------------------------

def language(request: web.Request) -> str:
    return i18n.language_of(request.query.get("lang"))


def words(code: str, lang: str, **params: Any) -> str:
    return i18n.say(f"console:ticketError.{code}", lang, **params)


def refusal(request: web.Request, status: int, code: str, **params: Any) -> web.Response:
    message = words(code, language(request), **params)
    body: Dict[str, Any] = {"code": code, "message": message, "error": message}
    if params:
        body["params"] = params  # e.g. {"max": 5000}: the console words the code with them
    return web.json_response(body, status=status, headers=NO_STORE)


def staff_only(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Agents and admins, as their account is now; refusals worded in the console's language."""

    async def wrapped(request: web.Request) -> web.Response:
        try:
            identity = await authorised(request, STAFF, refusal=words("forbidden", language(request)))
        except web.HTTPUnauthorized:
            return refusal(request, 401, "unauthorized")
        except web.HTTPForbidden:  # authorised() has written the refusal to the audit log
            return refusal(request, 403, "forbidden")
        try:
            return await handler(request, identity)
        except Refused as refused:
            return refusal(request, refused.status, refused.code, **refused.params)
        except TicketError as error:
            code = error.code if error.code in TICKET_ERROR_STATUS else "invalid"
            params = {"max": MAX_TEXT} if code == "too_long" else {}
            return refusal(request, TICKET_ERROR_STATUS[code], code, **params)

    return wrapped


async def json_body(request: web.Request) -> Dict[str, Any]:
    try:
        body = await request.json()
    except (ValueError, RecursionError, UnicodeDecodeError):  # not JSON, too deep, not UTF-8
        body = None
    if not isinstance(body, dict):
        raise Refused(400, "bad_json")
    return body


def written_text(body: Dict[str, Any]) -> str:
    """The text of a reply or a note: not empty, not too long, a card number or TCKN masked."""
    text = body.get("text")
    if not isinstance(text, str):
        raise Refused(400, "empty")
    # As the agents' chat messages (bot/desk/agents.py): no NUL, a lone surrogate of JSON's \ud800 replaced.
    text = text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "").strip()
    if not text:
        raise Refused(400, "empty")
    if len(text) > MAX_TEXT:
        raise Refused(400, "too_long", max=MAX_TEXT)
    return mask_text(text)


def optional_id(body: Dict[str, Any], key: str, code: str) -> Optional[int]:
    if key not in body:
        raise Refused(400, code)
    value = body[key]
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:  # true is 1 to Python
        raise Refused(400, code)
    return value


def _tickets(request: web.Request) -> TicketStore:
    return request.app[TICKETS].store


def _ticket(request: web.Request) -> Ticket:
    ticket = _tickets(request).get(int(request.match_info["id"]))
    if ticket is None:
        raise Refused(404, "not_found")
    return ticket


def _warn(request: web.Request) -> timedelta:
    return timedelta(hours=request.app[SETTINGS].ticket_warn_hours)


def _names(request: web.Request) -> Dict[int, str]:
    """Every desk user's display name (also of a colleague who left: their replies stay signed)."""
    with request.app[DESK].store.session() as s:
        return {user_id: name for user_id, name in s.execute(select(DeskUser.id, DeskUser.display_name))}


class FirstNames:
    """Customers' first names for a list, each asked of the shop once; a shop that does not
    answer leaves them out."""

    def __init__(self, shop: Any):
        self.shop = shop
        self.known: Dict[int, Optional[str]] = {}

    def prefetch(self, customer_ids: Iterable[Optional[int]]) -> "FirstNames":
        """A whole list's names in one query when the shop is the SQL store (else one ask per name)."""
        wanted = {i for i in customer_ids if i is not None} - set(self.known)
        sessions = getattr(self.shop, "sessions", None)
        if wanted and sessions is not None:
            try:
                with sessions() as s:
                    rows = s.execute(select(Customer.id, Customer.first_name).where(Customer.id.in_(wanted))).all()
            except SQLAlchemyError:
                return self
            self.known.update({i: None for i in wanted})
            self.known.update(dict(rows))
        return self

    def __call__(self, customer_id: Optional[int]) -> Optional[str]:
        if customer_id is None:
            return None
        if customer_id not in self.known:
            try:
                customer = self.shop.customer(customer_id)
            except StoreUnavailable:
                return None
            self.known[customer_id] = customer.first_name if customer else None
        return self.known[customer_id]


# --- reading -----------------------------------------------------------------------------------

async def list_tickets(request: web.Request, who: Identity) -> web.Response:
    view = request.query.get("view") or "open"
    if view not in VIEWS:
        raise Refused(400, "bad_view")
    category = request.query.get("category") or None
    if category is not None and not CATEGORY.match(category):
        raise Refused(400, "bad_category")
    query = (request.query.get("q") or "").strip().lstrip("#").strip() or None
    if query is not None and len(query) > MAX_QUERY:
        raise Refused(400, "bad_query", max=MAX_QUERY)
    now = utcnow()
    rows = await asyncio.to_thread(_list, request, view, who.user_id, category, query, now)
    return web.json_response({"tickets": rows, "now": iso(now), "view": view,
                              "categories": await asyncio.to_thread(_categories, request)}, headers=NO_STORE)


def _list(request: web.Request, view: str, me: int, category: Optional[str], query: Optional[str],
          now: datetime) -> List[Dict[str, Any]]:
    store, warn = _tickets(request), _warn(request)
    found = select_tickets(store, view, me, category, query, now, warn)
    names = _names(request)
    first_names = FirstNames(request.app[DESK].customers.shop).prefetch(t.customer_id for t in found)
    return [ticket_row(t, now, store.calendar, warn, names, first_names(t.customer_id)) for t in found]


def select_tickets(store: TicketStore, view: str, me: int, category: Optional[str], query: Optional[str],
                   now: datetime, warn: timedelta) -> List[Ticket]:
    """The tickets of a view, the most urgent first: open ones by their next deadline, the others
    by their last activity, newest first."""
    filters: Dict[str, Any] = {"category": category, "text": query}
    if view in ("mine", "unassigned", "breaching", "open"):
        filters["status"] = "open_all"
    elif view != "all":
        filters["status"] = view
    if view == "mine":
        filters["owner_id"] = me
    if view == "unassigned":
        filters["unassigned"] = True
    found = store.search(**filters, limit=SCAN_LIMIT if view == "breaching" else LIST_LIMIT)
    if view == "open":
        found = [t for t in found if t.status in ("new", "open")]
    if view == "breaching":
        found = [t for t in found if _breaching(t, now, store, warn)]
    return sorted(found, key=_urgency)[:LIST_LIMIT]


def _breaching(ticket: Ticket, now: datetime, store: TicketStore, warn: timedelta) -> bool:
    due = next_deadline(ticket)
    return due is not None and (due < now or store.calendar.between(now, due) <= warn)


def _urgency(ticket: Ticket) -> tuple:
    if ticket.status in OPEN_STATUSES and next_deadline(ticket) is not None:
        return (0, next_deadline(ticket).timestamp(), ticket.id)
    return (1, -ticket.updated_at.timestamp(), -ticket.id)


def _categories(request: web.Request) -> List[str]:
    with _tickets(request).session() as s:
        return sorted(c for c in s.execute(select(Ticket.category).distinct()).scalars() if c)


async def list_agents(request: web.Request, who: Identity) -> web.Response:
    desk = request.app[DESK]

    def read() -> List[Dict[str, Any]]:
        loads = _tickets(request).open_counts()
        online = desk.presence.team()
        return [{"id": user.id, "name": user.display_name, "role": user.role, "languages": list(user.languages or []),
                 "skills": list(user.skills or []), "open_tickets": loads.get(user.id, 0),
                 "max_tickets": user.max_tickets, "online": user.id in online}
                for user in desk.store.agents()]

    return web.json_response({"agents": await asyncio.to_thread(read)}, headers=NO_STORE)


async def get_ticket(request: web.Request, who: Identity) -> web.Response:
    ticket = await asyncio.to_thread(_ticket, request)
    page = await asyncio.to_thread(ticket_page, request, ticket)
    if ticket.customer_id is not None or ticket.email:
        await asyncio.to_thread(_audit_view, request, who, ticket)
    return web.json_response({"ticket": page}, headers=NO_STORE)


def ticket_page(request: web.Request, ticket: Ticket) -> Dict[str, Any]:
    """Everything the ticket page shows; for agents, so with the internal notes."""
    desk, store, now = request.app[DESK], _tickets(request), utcnow()
    names = _names(request)
    context = desk.customers.context(ticket.customer_id)
    first_name = FirstNames(desk.customers.shop)(ticket.customer_id)
    context["earlier_tickets"] = [
        {"id": t.id, "code": t.code, "status": t.status, "category": t.category, "created_at": iso(t.created_at)}
        for t in store.of_customer(customer_id=ticket.customer_id, email=ticket.email) if t.id != ticket.id]
    context["earlier_conversations"] = (
        desk.store.earlier_conversations(ticket.customer_id, ticket.conversation_id or "", limit=EARLIER_CHATS)
        if ticket.customer_id is not None else [])
    transcript = ([message_view(m, names) for m in desk.store.messages(ticket.conversation_id, include_notes=True)]
                  if ticket.conversation_id else [])
    return {**ticket_row(ticket, now, store.calendar, _warn(request), names, first_name), **ticket_fields(ticket),
            "thread": [entry_view(e, names) for e in store.entries(ticket.id)], "context": context,
            "transcript": transcript, "canned": _canned(request), "now": iso(now)}


def _canned(request: web.Request) -> List[Dict[str, Any]]:
    """The canned responses of /api/desk/canned (editors keep them in the studio)."""
    return list(request.app[studio_web.STUDIO].document()["content"].get("responses") or [])


def _audit_view(request: web.Request, who: Identity, ticket: Ticket) -> None:
    seen: Dict[tuple, float] = request.app[VIEWED]
    key, moment = (who.session_id, ticket.id), time.monotonic()
    if moment - seen.get(key, -AUDIT_AGAIN_SECONDS) < AUDIT_AGAIN_SECONDS:
        return
    if len(seen) >= AUDIT_MEMORY:
        seen.clear()  # forgetting only means writing an entry again
    seen[key] = moment
    actor = audit.Actor(who.username, who.user_id, who.role,
                        request_address(request, request.app[SETTINGS].trust_proxy))
    audit.record(request.app[DESK].store.session, actor, "view_customer", customer_id=ticket.customer_id,
                 subject=ticket.code)


# --- changing ----------------------------------------------------------------------------------

async def reply(request: web.Request, who: Identity) -> web.Response:
    text = written_text(await json_body(request))
    ticket = _ticket(request)
    entry = await request.app[TICKETS].reply(ticket.id, who.user_id, text, utcnow())
    return await _changed(request, ticket.id, entry)


async def note(request: web.Request, who: Identity) -> web.Response:
    text = written_text(await json_body(request))
    ticket = _ticket(request)
    entry = await request.app[TICKETS].note(ticket.id, who.user_id, text, utcnow())
    return await _changed(request, ticket.id, entry)


async def set_status(request: web.Request, who: Identity) -> web.Response:
    status = (await json_body(request)).get("status")
    if status not in SETTABLE_STATUSES:
        raise Refused(400, "bad_status")
    ticket = _ticket(request)
    if ticket.status == "closed":
        raise Refused(409, "ticket_closed")
    if ticket.status != status:  # the same status again changes nothing
        await request.app[TICKETS].set_status(ticket.id, status, who.user_id, utcnow())
    return await _changed(request, ticket.id)


async def assign(request: web.Request, who: Identity) -> web.Response:
    body = await json_body(request)
    agent_id = optional_id(body, "agent_id", "bad_agent")
    seen_owner = optional_id(body, "seen_owner", "bad_owner")
    if agent_id is not None and agent_id not in {user.id for user in request.app[DESK].store.agents()}:
        raise Refused(400, "bad_agent")
    ticket = _ticket(request)
    if ticket.status not in OPEN_STATUSES:
        raise Refused(409, "not_open")
    if ticket.owner_id != seen_owner:
        raise Refused(409, "conflict")
    if agent_id != seen_owner:
        await request.app[TICKETS].reassign(ticket.id, agent_id, who.user_id, seen_owner, utcnow())
    return await _changed(request, ticket.id)


async def _changed(request: web.Request, ticket_id: int, entry: Any = None) -> web.Response:
    """The ticket's row as it is now (and the new thread entry): the console reloads the page."""
    store, now = _tickets(request), utcnow()
    ticket = store.get(ticket_id)
    names = _names(request)
    answer: Dict[str, Any] = {"ticket": ticket_row(ticket, now, store.calendar, _warn(request), names,
                                                   FirstNames(request.app[DESK].customers.shop)(ticket.customer_id))}
    if entry is not None:
        answer["entry"] = entry_view(entry, names)
    return web.json_response(answer, headers=NO_STORE)

