"""Coverage of the interval methods, measured on models whose truth is known.

An *experiment* is n replications of a model; its interval covers the truth or not.
Over many experiments the share that covers estimates the method's true coverage,
which a 95% interval must match from both sides. Replication outputs come from fast
vectorised generators (what is under test is the interval code, not the engine):

- M/M/1 queue (λ 0.5/h, μ 1/h) by the Lindley recursion, started in its stationary
  distribution: per-replication mean wait (truth Wq = ρ/(μ−λ) = 1 h) and p90 of the
  waits (truth ln(10ρ)/(μ−λ) = 2 ln 5 h); the same arrivals and services at μ = 1.25/h
  give paired differences with a known effect;
- the longest of 50 exponential durations (truth: the harmonic number H_50);
- a yes/no per replication (binomial share, p drawn per experiment);
- a mean of per-replication shares of 12 episodes, overdispersed (beta-binomial);
- counts: Poisson with means from 0.2 to 50, and overdispersed (negative binomial);
- Kaplan–Meier medians of censored times to knowledge (lognormal, 10% never known,
  usages spread over the horizon), one per replication.

`python -m sim.experiments.coverage [EXPERIMENTS]` prints the table of docs/statistics.md.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from sim.analysis.kinds import Kind
from sim.experiments.intervals import (
    CHOSEN,
    CONFIDENCE,
    METHODS,
    PAIRED,
    Array,
    clip,
)

SIZES = (5, 10, 30)  # replication counts people use
LAMBDA, MU, MU_B = 0.5, 1.0, 1.25  # per hour
CUSTOMERS = 500  # waits per replication (about 1000 h at λ = 0.5/h)
ELEMENTS = 3_000_000  # per generated chunk (memory stays small)


def mm1_truth(lam: float, mu: float) -> tuple[float, float]:
    """(mean wait in queue, 90th percentile of the wait) of an M/M/1 queue, in hours."""
    rho = lam / mu
    return rho / (mu - lam), max(math.log(10 * rho), 0.0) / (mu - lam)


def _lindley(interarrival: Array, service: Array, start: Array) -> Array:
    """Waits W_k of each row: W_0 = start, W_{k+1} = max(0, W_k + S_k − A_{k+1})."""
    steps = service[:, :-1] - interarrival[:, 1:]
    walk = np.zeros(service.shape, dtype=service.dtype)
    np.cumsum(steps, axis=1, out=walk[:, 1:])
    floor = np.minimum.accumulate(np.minimum(walk, 0), axis=1)
    # the walk's drop below its running minimum, unless the start keeps it above 0
    return np.maximum(start[:, None] + walk, walk - floor)


def mm1(rng: np.random.Generator, rows: int, customers: int = CUSTOMERS) -> dict[str, Array]:
    """Per replication: mean and p90 of the waits at μ = MU and, same draws, at μ = MU_B."""
    out = {k: np.empty(rows) for k in ("mean", "p90", "mean_b", "p90_b")}
    chunk = max(1, ELEMENTS // customers)
    for start in range(0, rows, chunk):
        k = min(chunk, rows - start)
        # single precision: twice as fast, and far finer than the spread of the waits
        arrivals = rng.standard_exponential(size=(k, customers), dtype=np.float32) / LAMBDA
        work = rng.standard_exponential(size=(k, customers), dtype=np.float32)  # service·μ
        u = rng.random(k)
        for suffix, mu in (("", MU), ("_b", MU_B)):
            rho = LAMBDA / mu
            # the stationary wait by inverse transform: 0 w.p. 1 − ρ, else Exp(μ − λ)
            w0 = np.where(u < 1 - rho, 0.0, np.log(rho / (1 - u)) / (mu - LAMBDA))
            waits = _lindley(arrivals, work / np.float32(mu), w0.astype(np.float32))
            out["mean" + suffix][start : start + k] = waits.mean(axis=1)
            out["p90" + suffix][start : start + k] = np.quantile(waits, 0.9, axis=1)
    return out


def kaplan_meier_median(times: Array, censor: Array) -> Array:
    """KM median of each row of (time to knowledge, censoring time); +inf if not reached."""
    observed = np.minimum(times, censor)
    event = times <= censor
    order = np.argsort(observed, axis=-1)
    observed = np.take_along_axis(observed, order, -1)
    event = np.take_along_axis(event, order, -1)
    at_risk = observed.shape[-1] - np.arange(observed.shape[-1])
    survival = np.cumprod(1 - event / at_risk, axis=-1)
    reached = survival <= 0.5
    first = np.take_along_axis(observed, reached.argmax(-1)[..., None], -1)[..., 0]
    return np.where(reached.any(-1), first, np.inf)


@dataclass(frozen=True)
class Case:
    """A model's replication outputs for many experiments and the truth they estimate."""

    name: str
    kind: Kind
    values: Array  # (experiments, max(SIZES)) replication outputs
    truth: Array | float  # per experiment or one for all
    paired: bool = False


def cases(experiments: int, seed: int = 2024) -> list[Case]:
    """Every model of the study with its replication outputs."""
    rng = np.random.default_rng(seed)
    n = max(SIZES)
    rows = experiments * n
    shape = (experiments, n)
    wq, q90 = mm1_truth(LAMBDA, MU)
    wq_b, q90_b = mm1_truth(LAMBDA, MU_B)
    queue = {k: v.reshape(shape) for k, v in mm1(rng, rows).items()}
    out = [
        Case("M/M/1 mean wait", Kind.TIME_MEAN, queue["mean"], wq),
        Case("M/M/1 p90 wait", Kind.TIME_QUANTILE, queue["p90"], q90),
        Case("max of 50 exponentials", Kind.TIME_MAX, _max_exponentials(rng, shape), _harmonic(50)),
    ]
    p = rng.uniform(0.05, 0.95, size=(experiments, 1))
    out.append(Case("yes/no per replication", Kind.SHARE, (rng.random(shape) < p) * 1.0, p[:, 0]))
    p = rng.uniform(0.1, 0.9, size=(experiments, 1))
    per_run = rng.beta(6 * p, 6 * (1 - p), size=shape)
    shares = rng.binomial(12, per_run) / 12
    out.append(Case("mean of shares of 12 episodes", Kind.SHARE, shares, p[:, 0]))
    mean = np.exp(rng.uniform(math.log(0.2), math.log(50), size=(experiments, 1)))
    out.append(Case("Poisson count", Kind.COUNT, rng.poisson(mean, size=shape) * 1.0, mean[:, 0]))
    size = 2.0
    mean = np.exp(rng.uniform(math.log(1), math.log(50), size=(experiments, 1)))
    overdispersed = rng.negative_binomial(size, size / (size + mean), size=shape) * 1.0
    out.append(Case("overdispersed count", Kind.COUNT, overdispersed, mean[:, 0]))
    median, values = _censored_medians(rng, shape)
    out.append(Case("Kaplan–Meier median", Kind.CENSORED_TIME, values, median))
    out.append(
        Case(
            "paired M/M/1 mean wait",
            Kind.TIME_MEAN,
            queue["mean_b"] - queue["mean"],
            wq_b - wq,
            True,
        )
    )
    out.append(
        Case(
            "paired M/M/1 p90 wait",
            Kind.TIME_QUANTILE,
            queue["p90_b"] - queue["p90"],
            q90_b - q90,
            True,
        )
    )
    return out


def _harmonic(k: int) -> float:
    return math.fsum(1 / i for i in range(1, k + 1))


def _max_exponentials(rng: np.random.Generator, shape: tuple[int, int], k: int = 50) -> Array:
    # the max of k Exp(1) has CDF (1 − e^−x)^k: drawn by inverse transform
    return -np.log1p(-(rng.random(shape) ** (1 / k)))


def _censored_medians(
    rng: np.random.Generator, shape: tuple[int, int], usages: int = 40, horizon: float = 60.0
) -> tuple[float, Array]:
    """KM medians (days) of lognormal times (median 8 d, σ 1.2), 10% never known."""
    mu, sigma, never = math.log(8.0), 1.2, 0.1
    times = rng.lognormal(mu, sigma, size=(*shape, usages))
    times = np.where(rng.random(times.shape) < never, np.inf, times)
    censor = horizon - rng.uniform(0, horizon, size=times.shape)  # used at a uniform time
    truth = math.exp(mu + sigma * float(norm.ppf(0.5 / (1 - never))))
    return truth, kaplan_meier_median(times, censor)


def coverage_of(case: Case, method: str, n: int, confidence: float = CONFIDENCE) -> float:
    """Share of experiments whose interval (first n replications) covers the truth."""
    x = case.values[:, :n]
    bounds = case.kind.difference_bounds() if case.paired else case.kind.bounds
    _, low, high = clip(bounds, METHODS[method].compute(x, confidence))
    truth = case.truth
    return float(np.mean((low <= truth) & (truth <= high)))


def chosen(case: Case) -> str:
    """The method the tables use for this case."""
    return PAIRED if case.paired else CHOSEN[case.kind]


def candidates(case: Case) -> list[str]:
    """Methods measured for this case: the chosen one first, then the alternatives."""
    others = {
        Kind.SHARE: ["t", "logit-t", "wilson"],
        Kind.COUNT: ["t", "log-t"],
        Kind.CENSORED_TIME: ["t", "log-t"],
    }.get(case.kind, ["t", "bootstrap"])
    if case.paired:
        others = ["bootstrap"]
    first = chosen(case)
    return [first, *(m for m in others if m != first)]


Row = tuple[str, str, str, list[float]]


def study(experiments: int, seed: int = 2024, alternatives: bool = True) -> list[Row]:
    """(case, kind, method, coverage at each of SIZES) for every case, chosen method first."""
    rows = []
    for case in cases(experiments, seed):
        kind = f"{case.kind.value}{' (paired)' if case.paired else ''}"
        methods = candidates(case) if alternatives else [chosen(case)]
        for method in methods:
            measured = case
            if case.kind is Kind.CENSORED_TIME and method != "median-os":
                # a mean needs every median reached: an experiment with one beyond the
                # horizon has no interval, and counts as a miss
                values = np.where(np.isinf(case.values), np.nan, case.values)
                measured = Case(case.name, case.kind, values, case.truth)
            rows.append(
                (case.name, kind, method, [coverage_of(measured, method, n) for n in SIZES])
            )
    return rows


def markdown(rows: list[Row], experiments: int) -> str:
    """The study as a markdown table (chosen methods in bold)."""
    lines = [
        f"Coverage of nominal 95% intervals, {experiments} experiments per cell "
        f"(± {100 * 1.96 * math.sqrt(0.95 * 0.05 / experiments):.1f} points by chance):",
        "",
        "| model | kind | method | " + " | ".join(f"n = {n}" for n in SIZES) + " |",
        "| --- | --- | --- | " + " | ".join("---:" for _ in SIZES) + " |",
    ]
    last = ""
    for name, kind, method, covs in rows:
        first = name != last
        last = name
        label = f"**{method}**" if first else method
        cells = " | ".join(f"{100 * c:.1f}%" for c in covs)
        lines.append(f"| {name if first else ''} | {kind if first else ''} | {label} | {cells} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> None:
    """Print the coverage table (`python -m sim.experiments.coverage [EXPERIMENTS]`)."""
    args = sys.argv[1:] if argv is None else argv
    experiments = int(args[0]) if args else 10_000
    out(markdown(study(experiments), experiments))


if __name__ == "__main__":
    main()
