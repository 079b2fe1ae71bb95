"""The run's metrics made beside its log: a follower of the log sidecar.

`intelsim run` has the log sidecar (sim/store/sidecar.py) make the run's metrics from
the bodies it writes, on the machine's other core, as `intelsim metrics` makes them
from the log (:class:`sim.analysis.metrics.MetricsProjection` fed every event of it,
under the scenario): the run process keeps the engine and its fold. Forked from the
run, the follower has the scenario at hand; where the sidecar cannot be a fork,
`python -m sim.experiments.log_metrics EVENTS.jsonl` starts one that reads the scenario
from the manifest beside the log, as `intelsim metrics` does.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sim.analysis.metrics import MetricsProjection
from sim.analysis.source import load_run
from sim.events import DECODER
from sim.interrupts import detach_child
from sim.scenario.models import Scenario
from sim.store.sidecar import answer, serve

_ENDED = b'{"type":"RunEnded"'  # how the canonical body of the last event of a run starts


class MetricsFollower:
    """The run's metrics, made from the bodies the sidecar writes, in idle moments.

    A :class:`sim.store.sidecar.Follower`: :meth:`feed` queues whole bodies; each
    :meth:`step` does one slice of the work (loading the scenario, folding one queued
    batch), so the sidecar can go back to its input between slices; :meth:`finish`
    gives the metrics (``{"metrics": ...}``) if the log ended with ``RunEnded``.
    """

    def __init__(self, scenario: Scenario | None, run_dir: Path) -> None:
        # the scenario (None: the one the manifest in `run_dir` resolves)
        self.scenario = scenario
        self.run_dir = run_dir
        self.queued: deque[bytes] = deque()
        self.queued_bytes = 0
        self.last = b""  # the last body fed
        self._setup: Iterator[None] | None = self._prepare()
        self._apply: Any = None
        self._decode: Any = None
        self._projection: Any = None
        self.error: str | None = None  # what stopped the work (the log goes on regardless)

    def _prepare(self) -> Iterator[None]:
        # one slice each: the sidecar reads its input between them
        scenario = self.scenario
        if scenario is None:
            yield
            scenario, _ = load_run(self.run_dir)
            yield
        self._projection = MetricsProjection(scenario)
        self._apply, self._decode = self._projection.apply, DECODER.decode_lines
        if scenario.links:
            yield  # items shared between nodes: their partner-material results use numpy
            import numpy  # noqa: F401  (now, in an idle moment, rather than at the end)

    @property
    def busy(self) -> bool:
        """Whether a step has anything to do."""
        return self._setup is not None or bool(self.queued)

    def feed(self, bodies: bytes) -> None:
        """Queue newline-terminated whole bodies (once the metrics have failed, only the
        last is kept: it says whether the log ended)."""
        if bodies:
            self.last = bodies[bodies.rfind(b"\n", 0, len(bodies) - 1) + 1 :]
            if self.error is None:  # (queued after an error, they kept it busy for ever)
                self.queued.append(bodies)
                self.queued_bytes += len(bodies)

    def step(self) -> None:
        """One slice of the work; an error stops the metrics, never the log (it is kept
        in :attr:`error`, and the report says it)."""
        try:
            self._step()
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            self._setup = None
            self.queued.clear()
            self.queued_bytes = 0

    def _step(self) -> None:
        if self.error is not None:
            return
        if self._setup is not None:
            if next(self._setup, StopIteration) is StopIteration:
                self._setup = None
            return
        data = self.queued.popleft()
        self.queued_bytes -= len(data)
        apply = self._apply
        for event in self._decode(data):
            apply(event)

    def spawn_command(self, path: Path) -> list[str]:
        """The arguments (after the interpreter) of a sidecar of its own, where it cannot
        be a fork: it writes the log at `path` and makes the metrics, reading the scenario
        from the manifest beside it (as `intelsim metrics` does)."""
        return ["-m", "sim.experiments.log_metrics", str(path)]

    def finish(self) -> dict[str, Any]:
        """Finish the work: ``{"metrics": ...}``, or ``{"metrics_error": why}``; nothing
        for a log that did not end (an interrupted run writes no metrics)."""
        if not self.last.startswith(_ENDED):
            return {}
        while self.busy:
            self.step()
        if self.error is None:
            try:
                return {"metrics": self._projection.result()}
            except Exception as exc:
                self.error = f"{type(exc).__name__}: {exc}"
        return {"metrics_error": self.error}


def in_scenario_order(metrics: dict[str, Any], scenario: Scenario) -> dict[str, Any]:
    """`metrics` with its nodes in the order `scenario` gives them, as a forked sidecar
    makes them.

    A spawned sidecar reads the scenario from the manifest, whose keys are written
    sorted, so its metrics list the nodes alphabetically; the run's summary and an
    experiment's tables and columns follow this order, which must not depend on whether
    the sidecar could be a fork (a Dask worker runs threads: its runs spawn theirs).
    """
    nodes = metrics.get("nodes")
    if not isinstance(nodes, dict):
        return metrics
    ordered = {name: nodes[name] for name in scenario.nodes if name in nodes}
    ordered.update(nodes)  # any the scenario does not name: after, as they came
    return {**metrics, "nodes": ordered}


def main(argv: list[str]) -> int:
    """`python -m sim.experiments.log_metrics EVENTS.jsonl`: the log sidecar, with the
    metrics of the run in the directory of EVENTS.jsonl."""
    detach_child(stop_on_term=False)
    if len(argv) != 1:
        sys.stderr.write("usage: python -m sim.experiments.log_metrics EVENTS.jsonl\n")
        return 2
    path = Path(argv[0])
    return answer(serve(sys.stdin.buffer, str(path), MetricsFollower(None, path.parent)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
