"""Time for the desk's decisions and timers, injectable so that tests need no real sleeping.

`SystemClock` is the real one; tests pass a clock whose `sleep` returns when they advance it.
Every timer the desk starts is a task owned by `BackgroundTasks`, cancelled and awaited at shutdown.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Awaitable, Optional, Protocol, Set

from bot.desk.store import utcnow

log = logging.getLogger(__name__)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, aware, in UTC (bot/desk/store.py utcnow)."""

    async def sleep(self, seconds: float) -> None:
        ...


class SystemClock:
    def now(self) -> datetime:
        return utcnow()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class BackgroundTasks:
    """The tasks a part starts and does not await itself (timers, watchers, retries): kept (asyncio
    holds only weak references), their failures logged, all cancelled and awaited by `close()`."""

    def __init__(self) -> None:
        self._tasks: Set[asyncio.Task] = set()
        self._closed = False

    def start(self, work: Awaitable[None], name: Optional[str] = None) -> asyncio.Task:
        task = asyncio.ensure_future(work)
        if name:
            task.set_name(name)
        if self._closed:  # shutting down: nothing new may start
            task.cancel()
            return task
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    def __len__(self) -> int:
        return len(self._tasks)

    async def close(self) -> None:
        self._closed = True
        tasks = [t for t in self._tasks if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
