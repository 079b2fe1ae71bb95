"""Commands that take a run's log to other tools and compare runs: export, query, diff."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.app import OutOption, app, out_console

DEFAULT_OUT = Path("logs")
RunArgument = Annotated[
    str, typer.Argument(help='a run directory, a run id under --out, or "latest"')
]


@app.command("export")
def export_cmd(
    run: RunArgument,
    format_: Annotated[
        str,
        typer.Option(
            "--format", "-f", help="stix (STIX 2.1 bundle), misp (MISP event JSON) or parquet"
        ),
    ],
    as_node: Annotated[
        str | None, typer.Option("--as", help="only what this node saw and knew")
    ] = None,
    ground_truth: Annotated[
        bool, typer.Option("--ground-truth", help="include what really happened (the file says so)")
    ] = False,
    to: Annotated[
        Path | None, typer.Option("--to", help="file to write (a directory for parquet)")
    ] = None,
    out: OutOption = DEFAULT_OUT,
) -> None:
    """Export a run for other tools: STIX 2.1, MISP or Parquet, respecting markings."""
    from sim.analysis.exports import export_run
    from sim.analysis.source import open_run
    from sim.store import resolve_run

    source = open_run(resolve_run(run, out))
    done = export_run(source, format_, as_node=as_node, ground_truth=ground_truth, out=to)
    truth = ", with ground truth" if done.ground_truth else ""
    out_console.print(
        f"{done.format}: {done.items} items as known to {done.reader}{truth}", highlight=False
    )
    for path in done.paths:
        out_console.print(f"  {path}", highlight=False, soft_wrap=True)
