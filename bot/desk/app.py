"""The bridge's aiohttp application: Socket.IO for shoppers and agents, the pages, the console's REST.

`create_app(settings)` builds everything; tests pass their own collaborators (a fake Rasa, a
clock, a store). Resources open and close in `cleanup_ctx`; every background task is cancelled
and awaited at shutdown.
"""
from __future__ import annotations

import asyncio
import gc
import logging
import sys
from typing import AsyncIterator, Callable, Optional

import socketio
from aiohttp import web

from actions.store.sql_store import SqlStore
from bot.desk import auth, texts_web
from bot.desk.accounts import ROLES, ensure_demo_accounts
from bot.desk.agents import AgentNamespace
from bot.desk.auth import AUTH, DeskAuth, authorised
from bot.desk.bridge_sync import RoomsManager
from bot.desk.clock import BackgroundTasks, Clock
from bot.desk.customers import CustomerDirectory
from bot.desk.keys import DESK, LOGIN_THROTTLE, SETTINGS, TICKETS
from bot.desk.shared_limits import RedisConnectionCount, async_client, connection_count, message_rate
from bot.desk.shared_login import login_throttle
from bot.desk.pages import WIDGET_DIR, page
from bot.desk.rasa_client import RasaClient
from bot.desk.rasa_replicas import RasaReplicas
from bot.desk.shoppers import ShopperNamespace
from bot.desk.store import DeskStore, utcnow
from bot.desk.wiring import build_desk
from bot.followup import web as followup_web
from bot.followup.job import start_followup_job
from bot.privacy import web as privacy_web
from bot.privacy import shopper_web
from bot.privacy.retention import start_retention_job
from bot.reports import web as reports_web
from bot.settings import PROJECT_ROOT, Settings
from bot.studio import inbox_web, web as studio_web
from bot.studio.repository import Studio
from bot.tickets import agent_web as tickets_agent_web, customer_web as tickets_customer_web
from bot.tickets.setup import segment_rules, ticket_store
from bot.training import FAQ_DIR

log = logging.getLogger(__name__)

DESK_CONFIG = PROJECT_ROOT / "data" / "desk.yml"
DEMO_STORE = PROJECT_ROOT / "data" / "demo_store.json"
# A 1 MB message must reach us so that the shopper gets a clear "too long", not a dropped socket.
MAX_SOCKET_PAYLOAD = 2 * 1024 * 1024
__all__ = ["create_app", "run", "DESK", "SETTINGS", "page", "WIDGET_DIR", "DEMO_STORE"]


def create_app(settings: Settings, *, rasa: Optional[RasaClient | RasaReplicas] = None, store: Optional[DeskStore] = None,
               clock: Optional[Clock] = None, scorer_factory: Optional[Callable[[], object]] = None) -> web.Application:
    manager = RoomsManager(settings.redis_url) if settings.redis_url else None  # rooms shared by the bridges
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*", client_manager=manager,
                               max_http_buffer_size=MAX_SOCKET_PAYLOAD)
    app = web.Application(client_max_size=64 * 1024)
    app[SETTINGS] = settings
    app[LOGIN_THROTTLE] = login_throttle(settings.redis_url)  # shared by the bridges when there is Redis
    sio.attach(app)
    jobs = BackgroundTasks()  # the app's own periodic jobs, beside the desk's timers

    async def desk_context(app: web.Application) -> AsyncIterator[None]:
        desk_store = store or DeskStore.open(settings.store_database_url, settings.contact_idle_minutes)
        print_generated_passwords(ensure_demo_accounts(desk_store.session(), DEMO_STORE, utcnow()))
        # One client per Rasa replica, each conversation on one of them (bot/desk/rasa_replicas.py).
        rasa_client = rasa or RasaReplicas(settings.rasa_replica_urls, settings.rasa_api_token(),
                                           max_in_flight=settings.rasa_max_in_flight,
                                           busy_notice_seconds=settings.rasa_busy_notice_seconds)
        await rasa_client.start()
        shop = SqlStore.on(desk_store.engine)  # one engine, one pool: the shop's tables are in the same database
        customers = CustomerDirectory(shop, ticket_store(settings, desk_store.engine), segment_rules(settings))
        desk = build_desk(settings, desk_store, rasa_client, sio, customers,
                          (scorer_factory or default_scorer)(), clock)
        agents = AgentNamespace(desk, settings)
        limits_redis = async_client(settings.redis_url)
        connections = connection_count(settings, limits_redis)
        sio.register_namespace(ShopperNamespace(desk, settings, message_rate(settings, limits_redis), connections))
        sio.register_namespace(agents)
        app[DESK] = desk
        app[TICKETS] = desk.tickets.service
        app[AUTH] = DeskAuth(desk_store.session, settings.desk_signing_secret(), settings.login_token_hours,
                             settings.trust_proxy, app[LOGIN_THROTTLE], on_logout=agents.end_session)
        studio = Studio(desk_store.session, FAQ_DIR)
        studio.seed_if_empty(DESK_CONFIG)
        app[studio_web.STUDIO], app[studio_web.STUDIO_SETTINGS] = studio, settings
        app[privacy_web.PRIVACY] = privacy_web.PrivacyContext(desk_store.session, settings)
        await desk.start()
        jobs.start(collect_garbage(), name="garbage collection")
        followups = start_followup_job(settings, desk_store, shop)
        if followups is not None:
            jobs.start(followups, name="follow-up e-mails")
        jobs.start(studio_web.watch_jobs(studio, settings), name="training jobs")
        jobs.start(start_retention_job(settings, desk_store.session), name="retention")
        if isinstance(connections, RedisConnectionCount):
            jobs.start(connections.keep_counted(), name="shared connection counts")
        yield
        await jobs.close()
        await desk.close()
        await rasa_client.close()
        if limits_redis is not None:
            await limits_redis.close()
        desk_store.engine.dispose()

    app.cleanup_ctx.append(desk_context)

    async def stop_now(app: web.Application) -> None:
        """Stopping: every socket closes now (its client reconnects, through a balancer to another
        bridge) and every timer and job ends, before aiohttp waits for the tasks still running
        (it would wait for these until its shutdown timeout; a supervisor kills it first)."""
        if sio.eio.sockets:  # engine.io's disconnect-all fails when there is nobody to disconnect
            await sio.eio.disconnect()
        await sio.shutdown()
        await jobs.close()
        if DESK in app:
            await app[DESK].close()

    app.on_shutdown.append(stop_now)
    app.router.add_get("/", page("storefront/index.html"))
    app.router.add_get("/en", page("storefront/en.html"))
    app.router.add_get("/agent", page("console/index.html"))
    app.router.add_static("/widget/", WIDGET_DIR, append_version=False)
    app.router.add_get("/health", health)
    auth.add_routes(app)
    texts_web.add_routes(app)
    app.router.add_get("/api/desk/canned", canned)
    reports_web.add_routes(app)
    followup_web.add_routes(app)
    studio_web.add_routes(app)
    inbox_web.add_routes(app)
    privacy_web.add_routes(app)
    shopper_web.add_routes(app)
    tickets_agent_web.add_routes(app)
    tickets_customer_web.add_routes(app)
    return app


GARBAGE_COLLECTION_SECONDS = 30.0
SHUTDOWN_SECONDS = 5.0  # then what is left (a library's listener) is cancelled


async def collect_garbage() -> None:
    """Each closed Socket.IO connection leaves 20-40 KiB in reference cycles (engine.io's websocket
    loop ends with an exception whose traceback holds them) that only a full collection frees; with
    the ~230k objects loaded at start (spaCy, the tone model) Python rarely runs one, and the bridge
    grew 6-16 MB an hour in the soak. The start-up objects are frozen out of the collector (a full
    collection then pauses the loop for about nothing instead of 0.3-0.5 s) and one runs regularly."""
    gc.collect()
    gc.freeze()
    while True:
        await asyncio.sleep(GARBAGE_COLLECTION_SECONDS)
        gc.collect()


def default_scorer():
    from bot.desk.frustration import FrustrationScorer  # spaCy: loaded once the app starts

    return FrustrationScorer()


def print_generated_passwords(generated: dict) -> None:
    if not generated:
        return
    lines = [f"  {username}: {password}" for username, password in generated.items()]
    print("Desk accounts created with generated passwords (shown once; set KUZEY_PASSWORD_<NAME> to choose them,\n"
          "or change one later with `python -m bot users password <name>`):\n" + "\n".join(lines), flush=True)


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
    web.run_app(create_app(settings), host=settings.host, port=settings.bridge_port, print=None,
                shutdown_timeout=SHUTDOWN_SECONDS)
