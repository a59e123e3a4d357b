"""Differential fuzz against Segment's own code, any size and seed; prints one JSON summary.

    python -m tests.conformance.fuzz --seed 7 --count 20000            # half triggers, half mappings
    python -m tests.conformance.fuzz --triggers 100000 --mappings 50000
    python -m tests.conformance.fuzz --count 2000 --examples            # with the smallest case of each class

Needs Node (the driver's npm packages are installed on first use). Exit code 1 when there are mismatches.
"""

from __future__ import annotations

import argparse
import json
import sys

from tests.conformance.fuzz.run import run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.conformance.fuzz", description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1, help="random seed (the same seed replays the same cases)")
    parser.add_argument("--count", type=int, default=5000, help="cases, split evenly between triggers and mappings")
    parser.add_argument("--triggers", type=int, help="trigger cases (overrides --count's split)")
    parser.add_argument("--mappings", type=int, help="mapping cases (overrides --count's split)")
    parser.add_argument("--examples", action="store_true", help="include the smallest case of each mismatch class")
    args = parser.parse_args(argv)
    triggers = args.triggers if args.triggers is not None else args.count // 2
    mappings = args.mappings if args.mappings is not None else args.count - args.count // 2
    summary = run(args.seed, triggers, mappings)
    sys.stdout.write(json.dumps(summary.as_json(examples=args.examples), indent=1, default=repr) + "\n")
    return 1 if summary.mismatch_count else 0


if __name__ == "__main__":
    sys.exit(main())
