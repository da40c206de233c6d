"""The handoff section's plot by number of agents logged in (handoff-agents.png)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from bench.targets import HANDOFF_MS  # noqa: E402

NAME = "handoff-agents.png"
SERIES = (("transcript", "message → agent holds the transcript"),
          ("bridge_share_of_transcript", "the bridge's share of it (minus Rasa alone)"),
          ("desk_all", "message → every agent has the new desk (50 ms batching included)"))


def block_title(block: Dict[str, Any]) -> str:
    """"20 agents", "1 agent (again)": a handoff block by the agents logged in."""
    extra = block["label"].split(" ", 1)[1] if " " in block["label"] else ""
    return f"{block['agents']} agent{'s' if block['agents'] > 1 else ''}" + (f" ({extra})" if extra else "")


def plot_agents(handoff: Dict[str, Any], output: Path) -> List[str]:
    blocks = handoff.get("by_agents") or []
    if not blocks:
        return []
    fig, axes = plt.subplots(1, len(SERIES), figsize=(5 * len(SERIES), 4.5), sharey=True)
    for ax, (phase, title) in zip(axes, SERIES):
        ax.boxplot([[r[phase] for r in b["rounds"] if r.get(phase) is not None] or [float("nan")] for b in blocks],
                   labels=[block_title(b).replace(" (", "\n(") for b in blocks])
        ax.set_title(title, fontsize=9)
        ax.grid(True, alpha=0.3)
    axes[0].axhline(HANDOFF_MS, color="red", linestyle="--", linewidth=1, label=f"target {HANDOFF_MS:.0f} ms")
    axes[0].set_ylabel("ms since the shopper's message")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(output / NAME, dpi=110)
    plt.close(fig)
    return [NAME]
