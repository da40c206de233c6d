"""The soak's memory judgement (tests/resilience/soak_judge.py) on made-up series of a 10-minute soak,
sampled every 5 s as the soak samples: what a flat process and a cache that fills do passes, a leak
fails, also the steady 16.8 MB/hour rise that the first criterion let through."""
import math
import random

import pytest

from tests.resilience.soak_judge import judge_memory, kendall_tau, memory_grows, moves, theil_sen_slope

DURATION = 600.0
TIMES = [5.0 * n for n in range(121)]


def series(shape, noise=0.0, seed=7):
    """150 MB plus `shape(t)`, with uniform noise of ±`noise` MB, rounded as the sampler rounds."""
    rng = random.Random(seed)
    return [(t, round(150 + shape(t) + rng.uniform(-noise, noise), 2)) for t in TIMES]


def the_reported_run():
    """The run that passed: 159.1 -> 162.0 MB, 61 steps up and 1 down (0.05 MB), the rest flat."""
    rng = random.Random(3)
    steps = [0.0] * (len(TIMES) - 1)
    chosen = rng.sample(range(len(steps)), 62)
    for index in chosen[:61]:
        steps[index] = 2.95 / 61
    steps[chosen[61]] = -0.05
    values = [159.1]
    for step in steps:
        values.append(values[-1] + step)
    return [(t, round(mb, 2)) for t, mb in zip(TIMES, values)]


def levelling_ratchet(seed):
    """Fragmentation that levels off: the memory only ever steps up, ever more rarely."""
    rng, mb, samples = random.Random(seed), 150.0, []
    for t in TIMES:
        if rng.random() < 0.6 * math.exp(-t / 100):
            mb += 0.1
        samples.append((t, round(mb, 2)))
    return samples


def gc_spikes(seed):
    rng = random.Random(seed)
    return [(t, round(150 + (rng.uniform(1, 4) if rng.random() < 0.1 else 0) + rng.uniform(-0.1, 0.1), 2))
            for t in TIMES]


# --- the pieces ----------------------------------------------------------------------------------

def test_theil_sen_slope_ignores_an_outlier():
    points = [(0, 0.0), (1, 1.0), (2, 2.0), (3, 30.0), (4, 4.0)]
    assert theil_sen_slope(points) == pytest.approx(1.0)


def test_kendall_tau_counts_pairs_up_minus_pairs_down():
    assert kendall_tau([(0, 1.0), (1, 2.0), (2, 3.0)]) == 1.0
    assert kendall_tau([(0, 3.0), (1, 2.0), (2, 1.0)]) == -1.0
    # pairs: (1,3) up, (1,2) up, (3,2) down; ties count as neither
    assert kendall_tau([(0, 1.0), (1, 3.0), (2, 2.0)]) == pytest.approx(1 / 3)
    assert kendall_tau([(0, 1.0), (1, 1.0), (2, 1.0)]) == 0.0


def test_moves_count_changes_of_the_rounded_value_only():
    assert moves([(0, 1.0), (5, 1.01), (10, 1.01), (15, 1.0), (20, 1.5), (25, 1.5)]) == (2, 1)


# --- what must pass --------------------------------------------------------------------------------

@pytest.mark.parametrize("samples", [
    pytest.param(series(lambda t: 0), id="flat"),
    pytest.param(series(lambda t: 0, noise=0.4), id="flat with 0.4 MB of noise"),
    pytest.param(series(lambda t: 0, noise=1.0), id="flat with 1 MB of noise"),
    pytest.param(series(lambda t: 12 * min(t, 240) / 240, noise=0.4), id="a cache fills for 4 minutes, then stays"),
    pytest.param(series(lambda t: 6 * min(t, 360) / 360), id="a cache fills for 6 minutes, no noise"),
    pytest.param(series(lambda t: 5 if t > 300 else 0, noise=0.4), id="one step (a bigger arena), then flat"),
    pytest.param(series(lambda t: 5 if t > 500 else 0), id="one late step, no noise"),
    pytest.param(series(lambda t: sum(1 for step in (200, 350, 500) if t > step)), id="three arena steps"),
    pytest.param(series(lambda t: (t % 60) / 60 * 3), id="a garbage-collection sawtooth"),
    pytest.param(levelling_ratchet(1), id="fragmentation that levels off"),
    pytest.param(gc_spikes(1), id="spikes"),
])
def test_a_flat_process_or_a_filling_cache_passes(samples):
    verdict = judge_memory(samples, DURATION)
    assert verdict["grows"] is False and verdict["why"] == [], verdict


@pytest.mark.parametrize("make", [lambda seed: series(lambda t: 0, 0.2, seed), lambda seed: series(lambda t: 0, 1.0, seed),
                                  levelling_ratchet, gc_spikes,
                                  lambda seed: series(lambda t: 12 * min(t, 240) / 240, 0.4, seed)],
                         ids=["flat, 0.2 MB noise", "flat, 1 MB noise", "levelling ratchet", "spikes", "filling cache"])
def test_no_false_alarm_over_many_noise_draws(make):
    assert [seed for seed in range(100) if memory_grows(make(seed), DURATION)] == []


# --- what must fail --------------------------------------------------------------------------------

def test_the_reported_steady_rise_fails_although_the_first_criterion_let_it_through():
    samples = the_reported_run()
    assert (samples[0][1], samples[-1][1]) == (159.1, 162.0)
    assert moves(samples) == (61, 1)
    verdict = judge_memory(samples, DURATION)
    assert verdict["grows"] is True
    assert [reason.split(":")[0] for reason in verdict["why"]] == ["steady rise"], verdict["why"]
    assert 15 <= verdict["slope_mb_per_hour"] <= 20 and verdict["rise_mb"] < 2.0  # under the fast criterion's 2 MB


@pytest.mark.parametrize("samples", [
    pytest.param(series(lambda t: 16.8 * t / 3600), id="16.8 MB/hour, no noise"),
    pytest.param(series(lambda t: 16.8 * t / 3600, noise=0.4), id="16.8 MB/hour, 0.4 MB of noise"),
    pytest.param(series(lambda t: 10 * t / 3600, noise=0.2), id="10 MB/hour, 0.2 MB of noise"),
    pytest.param(series(lambda t: 60 * t / 3600, noise=0.4), id="60 MB/hour"),
    pytest.param(series(lambda t: 40 * t / 3600 + (8 if t > 500 else 0), noise=0.4), id="40 MB/hour and a late jump"),
    pytest.param(series(lambda t: 0.25 * sum(1 for step in range(130, 600, 60) if t > step)),
                 id="a quarter MB every minute to the end"),
])
def test_a_leak_fails(samples):
    verdict = judge_memory(samples, DURATION)
    assert verdict["grows"] is True and verdict["why"], verdict


def test_a_16_8_mb_an_hour_leak_fails_whatever_the_noise_draw():
    assert [seed for seed in range(100) if not memory_grows(series(lambda t: 16.8 * t / 3600, 0.4, seed), DURATION)] == []


def test_the_warm_up_does_not_count():
    """The first fifth of the run (here 120 s) is left out: its samples alone are too few to judge."""
    warm_up = [(t, 150.0 + t / 10) for t in TIMES if t < 120]
    with pytest.raises(ValueError):
        judge_memory(warm_up + [(120.0, 150.0), (125.0, 150.0), (130.0, 150.0)], DURATION)
    assert judge_memory(warm_up + [(t, 150.0) for t in TIMES if t >= 120], DURATION)["warmup_seconds"] == 120.0
