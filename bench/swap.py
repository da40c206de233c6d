"""`python -m bench.swap`: what publishing a new model costs shoppers, and what the proxy in front
of Rasa costs per turn. Writes results/model_swap.md (and .json).

Starts Rasa (behind bot/rasa_pool.py) and the action server on free ports, then, with shoppers
chatting over the REST channel without pause:
- swaps the model blue/green (`POST /pool/model`: a second Rasa loads it and takes over when warm);
- loads it with Rasa's own `PUT /model` (sent to the Rasa behind the proxy: it loads on its event
  loop while turns wait).
Each is reported as failed turns and p95/max turn time during the swap against p50 before it, all
measured in the same run (shared machines are noisy: compare within a run, not across runs).
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Tuple

import requests

from bot.nlu_metrics import percentile
from bot.processes import assistant
from bot.settings import PROJECT_ROOT, Settings
from bot.training import train
from bench.stack import free_port

QUESTIONS = ["kargo ücreti ne kadar", "iade nasıl yapılır", "taksit var mı", "faturamı nereden alırım"]
OUTPUT = PROJECT_ROOT / "results" / "model_swap"


class Chatter:
    """Shoppers asking FAQ questions back to back; each turn's start, duration and success."""

    def __init__(self, url: str, shoppers: int, sender: str = "bench"):
        self.url, self.sender, self.stopping = url, sender, threading.Event()
        self.turns: List[Tuple[float, float, bool]] = []
        self.threads = [threading.Thread(target=self._chat, args=(i,), daemon=True) for i in range(shoppers)]

    def _chat(self, index: int) -> None:
        session, turn = requests.Session(), 0
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                response = session.post(self.url, json={"sender": f"{self.sender}-{index}", "message": QUESTIONS[turn % 4]}, timeout=120)
                ok = response.status_code == 200 and bool(response.json())
            except requests.RequestException:
                ok = False
            self.turns.append((started, time.monotonic() - started, ok))
            turn += 1

    def __enter__(self) -> "Chatter":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(180)


def swap_under_load(settings: Settings, model: Path, method: str, shoppers: int) -> Dict[str, float]:
    token = {"token": settings.rasa_api_token()}
    with Chatter(f"{settings.rasa_url}/webhooks/rest/webhook", shoppers) as chatter:
        time.sleep(10)
        started = time.monotonic()
        if method == "blue/green":
            response = requests.post(f"{settings.rasa_url}/pool/model", params=token, json={"model_file": str(model)}, timeout=900)
        else:  # Rasa's own API on the Rasa behind the proxy
            backend = requests.get(f"{settings.rasa_url}/pool/status", params=token, timeout=10).json()["backend"]
            response = requests.put(f"{backend}/model", params=token, json={"model_file": str(model)}, timeout=900)
        ended = time.monotonic()
        response.raise_for_status()
        time.sleep(10)
    return {"swap_seconds": round(ended - started, 2), **during_swap(chatter.turns, started, ended)}


def during_swap(turns: List[Tuple[float, float, bool]], started: float, ended: float) -> Dict[str, float]:
    """Failed turns, and turn times while the swap ran (any overlap) against before it."""
    before = [d for s, d, _ in turns if s + d < started]
    during = [d for s, d, _ in turns if s <= ended and s + d >= started]
    return {"turns": len(turns), "failed_turns": sum(not ok for *_, ok in turns),
            "p50_before_ms": round(statistics.median(before) * 1000, 1),
            "p95_during_ms": round(percentile(during, 0.95) * 1000, 1), "max_during_ms": round(max(during) * 1000, 1),
            "turns_during": len(during)}


def proxy_cost(settings: Settings, rounds: int) -> Dict[str, float]:
    """The same REST turns through the proxy and straight to the Rasa behind it, interleaved."""
    token = {"token": settings.rasa_api_token()}
    backend = requests.get(f"{settings.rasa_url}/pool/status", params=token, timeout=10).json()["backend"]
    timings: Dict[str, List[float]] = {"proxy": [], "direct": []}
    session = requests.Session()
    for turn in range(rounds):
        for name, base in (("proxy", settings.rasa_url), ("direct", backend)):
            started = time.perf_counter()
            session.post(f"{base}/webhooks/rest/webhook", json={"sender": f"cost-{name}", "message": QUESTIONS[turn % 4]},
                         timeout=60).raise_for_status()
            timings[name].append(time.perf_counter() - started)
    p50 = {name: statistics.median(values) * 1000 for name, values in timings.items()}
    return {"p50_direct_ms": round(p50["direct"], 2), "p50_proxy_ms": round(p50["proxy"], 2),
            "ratio": round(p50["proxy"] / p50["direct"], 3), "rounds": rounds}


def markdown(results: Dict) -> str:
    lines = [f"# Publishing a model while shoppers chat ({results['measured_at']})", "",
             f"{results['shoppers']} shoppers over the REST channel without pause; machine: {results['machine']}.", "",
             "| swap | took | turns | failed | p50 before | p95 during | max during |", "|---|---|---|---|---|---|---|"]
    for name, row in results["swaps"].items():
        lines.append(f"| {name} | {row['swap_seconds']} s | {row['turns']} | {row['failed_turns']} | {row['p50_before_ms']} ms "
                     f"| {row['p95_during_ms']} ms | {row['max_during_ms']} ms |")
    cost = results["proxy"]
    lines += ["", f"The proxy in front of Rasa: p50 per REST turn {cost['p50_proxy_ms']} ms against {cost['p50_direct_ms']} ms "
              f"straight to Rasa (ratio {cost['ratio']}, {cost['rounds']} turns each, interleaved).", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.swap", description=__doc__.splitlines()[0])
    parser.add_argument("--shoppers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    import os
    import platform

    model = train(Settings()).resolve()
    settings = Settings(state_dir=Path(tempfile.mkdtemp(prefix="kuzey-swap-")), rasa_port=free_port(), action_port=free_port(),
                        rasa_token=uuid.uuid4().hex)
    group = assistant(settings, model)
    group.start()
    try:
        results = {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "shoppers": args.shoppers,
                   "machine": f"{platform.machine()}, {os.cpu_count()} cores", "proxy": proxy_cost(settings, args.rounds),
                   "swaps": {method: swap_under_load(settings, model, method, args.shoppers) for method in ("blue/green", "PUT /model")}}
    finally:
        group.stop()
    OUTPUT.with_suffix(".json").write_text(json.dumps(results, indent=2))
    OUTPUT.with_suffix(".md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
