"""The HTML of the customer's ticket page: phone first, no script, every value escaped.

What the page shows is decided in bot/tickets/customer_web.py (`TicketView`); here it is only laid
out. People's text keeps its line breaks through CSS (`white-space: pre-wrap`), never through
markup, so nothing anyone writes can become markup.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import List, Optional, Sequence

from bot import i18n
from bot.tickets.customer_texts import say, status_words, when

TITLES = {"complaint": "page.title.complaint", "request": "page.title.request"}
# Each status's colour: someone is on it (blue), your turn (amber), finished (green, grey).
STATUS_CLASS = {"new": "review", "open": "review", "waiting": "waiting", "resolved": "resolved", "closed": "closed"}

CSS = """
*{box-sizing:border-box}
body{margin:0;padding:12px;background:#f3f4f6;font:16px/1.5 Arial,Helvetica,sans-serif;color:#111827}
main{max-width:640px;margin:0 auto;background:#fff;border-radius:10px;padding:20px}
.brand{margin:0;color:#4b5563;font-size:.9rem}
h1{font-size:1.4rem;margin:2px 0 12px}
h2{font-size:1.1rem;margin:24px 0 8px}
.facts{margin:0;display:grid;grid-template-columns:1fr;gap:10px}
.facts div{border-left:4px solid #d1d5db;padding:2px 0 2px 10px}
.facts dt{font-size:.85rem;color:#4b5563}
.facts dd{margin:0;font-weight:bold;overflow-wrap:anywhere}
.status{display:inline-block;padding:2px 10px;border-radius:999px}
.status.review{background:#dbeafe;color:#1e3a8a}
.status.waiting{background:#fef3c7;color:#78350f}
.status.resolved{background:#dcfce7;color:#14532d}
.status.closed{background:#e5e7eb;color:#1f2937}
.thread{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:10px}
.msg{padding:10px 12px;border-radius:10px;max-width:92%}
.msg.mine{align-self:flex-end;background:#dbeafe}
.msg.team{align-self:flex-start;background:#f3f4f6;border:1px solid #e5e7eb}
.who{margin:0 0 4px;font-size:.85rem;color:#374151}
.text{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}
label{font-weight:bold;display:block;margin-bottom:6px}
textarea{width:100%;min-height:120px;font:inherit;padding:10px;border:1px solid #9ca3af;border-radius:8px}
.hint{font-size:.9rem;color:#4b5563;margin:6px 0 0}
button{width:100%;min-height:48px;margin-top:12px;font:inherit;font-weight:bold;color:#fff;background:#1d4ed8;border:none;
 border-radius:8px;cursor:pointer}
button:focus-visible,textarea:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
fieldset{border:none;padding:0;margin:0}
legend{font-weight:bold;margin-bottom:8px;padding:0}
.scores{display:flex;gap:8px}
.scores label{flex:1;margin:0}
.scores input{position:absolute;opacity:0}
.scores span{display:block;min-height:48px;line-height:48px;text-align:center;border:2px solid #1d4ed8;border-radius:8px;
 color:#1d4ed8;cursor:pointer}
.scores input:checked+span{background:#1d4ed8;color:#fff}
.scores input:focus-visible+span{outline:3px solid #f59e0b;outline-offset:2px}
.scale{display:flex;justify-content:space-between;font-size:.85rem;color:#4b5563;margin-top:4px;font-weight:normal}
.error{background:#fef2f2;border:1px solid #b91c1c;color:#991b1b;padding:10px;border-radius:8px}
.note{background:#eff6ff;border:1px solid #bfdbfe;padding:10px;border-radius:8px}
.late{background:#fff7ed;border:1px solid #fdba74;padding:10px;border-radius:8px}
#write .note,#write .error{margin-top:16px}
"""


@dataclass(frozen=True)
class ThreadItem:
    mine: bool  # the customer's own message (else a reply of the team)
    author: str  # the team member's first name for a reply ("" when unknown)
    text: str
    at: datetime


@dataclass(frozen=True)
class TicketView:
    """Everything the customer may see about their ticket, nothing more (no notes, no events)."""

    language: str
    kind: str  # complaint | request
    code: str
    status: str
    owner: str  # first name, "" while nobody owns it
    expected: Optional[datetime]  # when we promised to write, while it is our turn
    overdue: bool
    resolved_at: Optional[datetime]
    reopen_until: Optional[datetime]  # a resolved ticket the customer can still reopen by writing
    can_write: bool
    can_rate: bool
    rating: Optional[int]
    thread: Sequence[ThreadItem]


def ticket_page(view: TicketView, action: str, notice: Optional[str] = None, error: Optional[str] = None,
                draft: str = "", limit: int = 5000, place: str = "write") -> str:
    """`notice` and `error` are shown beside the form they are about (`place`: "write" or "rating"),
    where the browser lands: the forms post to `#write` and `#rating`."""
    t = lambda key, **values: escape(say(key, view.language, **values))  # noqa: E731
    notices = "".join([f'<p class="error" role="alert">{escape(error)}</p>' if error else "",
                       f'<p class="note" role="status">{escape(notice)}</p>' if notice else ""])
    body = f"""<header><p class="brand">Kuzey Market</p><h1>{t(TITLES[view.kind])}</h1></header>
<dl class="facts">{_facts(view)}</dl>
{_state_note(view)}
<div id="rating">{notices if place == "rating" else ""}{_rating(view, action)}</div>
<section aria-labelledby="thread-title"><h2 id="thread-title">{t("page.thread")}</h2>{_thread(view)}</section>
<div id="write">{notices if place == "write" else ""}{_write(view, action, draft, limit)}</div>"""
    return layout(view.language, f"{say(TITLES[view.kind], view.language)} {view.code}", body)


def bad_link() -> str:
    """A link that does not check out: we cannot know whose it is or the reader's language, so both
    languages and not a word about any ticket."""
    title = " / ".join(say("bad_link.title", language) for language in i18n.LANGUAGES)
    paragraphs = "".join(f'<p lang="{language}">{escape(say("bad_link.text", language))}</p>'
                         for language in i18n.LANGUAGES)
    return layout("tr", title, f'<p class="brand">Kuzey Market</p><h1>{escape(title)}</h1>\n{paragraphs}')


def layout(language: str, title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="{escape(language)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<meta name="referrer" content="no-referrer">
<title>{escape(title)} · Kuzey Market</title><style>{CSS}</style></head>
<body><main>{body}</main></body></html>
"""


# --- parts -------------------------------------------------------------------------------------
def _facts(view: TicketView) -> str:
    language = view.language
    rows = [(say("page.code", language), escape(view.code)),
            (say("page.status", language),
             f'<span class="status {STATUS_CLASS.get(view.status, "review")}">{escape(status_words(view.status, language))}</span>'),
            (say("page.owner", language), escape(view.owner or say("page.owner_none", language)))]
    if view.expected is not None and not view.overdue:
        rows.append((say("page.expect", language), escape(say("page.expect_by", language, due=when(view.expected, language)))))
    if view.resolved_at is not None and view.status in ("resolved", "closed"):
        rows.append((say("page.resolved_on", language), escape(when(view.resolved_at, language))))
    return "".join(f"<div><dt>{escape(label)}</dt><dd>{value}</dd></div>" for label, value in rows)


def _state_note(view: TicketView) -> str:
    language = view.language
    if view.overdue and view.expected is not None:  # a promise we missed is said, not hidden
        return f'<p class="late">{escape(say("page.overdue", language, due=when(view.expected, language)))}</p>'
    if view.status == "waiting":
        return f'<p class="note">{escape(say("page.waiting_hint", language))}</p>'
    if view.reopen_until is not None:
        return f'<p class="note">{escape(say("page.reopen_until", language, until=when(view.reopen_until, language)))}</p>'
    if not view.can_write:
        return f'<p class="note">{escape(say("page.closed_note", language))}</p>'
    return ""


def _rating(view: TicketView, action: str) -> str:
    language = view.language
    if view.rating is not None:
        return f'<p class="note rated">{escape(say("rating.given", language, score=view.rating))}</p>'
    if not view.can_rate:
        return ""
    options = "".join(f'<label><input type="radio" name="score" value="{score}" required><span>{score}</span></label>'
                      for score in range(1, 6))
    return f"""<form method="post" action="{escape(action)}/rating#rating" class="rating">
<fieldset><legend>{escape(say("rating.question", language))}</legend><div class="scores">{options}</div>
<div class="scale"><span>{escape(say("rating.low", language))}</span><span>{escape(say("rating.high", language))}</span></div>
</fieldset><button type="submit">{escape(say("rating.submit", language))}</button></form>"""


def _thread(view: TicketView) -> str:
    language = view.language
    if not view.thread:
        return f"<p>{escape(say('page.thread_empty', language))}</p>"
    items: List[str] = []
    for item in view.thread:
        if item.mine:
            who = say("page.you", language)
        else:
            who = say("page.agent", language, name=item.author) if item.author else say("mail.team", language)
        items.append(f'<li class="msg {"mine" if item.mine else "team"}"><p class="who">{escape(who)} · '
                     f'<time datetime="{item.at.isoformat()}">{escape(when(item.at, language, short=True))}</time></p>'
                     f'<p class="text">{escape(item.text)}</p></li>')
    return f'<ol class="thread">{"".join(items)}</ol>'


def _write(view: TicketView, action: str, draft: str, limit: int) -> str:
    if not view.can_write:
        return ""
    t = lambda key: escape(say(key, view.language))  # noqa: E731
    # urlencoded only: the page offers no file field (a crafted upload is refused by the server).
    return f"""<form method="post" action="{escape(action)}#write" class="write">
<h2><label for="message">{t("page.write")}</label></h2>
<textarea id="message" name="message" maxlength="{limit}" required aria-describedby="write-hint">{escape(draft)}</textarea>
<p class="hint" id="write-hint">{t("page.write_hint")}</p>
<button type="submit">{t("page.send")}</button></form>"""
