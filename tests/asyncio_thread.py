"""`asyncio.run` for tests that may share the main thread with a running event loop (the
browser tests' Playwright keeps one there for the whole session)."""
import asyncio
import threading
from typing import Any, Awaitable, Callable


def run_async(make_coroutine: Callable[[], Awaitable[Any]]) -> Any:
    """Runs the coroutine in a fresh loop on its own thread; returns its result or raises its error."""
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["result"] = asyncio.run(make_coroutine())
        except BaseException as error:  # handed to the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")
