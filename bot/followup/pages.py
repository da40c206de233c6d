"""The HTML of the feedback and unsubscribe pages: small, phone-first, no script, every value escaped."""
from __future__ import annotations

from html import escape
from typing import Optional

from bot.followup.texts import bad_link as bad_link_texts, bad_link_title, say

CSS = """
*{box-sizing:border-box}
body{margin:0;padding:16px;background:#f3f4f6;font:16px/1.5 Arial,Helvetica,sans-serif;color:#111827}
main{max-width:560px;margin:0 auto;background:#fff;border-radius:8px;padding:24px}
h1{font-size:1.4rem;margin:0 0 12px}
fieldset{border:none;padding:0;margin:0 0 20px}
legend{font-weight:bold;margin-bottom:8px;padding:0}
.scores{display:flex;gap:8px}
.scores label{flex:1}
.scores input{position:absolute;opacity:0}
.scores span{display:block;min-height:48px;line-height:48px;text-align:center;border:2px solid #1d4ed8;border-radius:8px;
 color:#1d4ed8;font-weight:bold;cursor:pointer}
.scores input:checked+span{background:#1d4ed8;color:#fff}
.scores input:focus-visible+span{outline:3px solid #f59e0b;outline-offset:2px}
.scale{display:flex;justify-content:space-between;font-size:.85rem;color:#4b5563;margin-top:4px}
textarea{width:100%;min-height:110px;font:inherit;padding:8px;border:1px solid #9ca3af;border-radius:6px}
button{width:100%;min-height:48px;margin-top:16px;font:inherit;font-weight:bold;color:#fff;background:#1d4ed8;border:none;border-radius:8px;cursor:pointer}
.error{background:#fef2f2;border:1px solid #b91c1c;color:#991b1b;padding:10px;border-radius:6px}
.note{background:#eff6ff;padding:10px;border-radius:6px}
"""


def layout(language: str, title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="{escape(language)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>{escape(title)} · Kuzey Market</title><style>{CSS}</style></head>
<body><main>{body}</main></body></html>
"""


def feedback_form(language: str, order_no: str, action: str, order_score: Optional[int], service_score: Optional[int],
                  comment: str, error: Optional[str] = None, answered: bool = False, comment_limit: int = 2000) -> str:
    t = lambda key, **values: escape(say(key, language, **values))  # noqa: E731
    notice = f'<p class="error" role="alert">{escape(error)}</p>' if error else (
        f'<p class="note">{t("already_answered")}</p>' if answered else "")
    body = f"""<h1>{t("feedback_title")}</h1>
<p>{t("feedback_intro", order_no=order_no)}</p>
{notice}
<form method="post" action="{escape(action)}">
{_scores("order_score", t("order_question"), order_score, language)}
{_scores("service_score", t("service_question"), service_score, language)}
<label for="comment">{t("comment_label")}</label>
<textarea id="comment" name="comment" maxlength="{comment_limit}">{escape(comment)}</textarea>
<button type="submit">{t("submit")}</button>
</form>"""
    return layout(language, say("feedback_title", language), body)


def feedback_thanks(language: str, action: str) -> str:
    t = lambda key: escape(say(key, language))  # noqa: E731
    body = f"""<h1>{t("feedback_thanks_title")}</h1><p>{t("feedback_thanks")}</p>
<p><a href="{escape(action)}">{t("change_answer")}</a></p>"""
    return layout(language, say("feedback_thanks_title", language), body)


def unsubscribe_confirm(language: str, email: str, action: str) -> str:
    t = lambda key, **values: escape(say(key, language, **values))  # noqa: E731
    # A button, not the link itself: mail scanners open links, only a person presses it.
    body = f"""<h1>{t("unsubscribe_title")}</h1><p>{t("unsubscribe_question", email=email)}</p>
<form method="post" action="{escape(action)}"><button type="submit">{t("unsubscribe_button")}</button></form>"""
    return layout(language, say("unsubscribe_title", language), body)


def unsubscribed(language: str, email: str) -> str:
    t = lambda key, **values: escape(say(key, language, **values))  # noqa: E731
    body = f"""<h1>{t("unsubscribed_title")}</h1><p>{t("unsubscribed", email=email)}</p>"""
    return layout(language, say("unsubscribed_title", language), body)


def bad_link() -> str:
    title = bad_link_title()
    paragraphs = "".join(f'<p lang="{language}">{escape(why)}</p>' for language, why in bad_link_texts().items())
    return layout("tr", title, f"<h1>{escape(title)}</h1>\n{paragraphs}")


def _scores(name: str, legend: str, chosen: Optional[int], language: str) -> str:
    options = "".join(
        f'<label><input type="radio" name="{name}" value="{score}"{" checked" if score == chosen else ""}'
        f' required><span>{score}</span></label>' for score in range(1, 6))
    return f"""<fieldset><legend>{legend}</legend><div class="scores">{options}</div>
<div class="scale"><span>{escape(say("scale_low", language))}</span><span>{escape(say("scale_high", language))}</span></div></fieldset>"""
