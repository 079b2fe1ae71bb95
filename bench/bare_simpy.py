"""The same queue as bench/queue-50k.yaml in bare SimPy, writing the same events as JSON lines.

This is the baseline a hand-rolled notebook would be: one generator per usage, a
simpy.Resource for the analysts, random.Random draws, orjson lines to a file.
Usage: python bench/bare_simpy.py OUT.jsonl [HORIZON_HOURS]
"""

from __future__ import annotations

import random
import sys

import orjson
import simpy

RATE, MEAN_SERVICE, ANALYSTS = 10.0, 0.16, 2


def main() -> None:
    out_path = sys.argv[1]
    horizon = float(sys.argv[2]) if len(sys.argv) > 2 else 5000.0
    env = simpy.Environment()
    analysts = simpy.Resource(env, capacity=ANALYSTS)
    arrivals, service = random.Random(1), random.Random(2)
    out = open(out_path, "wb", buffering=1 << 20)  # noqa: SIM115
    seq = 0

    def write(kind: str, **fields: object) -> None:
        nonlocal seq
        out.write(orjson.dumps({"type": kind, "seq": seq, "t": float(env.now), **fields}) + b"\n")
        seq += 1

    def report(n: int):  # type: ignore[no-untyped-def]
        rid = f"R{n}"
        write(
            "SightingReported",
            report=rid,
            collector="prosecutors",
            node="UKR-HUR",
            munition="KN-23",
            sector="Kharkiv",
            grade="B2",
            discipline="FORENSIC",
            usage=f"U{n}",
        )
        write("ReportReceived", node="UKR-HUR", report=rid, via=None)
        with analysts.request() as request:
            yield request
            write("AnalysisStarted", node="UKR-HUR", report=rid)
            yield env.timeout(service.expovariate(1 / MEAN_SERVICE))
            write("AnalysisCompleted", node="UKR-HUR", report=rid)

    def usage():  # type: ignore[no-untyped-def]
        n = 0
        while True:
            yield env.timeout(arrivals.expovariate(RATE))
            n += 1
            write("MunitionUsed", usage=f"U{n}", munition="KN-23", sector="Kharkiv")
            env.process(report(n))

    write(
        "RunStarted", scenario="bench-queue", seed=1, start="2024-07-11T00:00:00Z", horizon=horizon
    )
    env.process(usage())
    env.run(until=horizon)
    write("RunEnded", reason="horizon")
    out.close()


if __name__ == "__main__":
    main()
