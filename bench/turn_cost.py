"""`python -m bench.turn_cost [--database-url URL] [--turns N] [--rasa-url URL --rasa-token TOKEN]`:
the bridge's own time per shopper turn, without sockets, HTTP or Rasa's time.

A real desk (bot/desk/wiring.py) is driven in-process, as the unit tests build it: a fake Rasa
answers every message at once with a typical FAQ turn (two text replies and the `nlu` reading
that bot/channels.py adds), a recording socket server stands in for python-socketio. A turn is
what the shopper namespace runs for one message under the conversation's lock
(`ShopperMessages.receive`: storing the message with its contact, the frustration score's history,
the assistant's turn, record_turn, storing and emitting each reply); its cost is the turn's wall
time minus the time inside the fake Rasa call (also given as the bridge thread's CPU time, which other
processes on a busy machine disturb less). SQL statements, commits and connection checkouts per
turn are counted with SQLAlchemy's engine and pool events on further turns (not the timed ones:
listeners slow every statement down).

SQLite runs on a fresh file with the project's engine settings (actions/store/database.py);
with --database-url the same turns run on PostgreSQL in a fresh schema, dropped afterwards.
With --rasa-url (a running Rasa with its API token) Rasa's own REST time for the same texts is
measured in the same run, so the report gives the bridge's share. As a yardstick for the machine's
speed at the time, one Core INSERT with its COMMIT is timed on the same engine (`insert_commit_ms`). Writes
results/bench/turn_cost.json and prints a table.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, event, insert, text

from bench.conversations import FAQ_SCRIPTS
from bench.stats import ratio, summary
from bot.desk.clock import SystemClock
from bot.desk.rasa_client import BotReply, parse_replies
from bot.desk.segments import SegmentRules
from bot.desk.store import DeskStore
from bot.desk.wiring import Desk, build_desk
from bot.settings import PROJECT_ROOT, Settings

OUTPUT = PROJECT_ROOT / "results" / "bench" / "turn_cost.json"
TURNS_PER_CONVERSATION = 4  # like the latency benchmark's scripts: a new conversation every few turns
WARMUP_TURNS = 20
COUNTED_TURNS = 40  # after the timed turns, with SQLAlchemy's event listeners on
# The questions of the latency benchmark's FAQ scripts (the greetings and thanks are other turns).
QUESTIONS = [(script.language, question) for script in FAQ_SCRIPTS for question in script.turns[1:-1]]


def faq_answer(sender_id: str) -> List[Dict[str, Any]]:
    """What Rasa's REST channel (bot/channels.py) answers to a FAQ question from the bridge."""
    return [
        {"recipient_id": sender_id, "text": "Kargo ücreti 49,90 TL'dir; 500 TL ve üzeri siparişlerde kargo ücretsizdir."},
        {"recipient_id": sender_id, "text": "Başka bir konuda yardımcı olabilir miyim?"},
        {"recipient_id": sender_id,
         "custom": {"nlu": {"intent": "faq/shipping_cost", "confidence": 0.9731, "topic_confidence": 0.9912}}},
    ]


class InstantRasa:
    """Rasa answering at once; `inside` is the time spent in `send` (subtracted from the turn)."""

    def __init__(self) -> None:
        self.inside = 0.0

    async def send(self, sender_id: str, text_: str, metadata: Dict[str, Any], **_: Any) -> List[BotReply]:
        started = time.perf_counter()
        raw = faq_answer(sender_id)
        self.inside += time.perf_counter() - started
        return parse_replies(raw)  # the real client parses the answer too: the bridge's work

    async def pause(self, sender_id: str) -> None: ...

    async def resume(self, sender_id: str) -> None: ...

    async def restart(self, sender_id: str) -> None: ...

    async def slots(self, sender_id: str) -> Dict[str, Any]:
        return {}

    async def healthy(self) -> bool:
        return True


class RecordingServer:
    """python-socketio's emit, recorded (delivery.py's only way out)."""

    def __init__(self) -> None:
        self.emitted = 0

    async def emit(self, event_: str, data: Any = None, **_: Any) -> None:
        self.emitted += 1


class NoCustomers:
    """The shop's directory as a FAQ turn sees it: an anonymous shopper."""

    session = None
    rules = SegmentRules()

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: None


@dataclass
class Calm:
    score: float = 0.0
    escalate: bool = False
    signals: tuple = ()


class CalmScorer:
    """Frustration scoring's own CPU is left out (bot/desk/frustration.py); its history read is not."""

    def score(self, text_: str, **_: Any) -> Calm:
        return Calm()


class SqlCounter:
    """Statements, commits and connection checkouts, from SQLAlchemy's events while it listens."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.statements = self.commits = self.checkouts = 0
        self._listeners = [(engine, "before_cursor_execute", self._statement), (engine, "commit", self._commit),
                           (engine.pool, "checkout", self._checkout)]  # a checkout pings PostgreSQL (pool_pre_ping)

    def __enter__(self) -> "SqlCounter":
        for target, name, listener in self._listeners:
            event.listen(target, name, listener)
        return self

    def __exit__(self, *_: Any) -> None:
        for target, name, listener in self._listeners:
            event.remove(target, name, listener)

    def reset(self) -> None:
        self.statements = self.commits = self.checkouts = 0

    def _statement(self, *_: Any) -> None:
        self.statements += 1

    def _commit(self, *_: Any) -> None:
        self.commits += 1

    def _checkout(self, *_: Any) -> None:
        self.checkouts += 1


class Shoppers:
    """The turns' texts and conversations: a new conversation every TURNS_PER_CONVERSATION turns."""

    def __init__(self) -> None:
        self.number = 0
        self.conversation_id = ""

    def next(self) -> Tuple[str, str, str, bool]:
        first = self.number % TURNS_PER_CONVERSATION == 0
        if first:
            self.conversation_id = f"turn-cost-{uuid.uuid4().hex}"
        language, question = QUESTIONS[self.number % len(QUESTIONS)]
        self.number += 1
        return self.conversation_id, language, question, first


async def take_turn(desk: Desk, conversation_id: str, language: str, question: str) -> None:
    """What the shopper namespace does with one checked message (bot/desk/shoppers.py)."""
    async with desk.conversations.lock(conversation_id):
        await desk.inbound.receive(conversation_id, question, {"language": language}, language, "203.0.113.5")


async def time_turns(desk: Desk, rasa: InstantRasa, shoppers: Shoppers, turns: int) -> Dict[str, Any]:
    """Timed without SQL listeners (they add their own cost to every statement)."""
    costs: List[float] = []
    cpu: List[float] = []
    firsts: List[bool] = []
    for _ in range(turns):
        conversation_id, language, question, first = shoppers.next()
        rasa.inside = 0.0
        started, cpu_started = time.perf_counter(), time.thread_time()
        await take_turn(desk, conversation_id, language, question)
        elapsed, cpu_elapsed = time.perf_counter() - started, time.thread_time() - cpu_started
        costs.append((elapsed - rasa.inside) * 1000)
        cpu.append((cpu_elapsed - rasa.inside) * 1000)
        firsts.append(first)
    return {"turn_ms": summary(costs), "turn_cpu_ms": summary(cpu),
            "later_turn_ms": summary([c for c, first in zip(costs, firsts) if not first]),
            "first_turn_ms": summary([c for c, first in zip(costs, firsts) if first])}


async def count_turns(desk: Desk, sql: SqlCounter, shoppers: Shoppers, turns: int) -> Dict[str, Any]:
    counts: Dict[str, List[int]] = {"statements_per_turn": [], "commits_per_turn": [], "connections_per_turn": []}
    with sql:
        for _ in range(turns):
            conversation_id, language, question, _first = shoppers.next()
            sql.reset()
            await take_turn(desk, conversation_id, language, question)
            counts["statements_per_turn"].append(sql.statements)
            counts["commits_per_turn"].append(sql.commits)
            counts["connections_per_turn"].append(sql.checkouts)
    return {name: per_turn(values) for name, values in counts.items()}


def insert_commit_floor(engine, samples: int = 500) -> Dict[str, float]:
    """The yardstick: one Core INSERT and its COMMIT on the same engine (settings, pool, disk), in a
    scratch table, timed in the same run as the turns."""
    table = Table("turn_cost_floor", MetaData(), Column("id", Integer, primary_key=True), Column("text", String(80)))
    table.create(engine)
    statement, times = insert(table), []
    try:
        for _ in range(samples):
            started = time.perf_counter()
            with engine.begin() as connection:
                connection.execute(statement, {"text": "kargo ücreti ne kadar"})
            times.append((time.perf_counter() - started) * 1000)
    finally:
        table.drop(engine)
    return {"p50": round(sorted(times)[len(times) // 2], 3)}


def per_turn(counts: List[int]) -> Dict[str, float]:
    ordered = sorted(counts)
    return {"median": ordered[len(ordered) // 2], "mean": round(sum(counts) / len(counts), 2), "max": ordered[-1]}


async def measure(url: str, turns: int, state_dir: Path) -> Dict[str, Any]:
    settings = Settings(state_dir=state_dir, support_hours="always")
    store = DeskStore.open(url, settings.contact_idle_minutes)
    rasa, sio = InstantRasa(), RecordingServer()
    desk = build_desk(settings, store, rasa, sio, NoCustomers(), CalmScorer(), SystemClock())
    shoppers = Shoppers()
    try:
        for _ in range(WARMUP_TURNS):
            await take_turn(desk, *shoppers.next()[:3])
        emitted_before = sio.emitted
        result = await time_turns(desk, rasa, shoppers, turns)
        result["emits_per_turn"] = round((sio.emitted - emitted_before) / turns, 2)
        result.update(await count_turns(desk, SqlCounter(store.engine), shoppers, COUNTED_TURNS))
        result["insert_commit_ms"] = insert_commit_floor(store.engine)
    finally:
        await desk.close()
        store.engine.dispose()
    return result


async def measure_postgres(server_url: str, turns: int, state_dir: Path) -> Dict[str, Any]:
    admin = create_engine(server_url, future=True)
    schema = f"turn_cost_{uuid.uuid4().hex[:8]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in server_url else "?"
    try:
        return await measure(f"{server_url}{separator}options=-csearch_path%3D{schema}", turns, state_dir)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


async def rasa_rest_times(rasa_url: str, token: str, turns: int) -> Dict[str, Any]:
    """Rasa's own REST time for the same questions (with `live_chat`, as the bridge asks)."""
    import aiohttp

    times: List[float] = []
    async with aiohttp.ClientSession() as http:
        sender = ""
        for number in range(WARMUP_TURNS + turns):
            if number % TURNS_PER_CONVERSATION == 0:
                sender = f"turn-cost-{uuid.uuid4().hex}"
            language, question = QUESTIONS[number % len(QUESTIONS)]
            body = {"sender": sender, "message": question, "metadata": {"language": language, "live_chat": True}}
            started = time.perf_counter()
            async with http.post(f"{rasa_url.rstrip('/')}/webhooks/rest/webhook", params={"token": token},
                                 json=body) as response:
                response.raise_for_status()
                await response.json()
            if number >= WARMUP_TURNS:
                times.append((time.perf_counter() - started) * 1000)
    return {"rest_ms": summary(times)}


def print_table(results: Dict[str, Any]) -> None:
    print(f"load average {results['load_average_before']:.1f} before, {results['load_average_after']:.1f} after")
    columns = ("database", "turns", "p50 ms", "p95 ms", "later p50", "first p50", "cpu p50", "stmts", "commits",
               "conns", "insert+commit")
    print("".join(f"{name:>14}" for name in columns))
    for name, result in results["databases"].items():
        turn = result["turn_ms"]
        row = (name, turn["n"], turn["p50"], turn["p95"], result["later_turn_ms"]["p50"], result["first_turn_ms"]["p50"],
               result["turn_cpu_ms"]["p50"], result["statements_per_turn"]["median"],
               result["commits_per_turn"]["median"], result["connections_per_turn"]["median"],
               result["insert_commit_ms"]["p50"])
        print("".join(f"{value:>14}" for value in row))
    rasa = results.get("rasa")
    if rasa:
        print(f"Rasa REST p50 {rasa['rest_ms']['p50']} ms, p95 {rasa['rest_ms']['p95']} ms; bridge/Rasa p50: "
              + ", ".join(f"{name} {share:.1%}" for name, share in rasa["bridge_share"].items()))


async def main_async(args: argparse.Namespace) -> Dict[str, Any]:
    results: Dict[str, Any] = {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                               "method": {"turns": args.turns, "warmup_turns": WARMUP_TURNS,
                                          "turns_per_conversation": TURNS_PER_CONVERSATION,
                                          "counted_turns": COUNTED_TURNS,
                                          "cost": "turn wall time minus time inside the fake Rasa call"},
                               "databases": {},
                               # Other work on the machine stretches wall times: the load says how busy it was.
                               "load_average_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="turn-cost-") as folder:
        state = Path(folder)
        results["databases"]["sqlite"] = await measure(f"sqlite:///{state / 'desk.db'}", args.turns, state)
        if args.database_url:
            results["databases"]["postgresql"] = await measure_postgres(args.database_url, args.turns, state)
    if args.rasa_url:
        rasa = await rasa_rest_times(args.rasa_url, args.rasa_token or "", args.turns)
        rasa["bridge_share"] = {name: ratio(result["turn_ms"]["p50"], rasa["rest_ms"]["p50"])
                                for name, result in results["databases"].items()}
        results["rasa"] = rasa
    results["load_average_after"] = os.getloadavg()[0]
    return results


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server (a fresh schema is made and dropped)")
    parser.add_argument("--turns", type=int, default=400)
    parser.add_argument("--rasa-url", help="a running Rasa, to time its own REST answer to the same texts")
    parser.add_argument("--rasa-token", help="Rasa's API token")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    results = asyncio.run(main_async(args))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print_table(results)


if __name__ == "__main__":
    main()
