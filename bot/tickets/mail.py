"""A ticket's e-mails: the acknowledgement when it is opened and each public reply, threaded.

One thread per ticket in the customer's mail program: every message has the same subject with
the ticket's code in brackets, a new `Message-ID` in the sender's domain, and, once the ticket
has one (TicketStore.mail_result records what was sent, or the customer's own e-mail), the newest
earlier Message-ID as `In-Reply-To` and `References`. Plain text with an escaped HTML alternative,
in the ticket's language, sent through the follow-up e-mails' SMTP set-up (bot/followup/mail.py).

RFC 3834 `Auto-Submitted`: an agent's reply is written by a person, so it has none (a vacation
responder may answer it); the acknowledgement is sent by the machine, "auto-replied" when it
answers the customer's own e-mail and "auto-generated" otherwise (a complaint made in the chat).
"""
from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from html import escape
from typing import List

from bot.followup.mail import Mailer, mail_domain
from bot.settings import Settings
from bot.tickets.customer_texts import kind, say, when
from bot.tickets.links import ticket_url
from bot.tickets.models import Ticket, TicketEntry

# The same subject on every message of a ticket: mail programs thread by it as well as by the headers.
SUBJECT = {"complaint": "mail.subject.complaint", "request": "mail.subject.request"}
OPENED = {"complaint": "mail.opened.complaint", "request": "mail.opened.request"}


class TicketMailer:
    """The TicketMail of bot/tickets/service.py: one SMTP connection per message (each is sent from
    its own worker thread, and tickets are answered one at a time, not in batches)."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def send_reply(self, ticket: Ticket, entry: TicketEntry, agent_first_name: str, now: datetime) -> str:
        return self._send(compose_reply(self.settings, ticket, entry, agent_first_name, now))

    def send_opened(self, ticket: Ticket, now: datetime) -> str:
        return self._send(compose_opened(self.settings, ticket, now))

    def send_resolved(self, ticket: Ticket, now: datetime) -> str:
        return self._send(compose_resolved(self.settings, ticket, now))

    def _send(self, message: EmailMessage) -> str:
        with Mailer(self.settings) as mailer:
            mailer.send(message)
        return message["Message-ID"]


# --- composing ---------------------------------------------------------------------------------
def compose_opened(settings: Settings, ticket: Ticket, now: datetime) -> EmailMessage:
    language, link = ticket.language, ticket_url(settings, ticket, now)
    due = ticket.first_response_due or ticket.resolution_due
    paragraphs = [
        say("mail.greeting", language),
        say(OPENED[kind(ticket)], language, code=ticket.code),
        # Only a known customer's own words are quoted: an address typed by an anonymous shopper may be
        # someone else's, who must not receive text a stranger chose.
        *([say("mail.your_words", language), _quoted(ticket.text)] if ticket.text.strip() and ticket.customer_id else []),
        say("mail.next", language),
        *([say("mail.due", language, due=when(due, language))] if due is not None else []),
    ]
    message = _envelope(settings, ticket, now)
    message["Auto-Submitted"] = "auto-replied" if ticket.channel == "email" else "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"  # Exchange: no out-of-office answers to a machine
    _fill(message, language, paragraphs, [say("mail.thanks", language), say("mail.team", language)],
          say("mail.page_line", language), link, ticket.code)
    return message


def compose_reply(settings: Settings, ticket: Ticket, entry: TicketEntry, agent_first_name: str,
                  now: datetime) -> EmailMessage:
    language, link = ticket.language, ticket_url(settings, ticket, now)
    signature = [name for name in (agent_first_name.strip(), say("mail.team", language)) if name]
    message = _envelope(settings, ticket, now)
    # The agent's words as written: they greet the customer themselves (canned responses do too).
    _fill(message, language, [entry.text], signature,
          say("mail.answer_line", language), link, ticket.code)
    return message


def compose_resolved(settings: Settings, ticket: Ticket, now: datetime) -> EmailMessage:
    """Resolved: how to reopen it, and the one request for a 1-5 rating (on the ticket page)."""
    language, link = ticket.language, ticket_url(settings, ticket, now)
    message = _envelope(settings, ticket, now)
    message["Auto-Submitted"] = "auto-generated"
    _fill(message, language, [say("mail.greeting", language), say("mail.resolved", language, code=ticket.code)],
          [say("mail.thanks", language), say("mail.team", language)], say("mail.rate_line", language), link, ticket.code)
    return message


def _envelope(settings: Settings, ticket: Ticket, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = say(SUBJECT[kind(ticket)], ticket.language, code=ticket.code)
    message["From"] = settings.mail_from
    message["To"] = Address(addr_spec=ticket.email)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=mail_domain(settings.mail_from))
    if ticket.last_message_id:
        message["In-Reply-To"] = ticket.last_message_id
        message["References"] = ticket.last_message_id
    return message


def _fill(message: EmailMessage, language: str, paragraphs: List[str], signature: List[str], link_line: str,
          link: str, code: str) -> None:
    message.set_content(plain_text(paragraphs, signature, link_line, link, say("mail.footer", language, code=code)))
    message.add_alternative(html_text(language, message["Subject"], paragraphs, signature, link_line, link,
                                      say("mail.page_button", language), say("mail.footer", language, code=code)),
                            subtype="html")
    message["Content-Language"] = language  # after the parts: making them moves Content-* headers down


def plain_text(paragraphs: List[str], signature: List[str], link_line: str, link: str, footer: str) -> str:
    return "\n\n".join([*paragraphs, "\n".join(signature), f"{link_line}\n{link}", "-- \n" + footer]) + "\n"


def html_text(language: str, subject: str, paragraphs: List[str], signature: List[str], link_line: str, link: str,
              button: str, footer: str) -> str:
    """Every text escaped (an agent's or a customer's `<b>` arrives as text), line breaks kept."""
    body = "\n".join(f'<p style="white-space:pre-wrap">{escape(text)}</p>' for text in paragraphs)
    sign = "<br>".join(escape(line) for line in signature)
    return f"""<!doctype html>
<html lang="{escape(language)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(subject)}</title></head>
<body style="margin:0;padding:16px;background:#f3f4f6;font-family:Arial,Helvetica,sans-serif;color:#111827;font-size:16px;line-height:1.5">
<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px">
{body}
<p>{sign}</p>
<p>{escape(link_line)}</p>
<p><a href="{escape(link)}" style="display:inline-block;padding:12px 20px;background:#1d4ed8;color:#ffffff;border-radius:6px;text-decoration:none;font-weight:bold">{escape(button)}</a></p>
<hr style="border:none;border-top:1px solid #e5e7eb">
<p style="font-size:13px;color:#4b5563">{escape(footer)}</p>
</div></body></html>
"""


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.strip().splitlines())

