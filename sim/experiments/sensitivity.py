"""Global sensitivity: which varied parameters drive each metric (Sobol indices or Morris).

A sensitivity study is a sweep whose design comes from SALib (`design.unit_sample`):
Saltelli's points for Sobol indices, or Morris trajectories. It runs as a sweep runs —
journal, `--resume`, progress, local pool or Dask — with the same replication seeds at
every point (common random numbers), so two points differ by their parameters and not
by luck. The model output at a point is a metric's mean over its replications.

Monte Carlo noise is kept apart from the parameters' effect twice over: the indices
come with 95% bootstrap intervals over the design (SALib), and each metric reports
`noise`, the share of the variance of the point means across the design that
replication noise makes (measured from the difference between each point's even and
odd replications, see `point_means`): when it is large, add replications before
reading the indices.

Indices (`indices.csv`/`.parquet`), one row per (metric, factor):

- sobol: `S1` first-order and `ST` total index with their 95% intervals. Indices are
  shares of variance: estimates and bounds are shown within [0, 1].
- morris: `S1` holds μ* (the mean absolute elementary effect of moving the factor over
  its whole range, in the metric's unit) with its 95% interval, and `ST` holds σ (the
  spread of the elementary effects: interaction or non-linearity), with no interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.metrics import kind_of
from sim.experiments.design import MORRIS_LEVELS, SENSITIVITY_DESIGNS, DesignError, unit_sample
from sim.experiments.replications import select_metrics, write_table
from sim.experiments.sweep import MANIFEST, Sweep, SweepError, SweepSpec, drive
from sim.experiments.watch import Watch
from sim.interrupts import finished_in
from sim.store import write_json

INDEX_COLUMNS = (
    "metric",
    "factor",
    "S1",
    "S1_ci_low",
    "S1_ci_high",
    "ST",
    "ST_ci_low",
    "ST_ci_high",
)
CONFIDENCE = 0.95
RESAMPLES = 1000
DEFAULT_SAMPLES = {"sobol": 32, "morris": 10}  # base samples; trajectories


@dataclass
class Sensitivity:
    """Indices of every metric analysed, and why the others were not."""

    method: str
    indices: pd.DataFrame
    skipped: dict[str, str] = field(default_factory=dict)
    noise: dict[str, float] = field(default_factory=dict)

    def ranking(self, metric: str) -> pd.DataFrame:
        """One metric's factors, the most influential first (by ST, then S1)."""
        rows = self.indices[self.indices["metric"] == metric]
        return rows.sort_values(["ST", "S1"], ascending=False, kind="stable")


def _problem(factors: int) -> dict[str, object]:
    return {
        "num_vars": factors,
        "names": [f"x{i}" for i in range(factors)],
        "bounds": [[0.0, 1.0]] * factors,
    }


def sobol_indices(outputs: np.ndarray, factors: int, seed: int) -> dict[str, np.ndarray]:
    """S1 and ST with 95% bounds, from model outputs at Saltelli's points (in order)."""
    from SALib.analyze import sobol

    result = sobol.analyze(
        _problem(factors),
        outputs,
        calc_second_order=False,
        num_resamples=RESAMPLES,
        conf_level=CONFIDENCE,
        seed=seed,
    )
    out = {}
    for name in ("S1", "ST"):
        estimate, half = np.asarray(result[name]), np.asarray(result[f"{name}_conf"])
        out[name] = np.clip(estimate, 0.0, 1.0)
        out[f"{name}_ci_low"] = np.clip(estimate - half, 0.0, 1.0)
        out[f"{name}_ci_high"] = np.clip(estimate + half, 0.0, 1.0)
    return out


def morris_indices(
    unit: np.ndarray, outputs: np.ndarray, factors: int, seed: int
) -> dict[str, np.ndarray]:
    """μ* (as S1, with its 95% bounds) and σ (as ST, no bounds) of Morris trajectories."""
    from SALib.analyze import morris

    result = morris.analyze(
        _problem(factors),
        unit,
        outputs,
        num_resamples=RESAMPLES,
        conf_level=CONFIDENCE,
        num_levels=MORRIS_LEVELS,
        seed=seed,
    )
    mu_star, half = np.asarray(result["mu_star"]), np.asarray(result["mu_star_conf"])
    nan = np.full(factors, np.nan)
    return {
        "S1": mu_star,
        "S1_ci_low": np.maximum(mu_star - half, 0.0),
        "S1_ci_high": mu_star + half,
        "ST": np.asarray(result["sigma"]),
        "ST_ci_low": nan,
        "ST_ci_high": nan,
    }


def point_means(runs: pd.DataFrame, metric: str, points: int) -> tuple[np.ndarray, float]:
    """(`metric` at each point 0..points-1, the variance of those values due to noise).

    The value at a point is the mean over its replications, as in its interval; for a
    censored time, the median over replications, a replication that never reached it
    counting as longest (NaN when most never did: nothing is averaged over only what
    was found).

    Noise: the points share their replication seeds, so their noise is correlated and
    the within-point variance overstates what it adds across points. Split each point's
    replications into even and odd ones (independent seeds): the halves' means differ
    by noise alone, and across points Var(A − B) = σ²(1/a + 1/b) where the mean of all
    R replications carries σ²/R. NaN with one replication, or for a censored time.
    """
    column = runs[metric]
    point = runs["point"]
    beyond = kind_of(metric).not_reached
    if beyond is not None:
        values = column.fillna(beyond).groupby(point).median().replace(beyond, np.nan)
        return values.reindex(range(points)).to_numpy(dtype=float), math.nan
    means = column.groupby(point).mean().reindex(range(points)).to_numpy(dtype=float)
    even = runs["replication"] % 2 == 0
    halves = [
        column[side].groupby(point[side]).mean().reindex(range(points)) for side in (even, ~even)
    ]
    sizes = [int(side.sum()) / max(points, 1) for side in (even, ~even)]
    if min(sizes) == 0:
        return means, math.nan
    gap = (halves[0] - halves[1]).to_numpy(dtype=float)
    replications = sum(sizes)
    noise = float(np.nanvar(gap, ddof=1)) / (replications * (1 / sizes[0] + 1 / sizes[1]))
    return means, noise


def analyze(
    runs: pd.DataFrame,
    method: str,
    factors: list[str],
    samples: int,
    seed: int,
    metrics: list[str],
) -> Sensitivity:
    """Indices of each metric from a finished study's runs (one row per replication).

    `factors`, `samples` and `seed` must be those the design was built with: Sobol's
    estimators need the points in Saltelli's order, Morris's the trajectories.
    """
    if method not in SENSITIVITY_DESIGNS:
        msg = f"unknown sensitivity method {method!r}"
        raise ValueError(msg)
    unit = unit_sample(method, len(factors), samples, seed)
    records: list[dict[str, str | float]] = []
    study = Sensitivity(method, pd.DataFrame())
    for metric in metrics:
        outputs, noise_var = point_means(runs, metric, len(unit))
        missing = int(np.isnan(outputs).sum())
        if missing:
            study.skipped[metric] = f"undefined (or not reached) at {missing} of {len(unit)} points"
            continue
        spread = float(np.var(outputs, ddof=1))
        if spread <= 0:
            study.skipped[metric] = "the same at every point: no factor changes it"
            continue
        study.noise[metric] = min(noise_var / spread, 1.0)  # NaN: not measurable
        if method == "sobol":
            values = sobol_indices(outputs, len(factors), seed)
        else:
            values = morris_indices(unit, outputs, len(factors), seed)
        for i, factor in enumerate(factors):
            records.append(
                {"metric": metric, "factor": factor}
                | {k: float(values[k][i]) for k in INDEX_COLUMNS[2:]}
                | {"method": method, "noise": study.noise[metric]}
            )
    study.indices = pd.DataFrame.from_records(records, columns=[*INDEX_COLUMNS, "method", "noise"])
    return study


# --- a study on disk: a sweep with a sensitivity design -------------------------------


METRICS_KEY = "sensitivity_metrics"  # the manifest remembers --metric for --resume


def open_study(
    spec_or_resume: SweepSpec | Path, out: Path = Path("logs"), patterns: Sequence[str] = ()
) -> Sweep:
    """A new study in a fresh directory under `out` (a spec), or a stopped one (a path).

    A new study's manifest keeps the metric `patterns`, for `--resume`. Raises
    DesignError for a method that is not a sensitivity method, SweepError for a
    directory that holds no sensitivity study.
    """
    if isinstance(spec_or_resume, SweepSpec):
        if spec_or_resume.design not in SENSITIVITY_DESIGNS:
            msg = f"--method {spec_or_resume.design!r}: expected sobol or morris"
            raise DesignError(msg)
        if not spec_or_resume.vary:
            msg = "nothing to vary: give at least one --vary PATH=LOW..HIGH"
            raise DesignError(msg)
        current = Sweep.create(spec_or_resume, out, label="sensitivity")
        current.manifest[METRICS_KEY] = list(patterns)
        write_json(current.directory / MANIFEST, current.manifest)
        return current
    current = Sweep.resume(spec_or_resume)
    if current.plan.spec.design not in SENSITIVITY_DESIGNS:
        msg = (
            f"{spec_or_resume} holds a sweep, not a sensitivity study "
            "(continue it with `intelsim sweep --resume`)"
        )
        raise SweepError(msg)
    return current


def finish_study(current: Sweep, runs: pd.DataFrame, patterns: Sequence[str]) -> Sensitivity:
    """Indices of the chosen metrics (those the study was started with when `patterns` is
    empty; headline ones by default); writes indices.csv/.parquet and sensitivity.json
    (method, metrics skipped and why, noise shares)."""
    patterns = list(patterns) or list(current.manifest.get(METRICS_KEY, []))
    plan = current.plan
    leading = {"point", "replication", "seed", *(f.path for f in plan.factors)}
    names = [c for c in runs.columns if c not in leading]
    metrics = select_metrics(names, patterns)
    assert plan.spec.samples is not None  # a sensitivity design always has samples
    study = analyze(
        runs,
        plan.spec.design,
        [f.path for f in plan.factors],
        plan.spec.samples,
        plan.base_seed,
        metrics,
    )
    write_table(study.indices, current.directory / "indices")
    write_json(
        current.directory / "sensitivity.json",
        {
            "method": study.method,
            "confidence": CONFIDENCE,
            "metrics": metrics,
            "skipped": study.skipped,
            "noise": study.noise,
        },
    )
    return study


@dataclass
class StudyResult:
    """A finished sensitivity study: its directory and plan, and the indices."""

    sweep: Sweep
    study: Sensitivity


def run_study(
    spec_or_resume: SweepSpec | Path,
    out: Path = Path("logs"),
    patterns: Sequence[str] = (),
    *,
    workers: int | None = None,
    dask: str | None = None,
    watch: Watch | None = None,
) -> StudyResult:
    """A new study (a spec; samples default by method) or a stopped one (its directory),
    run to the end; the indices of the chosen metrics written and returned."""
    if isinstance(spec_or_resume, SweepSpec) and spec_or_resume.samples is None:
        spec_or_resume = replace(spec_or_resume, samples=DEFAULT_SAMPLES.get(spec_or_resume.design))
    current = open_study(spec_or_resume, out, patterns)
    runs, _ = drive(current, workers, dask, "sensitivity", watch)
    with finished_in(current.directory, "the sensitivity study"):
        return StudyResult(current, finish_study(current, runs, patterns))
