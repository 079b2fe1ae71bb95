"""`intelsim report`: a self-contained HTML report of a run or of a what-if analysis."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.app import app, out_console


@app.command("report")
def report_cmd(
    run: Annotated[
        str,
        typer.Argument(
            metavar="RUN|DIR",
            help='a run directory, a run id, "latest", or a compare/sweep output directory',
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", metavar="FILE", help="the HTML file to write (default: report.html inside it)"
        ),
    ] = None,
    logs: Annotated[
        Path,
        typer.Option("--logs", metavar="DIR", help='where run ids and "latest" are looked up'),
    ] = Path("logs"),
) -> None:
    """One HTML file that opens offline: map, time scrubber, perspectives, provenance, metrics."""
    from sim.report.html import write_report
    from sim.store import resolve_run

    written = write_report(resolve_run(run, logs), out)
    out_console.print(
        f"{written.kind} report: {written.path} ({written.size / 1e6:.2f} MB); "
        "open it in a browser, no network needed",
        highlight=False,
        soft_wrap=True,
    )
