"""Load: N simulated shoppers at once on the bridge, each a python-socketio client.

Each shopper connects, asks for a session, plays a conversation from `LOAD_MIX` with a random
think time between messages, leaves, thinks, and starts another one, until the level's time is
up (a closed loop: a slow answer delays that shopper's next message). Start times are spread
over one think time. A turn is timed to the first `bot_uttered` and to the complete answer.
Errors: no answer within the timeout, an `error` event (e.g. `rate_limited`), a failed
connection, and answers that are only a system message (the bridge telling the shopper the
assistant is unavailable). No script asks for a person, and Rasa runs throughout, so a shopper
told the assistant is unavailable or moved to the queue is a *false handoff* (that conversation
ends there). The bridge's "one moment" notices while Rasa is busy are counted apart and are not
the turn's answer. CPU and memory of every process are sampled every second.
"""
from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from bench.clients import ShopperSocket
from bench.conversations import LOAD_MIX, ORDER_SCRIPT
from bench.sampler import Sampler, summarise
from bench.stack import Stack
from bench.stats import summary

TURN_TIMEOUT = 30.0


@dataclass
class LevelRecord:
    first_ms: List[float] = field(default_factory=list)
    complete_ms: List[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    turns: int = 0
    conversations: int = 0
    answered_at: List[float] = field(default_factory=list)  # seconds since the level started
    busy_notices: int = 0       # "one moment" notices received
    turns_with_notice: int = 0  # answered or not
    false_handoffs: int = 0     # conversations in which the shopper was told "unavailable" or queued
    first_ms_by_kind: Dict[str, List[float]] = field(default_factory=lambda: {"faq": [], "order": []})


async def shopper(stack: Stack, record: LevelRecord, started: float, deadline: float,
                  think: Tuple[float, float], rng: random.Random) -> None:
    await asyncio.sleep(rng.uniform(0, think[1]))
    while time.monotonic() < deadline:
        script = rng.choice(LOAD_MIX)
        kind = "order" if script == ORDER_SCRIPT else "faq"  # order turns run forms and the action server
        socket = ShopperSocket(stack.bridge_url, script.language)
        try:
            await socket.connect(timeout=TURN_TIMEOUT)
        except Exception as error:  # refused, timed out: counted, and the shopper tries again later
            record.errors[f"connect:{type(error).__name__}"] += 1
            await socket.close()
            await asyncio.sleep(rng.uniform(*think))
            continue
        record.conversations += 1
        try:
            for text in script.turns:
                if time.monotonic() >= deadline or socket.handed_over:  # with people now: a new conversation
                    break
                record.turns += 1
                try:
                    turn = await socket.turn(text, timeout=TURN_TIMEOUT)
                except Exception as error:  # e.g. the socket was dropped: counted, and a new conversation
                    record.errors[f"turn:{type(error).__name__}"] += 1
                    break
                record.busy_notices += len(turn.notices)
                record.turns_with_notice += bool(turn.notices)
                if turn.error:
                    record.errors[turn.error] += 1
                elif "bot" not in turn.senders():
                    record.errors["system_answer_only"] += 1
                else:
                    record.first_ms.append(turn.first_ms)
                    record.first_ms_by_kind[kind].append(turn.first_ms)
                    record.complete_ms.append(turn.last_ms)
                    record.answered_at.append(time.monotonic() - started)
                await asyncio.sleep(rng.uniform(*think))
        finally:
            record.false_handoffs += socket.handed_over  # once per conversation
            await socket.close()


async def run_level(stack: Stack, shoppers: int, duration: float, think: Tuple[float, float],
                    seed: int = 7) -> Dict[str, Any]:
    rng = random.Random(seed + shoppers)
    record = LevelRecord()
    sampler = Sampler(stack.pids()).start()
    started = time.monotonic()
    deadline = started + duration
    tasks = [asyncio.create_task(shopper(stack, record, started, deadline, think, rng)) for _ in range(shoppers)]
    await asyncio.wait(tasks, timeout=duration + TURN_TIMEOUT + think[1] + 10)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = time.monotonic() - started
    rasa_ran_throughout = stack.pid("rasa") is not None  # else a handoff may not be a false one
    samples = sampler.stop()
    answered_in_window = sum(1 for t in record.answered_at if t <= duration)
    return {
        "shoppers": shoppers,
        "duration_s": duration,
        "elapsed_s": round(elapsed, 1),
        "conversations": record.conversations,
        "turns": record.turns,
        "answered": len(record.first_ms),
        "throughput_per_s": round(answered_in_window / duration, 2),
        "offered_per_s": round(shoppers / (sum(think) / 2), 2),  # if every answer were instant
        "errors": dict(record.errors),
        "error_rate": round(sum(record.errors.values()) / max(record.turns, 1), 4),
        "busy_notices": record.busy_notices,
        "turns_with_notice": record.turns_with_notice,
        "false_handoffs": record.false_handoffs,
        "rasa_ran_throughout": rasa_ran_throughout,
        "first_ms": summary(record.first_ms),
        "complete_ms": summary(record.complete_ms),
        "first_ms_by_kind": {kind: summary(values) for kind, values in record.first_ms_by_kind.items()},
        "resources": summarise(samples, [*stack.pids(), "bench_client"]),
        "timeline": samples,
    }


async def measure(stack: Stack, levels: Sequence[int], duration: float, think: Tuple[float, float],
                  progress=print) -> Dict[str, Any]:
    results = []
    for shoppers in levels:
        progress(f"load: {shoppers} shoppers for {duration:g} s")
        level = await run_level(stack, shoppers, duration, think)
        progress(f"load: {shoppers} shoppers: {level['throughput_per_s']} answers/s, "
                 f"p50 {level['first_ms'].get('p50')} ms, p95 {level['first_ms'].get('p95')} ms, "
                 f"errors {level['errors']}, busy notices {level['busy_notices']}, "
                 f"false handoffs {level['false_handoffs']}")
        results.append(level)
        await asyncio.sleep(5)  # let Rasa drain before the next level
    return {"levels": results, "method": {"duration_s": duration, "think_s": list(think),
                                          "turn_timeout_s": TURN_TIMEOUT, "mix": [s.name for s in LOAD_MIX]}}


async def profile(stack: Stack, folder, shoppers: int, seconds: float, think: Tuple[float, float],
                  progress=print) -> Dict[str, Any]:
    """`shoppers` shoppers again, with py-spy on the bridge and on Rasa: first the raw stacks
    (summarised here), then the bridge's flame graph (SVG, kept in the results folder)."""
    from bench import profiling

    if not profiling.available():
        return {"skipped": "py-spy is not installed in the virtual environment"}
    pids = {name: stack.pid(name) for name in ("bridge", "rasa")}
    warm = 5.0
    progress(f"profile: {shoppers} shoppers with py-spy on the bridge and Rasa ({2 * seconds + warm + 5:g} s)")
    traffic = asyncio.create_task(run_level(stack, shoppers, 2 * seconds + warm + 5, think))
    await asyncio.sleep(warm)
    with tempfile.TemporaryDirectory(prefix="kuzey-bench-profile-") as raw_folder:
        raw = await profiling.record_all(pids, Path(raw_folder), f"{shoppers}-shoppers", seconds, "raw")
        svgs = await profiling.record_all({"bridge": pids["bridge"]}, Path(folder), f"{shoppers}-shoppers", seconds,
                                          "flamegraph")
        names = {path: path.stem.rsplit("-", 1)[-1] for path in raw}
        summaries = {name: profiling.summarise(path, name in profiling.WALL_CLOCK) for path, name in names.items()}
    level = await traffic
    return {"shoppers": shoppers, "seconds": seconds, "flame_graphs": [p.name for p in svgs], "processes": summaries,
            "load_while_profiling": {k: level[k] for k in ("throughput_per_s", "first_ms", "errors", "resources")}}
