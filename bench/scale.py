"""Scale (the `scale` section of `python -m bench`): the several-machines topology on this machine.

PostgreSQL + Redis, 1 or 2 bridges and 1 or 2 Rasa replicas, at 50 / 100 / 200 / 400 shoppers.
Each configuration is its own stack (a fresh schema, the action server, the replicas, the bridges)
and runs the load section's closed loop (bench/load.py); with two bridges the shoppers connect
through HAProxy, as `bot up --bridges 2` runs it. CPU is sampled per process (and for the
PostgreSQL and Redis servers, when this user can see them), so the figures show where the CPU goes
and what more cores would buy: an estimate, from CPU per answered turn, stated as such.

Needs PostgreSQL (KUZEY_BENCH_POSTGRES_URL, default the local test database) and Redis
(KUZEY_BENCH_REDIS_URL); without them the section says so and is skipped.
"""
from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import psutil
import redis
from sqlalchemy import create_engine, text

from actions.store.database import make_engine
from actions.store.seed import seed
from bench import load
from bench.sampler import wait_until_quiet
from bench.stack import ACCOUNTS
from bot.desk.accounts import ensure_demo_accounts
from bot.desk.app import DEMO_STORE
from bot.desk.store import DeskStore, utcnow
from bot.processes import Service, ServiceGroup, action_server, free_port, serving_rasas
from bot.processes import bridges as balanced_bridges
from bot.settings import Settings

POSTGRES_URL = os.environ.get("KUZEY_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("KUZEY_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
CONFIGURATIONS: Tuple[Tuple[int, int], ...] = ((1, 1), (1, 2), (2, 1), (2, 2))  # (bridges, Rasa replicas)
WARM_UP_SHOPPERS, WARM_UP_SECONDS = 20, 15.0  # not measured


def missing_services() -> Optional[str]:
    try:
        with create_engine(POSTGRES_URL, future=True).connect() as connection:
            connection.execute(text("select 1"))
    except Exception as error:  # any driver or network error: the section is skipped with it
        return f"no PostgreSQL at {POSTGRES_URL}: {str(error)[:120]}"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"no Redis at {REDIS_URL}: {error}"
    return None


def consecutive_ports(count: int) -> int:
    """A port P with P+1 ... P+count-1 free too (replicas listen on consecutive ports)."""
    for _ in range(100):
        port = free_port()
        try:
            for offset in range(1, count):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port + offset))
            return port
        except OSError:
            continue
    raise RuntimeError(f"no {count} consecutive free ports")


def server_pids() -> Dict[str, int]:
    """The PostgreSQL and Redis servers' main processes (their children count with them), if visible."""
    found: Dict[str, int] = {}
    for process in psutil.process_iter(["name", "ppid"]):
        name = process.info["name"] or ""
        try:
            parent = psutil.Process(process.info["ppid"]).name() if process.info["ppid"] else ""
        except psutil.Error:
            parent = ""
        if name.startswith("postgres") and not parent.startswith("postgres"):
            found.setdefault("postgresql", process.pid)
        elif name.startswith("redis-server"):
            found.setdefault("redis", process.pid)
    return found


@dataclass
class ScaleStack:
    """What bench/load.py needs of a stack, for several bridges and replicas."""
    group: ServiceGroup
    bridge_url: str  # where shoppers connect: the one bridge, or HAProxy in front of several
    services: Dict[str, Service]
    servers: Dict[str, int] = field(default_factory=server_pids)

    def pid(self, name: str) -> Optional[int]:
        """`rasa` is there only while every replica runs (a false handoff needs all of them up)."""
        if name == "rasa":
            rasas = [s for key, s in self.services.items() if key.startswith("rasa")]
            return rasas[0].process.pid if rasas and all(s.running() for s in rasas) else None
        service = self.services.get(name)
        return service.process.pid if service and service.running() else None

    def own_pids(self) -> Dict[str, int]:
        return {name: service.process.pid for name, service in self.services.items() if service.running()}

    def pids(self) -> Dict[str, int]:
        return {**self.own_pids(), **self.servers}


def start(bridges: int, replicas: int, model: Path, database_url: str, state_dir: Path,
          passwords: Dict[str, str]) -> ScaleStack:
    settings = Settings(
        state_dir=state_dir, database_url=database_url, redis_url=REDIS_URL, rasa_replicas=replicas,
        rasa_port=consecutive_ports(replicas), action_port=free_port(), rasa_token=uuid.uuid4().hex,
        desk_secret=secrets.token_urlsafe(32), support_hours="always", connections_per_address=20000,
        bridge_replicas=bridges, bridge_port=consecutive_ports(bridges + 1),
    )
    os.environ.update({f"KUZEY_PASSWORD_{name.upper()}": password for name, password in passwords.items()})
    prepare_desk(database_url)  # before the bridges, which would otherwise race to migrate it
    # As `bot up --bridges N --rasa M` runs them: several bridges behind HAProxy on BRIDGE_PORT.
    fronts = {("haproxy" if s.name == "load balancer" else f"bridge-{n + 1}" if bridges > 1 else "bridge"): s
              for n, s in enumerate(balanced_bridges(settings))}
    services = {"actions": action_server(settings),
                **{f"rasa-{n + 1}" if replicas > 1 else "rasa": s for n, s in enumerate(serving_rasas(settings, model))},
                **fronts}
    group = ServiceGroup(settings, list(services.values()))
    group.start(progress=lambda _: None)
    return ScaleStack(group, settings.bridge_url, services)


def prepare_desk(database_url: str) -> None:
    """The desk's tables and accounts, as `bot up` makes them before it starts several bridges."""
    store = DeskStore.open(database_url)
    ensure_demo_accounts(store.session(), DEMO_STORE, utcnow())
    store.engine.dispose()


def fresh_schema() -> Tuple[str, Callable[[], None]]:
    admin = create_engine(POSTGRES_URL, future=True)
    schema = f"kuzey_bench_{uuid.uuid4().hex[:8]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}", drop


async def run_configuration(bridges: int, replicas: int, model: Path, levels: Sequence[int], seconds: float,
                            think: Tuple[float, float], progress) -> Dict[str, Any]:
    database_url, drop = fresh_schema()
    state_dir = Path(tempfile.mkdtemp(prefix="kuzey-bench-scale-"))
    stack = None
    try:
        engine = make_engine(database_url)
        seed(engine)
        engine.dispose()
        redis.Redis.from_url(REDIS_URL).flushdb()
        progress(f"scale: {bridges} bridge(s), {replicas} Rasa replica(s): starting")
        stack = await asyncio.to_thread(start, bridges, replicas, model, database_url, state_dir,
                                        {name: secrets.token_urlsafe(12) for name in ACCOUNTS})
        await load.run_level(stack, WARM_UP_SHOPPERS, WARM_UP_SECONDS, think)  # first turns load models and pools
        results = []
        for shoppers in levels:
            await asyncio.to_thread(wait_until_quiet, stack.own_pids())
            level = await load.run_level(stack, shoppers, seconds, think)
            level.pop("timeline", None)
            progress(f"scale: {bridges}b/{replicas}r, {shoppers} shoppers: {level['throughput_per_s']} answers/s, "
                     f"p95 {level['first_ms'].get('p95')} ms, errors {sum(level['errors'].values())}, "
                     f"false handoffs {level['false_handoffs']}")
            results.append(level)
            await asyncio.sleep(5)  # let Rasa drain before the next level
        return {"bridges": bridges, "replicas": replicas, "levels": results}
    except Exception:
        progress(f"scale: failed; the services' logs are kept in {state_dir / 'logs'}")
        raise
    else:
        shutil.rmtree(state_dir, ignore_errors=True)
    finally:
        if stack is not None:
            stack.group.stop()
        drop()


def cpu_per_answer(level: Dict[str, Any]) -> Dict[str, float]:
    """CPU-seconds per answered turn, by kind of process (replicas and bridges added up)."""
    throughput = level["throughput_per_s"] or 0
    if not throughput:
        return {}
    kinds: Dict[str, float] = {}
    for name, figures in level["resources"].items():
        if name in ("system", "bench_client"):
            continue
        kind = name.split("-")[0]
        kinds[kind] = kinds.get(kind, 0.0) + figures["cpu_mean"] / 100 / throughput
    return {kind: round(value, 4) for kind, value in kinds.items()}


def predictions(configurations: List[Dict[str, Any]], cores: Sequence[int] = (4, 8)) -> Dict[str, Any]:
    """Answers/s that C cores could carry if they ran the same work per answer and nothing else
    limited it (enough replicas and bridges, the database and Redis keeping up): C / CPU-seconds
    per answer, from the busiest level of the largest configuration measured. An estimate."""
    largest = max(configurations, key=lambda c: (c["replicas"], c["bridges"]))
    busiest = max(largest["levels"], key=lambda level: level["throughput_per_s"])
    per_answer = cpu_per_answer(busiest)
    total = sum(per_answer.values())
    if not total:
        return {}
    return {"from": {"bridges": largest["bridges"], "replicas": largest["replicas"], "shoppers": busiest["shoppers"]},
            "cpu_seconds_per_answer": per_answer, "cpu_seconds_per_answer_total": round(total, 4),
            "answers_per_s": {str(c): round(c / total, 1) for c in cores}}


def ratios(configurations: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Throughput of 2 replicas over 1 (same number of bridges) and of 2 bridges over 1, per level."""
    by = {(c["bridges"], c["replicas"]): {level["shoppers"]: level for level in c["levels"]} for c in configurations}
    rows = []
    for (bridges, replicas), levels in sorted(by.items()):
        for shoppers, level in sorted(levels.items()):
            row = {"bridges": bridges, "replicas": replicas, "shoppers": shoppers}
            one_replica = by.get((bridges, 1), {}).get(shoppers)
            one_bridge = by.get((1, replicas), {}).get(shoppers)
            if replicas == 2 and one_replica and one_replica["throughput_per_s"]:
                row["replicas_2_over_1"] = round(level["throughput_per_s"] / one_replica["throughput_per_s"], 2)
            if bridges == 2 and one_bridge and one_bridge["throughput_per_s"]:
                row["bridges_2_over_1"] = round(level["throughput_per_s"] / one_bridge["throughput_per_s"], 2)
            if len(row) > 3:
                rows.append(row)
    return rows


async def measure(model: Path, levels: Sequence[int], seconds: float, think: Tuple[float, float],
                  configurations: Sequence[Tuple[int, int]] = CONFIGURATIONS, progress=print) -> Dict[str, Any]:
    missing = missing_services()
    if missing:
        progress(f"scale: skipped ({missing})")
        return {"skipped": missing}
    measured = [await run_configuration(bridges, replicas, model, levels, seconds, think, progress)
                for bridges, replicas in configurations]
    return {"configurations": measured, "ratios": ratios(measured), "prediction": predictions(measured),
            "method": {"duration_s": seconds, "think_s": list(think), "levels": list(levels),
                       "database": "PostgreSQL (a fresh schema per configuration)", "redis": REDIS_URL,
                       "cores": psutil.cpu_count()}}
