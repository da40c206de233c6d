"""Does the soak's memory keep growing? A judgement on (seconds, resident MB) samples, as pure functions
so that tests/unit/test_soak_judge.py can try it on made-up series both ways.

Only the samples taken under traffic after a warm-up count (the first fifth of the run, at least 30 s:
imports, caches, the allocator's first arenas). Two ways to fail:

- a fast rise (the soak's first criterion, kept as it was): the Theil-Sen slope of the second half of
  those samples projects more than FAST_MB_PER_HOUR and the memory rose by more than FAST_RISE_MB
  (the median of the last third against that of the first third);
- a steady rise, which the first criterion let through (a run rose 159.1 -> 162.0 MB, 61 steps up and
  1 down, 16.8 MB an hour, about 400 MB a day, and passed): the Theil-Sen slope of all of them
  projects at least STEADY_MB_PER_HOUR, the second half still rises at half that pace (a cache that
  filled and levelled off is flat there), and the rise is steady: at least UP_SHARE of the moves
  between two samples go up (a flat process moves both ways, or not at all; a leak only up) or,
  when noise hides the single moves, Kendall's tau of memory against time is at least TREND_TAU.
  Two or three moves are the allocator's steps, not a trend: at least MIN_MOVES are needed.

Theil-Sen (the median of the slopes between every two samples) and Kendall's tau (the share of
pairs that rise minus the share that fall) are robust: a garbage-collection spike or a single
bigger arena moves neither much.
"""
from __future__ import annotations

import statistics
from itertools import combinations
from typing import Dict, List, Sequence, Tuple

Sample = Tuple[float, float]  # (seconds since the start, resident MB)

WARMUP_SHARE, MIN_WARMUP_SECONDS = 0.2, 30.0
FAST_MB_PER_HOUR, FAST_RISE_MB = 30.0, 2.0
STEADY_MB_PER_HOUR = 8.0     # about 190 MB a day; a flat process stays well under it
UP_SHARE = 0.7
TREND_TAU = 0.6
MIN_MOVES = 5
MOVE_MB = 0.005             # the sampler rounds to 0.01 MB: any change of the rounded value is a move


def theil_sen_slope(points: Sequence[Sample]) -> float:
    """The median slope between every two points (robust to outliers), in MB per second."""
    slopes = [(y2 - y1) / (x2 - x1) for (x1, y1), (x2, y2) in combinations(points, 2) if x2 != x1]
    return statistics.median(slopes) if slopes else 0.0


def kendall_tau(points: Sequence[Sample]) -> float:
    """(pairs that rise - pairs that fall) / pairs, over pairs of samples taken one after the other."""
    ordered = sorted(points)
    signs = [(y2 > y1) - (y2 < y1) for (_, y1), (_, y2) in combinations(ordered, 2)]
    return sum(signs) / len(signs) if signs else 0.0


def moves(points: Sequence[Sample]) -> Tuple[int, int]:
    """How many times the memory went up, and down, from one sample to the next."""
    values = [mb for _, mb in sorted(points)]
    steps = [b - a for a, b in zip(values, values[1:])]
    return sum(step >= MOVE_MB for step in steps), sum(step <= -MOVE_MB for step in steps)


def judge_memory(samples: Sequence[Sample], duration: float) -> Dict[str, object]:
    """The figures of both criteria over the samples under traffic, and the verdict (`grows`, `why`)."""
    warmup = max(MIN_WARMUP_SECONDS, duration * WARMUP_SHARE)
    steady = sorted((t, mb) for t, mb in samples if warmup <= t <= duration)
    if len(steady) < 6:
        raise ValueError(f"too few samples after the warm-up of {warmup} s: {list(samples)}")
    third = len(steady) // 3
    first, last = [mb for _, mb in steady[:third]], [mb for _, mb in steady[-third:]]
    up, down = moves(steady)
    figures: Dict[str, object] = {
        "warmup_seconds": warmup,
        "slope_mb_per_hour": round(theil_sen_slope(steady) * 3600, 2),
        "late_slope_mb_per_hour": round(theil_sen_slope(steady[len(steady) // 2:]) * 3600, 2),
        "first_third_median_mb": statistics.median(first), "last_third_median_mb": statistics.median(last),
        "rise_mb": round(statistics.median(last) - statistics.median(first), 2),
        "min_mb": min(mb for _, mb in steady), "max_mb": max(mb for _, mb in steady),
        "moves_up": up, "moves_down": down, "up_share": round(up / (up + down), 3) if up + down else 0.0,
        "kendall_tau": round(kendall_tau(steady), 3),
    }
    why = []
    if figures["late_slope_mb_per_hour"] > FAST_MB_PER_HOUR and figures["rise_mb"] > FAST_RISE_MB:
        why.append(f"fast rise: {figures['late_slope_mb_per_hour']} MB/hour late in the run (limit "
                   f"{FAST_MB_PER_HOUR}), +{figures['rise_mb']} MB from the first to the last third (limit {FAST_RISE_MB})")
    steady_pace = (figures["slope_mb_per_hour"] >= STEADY_MB_PER_HOUR
                   and figures["late_slope_mb_per_hour"] >= STEADY_MB_PER_HOUR / 2)
    one_way = up + down >= MIN_MOVES and (figures["up_share"] >= UP_SHARE or figures["kendall_tau"] >= TREND_TAU)
    if steady_pace and one_way:
        why.append(f"steady rise: {figures['slope_mb_per_hour']} MB/hour after the warm-up, "
                   f"{figures['late_slope_mb_per_hour']} in the second half (limits {STEADY_MB_PER_HOUR} and "
                   f"{STEADY_MB_PER_HOUR / 2}), {up} moves up and {down} down, Kendall's tau {figures['kendall_tau']}")
    figures["grows"], figures["why"] = bool(why), why
    return figures


def memory_grows(samples: List[Sample], duration: float) -> bool:
    return bool(judge_memory(samples, duration)["grows"])
