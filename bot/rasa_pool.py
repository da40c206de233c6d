"""The serving Rasa behind one stable address, with blue/green model swaps.

Rasa's own `PUT /model` loads the new model on the server's event loop: every turn waits until it
is done (measured at 10-24 s on this machine with shoppers chatting, see docs/editor-studio.md).
So the address everyone uses (RASA_PORT: the bridge, `bot talk`, the REST channel) belongs to this
small proxy, which owns the Rasa process behind it. `POST /pool/model` starts a second Rasa with
the new model on a free port, waits until it answers a parse, sends new requests to it, lets the
old one finish what it was answering, and stops it. Conversations live in the SQL tracker store,
which both share, so nothing is lost in between. Everything else is forwarded unchanged.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import aiohttp
from aiohttp import web

from bot.processes import free_port
from bot.settings import PROJECT_ROOT, Settings
from bot.training import rasa_command, rasa_env

log = logging.getLogger("rasa_pool")

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "host", "content-length"}
DRAIN_SECONDS = 60.0
POOL = web.AppKey("pool", "RasaPool")


@dataclass
class Backend:
    model: Path
    port: int
    process: asyncio.subprocess.Process
    in_flight: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def running(self) -> bool:
        return self.process.returncode is None


class RasaPool:
    def __init__(self, settings: Settings, log_path: Path):
        self.settings = settings
        self.log_path = log_path
        self.current: Optional[Backend] = None
        self.swap_lock = asyncio.Lock()
        self.http: Optional[aiohttp.ClientSession] = None
        self.swaps = 0

    async def start(self, model: Path) -> None:
        # Rasa answers slowly while it loads; a turn may take as long as the bridge allows.
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600), auto_decompress=False)
        self.current = await self._start_backend(model)

    async def _start_backend(self, model: Path) -> Backend:
        port = free_port()
        command = rasa_command(
            "run", "--model", str(model), "--enable-api", "--auth-token", self.settings.rasa_api_token(),
            "--interface", "127.0.0.1", "--port", str(port), "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
        )
        with self.log_path.open("ab") as output:
            process = await asyncio.create_subprocess_exec(*command, cwd=PROJECT_ROOT, env=rasa_env(self.settings),
                                                           stdout=output, stderr=asyncio.subprocess.STDOUT)
        backend = Backend(model, port, process)
        try:
            await self._wait_ready(backend)
        except BaseException:
            await self._stop(backend)
            raise
        log.info("Rasa with %s answers on port %s", model.name, port)
        return backend

    async def _wait_ready(self, backend: Backend) -> None:
        """Up and warm: a parse answered (the first parse of a fresh model is the slow one)."""
        deadline = time.monotonic() + self.settings.startup_timeout
        while time.monotonic() < deadline:
            if not backend.running():
                raise RuntimeError(f"Rasa exited while loading {backend.model.name}; see {self.log_path}")
            try:
                async with self.http.post(f"{backend.url}/model/parse", params={"token": self.settings.rasa_api_token()},
                                          json={"text": "merhaba"}, timeout=aiohttp.ClientTimeout(total=30)) as response:
                    if response.status == 200:
                        return
                    if response.status == 409:  # Rasa runs but could not load the model
                        raise RuntimeError(f"Rasa could not load {backend.model.name}; see {self.log_path}")
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            await asyncio.sleep(0.5)
        raise RuntimeError(f"Rasa did not load {backend.model.name} in time")

    async def swap(self, model: Path) -> float:
        """Blue/green: the new Rasa takes new requests once warm; the old one drains and stops."""
        async with self.swap_lock:
            started = time.monotonic()
            new = await self._start_backend(model)
            old, self.current = self.current, new
            self.swaps += 1
            if old is not None:
                asyncio.create_task(self._drain_and_stop(old))
            return time.monotonic() - started

    async def _drain_and_stop(self, backend: Backend) -> None:
        deadline = time.monotonic() + DRAIN_SECONDS
        while backend.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await self._stop(backend)

    @staticmethod
    async def _stop(backend: Backend) -> None:
        if backend.running():
            backend.process.terminate()
            try:
                await asyncio.wait_for(backend.process.wait(), 20)
            except asyncio.TimeoutError:
                backend.process.kill()
                await backend.process.wait()

    async def close(self) -> None:
        if self.current is not None:
            await self._stop(self.current)
        if self.http is not None:
            await self.http.close()

    async def forward(self, request: web.Request) -> web.StreamResponse:
        backend = self.current
        if backend is None or not backend.running():
            return web.json_response({"status": "failure", "message": "Rasa is not running"}, status=503)
        backend.in_flight += 1
        try:
            headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
            async with self.http.request(request.method, f"{backend.url}{request.rel_url}", headers=headers,
                                         data=await request.read()) as response:
                body = await response.read()
                out = {k: v for k, v in response.headers.items() if k.lower() not in HOP_BY_HOP}
                return web.Response(status=response.status, body=body, headers=out)
        except aiohttp.ClientError:
            return web.json_response({"status": "failure", "message": "Rasa did not answer"}, status=502)
        finally:
            backend.in_flight -= 1


def authorised(request: web.Request, pool: RasaPool) -> bool:
    """The Rasa HTTP API's token (query `token` or a Bearer header), as Rasa itself asks for it."""
    token = request.query.get("token") or request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return token == pool.settings.rasa_api_token()


async def swap_handler(request: web.Request) -> web.Response:
    pool: RasaPool = request.app[POOL]
    if not authorised(request, pool):
        return web.json_response({"error": "unauthorized"}, status=401)
    try:
        model = Path((await request.json())["model_file"])
    except (ValueError, KeyError, TypeError):
        return web.json_response({"error": "expected {\"model_file\": path}"}, status=400)
    if not model.is_file():
        return web.json_response({"error": f"no model file at {model}"}, status=400)
    try:
        seconds = await pool.swap(model)
    except RuntimeError as error:  # the new model did not load: the old Rasa keeps serving
        return web.json_response({"error": str(error)}, status=500)
    return web.json_response({"model": model.name, "seconds": round(seconds, 2)})


async def status_handler(request: web.Request) -> web.Response:
    """Which model serves and where (for operators and the benchmark, which compares the proxy's
    address with the Rasa behind it)."""
    pool: RasaPool = request.app[POOL]
    if not authorised(request, pool):
        return web.json_response({"error": "unauthorized"}, status=401)
    current = pool.current
    return web.json_response({"model": current.model.name if current else None, "backend": current.url if current else None,
                              "in_flight": current.in_flight if current else 0, "swaps": pool.swaps})


def create_app(settings: Settings, model: Path, log_path: Path) -> web.Application:
    app = web.Application(client_max_size=16 * 1024 * 1024)
    pool = RasaPool(settings, log_path)
    app[POOL] = pool

    async def lifetime(app: web.Application):
        await pool.start(model)
        yield
        await pool.close()

    app.cleanup_ctx.append(lifetime)
    app.router.add_post("/pool/model", swap_handler)
    app.router.add_get("/pool/status", status_handler)
    app.router.add_route("*", "/{path:.*}", pool.forward)
    return app


def run(settings: Settings, model: Path) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log_path = settings.state_dir / "logs" / "rasa.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # The process runner stops the whole process group, so the Rasa children stop with us even
    # if we are stopped while the first model still loads.
    web.run_app(create_app(settings, model, log_path), host=settings.host, port=settings.rasa_port, print=None)
