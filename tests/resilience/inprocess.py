"""The bridge inside the test process, in front of a fake Rasa: fast enough for property tests.

`InProcessBridge` runs the real aiohttp/Socket.IO application (bot/desk/app.py) on a free port in
a background thread with its own event loop; `FakeRasa` replaces the Rasa client so that every
message is answered at once and what reached "Rasa" can be checked.
"""
from __future__ import annotations

import asyncio
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

from aiohttp import web

from bot.desk import app as bridge_app
from bot.desk.rasa_client import BotReply, RasaClient
from bot.settings import Settings

FAKE_ANSWER = "Sahte asistan: mesajınızı aldım."


class FakeRasa(RasaClient):
    """Rasa that answers every message with one line and remembers every text it was sent."""

    received: List[Tuple[str, str]] = []  # (conversation id, text), for the whole test module

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def send(self, sender_id: str, text: str, metadata: Dict[str, Any], *, on_busy=None) -> List[BotReply]:
        FakeRasa.received.append((sender_id, text))
        return [BotReply(text=FAKE_ANSWER)]

    async def pause(self, sender_id: str) -> None:
        pass

    async def resume(self, sender_id: str) -> None:
        pass

    async def slots(self, sender_id: str) -> Dict[str, Any]:
        return {}

    async def healthy(self) -> bool:
        return True


class InProcessBridge:
    def __init__(self, settings: Settings, scorer_factory: Optional[Callable[[], Any]] = None):
        """`scorer_factory` builds the frustration scorer instead of the app's default one."""
        self.settings = settings
        self.scorer_factory = scorer_factory
        self.url = settings.bridge_url
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="in-process bridge", daemon=True)
        self._runner: web.AppRunner = None

    def start(self) -> "InProcessBridge":
        self._thread.start()
        self._run(self._start(), timeout=120)
        return self

    def stop(self) -> None:
        self._run(self._runner.cleanup(), timeout=60)
        self._run(self._cancel_leftover_tasks(), timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    def desk(self):
        return self._runner.app[bridge_app.DESK]

    async def _start(self) -> None:
        options = {"scorer_factory": self.scorer_factory} if self.scorer_factory else {}
        self._runner = web.AppRunner(bridge_app.create_app(self.settings, rasa=FakeRasa(self.settings.rasa_url, "fake"),
                                                           **options))
        await self._runner.setup()
        await web.TCPSite(self._runner, self.settings.host, self.settings.bridge_port).start()

    @staticmethod
    async def _cancel_leftover_tasks() -> None:
        """Engine.IO's ping tasks and the desk's timers outlive the app; end them quietly."""
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _run(self, coroutine, timeout: float):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)
