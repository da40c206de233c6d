"""The plots of the benchmark (PNG, matplotlib's Agg backend: no display needed)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from bench.targets import HANDOFF_MS, IDLE_CONNECTIONS, IDLE_MB, LOAD_P95_MS, SERIES_LABELS, get  # noqa: E402


def _cdf(ax, values: List[float], label: str) -> None:
    ordered = sorted(values)
    if ordered:
        ax.plot(ordered, [(i + 1) / len(ordered) for i in range(len(ordered))], label=label)


def plot_latency(latency: Dict[str, Any], path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, (title, samples) in zip(axes, (("FAQ turns", get(latency, "faq", "samples", default={})),
                                           ("order-status turn (action server + database)",
                                            get(latency, "order_status", "status_turn", "samples", default={})))):
        for name, label in SERIES_LABELS.items():
            _cdf(ax, samples.get(name, []), label)
        ax.set_title(title)
        ax.set_xlabel("latency (ms)")
        ax.set_ylabel("share of turns")
        ax.set_xscale("log")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_load(load: Dict[str, Any], path: Path) -> None:
    levels = load.get("levels", [])
    shoppers = [level["shoppers"] for level in levels]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    for q in ("p50", "p95", "p99"):
        axes[0].plot(shoppers, [level["first_ms"].get(q, float("nan")) for level in levels], marker="o", label=q)
    axes[0].axhline(LOAD_P95_MS, color="red", linestyle="--", linewidth=1, label=f"target p95 {LOAD_P95_MS:.0f} ms")
    axes[0].set_yscale("log")
    axes[0].set_title("first answer latency")
    axes[0].set_xlabel("concurrent shoppers")
    axes[0].set_ylabel("ms")
    axes[0].legend(fontsize=8)
    axes[1].plot(shoppers, [level["throughput_per_s"] for level in levels], marker="o", label="answered turns/s")
    axes[1].plot(shoppers, [level["offered_per_s"] for level in levels], linestyle=":", label="offered (instant answers)")
    axes[1].set_title("throughput")
    axes[1].set_xlabel("concurrent shoppers")
    axes[1].legend(fontsize=8)
    width = 0.25
    for i, name in enumerate(("bridge", "rasa", "actions")):
        axes[2].bar([x + (i - 1) * width for x in range(len(levels))],
                    [get(level, "resources", name, "cpu_mean", default=0) for level in levels], width, label=name)
    axes[2].set_xticks(range(len(levels)))
    axes[2].set_xticklabels([str(s) for s in shoppers])
    axes[2].set_title("mean CPU (% of one core)")
    axes[2].set_xlabel("concurrent shoppers")
    axes[2].legend(fontsize=8)
    for ax in axes:
        ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_idle(idle: Dict[str, Any], path: Path) -> None:
    points = idle.get("points", [])
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    ax.plot([p["connections"] for p in points], [p["bridge_rss_mb"] for p in points], marker="o", label="bridge RSS")
    ax.axhline(IDLE_MB, color="red", linestyle="--", linewidth=1, label=f"target {IDLE_MB:.0f} MB at {IDLE_CONNECTIONS:,}")
    ax.set_xlabel("idle shopper connections (with a session)")
    ax.set_ylabel("MB")
    ax.set_title("bridge memory with idle connections")
    _finish(fig, ax, path)


def plot_handoff(handoff: Dict[str, Any], path: Path) -> None:
    names = ["rasa_rest_alone", "typing", "shopper_told", "offer", "transcript", "agent_reply_to_shopper"]
    rows = handoff.get("rounds", [])
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.boxplot([[r[n] for r in rows if r.get(n) is not None] for n in names], labels=[n.replace("_", "\n") for n in names])
    ax.axhline(HANDOFF_MS, color="red", linestyle="--", linewidth=1, label=f"target {HANDOFF_MS:.0f} ms")
    ax.set_ylabel("ms since the message (agent reply: since `send`)")
    ax.set_title("handoff")
    _finish(fig, ax, path)


def plot_profile(profile: Dict[str, Any], path: Path) -> None:
    processes = profile.get("processes", {})
    if not processes:
        return
    fig, axes = plt.subplots(1, len(processes), figsize=(6.5 * len(processes), 4.5))
    axes = axes if len(processes) > 1 else [axes]
    for ax, (name, summary) in zip(axes, processes.items()):
        rows = summary["by_library"][:10][::-1]
        ax.barh([r["library"] for r in rows], [r["share"] * 100 for r in rows])
        kind = "busy event-loop samples" if summary.get("wall_clock") else "CPU samples"
        ax.set_title(f"{name}: {kind} by library ({summary['samples']})")
        ax.set_xlabel("% of samples")
        ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plots(sections: Dict[str, Any], output: Path) -> List[str]:
    made = []
    for name, plot, section in (("latency.png", plot_latency, "latency"), ("load.png", plot_load, "load"),
                                ("idle.png", plot_idle, "idle"), ("handoff.png", plot_handoff, "handoff"),
                                ("profile.png", plot_profile, "profile")):
        if section in sections:
            plot(sections[section], output / name)
            if (output / name).exists():
                made.append(name)
    return made


def _finish(fig, ax, path: Path) -> None:
    """Grid, legend, layout, PNG file: the same for every plot."""
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
