"""What a partner, node, link or collector is worth: paired runs with and without it.

A value study is a sweep whose points are the scenario as it is (point 0, part `none`)
and the scenario without each named part (`sim.scenario.removal`): each `--without`
alone and, when there are several, all of them together as one more part (the ROK is
`--without KOR-NIS --without KOR-DIA`, or `--without KOR`). Every point runs with the
same replication seeds, so each component draws the same random numbers with and
without the part (common random numbers) and a difference comes from the part, not
from luck. Being a sweep, it has the sweep's journal, `--resume`, progress bar,
Ctrl-C behaviour and executors.

The value of a part at a node, for one metric, is **with − without** over paired
replications: what the part adds (a share known that is higher with it is positive; a
time to knowledge that is shorter with it is negative), with the 95% interval of the
metric's kind for paired differences (`sim.experiments.stats.paired_diff_ci`; for a
censored time, the median of the paired differences, a side not reached counting as
later than any reached) and the variance-reduction factor of pairing. A node the part
removes has no value without it: its rows say so and carry no number.

The metrics valued are taken from the declaration of metric kinds
(`sim.analysis.metrics.KINDS`): every node metric that is a censored time or a share
(time to knowledge, shares known by a day, coverage, rates), and every node metric
whose name speaks of false attribution, misidentification, warnings, lead times or
consent, whatever its kind. A metric declared there later is valued with no change here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.kinds import Kind
from sim.analysis.metrics import KINDS, MetricsProjection, flatten, kind_of
from sim.errors import IntelsimError, suggest
from sim.experiments.design import Point
from sim.experiments.replications import Job, column_values, replication_seed, write_table
from sim.experiments.stats import PairedDiff, paired_diff_ci, summarize
from sim.experiments.sweep import (
    MANIFEST,
    Plan,
    PreparedPoint,
    Sweep,
    SweepSpec,
    drive,
    summary_table,
)
from sim.experiments.watch import Silent, Watch
from sim.interrupts import finished_in
from sim.scenario.loader import load_scenario
from sim.scenario.models import Scenario
from sim.scenario.removal import GROUP, Removal, RemovalError, resolve_part, without
from sim.store import write_json

VALUE_KINDS = (Kind.CENSORED_TIME, Kind.SHARE)  # times to knowledge, shares known or covered
# valued whatever their kind: what the ROK is meant to bring (issue 9)
VALUE_WORDS = ("false_attribution", "misidentif", "warning", "lead", "consent")
HEADLINE = (
    "knowledge_median_h",
    "known_within_7d",
    "known_within_30d",
    "coverage",
    "false_attributions",
    "false_attribution_rate",
    "misidentified_support",
    "*warning*",
    "*lead_h*",
    "partner_material_*",
)  # node metrics shown by default (table and plot; the files hold every metric valued)
NOTHING = "none"  # the part removed at point 0: the scenario as it is
COLUMNS = (
    "part",
    "node",
    "metric",
    "with",
    "without",
    "difference",
    "ci_low",
    "ci_high",
    "n",
    "method",
    "kind",
    "variance_reduction",
    "undefined",
    "note",
)
EFFECT_COLUMNS = ("part", "action", "what", "name", "because")


class ValueStudyError(IntelsimError):
    """A value study that cannot start: no part named, too few replications, a bad filter."""


# --- which metrics are valued --------------------------------------------------------

_NODE_KINDS = [(pattern, kind) for pattern, kind in KINDS.items() if pattern.startswith("nodes.*.")]


def split_metric(name: str) -> tuple[str, str]:
    """("NATO-JISD", "coverage") for `nodes.NATO-JISD.coverage`, likewise for a link;
    ("", name) for a metric of the whole run."""
    head, _, rest = name.partition(".")
    if head in ("nodes", "links") and rest:
        where, _, what = rest.partition(".")
        return where, what
    return "", name


def is_value_metric(name: str) -> bool:
    """Whether a flattened metric is one a value study values by default (module docstring)."""
    if not name.startswith("nodes."):
        return False
    for pattern, kind in _NODE_KINDS:
        if fnmatchcase(name, pattern):
            return kind in VALUE_KINDS or any(word in pattern for word in VALUE_WORDS)
    return False


def matches(name: str, patterns: Sequence[str]) -> bool:
    """Whether a metric matches a glob, by its full name (`nodes.*.coverage`) or by what it
    measures at its node (`coverage`, `known_within_*`)."""
    what = split_metric(name)[1]
    return any(fnmatchcase(name, p) or fnmatchcase(what, p) for p in patterns)


# --- the plan ------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueSpec(SweepSpec):
    """What a value study runs (the parts to remove) and shows (metrics and nodes)."""

    without: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()  # globs of the metrics shown and plotted, and valued if given
    nodes: tuple[str, ...] = ()  # nodes shown (default: all)

    @classmethod
    def from_manifest(cls, data: dict[str, Any]) -> ValueSpec:
        """The spec recorded in a value study's manifest."""
        base = asdict(SweepSpec.from_manifest(data))
        spec = data["spec"]
        return cls(
            **base,
            without=tuple(spec.get("without", ())),
            metrics=tuple(spec.get("metrics", ())),
            nodes=tuple(spec.get("nodes", ())),
        )


@dataclass(frozen=True)
class PartSet:
    """One part of the study: its label and the removal made at its point."""

    label: str
    point: int
    removal: Removal

    def gone(self) -> set[str]:
        """Nodes and links that do not exist without the part."""
        return {*self.removal.removed("node"), *self.removal.removed("link")}


@dataclass
class ValuePlan(Plan):
    """A sweep plan whose points are the scenario with (point 0) and without each part."""

    parts: list[PartSet] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)  # of the scenario as it is, in order

    def jobs(self) -> list[Job]:
        """Every (point, replication), replication by replication: a study stopped early
        holds whole sets of pairs."""
        seeds = [replication_seed(self.base_seed, i) for i in range(self.spec.replications)]
        return [Job(p.point.index, i, seed) for i, seed in enumerate(seeds) for p in self.points]

    def point_columns(self) -> list[str]:
        """A point is the part it removes."""
        return ["part"]

    def factor_columns(self) -> dict[int, dict[str, Any]]:
        """Per point, the label of the part removed there."""
        labels = {0: NOTHING} | {p.point: p.label for p in self.parts}
        return {p.point.index: {"part": labels[p.point.index]} for p in self.points}

    def display(self, metrics: Sequence[str] = (), nodes: Sequence[str] = ()) -> tuple[str, ...]:
        """Check `--metric` globs and `--node` names against the scenario as it is;
        ValueStudyError with the closest name for one that names nothing."""
        scenario = Scenario.model_validate(self.points[0].raw)
        for node in nodes:
            if node not in scenario.nodes:
                msg = f"--node {node}: no such node{suggest(node, list(scenario.nodes))}"
                raise ValueStudyError(msg)
        names = [*flatten(MetricsProjection(scenario).result()), *KINDS]
        for pattern in metrics:
            if not any(matches(name, [pattern]) for name in names):
                shorts = sorted({split_metric(n)[1] for n in names})
                msg = f"--metric {pattern!r} matches no metric{suggest(pattern, shorts)}"
                raise ValueStudyError(msg)
        return tuple(nodes)


def part_labels(texts: Sequence[str]) -> list[str]:
    """The parts a list of `--without` makes: each alone and, if several, all together."""
    labels = list(dict.fromkeys(t.strip() for t in texts if t.strip()))
    return labels + ([GROUP.join(labels)] if len(labels) > 1 else [])


def plan_value(spec: SweepSpec) -> ValuePlan:
    """Resolve every `--without`, remove each part and validate what is left, before
    anything runs. RemovalError names every unknown part at once (each with the closest
    name), or what a removal leaves broken."""
    texts = spec.without if isinstance(spec, ValueSpec) else ()
    if not any(t.strip() for t in texts):
        msg = (
            "give at least one --without NAME: a node, nation, link, collector, campaign or attack"
        )
        raise ValueStudyError(msg)
    if spec.replications < 2:
        msg = f"--replications must be at least 2 for a paired interval, not {spec.replications}"
        raise ValueStudyError(msg)
    base = load_scenario(Path(spec.file), spec.sets)
    labels = part_labels(texts)
    alone = labels[:1] if len(labels) == 1 else labels[:-1]
    groups, errors = [], []
    for label in alone:
        try:
            groups.append(resolve_part(base.scenario, label))
        except RemovalError as exc:
            errors.append(str(exc))
    if errors:
        raise RemovalError("\n".join(errors))
    if len(groups) > 1:
        groups.append(tuple(dict.fromkeys(p for group in groups for p in group)))
    points = [PreparedPoint(Point(0, ()), base.raw)]
    parts: list[PartSet] = []
    for k, (label, group) in enumerate(zip(labels, groups, strict=True), start=1):
        removal = without(base.raw, group, spec.file)
        parts.append(PartSet(label, k, removal))
        points.append(PreparedPoint(Point(k, ()), removal.raw))
    seed = base.scenario.seed if spec.seed is None else spec.seed
    plan = ValuePlan(
        spec,
        [],
        points,
        seed,
        base.scenario.name,
        base.source_hash,
        parts,
        list(base.scenario.nodes),
    )
    if isinstance(spec, ValueSpec):
        plan.display(spec.metrics, spec.nodes)
    return plan


# --- the study on disk ---------------------------------------------------------------


class ValueStudy(Sweep):
    """A value study's directory: a sweep with and without each part."""

    KIND = "value"
    plan: ValuePlan

    @classmethod
    def plan_for(cls, spec: SweepSpec) -> ValuePlan:
        """The study's plan (see `plan_value`)."""
        return plan_value(spec)

    @classmethod
    def spec_from(cls, manifest: dict[str, Any]) -> ValueSpec:
        """The spec a value study's manifest recorded."""
        return ValueSpec.from_manifest(manifest)

    def _new_manifest(self) -> dict[str, Any]:
        manifest = super()._new_manifest()
        manifest.pop("factors", None)
        manifest["parts"] = [p.label for p in self.plan.parts]
        # what each point is: the part it removes, and all that the removal did
        manifest["points"] = [{"point": 0, "part": NOTHING}] + [
            {
                "point": p.point,
                "part": p.label,
                "removes": [str(part) for part in p.removal.parts],
                "effects": [str(e) for e in p.removal.effects],
                "warnings": list(p.removal.warnings),
            }
            for p in self.plan.parts
        ]
        return manifest

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(runs, summary); a node or link a part removed has no metrics at that part's
        point (left empty: a row without them would read as zeros)."""
        runs, _ = super().tables()
        for part in self.plan.parts:
            gone = [c for c in runs.columns if split_metric(c)[0] in part.gone()]
            runs.loc[runs["point"] == part.point, gone] = float("nan")
        return runs, summary_table(runs, self.plan.point_columns())


def open_value(spec_or_resume: ValueSpec | Path, out: Path = Path("logs")) -> ValueStudy:
    """A new study in a fresh directory under `out` (a spec: everything is resolved and
    validated first), or the stopped study in a directory (a path)."""
    if isinstance(spec_or_resume, ValueSpec):
        return ValueStudy.create(spec_or_resume, out, label="value")
    return ValueStudy.resume(spec_or_resume)


# --- the value of each part ----------------------------------------------------------


@dataclass
class Valuation:
    """What each part is worth: every row, the paired differences, what to show."""

    table: pd.DataFrame  # COLUMNS: one row per (part, node, metric)
    diffs: dict[tuple[str, str, str], PairedDiff]  # (part, node, metric) -> with − without
    shown: pd.DataFrame  # the rows to show and plot
    pairs: int  # replications with every point run
    replications: int
    effects: pd.DataFrame  # EFFECT_COLUMNS: what each part's removal removed


def value_table(
    runs: pd.DataFrame, plan: ValuePlan, names: Sequence[str]
) -> tuple[pd.DataFrame, dict[tuple[str, str, str], PairedDiff]]:
    """With − without for every part and every metric in `names`, paired by replication."""
    runs = runs.set_index("replication")
    with_ = runs[runs["point"] == 0]
    records: list[dict[str, Any]] = []
    diffs: dict[tuple[str, str, str], PairedDiff] = {}
    for part in plan.parts:
        side = runs[runs["point"] == part.point]
        common = with_.index.intersection(side.index)
        a, b = side.loc[common], with_.loc[common]
        gone = part.gone()
        for name in names:
            where, what = split_metric(name)
            head = {"part": part.label, "node": where, "metric": what, "kind": kind_of(name).value}
            if where in gone:
                kept = summarize(name, column_values(b, name))
                note = f"{where} is removed with {part.label}: it has no value without it"
                records.append({**head, "with": kept.mean, "n": kept.n, "note": note})
                continue
            diff = paired_diff_ci(
                column_values(a, name), column_values(b, name), kind=kind_of(name)
            )
            diffs[(part.label, where, what)] = diff
            records.append({**head, **_row(diff), "note": _note(diff)})
    return pd.DataFrame.from_records(records, columns=list(COLUMNS)), diffs


def _row(d: PairedDiff) -> dict[str, Any]:
    return {
        "with": d.mean_b,
        "without": d.mean_a,
        "difference": d.diff.mean,
        "ci_low": d.diff.low,
        "ci_high": d.diff.high,
        "n": d.diff.n,
        "method": d.diff.method,
        "variance_reduction": d.variance_reduction,
        "undefined": d.diff.undefined,
    }


def identical(d: PairedDiff) -> bool:
    """Whether the metric was the same with and without the part in every pair."""
    return d.diff.mean == 0 and d.diff.low == 0 and d.diff.high == 0


def _note(d: PairedDiff) -> str:
    # a censored time (or any kind compared as one): None was "not reached", not undefined
    censored = d.diff.method.endswith("median-os")
    pairs = d.diff.n + d.diff.undefined
    if d.diff.n == 0:
        return (
            "not reached by the end of the run, with or without it"
            if censored
            else "undefined with and without it"
        )
    if identical(d):
        return "identical in every replication"
    if d.diff.undefined:
        why = "reached on neither side" if censored else "undefined on a side"
        return f"{why} in {d.diff.undefined} of {pairs} pairs (left out)"
    return ""


def _effects(plan: ValuePlan) -> pd.DataFrame:
    records = [{"part": p.label, **asdict(e)} for p in plan.parts for e in p.removal.effects]
    return pd.DataFrame.from_records(records, columns=list(EFFECT_COLUMNS))


def shown_rows(table: pd.DataFrame, metrics: Sequence[str], nodes: Sequence[str]) -> pd.DataFrame:
    """The rows worth showing: the chosen nodes (all by default) and metrics (HEADLINE by
    default), leaving out rows identical or undefined on both sides (the files have them)."""
    patterns = list(metrics) or list(HEADLINE)
    keep = table["metric"].map(lambda m: any(fnmatchcase(m, p) for p in patterns)) | table[
        ["node", "metric"]
    ].apply(lambda r: matches(f"nodes.{r['node']}.{r['metric']}", patterns), axis=1)
    if nodes:
        keep &= table["node"].isin(list(nodes))
    quiet = table["note"].isin(
        ["identical in every replication", "undefined with and without it"]
    ) | table["note"].str.startswith("not reached by the end")
    return table[keep & ~quiet.fillna(False)]


def finish_value(
    study: ValueStudy, runs: pd.DataFrame, metrics: Sequence[str] = (), nodes: Sequence[str] = ()
) -> Valuation:
    """The value of every part: writes value.csv/.parquet (every row) and
    removed.csv/.parquet (what each removal removed), and completes the manifest.

    `metrics` and `nodes` choose what is shown (those the study was started with when
    empty); metric globs also choose what is valued beyond the default metrics.
    """
    plan = study.plan
    spec = plan.spec
    metrics = list(metrics) or list(getattr(spec, "metrics", ()))
    nodes = list(plan.display(metrics, nodes) or getattr(spec, "nodes", ()))
    leading = {"point", "replication", "seed", *plan.point_columns()}
    names = [c for c in runs.columns if c not in leading]
    valued = [n for n in names if is_value_metric(n) or (metrics and matches(n, metrics))]
    order = {name: i for i, name in enumerate(plan.nodes)}  # by node, as the scenario lists them
    valued.sort(key=lambda n: order.get(split_metric(n)[0], len(order)))
    table, diffs = value_table(runs, plan, valued)
    effects = _effects(plan)
    write_table(table, study.directory / "value")
    write_table(effects, study.directory / "removed")
    per_point = runs.groupby("replication")["point"].nunique()
    pairs = int((per_point == len(plan.points)).sum())
    study.manifest["value"] = {"metrics": len(valued), "rows": len(table), "pairs": pairs}
    write_json(study.directory / MANIFEST, study.manifest)
    shown = shown_rows(table, metrics, nodes)
    return Valuation(table, diffs, shown, pairs, spec.replications, effects)


# --- `intelsim value`, start to end ------------------------------------------------------


@dataclass
class ValueResult:
    """A finished value study: its directory and plan, and what each part is worth."""

    study: ValueStudy
    valuation: Valuation


def run_value(
    spec_or_resume: ValueSpec | Path,
    out: Path = Path("logs"),
    metrics: Sequence[str] = (),
    nodes: Sequence[str] = (),
    *,
    workers: int | None = None,
    dask: str | None = None,
    watch: Watch | None = None,
    describe: Callable[[PartSet], str] = str,
) -> ValueResult:
    """A new study (a spec) or a stopped one (its directory), run to the end; the value of
    every part written and returned. Each part's removal is told to `watch` first, in
    the words of `describe`."""
    watch = watch or Silent()
    study = open_value(spec_or_resume, out)
    for part in study.plan.parts:
        watch.note(describe(part))
    runs, _ = drive(study, workers, dask, "value", watch)
    with finished_in(study.directory, "the value study"):
        return ValueResult(study, finish_value(study, runs, metrics, nodes))
