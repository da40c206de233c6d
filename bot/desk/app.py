"""The bridge's aiohttp application: Socket.IO for shoppers and agents, the pages, the console's REST.

`create_app(settings)` builds everything; resources open and close in `cleanup_ctx`.
"""
from __future__ import annotations

import asyncio
import logging
import sys
from typing import AsyncIterator

import socketio
from aiohttp import web

from bot.desk import auth
from bot.desk.accounts import ROLES, ensure_demo_accounts
from bot.desk.agents import AgentNamespace
from bot.desk.auth import AUTH, DeskAuth, authorised
from bot.desk.customers import CustomerDirectory
from bot.desk.desk import Desk
from bot.desk.limits import LoginThrottle, MemoryLoginThrottle
from bot.desk.rasa_client import RasaClient
from bot.desk.shoppers import ShopperNamespace
from bot.desk.store import DeskStore, utcnow
from bot.followup import web as followup_web
from bot.followup.job import start_followup_job
from bot.privacy import web as privacy_web
from bot.privacy import shopper_web
from bot.privacy.retention import start_retention_job
from bot.reports import web as reports_web
from bot.settings import PROJECT_ROOT, Settings
from bot.studio import inbox_web, web as studio_web
from bot.studio.repository import Studio
from bot.training import FAQ_DIR

log = logging.getLogger(__name__)

WIDGET_DIR = PROJECT_ROOT / "widget"
DESK_CONFIG = PROJECT_ROOT / "data" / "desk.yml"
DEMO_STORE = PROJECT_ROOT / "data" / "demo_store.json"
DESK = web.AppKey("desk", Desk)
SETTINGS = web.AppKey("settings", Settings)
LOGIN_THROTTLE = web.AppKey("login_throttle", LoginThrottle)
# A 1 MB message must reach us so that the shopper gets a clear "too long", not a dropped socket.
MAX_SOCKET_PAYLOAD = 2 * 1024 * 1024


class DeskServer(socketio.AsyncServer):
    """python-socketio passes a client's event named "connect" or "disconnect" to those handlers;
    a client must not fake them (they count connections and take agents offline)."""

    async def _handle_event(self, eio_sid, namespace, id, data):
        if data and data[0] in self.reserved_events:
            return None
        return await super()._handle_event(eio_sid, namespace, id, data)


def create_app(settings: Settings) -> web.Application:
    manager = socketio.AsyncRedisManager(settings.redis_url) if settings.redis_url else None
    sio = DeskServer(async_mode="aiohttp", cors_allowed_origins="*", client_manager=manager,
                               max_http_buffer_size=MAX_SOCKET_PAYLOAD)
    app = web.Application(client_max_size=64 * 1024)
    app[SETTINGS] = settings
    app[LOGIN_THROTTLE] = MemoryLoginThrottle()
    sio.attach(app)

    async def desk_context(app: web.Application) -> AsyncIterator[None]:
        from bot.desk.frustration import FrustrationScorer

        store = DeskStore.open(settings.store_database_url, settings.contact_idle_minutes)
        generated = ensure_demo_accounts(store.session(), DEMO_STORE, utcnow())
        print_generated_passwords(generated)
        rasa = RasaClient(settings.rasa_url, settings.rasa_api_token())
        await rasa.start()
        desk = Desk(settings, store, rasa, sio, CustomerDirectory(settings.store_database_url), FrustrationScorer())
        agents = AgentNamespace(desk, settings)
        sio.register_namespace(ShopperNamespace(desk, settings))
        sio.register_namespace(agents)
        app[DESK] = desk
        app[AUTH] = DeskAuth(store.session, settings.desk_signing_secret(), settings.login_token_hours,
                             settings.trust_proxy, app[LOGIN_THROTTLE], on_logout=agents.end_session)
        studio = Studio(store.session, FAQ_DIR)
        studio.seed_if_empty(DESK_CONFIG)
        app[studio_web.STUDIO], app[studio_web.STUDIO_SETTINGS] = studio, settings
        app[privacy_web.PRIVACY] = privacy_web.PrivacyContext(store.session, settings)
        await desk.start()
        followups = start_followup_job(settings, store)
        trainings = asyncio.create_task(studio_web.watch_jobs(studio, settings))
        retention = start_retention_job(settings, store.session)
        yield
        retention.cancel()
        trainings.cancel()
        if followups is not None:
            followups.cancel()
        await rasa.close()
        store.engine.dispose()

    app.cleanup_ctx.append(desk_context)
    app.router.add_get("/", page("storefront/index.html"))
    app.router.add_get("/en", page("storefront/en.html"))
    app.router.add_get("/agent", page("console/index.html"))
    app.router.add_static("/widget/", WIDGET_DIR, append_version=False)
    app.router.add_get("/health", health)
    auth.add_routes(app)
    app.router.add_get("/api/desk/canned", canned)
    reports_web.add_routes(app)
    followup_web.add_routes(app)
    studio_web.add_routes(app)
    inbox_web.add_routes(app)
    privacy_web.add_routes(app)
    shopper_web.add_routes(app)
    return app


def print_generated_passwords(generated: dict) -> None:
    if not generated:
        return
    lines = [f"  {username}: {password}" for username, password in generated.items()]
    print("Desk accounts created with generated passwords (shown once; set KUZEY_PASSWORD_<NAME> to choose them,\n"
          "or change one later with `python -m bot users password <name>`):\n" + "\n".join(lines), flush=True)


def page(relative: str):
    path = WIDGET_DIR / relative

    async def handler(request: web.Request) -> web.FileResponse:
        return web.FileResponse(path, headers={"Cache-Control": "no-cache"})

    return handler


async def health(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    try:
        desk.store.ping()
    except Exception as error:  # the database is what the bridge cannot work without
        return web.json_response({"status": "database unavailable", "error": str(error)[:200]}, status=503)
    return web.json_response({"status": "ok", "rasa": await desk.rasa.healthy()})


async def canned(request: web.Request) -> web.Response:
    await authorised(request, ROLES)
    # Editors keep these in the studio (seeded from data/desk.yml): a change shows at the next load.
    document = await asyncio.to_thread(request.app[studio_web.STUDIO].document)
    return web.json_response(document["content"])


def run(settings: Settings) -> None:
    # spaCy's thinc imports TensorFlow when it can (about 300 MB); the bridge never needs it.
    sys.modules.setdefault("tensorflow", None)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    web.run_app(create_app(settings), host=settings.host, port=settings.bridge_port, print=None)
