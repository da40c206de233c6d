"""Composing the follow-up e-mail (plain text + HTML alternative) and sending it through SMTP."""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from html import escape
from typing import Optional

from bot.followup.texts import say
from bot.settings import Settings

SMTP_TIMEOUT = 30  # seconds; a hanging server must not hold the job forever


@dataclass(frozen=True)
class Letter:
    """What one e-mail needs to know: whom, which order, in which language, and its two links."""

    email: str
    first_name: str
    order_no: str
    language: str
    feedback_url: str
    unsubscribe_url: str


def compose(settings: Settings, letter: Letter, now: Optional[datetime] = None) -> EmailMessage:
    t = lambda key, **values: say(key, letter.language, **values)  # noqa: E731
    message = EmailMessage()
    message["Subject"] = t("subject", order_no=letter.order_no)
    message["From"] = settings.mail_from
    message["To"] = Address(display_name=letter.first_name, addr_spec=letter.email)
    message["Date"] = format_datetime(now or datetime.now(timezone.utc))
    message["Message-ID"] = make_msgid(domain=mail_domain(settings.mail_from))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: autoresponders should not answer it
    # RFC 2369 + RFC 8058: mail programs show their own "unsubscribe" and POST to the link.
    message["List-Unsubscribe"] = f"<{letter.unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(plain_text(letter))
    message.add_alternative(html_text(letter), subtype="html")
    message["Content-Language"] = letter.language  # after the parts: making them moves Content-* headers down
    return message


def plain_text(letter: Letter) -> str:
    t = lambda key, **values: say(key, letter.language, **values)  # noqa: E731
    return "\n\n".join([
        t("greeting", first_name=letter.first_name),
        t("delivered", order_no=letter.order_no),
        t("question"),
        f"{t('button')}: {letter.feedback_url}",
        t("thanks_signature"),
        "-- \n" + t("footer", order_no=letter.order_no),
        f"{t('unsubscribe_line')} {letter.unsubscribe_url}",
    ]) + "\n"


def html_text(letter: Letter) -> str:
    t = lambda key, **values: escape(say(key, letter.language, **values))  # noqa: E731
    feedback, unsubscribe = escape(letter.feedback_url), escape(letter.unsubscribe_url)
    # The five numbers open the feedback page with that score chosen (GET changes nothing).
    scores = "".join(
        f'<a href="{feedback}?order={score}" style="display:inline-block;width:40px;line-height:40px;margin:0 4px 4px 0;'
        f'border:1px solid #1d4ed8;border-radius:6px;color:#1d4ed8;text-align:center;text-decoration:none;font-weight:bold">{score}</a>'
        for score in range(1, 6))
    signature = t("thanks_signature").replace("\n", "<br>")
    return f"""<!doctype html>
<html lang="{letter.language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t("subject", order_no=letter.order_no)}</title></head>
<body style="margin:0;padding:16px;background:#f3f4f6;font-family:Arial,Helvetica,sans-serif;color:#111827;font-size:16px;line-height:1.5">
<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px">
<p>{t("greeting", first_name=letter.first_name)}</p>
<p>{t("delivered", order_no=letter.order_no)}</p>
<p>{t("question")}</p>
<p>{t("quick_scores")}</p>
<p>{scores}</p>
<p><a href="{feedback}" style="display:inline-block;padding:12px 20px;background:#1d4ed8;color:#ffffff;border-radius:6px;text-decoration:none;font-weight:bold">{t("button")}</a></p>
<p>{signature}</p>
<hr style="border:none;border-top:1px solid #e5e7eb">
<p style="font-size:13px;color:#4b5563">{t("footer", order_no=letter.order_no)}
{t("unsubscribe_line")} <a href="{unsubscribe}" style="color:#4b5563">{t("unsubscribe_link")}</a></p>
</div></body></html>
"""


class Mailer:
    """One SMTP connection for a run, opened at the first message (STARTTLS and login when configured)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.smtp: Optional[smtplib.SMTP] = None

    def send(self, message: EmailMessage) -> None:
        if self.smtp is None:
            self.smtp = self._connect()
        self.smtp.send_message(message)

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None

    def __enter__(self) -> "Mailer":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=SMTP_TIMEOUT)
        try:
            if s.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password)
        except BaseException:
            smtp.close()
            raise
        return smtp


def mail_domain(mail_from: str) -> str:
    """The sender's domain, for Message-IDs (the ticket e-mails use it too)."""
    address = parseaddr(mail_from)[1]
    return address.rpartition("@")[2] or "localhost"
