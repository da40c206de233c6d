"""`python -m bench.tracker_store`: what keeping Rasa's trackers in SQL costs per turn, and what a
model swap (`PUT /model`) does to shoppers who are chatting at that moment.

Variants, each its own Rasa server and action server on free ports with a freshly seeded store:
- `memory`: Rasa's default InMemoryTrackerStore (endpoints.yml without its `tracker_store:`);
- `sqlite`: endpoints.yml as it is (bot.rasa_tracker_store.ProjectTrackerStore) on the SQLite file;
- `postgresql`: the same on a fresh schema of KUZEY_BENCH_POSTGRES_URL, when that is set.

1. Per turn: the FAQ scripts and a five-turn order conversation (greeting, order question, proof
   by e-mail, a question, thanks) over Rasa's REST channel, one turn at a time. All variants run
   side by side and take turns message by message, in a rotating order, so that they share the
   noise of a busy machine; one unmeasured round warms each up. Then one long conversation
   (`--long-turns` questions) shows whether a turn costs more as the conversation grows.
2. Model swap, one variant after the other (`--swaps` rounds, the order reversed every round, as
   the machine's load changes): `--shoppers` simulated shoppers chat continuously (REST, one
   conversation each, think time between turns); after `--before` seconds the same model file (or
   `--swap-model`) is loaded with `PUT /model`; the shoppers go on for `--after` seconds. Turns are
   grouped by when they ran: before the PUT, overlapping it, after it; a turn slower than the
   bridge's Rasa timeout would have reached a shopper on the widget as "assistant unavailable".
   At the end each shopper's tracker is read back: how many of its turns does Rasa remember?

Writes results/tracker_store.md (machine and date included).
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import aiohttp
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from actions.store.database import make_engine
from actions.store.seed import seed
from bench import machine
from bench.clients import Turn, rest_turn
from bench.conversations import FAQ_SCRIPTS, ORDER_EMAIL, ORDER_NO, TRACKING_NO, Script
from bench.stack import free_port
from bench.stats import ratio, summary
from bot.processes import ServiceGroup, action_server, rasa_server
from bot.settings import PROJECT_ROOT, Settings
from bot.training import train

OUTPUT = PROJECT_ROOT / "results" / "tracker_store.md"
TURN_TIMEOUT = 120.0   # a turn waiting for a model load is slow, not failed
BRIDGE_TIMEOUT_MS = 30_000  # bot/desk/rasa_client.py: RasaClient's timeout for one turn
PUT_TIMEOUT = 600.0

ORDER_FLOW = Script("tr-order-flow", "tr", (
    "merhaba", f"{ORDER_NO} nolu siparişim nerede", f"mailim {ORDER_EMAIL}", "iade süresi kaç gün", "teşekkürler"))
SWAP_MIX = FAQ_SCRIPTS + (ORDER_FLOW,)
LONG_QUESTIONS = tuple(t for s in FAQ_SCRIPTS if s.language == "tr" for t in s.turns[1:3])


def log(message: str) -> None:
    print(f"[tracker {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- the variants ------------------------------------------------------------------------------

@dataclass
class Variant:
    name: str
    settings: Settings
    group: ServiceGroup
    state_dir: Path

    @property
    def rest_url(self) -> str:
        return f"{self.settings.rasa_url}/webhooks/rest/webhook"

    @property
    def rasa(self):
        return self.group.service("Rasa server")


def memory_endpoints(path: Path) -> Path:
    """endpoints.yml without its tracker store: Rasa's default, in memory. Everything else equal."""
    endpoints = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8")) or {}
    endpoints.pop("tracker_store", None)
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False), encoding="utf-8")
    return path


@contextmanager
def postgres_schema(server_url: str) -> Iterator[str]:
    """A fresh schema on the server; yields a URL whose connections use it."""
    schema = f"kuzey_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, future=True)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def start_variant(name: str, model: Path, database_url: str = "") -> Variant:
    state_dir = Path(tempfile.mkdtemp(prefix=f"kuzey-tracker-{name}-"))
    settings = Settings(state_dir=state_dir, database_url=database_url, rasa_port=free_port(),
                        action_port=free_port(), rasa_token=uuid.uuid4().hex)
    engine = make_engine(settings.store_database_url)
    seed(engine)
    engine.dispose()
    rasa = rasa_server(settings, model)
    if name == "memory":
        rasa.command[rasa.command.index("--endpoints") + 1] = str(memory_endpoints(state_dir / "endpoints.yml"))
    group = ServiceGroup(settings, [action_server(settings), rasa])
    log(f"starting {name} (Rasa on port {settings.rasa_port}, state in {state_dir})")
    group.start(progress=lambda _: None)
    return Variant(name, settings, group, state_dir)


# --- per-turn cost -----------------------------------------------------------------------------

@dataclass
class TurnSamples:
    ms: Dict[str, List[float]] = field(default_factory=dict)          # variant -> latencies
    rows: List[Dict[str, Any]] = field(default_factory=list)           # one per text: every variant
    errors: Counter = field(default_factory=Counter)
    tracking_told: Counter = field(default_factory=Counter)  # order conversations answered right

    def record(self, label: str, index: int, turns: Dict[str, Turn]) -> None:
        row = {"label": label, "turn": index}
        for name, turn in turns.items():
            if label == ORDER_FLOW.name and ORDER_FLOW.turns[index].startswith("mailim") and TRACKING_NO in turn.text():
                self.tracking_told[name] += 1
            if turn.error or not turn.messages:
                self.errors[f"{name}:{turn.error or 'empty'}"] += 1
                row[name] = None
            else:
                self.ms.setdefault(name, []).append(turn.last_ms)
                row[name] = turn.last_ms
        self.rows.append(row)

    def paired(self, name: str, base: str = "memory") -> List[float]:
        return [r[name] - r[base] for r in self.rows if r.get(name) is not None and r.get(base) is not None]

    def result(self, names: Sequence[str]) -> Dict[str, Any]:
        series = {name: summary(self.ms.get(name, [])) for name in names}
        out: Dict[str, Any] = {"series": series, "errors": dict(self.errors),
                               "tracking_told": {name: self.tracking_told[name] for name in names}}
        base = series.get("memory", {})
        for name in names:
            if name != "memory" and base.get("n") and series[name].get("n"):
                out[f"{name}_vs_memory"] = {
                    "p50_ratio": ratio(series[name]["p50"], base["p50"]),
                    "p95_ratio": ratio(series[name]["p95"], base["p95"]),
                    "paired_ms": summary(self.paired(name)),
                }
        return out


async def run_script(http, variants: Sequence[Variant], script: Script, rotation: int, record) -> int:
    senders = {v.name: f"bench-{v.name}-{uuid.uuid4().hex[:12]}" for v in variants}
    orders = list(itertools.permutations(range(len(variants))))
    for index, message in enumerate(script.turns):
        turns = {}
        for position in orders[rotation % len(orders)]:
            variant = variants[position]
            turns[variant.name] = await rest_turn(http, variant.rest_url, senders[variant.name], message,
                                                  {"language": script.language}, timeout=TURN_TIMEOUT)
        rotation += 1
        if record:
            record(script.name, index, turns)
    return rotation


async def per_turn(variants: Sequence[Variant], rounds: int, order_rounds: int, long_turns: int) -> Dict[str, Any]:
    names = [v.name for v in variants]
    async with aiohttp.ClientSession() as http:
        rotation = 0
        for script in (*FAQ_SCRIPTS, ORDER_FLOW):  # warm-up, unmeasured
            rotation = await run_script(http, variants, script, rotation, None)
        faq, order = TurnSamples(), TurnSamples()
        for round_no in range(rounds):
            for script in FAQ_SCRIPTS:
                rotation = await run_script(http, variants, script, rotation, faq.record)
        log(f"per turn: {rounds} rounds of {len(FAQ_SCRIPTS)} FAQ scripts")
        for _ in range(order_rounds):
            rotation = await run_script(http, variants, ORDER_FLOW, rotation, order.record)
        log(f"per turn: {order_rounds} order conversations")
        long = TurnSamples()
        script = Script("long", "tr", tuple(LONG_QUESTIONS[i % len(LONG_QUESTIONS)] for i in range(long_turns)))
        rotation = await run_script(http, variants, script, rotation, long.record)
        log(f"per turn: one conversation of {long_turns} questions")

    by_turn = {}
    for index, text_ in enumerate(ORDER_FLOW.turns):
        rows = [r for r in order.rows if r["turn"] == index]
        by_turn[text_] = {name: summary([r[name] for r in rows if r.get(name) is not None]) for name in names}
    tenth = max(1, long_turns // 4)
    long_parts = {
        f"turns 1-{tenth}": [r for r in long.rows if r["turn"] < tenth],
        f"turns {long_turns - tenth + 1}-{long_turns}": [r for r in long.rows if r["turn"] >= long_turns - tenth],
    }
    return {
        "faq": faq.result(names),
        "order": order.result(names),
        "order_by_turn": by_turn,
        "long": {part: {name: summary([r[name] for r in rows if r.get(name) is not None]) for name in names}
                 for part, rows in long_parts.items()},
        "long_errors": dict(long.errors),
    }


# --- model swap --------------------------------------------------------------------------------

@dataclass
class SwapTurn:
    started: float
    ended: float
    ms: Optional[float]
    error: Optional[str]


async def swapping_shopper(http, variant: Variant, sender: str, stop_at: List[float], turns: List[SwapTurn],
                           sent: Counter, think: Tuple[float, float], rng: random.Random) -> None:
    await asyncio.sleep(rng.uniform(0, think[1]))
    while time.monotonic() < stop_at[0]:
        script = rng.choice(SWAP_MIX)
        for message in script.turns:
            if time.monotonic() >= stop_at[0]:
                return
            started = time.monotonic()
            turn = await rest_turn(http, variant.rest_url, sender, message, {"language": script.language},
                                   timeout=TURN_TIMEOUT)
            error = turn.error or (None if turn.messages else "empty")
            turns.append(SwapTurn(started, time.monotonic(), None if error else turn.last_ms, error))
            if error is None:
                sent[sender] += 1
            await asyncio.sleep(rng.uniform(*think))


def window_summary(turns: Sequence[SwapTurn]) -> Dict[str, Any]:
    return {**summary([t.ms for t in turns if t.ms is not None]),
            "turns": len(turns), "failed": sum(t.error is not None for t in turns),
            "over_bridge_timeout": sum(t.ms is not None and t.ms > BRIDGE_TIMEOUT_MS for t in turns),
            "errors": dict(Counter(t.error for t in turns if t.error))}


async def remembered_turns(http, variant: Variant, sender: str) -> int:
    """User messages in the conversation's tracker, as Rasa has it now."""
    url = f"{variant.settings.rasa_url}/conversations/{sender}/tracker"
    async with http.get(url, params={"token": variant.settings.rasa_api_token(), "include_events": "ALL"},
                        timeout=aiohttp.ClientTimeout(total=60)) as response:
        tracker = await response.json()
    return sum(event.get("event") == "user" for event in tracker.get("events") or [])


async def model_swap(variant: Variant, swap_model: Path, shoppers: int, before: float, after: float,
                     think: Tuple[float, float], seed_: int = 7) -> Dict[str, Any]:
    rng = random.Random(seed_)
    turns: List[SwapTurn] = []
    sent: Counter = Counter()
    senders = [f"swap-{variant.name}-{i}-{uuid.uuid4().hex[:8]}" for i in range(shoppers)]
    stop_at = [float("inf")]
    rss_before = variant.rasa.rss_bytes()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        tasks = [asyncio.create_task(swapping_shopper(http, variant, s, stop_at, turns, sent, think, rng))
                 for s in senders]
        await asyncio.sleep(before)
        load_at_put = round(os.getloadavg()[0], 2)
        put_started = time.monotonic()
        async with http.put(f"{variant.settings.rasa_url}/model", params={"token": variant.settings.rasa_api_token()},
                            json={"model_file": str(swap_model)},
                            timeout=aiohttp.ClientTimeout(total=PUT_TIMEOUT)) as response:
            status = response.status
            body = await response.text()
        put_ended = time.monotonic()
        stop_at[0] = put_ended + after
        await asyncio.gather(*tasks)
        remembered = {s: await remembered_turns(http, variant, s) for s in senders}
    rss_after = variant.rasa.rss_bytes()
    first = min(t.started for t in turns)
    windows = {
        "before": [t for t in turns if t.ended < put_started and t.started >= first + 5],  # after the ramp-up
        "during": [t for t in turns if t.started <= put_ended and t.ended >= put_started],
        "after": [t for t in turns if t.started > put_ended],
    }
    return {
        "put_seconds": round(put_ended - put_started, 2), "put_status": status, "loadavg_at_put": load_at_put,
        "put_body": body[:300] if status >= 300 else "",
        "windows": {name: window_summary(ts) for name, ts in windows.items()},
        "remembered": {"turns_sent": sum(sent.values()), "turns_in_trackers": sum(remembered.values()),
                       "conversations_complete": sum(remembered[s] >= sent[s] for s in senders),
                       "conversations": shoppers},
        "rasa_rss_mb": {"before": round(rss_before / 2**20), "after": round(rss_after / 2**20)},
    }


# --- the report --------------------------------------------------------------------------------

def fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def latency_table(part: Dict[str, Any], names: Sequence[str]) -> List[str]:
    lines = ["| tracker store | n | p50 ms | p95 ms | mean ms | max ms | p50 ratio to memory | p95 ratio | "
             "paired difference to memory, p50 / p95 ms |", "|---|---|---|---|---|---|---|---|---|"]
    for name in names:
        s = part["series"][name]
        versus = part.get(f"{name}_vs_memory")
        extra = (f"{versus['p50_ratio']:.3f} | {versus['p95_ratio']:.3f} | "
                 f"{fmt(versus['paired_ms'].get('p50'))} / {fmt(versus['paired_ms'].get('p95'))}") if versus else "1 | 1 | –"
        lines.append(f"| {name} | {s.get('n', 0)} | {fmt(s.get('p50'))} | {fmt(s.get('p95'))} | {fmt(s.get('mean'))} | "
                     f"{fmt(s.get('max'))} | {extra} |")
    if part["errors"]:
        lines.append(f"\nFailed or empty turns: {part['errors']}")
    return lines


def report(results: Dict[str, Any]) -> str:
    m, plan, names = results["machine"], results["plan"], results["variants"]
    turn, swaps = results["per_turn"], results["swap"]
    lines = [
        "# Rasa's tracker store: per-turn cost and a model swap under traffic",
        "",
        f"Measured {results['measured_at']} by `python -m bench.tracker_store` (bench/tracker_store.py) in "
        f"{results['seconds']:.0f} s.",
        f"Machine: {m['cpu_model']}, {m['cores_logical']} logical cores, {m['ram_gb']} GB RAM, {m['os']}, "
        f"Python {m['python']}, Rasa {m['packages'].get('rasa')}, SQLAlchemy {m['packages'].get('SQLAlchemy')}; "
        f"commit {m['git_commit'][:10]}{' with uncommitted changes' if m['git_dirty'] else ''}. "
        f"Load average before {results['load_before']['loadavg']}, after {results['load_after']['loadavg']}"
        + (f"; other busy processes: {results['load_before']['busy_processes']}" if results['load_before']['busy_processes'] else "")
        + ".",
        f"Model: `{results['model']}`; swapped to `{results['swap_model']}`.",
        "",
        "Variants (each its own Rasa server and action server, freshly seeded store): "
        + "; ".join(f"`{n}`: {results['descriptions'][n]}" for n in names) + ".",
        "",
        "## Per turn (REST channel, one turn at a time, variants interleaved message by message)",
        "",
        f"FAQ scripts: {plan['rounds']} rounds of {len(FAQ_SCRIPTS)} scripts x 4 turns (tr and en).",
        "",
        *latency_table(turn["faq"], names),
        "",
        f"Order conversation ({plan['order_rounds']} times): " + " / ".join(f"\"{t}\"" for t in ORDER_FLOW.turns)
        + " (a form, the action server checks the proof and reads the order).",
        "",
        *latency_table(turn["order"], names),
        "",
        "The proof turn answered with the order's tracking number: "
        + ", ".join(f"{n} {turn['order']['tracking_told'][n]} of {plan['order_rounds']}" for n in names) + ".",
        "",
        "p50 ms per turn of the order conversation:",
        "",
        "| turn | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
        *[f"| {t} | " + " | ".join(fmt(s[n].get("p50")) for n in names) + " |" for t, s in turn["order_by_turn"].items()],
        "",
        f"One conversation of {plan['long_turns']} questions: does a turn cost more as the tracker grows? (p50 ms)",
        "",
        "| turns | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
        *[f"| {part} | " + " | ".join(fmt(s[n].get("p50")) for n in names) + " |" for part, s in turn["long"].items()],
        "",
        f"## Model swap: `PUT /model` while {plan['shoppers']} shoppers chat",
        "",
        f"Each shopper keeps one conversation over the REST channel (FAQ scripts and the order conversation, "
        f"{plan['think'][0]}-{plan['think'][1]} s between turns); `PUT /model` after {plan['before']:.0f} s, then "
        f"{plan['after']:.0f} s more. A turn is *during* the swap if it overlaps the PUT; *before* leaves out the "
        f"first 5 s (ramp-up). Failed = HTTP error, timeout ({TURN_TIMEOUT:.0f} s) or an empty answer.",
        "",
        f"| tracker store | swap | load avg at PUT | PUT /model s | window | turns | failed | over {BRIDGE_TIMEOUT_MS // 1000} s "
        "(the bridge's timeout) | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in names:
        for number, swap in enumerate(swaps[name], 1):
            for window in ("before", "during", "after"):
                w = swap["windows"][window]
                lines.append(f"| {name} | {number} | {swap['loadavg_at_put']} | {swap['put_seconds']:.1f}"
                             f"{'' if swap['put_status'] < 300 else ' (HTTP ' + str(swap['put_status']) + ')'} "
                             f"| {window} | {w['turns']} | {w['failed']}{' ' + str(w['errors']) if w['errors'] else ''} "
                             f"| {w['over_bridge_timeout']} | {fmt(w.get('p50'))} | {fmt(w.get('p95'))} | {fmt(w.get('max'))} |")
    lines += ["", "Conversations after each swap: the shoppers' turns that Rasa's trackers still hold.", "",
              "| tracker store | swap | turns answered | turns in the trackers | conversations complete | "
              "Rasa RSS before / after MB |", "|---|---|---|---|---|---|"]
    for name in names:
        for number, swap in enumerate(swaps[name], 1):
            r, rss = swap["remembered"], swap["rasa_rss_mb"]
            lines.append(f"| {name} | {number} | {r['turns_sent']} | {r['turns_in_trackers']} | "
                         f"{r['conversations_complete']} of {r['conversations']} | {rss['before']} / {rss['after']} |")
    lines += ["", "## Reading", ""]
    for name in names:
        if name == "memory":
            continue
        faq = turn["faq"].get(f"{name}_vs_memory")
        order = turn["order"].get(f"{name}_vs_memory")
        if faq and order:
            lines.append(f"- `{name}` costs {fmt(faq['paired_ms'].get('p50'))} ms per FAQ turn at the median of the "
                         f"paired differences (p50 ratio {faq['p50_ratio']:.2f}) and {fmt(order['paired_ms'].get('p50'))} ms "
                         f"per order-conversation turn (ratio {order['p50_ratio']:.2f}).")
    for name in names:
        runs = swaps[name]
        during = [run["windows"]["during"] for run in runs]
        put = ", ".join(f"{run['put_seconds']:.1f}" for run in runs)
        lines.append(f"- `{name}`: PUT /model took {put} s; "
                     f"turns overlapping it waited up to {', '.join(fmt(w.get('max')) for w in during)} ms; "
                     f"{sum(w['failed'] for w in during)} failed, {sum(w['over_bridge_timeout'] for w in during)} over "
                     f"the bridge's {BRIDGE_TIMEOUT_MS // 1000} s; the trackers hold "
                     f"{sum(r['remembered']['turns_in_trackers'] for r in runs)} of "
                     f"{sum(r['remembered']['turns_sent'] for r in runs)} answered turns.")
    lines += [
        "- Turns that overlap the PUT wait for all of it: Rasa 3.6 loads the new model synchronously on its "
        "event loop (rasa/server.py `load_model` -> `Agent.load_model`), so no conversation is answered while "
        "it loads; the waiting turns are answered afterwards, by the new model, with the conversation state "
        "the tracker store kept (none, in memory).",
        "- Each turn is one tracker read and one write (MessageProcessor.handle_message); with the SQL store "
        "both are synchronous database calls on Rasa's event loop, the read returns every event of the "
        "current session, so a long conversation costs a little more per turn.",
    ]
    (first, first_rows), (last, last_rows) = turn["long"].items()
    lines.append(f"- A turn costs more as the conversation grows, in every store (p50, {first} -> {last} of one "
                 f"{plan['long_turns']}-question conversation: "
                 + ", ".join(f"{n} {fmt(first_rows[n].get('p50'))} -> {fmt(last_rows[n].get('p50'))} ms" for n in names)
                 + "). So the swap's before and after windows are not like for like: the shoppers' conversations "
                 "keep growing, except in memory, where the swap empties them.")
    return "\n".join(lines) + "\n"


# --- main --------------------------------------------------------------------------------------

def stop_on_signal(signum, _frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def parse_args(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.tracker_store", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20, help="rounds of the FAQ scripts (default 20)")
    parser.add_argument("--order-rounds", type=int, default=30, help="order conversations (default 30)")
    parser.add_argument("--long-turns", type=int, default=40, help="turns of the long conversation (default 40)")
    parser.add_argument("--shoppers", type=int, default=10, help="shoppers chatting during the swap (default 10)")
    parser.add_argument("--swaps", type=int, default=2, help="swaps per variant, in alternating order (default 2)")
    parser.add_argument("--before", type=float, default=30.0, help="seconds of traffic before the PUT (default 30)")
    parser.add_argument("--after", type=float, default=30.0, help="seconds of traffic after the PUT (default 30)")
    parser.add_argument("--think", default="0.5,2.0", help="think time between a shopper's turns, min,max s")
    parser.add_argument("--quick", action="store_true", help="a few rounds and short swap windows")
    parser.add_argument("--model", type=Path, help="model file (default: train or reuse the current one)")
    parser.add_argument("--swap-model", type=Path, help="model file PUT /model loads (default: the same file)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    args.think = tuple(float(x) for x in args.think.split(","))
    if args.quick:
        args.rounds, args.order_rounds, args.long_turns, args.before, args.after, args.swaps = 2, 3, 12, 10.0, 10.0, 1
    return args


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop_on_signal)
    started = time.monotonic()
    model = (args.model or train(Settings())).resolve()
    swap_model = (args.swap_model or model).resolve()
    postgres = os.environ.get("KUZEY_BENCH_POSTGRES_URL", "")
    descriptions = {"memory": "Rasa's InMemoryTrackerStore",
                    "sqlite": "ProjectTrackerStore on the SQLite file the action server uses (WAL)",
                    "postgresql": "ProjectTrackerStore on a fresh PostgreSQL schema, the action server's store there too"}
    results: Dict[str, Any] = {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                               "machine": machine.describe(), "model": model.name, "swap_model": swap_model.name,
                               "plan": {k: getattr(args, k) for k in ("rounds", "order_rounds", "long_turns", "shoppers",
                                                                      "swaps", "before", "after", "think")},
                               "descriptions": descriptions}
    log(f"{results['machine']['cpu_model']}, {results['machine']['cores_logical']} cores; model {model.name}")
    variants: List[Variant] = []
    ok = False
    with ExitStack() as cleanup:
        try:
            variants.append(start_variant("memory", model))
            variants.append(start_variant("sqlite", model))
            if postgres:
                variants.append(start_variant("postgresql", model, cleanup.enter_context(postgres_schema(postgres))))
            results["variants"] = [v.name for v in variants]
            pids = [v.rasa.process.pid for v in variants]
            results["load_before"] = machine.load_snapshot(pids)
            results["per_turn"] = asyncio.run(per_turn(variants, args.rounds, args.order_rounds, args.long_turns))
            results["swap"] = {v.name: [] for v in variants}
            for number in range(args.swaps):
                for variant in (variants if number % 2 == 0 else variants[::-1]):
                    log(f"model swap {number + 1} on {variant.name}: {args.shoppers} shoppers")
                    run = asyncio.run(model_swap(variant, swap_model, args.shoppers, args.before, args.after,
                                                 args.think, seed_=7 + number))
                    results["swap"][variant.name].append(run)
                    log(f"  PUT /model took {run['put_seconds']} s (load average {run['loadavg_at_put']})")
            results["load_after"] = machine.load_snapshot(pids)
            ok = True
        finally:
            for variant in variants:
                variant.group.stop()
                if ok:
                    shutil.rmtree(variant.state_dir, ignore_errors=True)
                else:
                    log(f"failed; logs kept in {variant.state_dir / 'logs'}")
    results["seconds"] = time.monotonic() - started
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report(results), encoding="utf-8")
    log(f"done: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
