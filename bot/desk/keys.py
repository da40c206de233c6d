"""The bridge application's shared objects (aiohttp AppKeys), in a module of their own so that
route modules (reports, follow-ups, privacy, studio) read them without importing the app."""
from __future__ import annotations

from aiohttp import web

from bot.desk.limits import LoginThrottle
from bot.desk.wiring import Desk
from bot.settings import Settings
from bot.tickets.service import TicketService

DESK = web.AppKey("desk", Desk)
SETTINGS = web.AppKey("settings", Settings)
LOGIN_THROTTLE = web.AppKey("login_throttle", LoginThrottle)
TICKETS = web.AppKey("tickets", TicketService)
