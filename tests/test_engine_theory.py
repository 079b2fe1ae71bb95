"""The engine against queueing and probability theory, on long runs with fixed seeds.

How the tolerances are derived (none is a hand-picked number):

* Counts (Poisson arrivals, binomial thinning, order statistics) have a known standard
  deviation; a check allows K = 4 standard deviations. For a correct engine the normal
  approximation (all counts here are in the thousands) puts the chance of a failure at
  about 6e-5 per check.
* Queue waits are autocorrelated (a customer who waits long is followed by others who
  do), so their plain standard error is far too small. We use batch means: drop a
  warm-up (the queue starts empty), cut the rest, in arrival order, into B = 30 batches
  of consecutive customers — each thousands of customers long, far beyond the
  relaxation time of the queue — and treat the batch means as independent. The
  standard error of the overall mean is sd(batch means)/sqrt(B), and the check allows
  K_T = 4.5 of them: with B − 1 = 29 degrees of freedom P(|t| > 4.5) ≈ 1e-4.
* Time-average fractions (link availability) use batch means over equal time windows.

Each test computes its statistic from the events alone, exactly as a metric would.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

import pytest

from sim.engine import simulate
from sim.events import (
    AnalysisStarted,
    Event,
    LinkDown,
    LinkUp,
    MessageDelivered,
    MessageSent,
    MunitionUsed,
    ReportReceived,
    SightingReported,
)
from sim.scenario.models import Scenario
from tests.builders import collector, link, node, rule, scenario_dict, usage

K = 4.0  # standard deviations allowed for counts
K_T = 4.5  # batch-means standard errors allowed for means (t with 29 df)
BATCHES = 30


def run(raw: dict[str, Any], listener: Any) -> None:
    """Run a scenario, feeding each event to `listener` (no event list kept: runs are long)."""
    simulate(Scenario.model_validate(raw), listeners=[listener])


def batch_means(values: Sequence[float], batches: int = BATCHES) -> tuple[float, float]:
    """Mean of `values` and its batch-means standard error (equal batches, in order)."""
    size = len(values) // batches
    means = [statistics.fmean(values[i * size : (i + 1) * size]) for i in range(batches)]
    return statistics.fmean(values[: size * batches]), statistics.stdev(means) / math.sqrt(batches)


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load a = λ/μ."""
    rho = a / c
    top = a**c / math.factorial(c) / (1.0 - rho)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


# --- M/M/c: a node's analysis queue --------------------------------------------------


def single_node_queue(
    rate: float, servers: int, mean_service: float, hours: float
) -> dict[str, Any]:
    """One node fed by one perfect collector (detection 1, no delay): reports arrive as the
    Poisson usage does, and are analysed by `servers` analysts, exponential service."""
    return scenario_dict(
        name="mmc",
        seed=11,
        duration=f"{hours}h",
        usage_lines=[usage(f"{rate}/h")],
        nodes={
            "A": node(
                "UKR",
                analysts=servers,
                analysis_time={"dist": "exponential", "mean": f"{mean_service}h"},
            )
        },
        collectors={"c": collector("A", detection=1.0, delay="0h")},
    )


def queue_waits(raw: dict[str, Any]) -> list[float]:
    """ReportReceived → AnalysisStarted at each report, in arrival order."""
    arrived: dict[str, float] = {}
    order: list[str] = []
    waits: dict[str, float] = {}

    def listen(event: Event) -> None:
        if isinstance(event, ReportReceived):
            arrived[event.report] = event.t
            order.append(event.report)
        elif isinstance(event, AnalysisStarted):
            waits[event.report] = event.t - arrived[event.report]

    run(raw, listen)
    return [waits[r] for r in order if r in waits]


@pytest.mark.slow
@pytest.mark.parametrize(("servers", "rate"), [(1, 0.7), (3, 2.1)])
def test_analysis_queue_wait_matches_erlang_c(servers: int, rate: float) -> None:
    mu = 1.0  # analyses per hour per analyst
    arrivals = 200_000
    waits = queue_waits(single_node_queue(rate, servers, 1.0 / mu, arrivals / rate))
    assert len(waits) > 0.95 * arrivals
    warm = 2_000
    observed, se = batch_means(waits[warm:])
    theory = erlang_c(servers, rate / mu) / (servers * mu - rate)
    print(
        f"M/M/{servers} rho=0.7: Wq observed {observed:.4f} h, Erlang C {theory:.4f} h, "
        f"SE {se:.4f}, tolerance {K_T * se:.4f}"
    )
    assert abs(observed - theory) <= K_T * se
    # and the standard error is small enough for the check to mean something (13%: with
    # analysis times keyed by report, M/M/3's realisation has SE 2.7% of theory)
    assert K_T * se < 0.13 * theory


# --- thinning: Poisson usage and binomial detection ---------------------------------


def test_usage_is_poisson_and_detection_thins_it_binomially() -> None:
    hours = 5_000.0
    raw = scenario_dict(
        name="thinning",
        seed=5,
        duration=f"{hours}h",
        sectors=["S", "W"],
        munitions={"KN-23": {"category": "ballistic-missile", "recognisability": 0.5}},
        usage_lines=[usage("2/h"), usage("3/h", sector="W", from_="1000h", until="2000h")],
        nodes={"A": node("UKR", analysis_time="0h")},
        # 0.6 detection × 0.5 recognisability: each use is reported with p = 0.3
        collectors={"c": collector("A", detection=0.6, delay="1h")},
    )
    uses: dict[str, list[float]] = {"S": [], "W": []}
    reports = 0

    def listen(event: Event) -> None:
        nonlocal reports
        if isinstance(event, MunitionUsed):
            uses[event.sector].append(event.t)
        elif isinstance(event, SightingReported) and event.sector == "S":
            reports += 1

    run(raw, listen)
    # uses in [0, T): Poisson, mean = variance = λT
    for sector, mean in (("S", 2.0 * hours), ("W", 3.0 * 1000.0)):
        n = len(uses[sector])
        print(f"Poisson {sector}: {n} uses, theory {mean:.0f}, tolerance {K * math.sqrt(mean):.1f}")
        assert abs(n - mean) <= K * math.sqrt(mean)
    assert all(1000.0 <= t < 2000.0 for t in uses["W"])
    # reports of uses in S, given n uses: binomial(n, p); the 1 h delay loses the few
    # uses of the last hour, which we leave out of n
    p = 0.6 * 0.5
    n = sum(1 for t in uses["S"] if t < hours - 1.0)
    sd = math.sqrt(n * p * (1 - p))
    print(f"thinning: {reports} reports of {n} uses, theory {n * p:.1f}, tolerance {K * sd:.1f}")
    assert abs(reports - n * p) <= K * sd


# --- a link's latency: median and spread of a lognormal ------------------------------


def link_delays(raw: dict[str, Any], name: str) -> list[float]:
    """MessageSent → MessageDelivered on link `name`, for every delivered message."""
    sent: dict[str, float] = {}
    delays: list[float] = []

    def listen(event: Event) -> None:
        if isinstance(event, MessageSent) and event.link == name:
            sent[event.message] = event.t
        elif isinstance(event, MessageDelivered) and event.link == name:
            delays.append(event.t - sent[event.message])

    run(raw, listen)
    return delays


def relay(latency: Any, rate: float, hours: float, **link_extra: Any) -> dict[str, Any]:
    """A at once forwards each report of a Poisson stream to B over one link."""
    return scenario_dict(
        name="relay",
        seed=13,
        duration=f"{hours}h",
        usage_lines=[usage(f"{rate}/h")],
        nodes={
            "A": node("UKR", analysts=1, analysis_time="0h"),
            "B": node("USA", analysts=1, analysis_time="0h"),
        },
        links=[link("A", "B", latency=latency, **link_extra)],
        collectors={"c": collector("A", detection=1.0, delay="0h")},
        sharing=[rule("A", ["B"])],
    )


def test_lognormal_latency_median_and_spread() -> None:
    median, sigma = 6.0, 0.5
    delays = link_delays(
        relay({"dist": "lognormal", "median": f"{median}h", "sigma": sigma}, 4.0, 5_000.0), "A->B"
    )
    n = len(delays)
    assert n > 15_000
    # The count of delays below a quantile q_p is binomial(n, p); keeping it within
    # K sd of n·p is the same as q_p lying inside the order-statistic confidence interval
    # [X_(np − K·sd), X_(np + K·sd)].
    ordered = sorted(delays)
    for p, quantile in ((0.5, median), (0.841344746, median * math.exp(sigma))):
        below = sum(1 for d in delays if d < quantile)
        sd = math.sqrt(n * p * (1 - p))
        low, high = ordered[int(n * p - K * sd)], ordered[int(n * p + K * sd)]
        print(
            f"latency q{p:.3f}: theory {quantile:.4f} h, sample {ordered[int(n * p)]:.4f} h, "
            f"order-statistic CI [{low:.4f}, {high:.4f}] (n={n})"
        )
        assert abs(below - n * p) <= K * sd
        assert low <= quantile <= high


# --- a link's capacity: M/D/1 ---------------------------------------------------------


@pytest.mark.slow
def test_link_capacity_queue_matches_pollaczek_khinchine() -> None:
    # capacity 1 message/h: each message occupies the link for a deterministic 1 h slot
    # before its (fixed) latency, so the link is an M/D/1 queue
    capacity, rate, latency = 1.0, 0.7, 2.0
    hours = 100_000.0
    delays = link_delays(relay(f"{latency}h", rate, hours, capacity=f"{capacity}/h"), "A->B")
    assert len(delays) > 0.95 * rate * hours
    service = 1.0 / capacity
    waits = [d - latency - service for d in delays]  # delivered − sent = wait + slot + latency
    assert min(waits) >= -1e-9
    observed, se = batch_means(waits[2_000:])
    rho = rate / capacity
    theory = rho / (2.0 * capacity * (1.0 - rho))
    print(
        f"M/D/1 rho=0.7: Wq observed {observed:.4f} h, P-K {theory:.4f} h, SE {se:.4f}, "
        f"tolerance {K_T * se:.4f}"
    )
    assert abs(observed - theory) <= K_T * se
    assert K_T * se < 0.12 * theory


# --- a link's availability -------------------------------------------------------------


def test_link_downtime_fraction_matches_mttr_over_cycle() -> None:
    mtbf, mttr, hours = 20.0, 5.0, 100_000.0
    raw = scenario_dict(
        name="availability",
        seed=17,
        duration=f"{hours}h",
        links=[link("A", "B", availability={"mtbf": f"{mtbf}h", "mttr": f"{mttr}h"})],
    )
    outages: list[tuple[float, float]] = []
    down_since: list[float] = []

    def listen(event: Event) -> None:
        if isinstance(event, LinkDown):
            assert event.cause == "failure" and not down_since
            down_since.append(event.t)
        elif isinstance(event, LinkUp):
            outages.append((down_since.pop(), event.t))

    run(raw, listen)
    if down_since:  # down at the horizon
        outages.append((down_since.pop(), hours))
    # fraction of time down in each of B equal windows (batch means over time)
    width = hours / BATCHES
    fractions = []
    for i in range(BATCHES):
        lo, hi = i * width, (i + 1) * width
        down = sum(max(0.0, min(b, hi) - max(a, lo)) for a, b in outages)
        fractions.append(down / width)
    observed = statistics.fmean(fractions)
    se = statistics.stdev(fractions) / math.sqrt(BATCHES)
    theory = mttr / (mtbf + mttr)
    print(
        f"availability: down fraction {observed:.4f}, theory {theory:.4f}, SE {se:.4f}, "
        f"tolerance {K_T * se:.4f} ({len(outages)} outages)"
    )
    assert abs(observed - theory) <= K_T * se
    # repair times are exponential with mean mttr: sd of their mean is mttr/sqrt(n)
    repairs = [b - a for a, b in outages[:-1]]
    mean_repair = statistics.fmean(repairs)
    print(
        f"availability: mean repair {mean_repair:.4f} h, theory {mttr} h, "
        f"tolerance {K * mttr / math.sqrt(len(repairs)):.4f}"
    )
    assert abs(mean_repair - mttr) <= K * mttr / math.sqrt(len(repairs))
