"""The issue's targets on this machine, checked against the results."""
from __future__ import annotations

import math
from typing import Any, Dict, List, Optional

OVERHEAD_RATIO = 0.10      # bridge overhead under 10% of Rasa's own p50
LOAD_SHOPPERS, LOAD_P95_MS = 50, 150.0
IDLE_CONNECTIONS, IDLE_MB = 5000, 500.0
HANDOFF_MS = 100.0

# The latency series, as the report and the plots name them.
SERIES_LABELS = {"rest": "REST (plain)", "rest_live_chat": "REST + live_chat metadata",
                 "bridge_typing": "bridge, \"typing\" (before Rasa)",
                 "bridge_first": "bridge, first message", "bridge_complete": "bridge, complete turn"}


def get(data: Any, *path: Any, default=None):
    """The value at a path of keys (and list indexes) in the results, or `default`."""
    for key in path:
        if isinstance(data, dict) and key in data:
            data = data[key]
        elif isinstance(data, list) and isinstance(key, int) and -len(data) <= key < len(data):
            data = data[key]
        else:
            return default
    return data


def load_level(sections: Dict[str, Any], shoppers: int) -> Optional[Dict[str, Any]]:
    return next((level for level in get(sections, "load", "levels", default=[]) if level["shoppers"] == shoppers), None)


def idle_point(sections: Dict[str, Any], connections: int) -> Optional[Dict[str, Any]]:
    return next((p for p in get(sections, "idle", "points", default=[]) if p["connections"] == connections), None)


def targets(sections: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Each target with what was measured; `met` is None when its section did not run."""
    checks = []

    def check(name: str, target: str, value: Optional[float], limit: float, unit: str) -> None:
        met = None if value is None or (isinstance(value, float) and math.isnan(value)) else value < limit
        checks.append({"name": name, "target": target, "measured": value, "unit": unit, "met": met})

    ratio = get(sections, "latency", "faq", "overhead", "complete_ratio_of_rasa_p50")
    check("bridge overhead", f"< {OVERHEAD_RATIO:.0%} of Rasa's own p50 (complete turn, same metadata)",
          None if ratio is None else round(ratio * 100, 1), OVERHEAD_RATIO * 100, "%")
    level = load_level(sections, LOAD_SHOPPERS)
    check(f"p95 at {LOAD_SHOPPERS} shoppers", f"< {LOAD_P95_MS:.0f} ms (first answer)",
          get(level or {}, "first_ms", "p95"), LOAD_P95_MS, "ms")
    point = idle_point(sections, IDLE_CONNECTIONS)
    check(f"{IDLE_CONNECTIONS:,} idle connections", f"bridge RSS < {IDLE_MB:.0f} MB",
          get(point or {}, "bridge_rss_mb"), IDLE_MB, "MB")
    phases = get(sections, "handoff", "phases_ms", default={})
    check("handoff: message → agent holds transcript", f"p95 < {HANDOFF_MS:.0f} ms",
          get(phases, "transcript", "p95"), HANDOFF_MS, "ms")
    check("handoff: agent reply → shopper's screen", f"p95 < {HANDOFF_MS:.0f} ms",
          get(phases, "agent_reply_to_shopper", "p95"), HANDOFF_MS, "ms")
    return checks
