"""The e-mail's pages: feedback (`/feedback/{token}`) and unsubscribe (`/unsubscribe/{token}`).

GET never changes anything (mail scanners and link previews open links); POST does. A POST
to the unsubscribe link with the body `List-Unsubscribe=One-Click` is RFC 8058's one-click
unsubscribe that mail programs send: it is handled like the page's button.
"""
from __future__ import annotations

from typing import Optional, Tuple

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.desk.keys import DESK, SETTINGS, TICKETS
from bot.desk.models import EmailOptOut, EmailSend
from bot.privacy.erasure import optout_key
from bot.privacy.masking import mask_text
from bot.desk.store import DeskStore, utcnow
from bot.followup import pages
from bot.followup.links import read_feedback, read_unsubscribe
from bot.followup.texts import say
from bot.tickets.store import NewTicket

COMMENT_LIMIT = 2000
SCORES = {str(score): score for score in range(1, 6)}
LOW_SCORE = 2  # this or lower on either question opens a ticket
# The token is in the address: it must not leak to other sites, caches or search engines.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
}


def add_routes(app: web.Application) -> None:
    app.router.add_get("/feedback/{token}", feedback_page)
    app.router.add_post("/feedback/{token}", feedback_answer)
    app.router.add_get("/unsubscribe/{token}", unsubscribe_page)
    app.router.add_post("/unsubscribe/{token}", unsubscribe)


# --- feedback --------------------------------------------------------------------------------
async def feedback_page(request: web.Request) -> web.Response:
    found = _feedback_send(request)
    if found is None:
        return _bad_link()
    send, language = found
    chosen = SCORES.get(request.query.get("order", ""), send.order_score)  # the e-mail's 1-5 links preselect
    return _html(pages.feedback_form(language, send.order_no, request.path, chosen, send.service_score, send.comment or "",
                                     answered=send.answered_at is not None, comment_limit=COMMENT_LIMIT))


async def feedback_answer(request: web.Request) -> web.Response:
    found = _feedback_send(request)
    if found is None:
        return _bad_link()
    send, language = found
    try:
        form = await request.post()
    except ValueError:  # a body that is not a form in UTF-8: answered like an empty form
        form = {}
    order_score, service_score = SCORES.get(_field(form, "order_score")), SCORES.get(_field(form, "service_score"))
    comment = _field(form, "comment").replace("\x00", "").strip()  # PostgreSQL cannot store NUL
    error = None
    if order_score is None or service_score is None:
        error = say("invalid_scores", language)
    elif len(comment) > COMMENT_LIMIT:
        error = say("comment_too_long", language, limit=COMMENT_LIMIT)
    if error:
        page = pages.feedback_form(language, send.order_no, request.path, order_score, service_score, comment, error=error,
                                   comment_limit=COMMENT_LIMIT)
        return _html(page, status=400)
    comment = mask_text(comment)  # card numbers, CVVs, TCKNs, IBANs never stored (KVKK), as in the chat
    store = _store(request)
    with store.session() as s:
        row = s.get(EmailSend, send.id)
        row.order_score, row.service_score, row.comment, row.answered_at = order_score, service_score, comment or None, utcnow()
        s.commit()
    if min(order_score, service_score) <= LOW_SCORE:
        await _open_low_score_ticket(request, send, language, order_score, service_score, comment)
    return _html(pages.feedback_thanks(language, request.path))


async def _open_low_score_ticket(request: web.Request, send: EmailSend, language: str, order_score: int,
                                 service_score: int, comment: str) -> None:
    """A 1 or 2 is a complaint in all but name: a ticket (once per e-mail), so someone calls back."""
    tickets = request.app[TICKETS]
    earlier = tickets.store.of_customer(customer_id=send.customer_id, email=send.email)
    if any(t.source == "low_score" and t.order_no == send.order_no for t in earlier):
        return
    scores = f"{send.order_no}: {order_score}/5, {service_score}/5"
    await tickets.open(NewTicket(source="low_score", category="hizmet" if service_score <= LOW_SCORE else "urun",
                                 language=language, text=f"{comment}\n\n({scores})" if comment else f"({scores})",
                                 customer_id=send.customer_id, email=send.email, order_no=send.order_no,
                                 channel="email", segments=request.app[DESK].customers.segments(send.customer_id)),
                       utcnow())


# --- unsubscribe -----------------------------------------------------------------------------
async def unsubscribe_page(request: web.Request) -> web.Response:
    link = read_unsubscribe(_secret(request), request.match_info["token"])
    if link is None:
        return _bad_link()
    return _html(pages.unsubscribe_confirm(link.language, link.email, request.path))


async def unsubscribe(request: web.Request) -> web.Response:
    """The page's button and RFC 8058 one-click alike; unsubscribing twice is fine."""
    link = read_unsubscribe(_secret(request), request.match_info["token"])
    if link is None:
        return _bad_link()
    store = _store(request)
    with store.session() as s:
        known = (link.email, optout_key(link.email))  # hashed once the person's data was erased
        if s.execute(select(EmailOptOut.id).where(EmailOptOut.email.in_(known))).first() is None:
            s.add(EmailOptOut(email=link.email, created_at=utcnow()))
            try:
                s.commit()
            except IntegrityError:  # the same address unsubscribed at the same moment
                s.rollback()
    return _html(pages.unsubscribed(link.language, link.email))


# --- helpers ---------------------------------------------------------------------------------
def _feedback_send(request: web.Request) -> Optional[Tuple[EmailSend, str]]:
    link = read_feedback(_secret(request), request.match_info["token"])
    if link is None:
        return None
    with _store(request).session() as s:
        send = s.get(EmailSend, link.send_id)
    return (send, link.language) if send is not None else None


def _field(form, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""  # a file upload is not an answer


def _store(request: web.Request) -> DeskStore:
    return request.app[DESK].store


def _secret(request: web.Request) -> str:
    return request.app[SETTINGS].desk_signing_secret()


def _html(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8", headers=HEADERS)


def _bad_link() -> web.Response:
    return _html(pages.bad_link(), status=400)
