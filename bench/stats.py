"""Percentile summaries of latency samples (milliseconds)."""
from __future__ import annotations

import math
from typing import Dict, Sequence

from bot.nlu_metrics import percentile  # one definition for NLU and bench figures


def summary(values: Sequence[float]) -> Dict[str, float]:
    """n, mean and the percentiles the report shows, rounded to 0.1 ms."""
    if not values:
        return {"n": 0}
    result = {
        "n": len(values),
        "mean": sum(values) / len(values),
        "p50": percentile(values, 0.50),
        "p95": percentile(values, 0.95),
        "p99": percentile(values, 0.99),
        "max": max(values),
    }
    return {key: (value if key == "n" else round(value, 1)) for key, value in result.items()}


def ratio(part: float, whole: float) -> float:
    return round(part / whole, 3) if whole and not math.isnan(whole) else float("nan")
