"""Commands that take a run's log to other tools and compare runs: export, query, diff."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sim.cli.app import OutOption, RunArgument, app, err_console, out_console

if TYPE_CHECKING:
    from sim.analysis.exports import Exported

DEFAULT_OUT = Path("logs")


@app.command("export")
def export_cmd(
    run: RunArgument,
    format_: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="stix|misp|parquet",
            help="stix (STIX 2.1 bundle), misp (MISP event JSON) or parquet",
        ),
    ],
    as_node: Annotated[
        str | None,
        typer.Option("--as", metavar="NODE", help="only what this node saw and knew"),
    ] = None,
    ground_truth: Annotated[
        bool, typer.Option("--ground-truth", help="include what really happened (the file says so)")
    ] = False,
    to: Annotated[
        Path | None,
        typer.Option("--to", metavar="PATH", help="file to write (a directory for parquet)"),
    ] = None,
    out: OutOption = DEFAULT_OUT,
) -> None:
    """Export a run for other tools: STIX 2.1, MISP or Parquet, respecting markings."""
    from sim.analysis.source import open_run
    from sim.store import resolve_run

    exporter = _exporter(format_)
    source = open_run(resolve_run(run, out))
    done = exporter(source, as_node=as_node, ground_truth=ground_truth, out=to)
    truth = ", with ground truth" if done.ground_truth else ""
    out_console.print(
        f"{done.format}: {done.items} items as known to {done.reader}{truth}", highlight=False
    )
    for path in done.paths:
        out_console.print(f"  {path}", highlight=False, soft_wrap=True)


def _exporter(fmt: str) -> Callable[..., Exported]:
    """The export function of a format, imported only when asked (stix2 and PyMISP are slow)."""
    if fmt == "stix":
        from sim.analysis.exports.stix import export_stix

        return export_stix
    if fmt == "misp":
        from sim.analysis.exports.misp import export_misp

        return export_misp
    if fmt == "parquet":
        from sim.analysis.exports.parquet import export_parquet

        return export_parquet
    from sim.analysis.exports import FORMATS, ExportError

    raise ExportError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")


@app.command("query")
def query_cmd(
    args: Annotated[
        list[str], typer.Argument(metavar="RUN SQL", help="one or more runs, then the SQL")
    ],
    to: Annotated[
        Path | None,
        typer.Option("--to", metavar="FILE", help="write every row to a .csv or .parquet file"),
    ] = None,
    limit: Annotated[
        int, typer.Option(min=1, metavar="N", help="rows shown on the terminal, at least 1")
    ] = 50,
    out: OutOption = DEFAULT_OUT,
) -> None:
    """SQL (DuckDB) over the events of one or more runs: the table `events`, a `run` column."""
    from sim.analysis.perspective import QueryError
    from sim.analysis.query import query_runs
    from sim.analysis.source import open_run
    from sim.report.tables import result_table
    from sim.store import resolve_run

    if len(args) < 2:
        msg = 'give one or more runs and then the SQL, e.g. "select count(*) from events"'
        raise QueryError(msg)
    sources = [open_run(resolve_run(run, out)) for run in args[:-1]]
    result = query_runs(sources, args[-1], limit=limit, out=to)
    out_console.print(result_table(result.columns, result.rows))
    if result.total > len(result.rows):
        err_console.print(f"{len(result.rows)} of {result.total} rows shown", highlight=False)
    if to is not None:
        err_console.print(f"{result.total} rows written to {to}", highlight=False)


@app.command("diff")
def diff_cmd(
    run_a: Annotated[
        str, typer.Argument(metavar="RUN_A", help='a run directory, a run id or "latest"')
    ],
    run_b: Annotated[str, typer.Argument(metavar="RUN_B", help="the run to compare with it")],
    out: OutOption = DEFAULT_OUT,
) -> None:
    """Where two runs part: first differing seq and time, events per type, each assessment."""
    from sim.analysis.diff import diff_runs
    from sim.analysis.source import open_run
    from sim.report.diff_view import render_diff
    from sim.store import resolve_run

    a, b = (open_run(resolve_run(run, out)) for run in (run_a, run_b))
    for renderable in render_diff(diff_runs(a, b), a.run_dir.name, b.run_dir.name):
        out_console.print(renderable, highlight=False, soft_wrap=True)
