"""CPU and memory of each process, sampled every second in a thread (psutil).

A service counts with all its children. CPU is in percent of one core (200% = both cores of a
2-core machine busy); `system` is the whole machine in percent of all cores, so other work on a
shared machine shows up.
"""
from __future__ import annotations

import os
import threading
import time
from typing import Dict, List, Optional

import psutil


class ProcessTree:
    """One process and its children; keeps psutil objects so that cpu_percent has a baseline."""

    def __init__(self, pid: int):
        self.root = psutil.Process(pid)
        self.known: Dict[int, psutil.Process] = {}

    def sample(self) -> Optional[Dict[str, float]]:
        try:
            processes = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return None
        cpu = rss = 0.0
        for process in processes:
            known = self.known.setdefault(process.pid, process)
            try:
                cpu += known.cpu_percent(None)
                rss += known.memory_info().rss
            except psutil.NoSuchProcess:
                self.known.pop(process.pid, None)
        return {"cpu": round(cpu, 1), "rss_mb": round(rss / 2**20, 1)}

    def rss_mb(self) -> float:
        sample = self.sample()
        return sample["rss_mb"] if sample else 0.0


class Sampler:
    def __init__(self, pids: Dict[str, int], interval: float = 1.0):
        self.trees = {name: ProcessTree(pid) for name, pid in {**pids, "bench_client": os.getpid()}.items()}
        self.interval = interval
        self.samples: List[Dict[str, object]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "Sampler":
        for tree in self.trees.values():
            tree.sample()  # the first cpu_percent reading is the baseline
        psutil.cpu_percent(None)
        self._started = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> List[Dict[str, object]]:
        self._stop.set()
        self._thread.join()
        return self.samples

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            sample: Dict[str, object] = {"t": round(time.monotonic() - self._started, 1),
                                         "system_cpu": psutil.cpu_percent(None)}
            for name, tree in self.trees.items():
                sample[name] = tree.sample()
            self.samples.append(sample)


def summarise(samples: List[Dict[str, object]], names) -> Dict[str, Dict[str, float]]:
    """Mean and peak CPU%, mean and peak RSS of each process over the samples."""
    result: Dict[str, Dict[str, float]] = {}
    for name in names:
        values = [s[name] for s in samples if s.get(name)]
        if not values:
            continue
        cpus, rss = [v["cpu"] for v in values], [v["rss_mb"] for v in values]
        result[name] = {"cpu_mean": round(sum(cpus) / len(cpus), 1), "cpu_max": max(cpus),
                        "rss_mean_mb": round(sum(rss) / len(rss), 1), "rss_max_mb": max(rss),
                        "rss_end_mb": rss[-1]}
    system = [s["system_cpu"] for s in samples]
    if system:
        result["system"] = {"cpu_mean": round(sum(system) / len(system), 1), "cpu_max": max(system)}
    return result


def wait_until_quiet(pids: Dict[str, int], below: float = 10.0, seconds: int = 2, timeout: float = 60.0) -> float:
    """Waits until every process uses less than `below`% of a core for `seconds` samples in a row
    (e.g. the bridge still closing thousands of sockets); the seconds waited."""
    trees = [ProcessTree(pid) for pid in pids.values()]
    for tree in trees:
        tree.sample()
    started, quiet = time.monotonic(), 0
    while quiet < seconds and time.monotonic() - started < timeout:
        time.sleep(1.0)
        samples = [tree.sample() for tree in trees]
        quiet = quiet + 1 if all(s is None or s["cpu"] < below for s in samples) else 0
    return round(time.monotonic() - started, 1)
