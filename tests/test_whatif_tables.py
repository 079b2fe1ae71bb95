"""What-if tables at 80 columns (as when piped): nothing cut, intervals shown as intervals."""

from __future__ import annotations

import io

import pandas as pd
from rich.console import Console
from rich.table import Table

from sim.experiments.sensitivity import INDEX_COLUMNS, Sensitivity
from sim.experiments.stats import paired_diff_ci, summarize
from sim.report.whatif_view import (
    comparison_table,
    sensitivity_table,
    summary_table,
    sweep_table,
)

LONG = "nodes.NATO-JISD-LONG-NAME.report_latency_h.mean"


def render(table: Table, width: int = 80) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(table)
    return console.file.getvalue()  # type: ignore[attr-defined]


def assert_whole(text: str) -> None:
    assert "…" not in text  # folded, never cut
    assert max(len(line) for line in text.splitlines()) <= 80


def test_summary_table_names_methods_and_keeps_numbers_whole() -> None:
    summary = {
        LONG: summarize(LONG, [123456.789, 234567.891, 98765.4321]),
        "nodes.X.coverage": summarize("nodes.X.coverage", [0.0, 1.0, 1.0]),
        "run.messages_dropped": summarize("run.messages_dropped", [0, 0, 0]),
    }
    text = render(summary_table(summary, "t"))
    assert_whole(text)
    flat = "".join(text.split())  # folded cells joined back
    assert "152263" in flat  # the whole mean, not 1.523e+05 or 1522…
    assert "Wilson" in text and "qPois" in text and "log" in text
    assert "[0.208,0.939]" in flat  # 2 of 3 as a share: inside [0, 1]


def test_comparison_and_sweep_tables_fit_80_columns() -> None:
    diffs = {LONG: paired_diff_ci([1.0, 2.0, 3.5], [1.5, 2.9, 4.2])}
    assert_whole(render(comparison_table(diffs, "B − A")))
    rows = []
    for point in range(6):
        for metric, low, mean, high in (
            (LONG, 1.2, 2.3456, 7.8901),
            ("nodes.X.coverage", 0.21, 0.6667, 0.96),
        ):
            rows.append(
                {"point": point, "p": point, "metric": metric, "mean": mean, "ci_low": low,
                 "ci_high": high, "half_width": high - mean, "undefined": 0}
            )  # fmt: skip
    text = render(sweep_table(pd.DataFrame(rows), ["p"], [LONG, "nodes.X.coverage"], "sweep"))
    assert_whole(text)
    assert "± " not in text  # an asymmetric interval read as ± would leave [0, 1]
    assert "0.6667 [0.21, 0.96]" in text


def test_sensitivity_tables_rank_factors_and_fit_80_columns() -> None:
    nan = float("nan")
    rows = [
        ("m", "links.KOR-NIS->NATO-JISD.latency.median", 0.62, 0.5, 0.74, 0.7, 0.6, 0.8),
        ("m", "nodes.NATO-JISD.analysts", 0.05, 0.0, 0.12, 0.08, 0.01, 0.15),
    ]
    frame = pd.DataFrame(rows, columns=list(INDEX_COLUMNS))
    sobol = Sensitivity("sobol", frame, noise={"m": 0.04})
    text = render(sensitivity_table(sobol, ["m"], "sobol"))
    assert_whole(text)
    flat = "".join(text.split())  # folded cells joined back
    assert flat.index("KOR-NIS->NATO-JISD") < flat.index("NATO-JISD.analysts")  # by ST
    assert "0.62" in text and "[0.60,0.80]" in flat and "noise4%" in flat
    assert "mostly measure luck" not in text
    noisy = Sensitivity("sobol", frame, noise={"m": 0.8})
    assert "mostlymeasureluck" in "".join(render(sensitivity_table(noisy, ["m"], "s")).split())
    morris = Sensitivity("morris", frame.assign(ST_ci_low=nan, ST_ci_high=nan))
    text = render(sensitivity_table(morris, ["m"], "morris"))
    assert_whole(text)
    assert "μ*" in text and "σ" in text and "nan" not in text


def test_a_censored_time_not_reached_says_so() -> None:
    metric = "nodes.N.knowledge_median_h"
    summary = {metric: summarize(metric, [None, None, 3.0, None, None])}
    text = render(summary_table(summary, "t"))
    assert_whole(text)
    assert "not reached" in text and "[3, ∞]" in text and "†" in text
