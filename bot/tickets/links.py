"""The signed link to a customer's ticket page (`/ticket/{token}`), sent in every ticket e-mail.

An HS256 JWT signed with the desk's secret, as the follow-up links are (bot/followup/links.py
explains why a `purpose` claim and no `sub`): purpose "ticket-page", the ticket's id and its code,
the customer's language, 90 days of validity. The code is bound as well as the id, so a token
whose code does not match the ticket with that id opens nothing (e.g. after a database was
restored or re-seeded and ids were given to other tickets).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from actions.store.types import as_utc
from bot.followup.links import link_language, read_claims, sign
from bot.settings import Settings
from bot.tickets.models import Ticket

PURPOSE = "ticket-page"
VALID_DAYS = 90  # a fresh link goes out with every e-mail; an old one may lie in the inbox for a while


@dataclass(frozen=True)
class TicketLink:
    ticket_id: int
    code: str
    language: str


def ticket_token(secret: str, ticket_id: int, code: str, language: str, now: datetime) -> str:
    now = as_utc(now)  # naive times are refused
    return sign(secret, {"purpose": PURPOSE, "tkt": ticket_id, "code": code, "lang": language, "iat": now,
                         "exp": now + timedelta(days=VALID_DAYS)})


def read_ticket_link(secret: str, token: str) -> Optional[TicketLink]:
    """What a token opens; None when it is forged, garbled, expired or made for another purpose."""
    claims = read_claims(secret, token, PURPOSE, required=["exp", "iat", "tkt", "code"])
    if claims is None:
        return None
    ticket_id, code = claims["tkt"], claims["code"]
    if not isinstance(ticket_id, int) or isinstance(ticket_id, bool) or not isinstance(code, str) or not code:
        return None
    return TicketLink(ticket_id, code, link_language(claims))


def ticket_url(settings: Settings, ticket: Ticket, now: datetime) -> str:
    token = ticket_token(settings.desk_signing_secret(), ticket.id, ticket.code, ticket.language, now)
    return f"{settings.public_base_url}/ticket/{token}"
