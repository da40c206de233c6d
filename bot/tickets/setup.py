"""Building the ticket service from the settings (the bridge, the action server and the CLI share it)."""
from __future__ import annotations

from typing import Optional

from sqlalchemy.engine import Engine

from bot.desk.segments import SegmentRules
from bot.settings import Settings
from bot.tickets.sla import SupportCalendar, parse_targets
from bot.tickets.service import TicketMail
from bot.tickets.store import TicketStore


def ticket_store(settings: Settings, engine: Engine) -> TicketStore:
    calendar = SupportCalendar.from_settings(settings.support_hours, settings.support_holidays)
    return TicketStore(engine, calendar, parse_targets(settings.ticket_sla))


def ticket_mail(settings: Settings) -> Optional["TicketMail"]:
    """The SMTP sender of ticket e-mails; None while SMTP_HOST is unset (replies then reach the
    customer on their ticket page and in the chat only)."""
    if not settings.smtp_host:
        return None
    from bot.tickets.mail import TicketMailer

    return TicketMailer(settings)


def segment_rules(settings: Settings) -> SegmentRules:
    return SegmentRules.parse(settings.vip_orders_12m, settings.vip_spend_12m_tl, settings.queue_ahead_segments)
