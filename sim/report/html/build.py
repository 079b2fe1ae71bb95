"""`intelsim report`: which report a directory gets, and where the file goes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sim.errors import LogError
from sim.report.html.experiment import experiment_data
from sim.report.html.page import render_page, write_page
from sim.report.html.run_data import run_data
from sim.store import EVENTS_FILE

REPORT_FILE = "report.html"


@dataclass(frozen=True)
class Written:
    """A report written to disk: where, what of, and how big."""

    path: Path
    kind: str  # "run" or the analysis kind ("compare", "sweep", ...)
    size: int  # bytes


def write_report(directory: Path, out: Path | None = None) -> Written:
    """Write the report of a run or analysis directory to `out` (default: inside it)."""
    directory = Path(directory)
    target = Path(out) if out is not None else directory / REPORT_FILE
    if (directory / EVENTS_FILE).is_file():
        data = run_data(directory)
        title = f"{data['run']['scenario']} — intelsim run {data['run']['id']}"
        kind = "run"
        text = render_page("run", title, data)
    else:
        data = experiment_data(directory)
        kind = data["analysis"]
        title = f"{data['title']} — intelsim {kind}"
        text = render_page("experiment", title, data)
    if target.is_dir():
        msg = f"--out {target} is a directory: give a file name such as {target / REPORT_FILE}"
        raise LogError(msg)
    return Written(target, kind, write_page(target, text))
