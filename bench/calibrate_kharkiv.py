"""Calibration table: the Kharkiv strike of 2 January 2024, documented vs simulated.

Fitted rows are collector delays set from the documented delay of their own step;
predicted rows emerge from the mechanism (see sim/experiments/calibration.py and
docs/calibration.md). Days from the strike: median and 90% interval over the runs.

Usage: python bench/calibrate_kharkiv.py [--replications 30]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.experiments.calibration import calibrate, table_text

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "kharkiv-2024-01.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=30)
    args = parser.parse_args()
    rows = calibrate(SCENARIO, args.replications)
    print(f"kharkiv-2024-01, {args.replications} replications, days after the strike")
    print("\n".join(table_text(rows)))


if __name__ == "__main__":
    main()
