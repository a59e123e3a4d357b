#!/usr/bin/env python3
"""Throughput of the routing engine (FQL triggers, mappings, payload validation) against Segment's Node code.

    python bench/engine.py --events events.ndjson            # ours only, on events dumped by the oracle
    python bench/engine.py --oracle /tmp/oracle --n 200000   # run Segment's bench.js first, same machine, same run

Times the same modes as ../shared/oracle/bench.js on the same events with the same bench-spec.json and prints ONE
JSON line shaped like bench.js's output (`results.<mode>.events_per_sec_median`, `counts`). With `--oracle`, the
Node results are added under `anchor` and our/Node ratios under `ratio`.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from sfmc_actions.route.fql import compile_trigger
from sfmc_actions.route.mapping import compile_mapping
from sfmc_actions.route.payload import PayloadSchema
from sfmc_actions.sfmc.actions import get_action

HERE = Path(__file__).resolve().parent
Events = list[dict[str, Any]]


def build_modes(spec: dict[str, Any], batch_chunk: int) -> dict[str, Callable[[Events], int]]:
    simple = compile_trigger(spec["subscriptions"]["simple"]).matches
    compound = compile_trigger(spec["subscriptions"]["compound"]).matches
    resolve = compile_mapping(spec["mapping"]).resolve
    validate = PayloadSchema.from_fields(dict(get_action(spec["action"]).fields)).validate

    def fql_simple(evs: Events) -> int:
        return sum(1 for e in evs if simple(e))

    def fql_compound(evs: Events) -> int:
        return sum(1 for e in evs if compound(e))

    def transform(evs: Events) -> int:
        return sum(len(resolve(e)["values"]) for e in evs)  # type: ignore[index]

    def transform_batch(evs: Events) -> int:
        total = 0
        for i in range(0, len(evs), batch_chunk):
            total += sum(len(resolve(e)["values"]) for e in evs[i : i + batch_chunk])  # type: ignore[index]
        return total

    def simple_transform(evs: Events) -> int:
        return sum(len(resolve(e)["values"]) for e in evs if simple(e))  # type: ignore[index]

    def compound_transform(evs: Events) -> int:
        return sum(len(resolve(e)["values"]) for e in evs if compound(e))  # type: ignore[index]

    def simple_transform_schema(evs: Events) -> int:
        ok = 0
        for e in evs:
            if simple(e):
                validate(resolve(e), "single")  # raises PayloadValidationError when invalid
                ok += 1
        return ok

    return {
        "fql_simple": fql_simple,
        "fql_compound": fql_compound,
        "transform": transform,
        "transform_batch": transform_batch,
        "fql_simple+transform": simple_transform,
        "fql_compound+transform": compound_transform,
        "fql_simple+transform+schema": simple_transform_schema,
    }


def run_oracle(oracle: Path, n: int, seed: int, repeat: int, dump: Path) -> dict[str, Any]:
    out = subprocess.run(
        [
            "node",
            str(oracle / "bench.js"),
            "--n",
            str(n),
            "--seed",
            str(seed),
            "--repeat",
            str(repeat),
            "--dump",
            str(dump),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=Path, help="NDJSON events dumped by `node bench.js --dump`")
    parser.add_argument("--oracle", type=Path, help="installed oracle folder: run its bench.js first")
    parser.add_argument("--n", type=int, default=200_000, help="events for --oracle to generate")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=20_000)
    parser.add_argument("--batch-chunk", type=int, default=10)
    parser.add_argument("--spec", type=Path, default=HERE / "bench-spec.json")
    args = parser.parse_args()
    if not args.events and not args.oracle:
        parser.error("give --events FILE.ndjson or --oracle DIR")

    anchor = None
    with tempfile.TemporaryDirectory() as tmp:
        events_path = args.events
        if args.oracle:
            events_path = Path(tmp) / "events.ndjson"
            anchor = run_oracle(args.oracle, args.n, args.seed, args.repeat, events_path)
        events = [orjson.loads(line) for line in events_path.read_bytes().splitlines() if line.strip()]

    spec = json.loads(args.spec.read_text())
    modes = build_modes(spec, args.batch_chunk)
    counts = {
        "fql_simple_matches": modes["fql_simple"](events),
        "fql_compound_matches": modes["fql_compound"](events),
        "transform_total_values_keys": modes["transform"](events),
        "schema_valid_after_simple_match": modes["fql_simple+transform+schema"](events),
    }
    warm = events[: args.warmup]
    results: dict[str, dict[str, Any]] = {}
    for name, fn in modes.items():
        fn(warm)
        fn(warm)
        runs = []
        for _ in range(args.repeat):
            gc.collect()
            start = time.perf_counter()
            check = fn(events)
            runs.append((time.perf_counter() - start, check))
        rates = [len(events) / seconds for seconds, _ in runs]
        results[name] = {
            "events_per_sec_median": round(statistics.median(rates)),
            "events_per_sec_best": round(max(rates)),
            "seconds_median": round(statistics.median(s for s, _ in runs), 4),
            "check": runs[0][1],
        }
    out: dict[str, Any] = {
        "bench": "sfmc-actions-engine",
        "n": len(events),
        "repeat": args.repeat,
        "warmup_events": len(warm),
        "batch_chunk": args.batch_chunk,
        "counts": counts,
        "results": results,
        "subscriptions": spec["subscriptions"],
        "versions": {"python": platform.python_version()},
        "cpus": os.cpu_count(),
    }
    if anchor is not None:
        out["anchor"] = {"counts": anchor["counts"], "results": anchor["results"], "versions": anchor["versions"]}
        out["counts_match_anchor"] = counts == anchor["counts"]
        out["ratio"] = {
            mode: round(results[mode]["events_per_sec_median"] / anchor["results"][mode]["events_per_sec_median"], 2)
            for mode in results
        }
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
