"""`python -m bench [--quick] [--only latency,load,...] [--train]`: measure the whole stack.

Starts Rasa, the action server and the bridge on free ports with a temporary state folder,
runs the chosen sections, and writes results/bench/bench.json, bench.md and the plots.
Sections not run this time keep their previous results (each says when it was measured).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, Tuple

from bot.settings import PROJECT_ROOT

SECTIONS = ("training", "latency", "handoff", "load", "profile", "idle", "scale")  # in the order they run
OUTPUT = PROJECT_ROOT / "results" / "bench"


@dataclass(frozen=True)
class Plan:
    latency_rounds: int = 10
    order_rounds: int = 20
    handoff_rounds: int = 20
    idle_steps: Tuple[int, ...] = (1000, 5000)
    load_levels: Tuple[int, ...] = (10, 50, 100, 200)
    load_seconds: float = 60.0
    think_seconds: Tuple[float, float] = (2.0, 5.0)
    profile_shoppers: int = 50
    profile_seconds: float = 20.0
    scale_levels: Tuple[int, ...] = (50, 100, 200, 400)
    scale_seconds: float = 30.0


QUICK = Plan(latency_rounds=3, order_rounds=6, handoff_rounds=8, load_seconds=15.0, profile_seconds=8.0,
             scale_levels=(50, 200), scale_seconds=10.0)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def stamp() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def parse_args(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Measure the whole stack: latency, load, "
                                     "idle connections, handoff, training (docs/benchmarks.md).")
    parser.add_argument("--quick", action="store_true", help="fewer rounds and 15 s load levels (a few minutes)")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run (default all): {','.join(SECTIONS)}")
    parser.add_argument("--train", action="store_true", help="also time a cold training (several minutes)")
    parser.add_argument("--levels", default=None, help="load levels, comma-separated (default 10,50,100,200)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="results folder (default results/bench)")
    args = parser.parse_args(argv)
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    return args


def previous_results(output: Path) -> Dict[str, Any]:
    path = output / "bench.json"
    if path.exists():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            pass
    return {}


def run_sections(stack, plan: Plan, sections, train_cold: bool, output: Path) -> Dict[str, Any]:
    from bench import handoff, idle, latency, load, scale, training
    from bench.sampler import wait_until_quiet

    results: Dict[str, Any] = {}

    def run(name: str, measure: Callable[[], Dict[str, Any]]) -> None:
        waited = wait_until_quiet(stack.pids())  # each section starts on quiet services
        if waited > 5:
            log(f"waited {waited:.0f} s for the services to become quiet")
        started = stamp()
        results[name] = {"measured_at": started, **measure()}

    def training_figures() -> Dict[str, Any]:
        log("training: model figures and the held-out NLU evaluation")
        figures = {**training.model_figures(stack.model), "nlu": training.nlu_figures(stack)}
        if train_cold:
            figures["cold_training"] = training.cold_training(log)
        return figures

    if "training" in sections:
        run("training", training_figures)
    if "latency" in sections:
        run("latency", lambda: asyncio.run(latency.measure(stack, plan.latency_rounds, plan.order_rounds, log)))
    if "handoff" in sections:
        run("handoff", lambda: asyncio.run(handoff.measure(stack, plan.handoff_rounds, log)))
    if "load" in sections:
        run("load", lambda: asyncio.run(load.measure(stack, plan.load_levels, plan.load_seconds, plan.think_seconds, log)))
    if "profile" in sections:
        run("profile", lambda: asyncio.run(load.profile(stack, output, plan.profile_shoppers, plan.profile_seconds,
                                                        plan.think_seconds, log)))
        run("handoff_profile", lambda: asyncio.run(handoff.profile(stack, output, plan.handoff_rounds, log)))
    if "idle" in sections:  # last on this stack: the bridge keeps the memory of thousands of closed sockets
        run("idle", lambda: asyncio.run(idle.measure(stack, plan.idle_steps, progress=log)))
    if "scale" in sections:  # its own stacks on PostgreSQL and Redis, one configuration after another
        run("scale", lambda: asyncio.run(scale.measure(stack.model, plan.scale_levels, plan.scale_seconds,
                                                       plan.think_seconds, progress=log)))
    return results


def stop_on_signal(signum, _frame) -> None:
    """SIGTERM, and SIGINT even when started in the background (which ignores it): the services stop too."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop_on_signal)
    plan = QUICK if args.quick else Plan()
    if args.levels:
        plan = replace(plan, load_levels=tuple(int(n) for n in args.levels.split(",")))
    from bench import machine, report
    from bench.sampler import ProcessTree
    from bench.stack import start_stack

    output = args.output
    output.mkdir(parents=True, exist_ok=True)
    results = previous_results(output)
    results.update({"generated_at": stamp(), "mode": "quick" if args.quick else "full", "plan": plan.__dict__,
                    "machine": machine.describe()})
    log(f"machine: {results['machine']['cpu_model']}, {results['machine']['cores_logical']} cores, "
        f"{results['machine']['ram_gb']} GB; sections: {', '.join(args.only)}")
    started = time.monotonic()
    stack = start_stack(log)
    ok = False
    try:
        results["stack"] = {"model": stack.model.name,
                            "rss_after_start_mb": {name: ProcessTree(pid).rss_mb() for name, pid in stack.pids().items()},
                            "settings": {"support_hours": stack.settings.support_hours,
                                         "connections_per_address": stack.settings.connections_per_address,
                                         "messages_per_second": stack.settings.messages_per_second,
                                         "message_burst": stack.settings.message_burst,
                                         "database": "SQLite (the default) in a temporary folder on the same disk"}}
        results["load_before"] = machine.load_snapshot(list(stack.pids().values()))
        sections = results.setdefault("sections", {})
        sections.update(run_sections(stack, plan, args.only, args.train, output))
        results["load_after"] = machine.load_snapshot(list(stack.pids().values()))
        ok = True
    finally:
        if ok:
            stack.stop()
        else:
            stack.group.stop()
            log(f"failed; the services' logs are kept in {stack.state_dir / 'logs'}")
    results["total_seconds"] = round(time.monotonic() - started, 1)
    report.write(results, output)
    log(f"done in {results['total_seconds']:.0f} s: {output / 'bench.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
