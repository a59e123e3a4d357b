"""Rebuild this folder from Segment's code: `python make_cases.py ORACLE_DIR [EXTRA_CASES_DIR]`.

ORACLE_DIR is an installed copy of the oracle (see its README): every `cases/*.json` is run with
`node run.js` (or its saved `*.out.json` is read) and stored here trimmed to what the differential test needs:
the case's input, each event's validated payload, the HTTP requests Segment sent with the canned answers, and
Segment's results. EXTRA_CASES_DIR holds our own case files in the same input format (20-26). The field
definitions come from `node dump_fields.js`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def trim_request(request: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": request["kind"],
        "method": request["method"],
        "url": request["url"],
        "body": request.get("body"),
        "response": request.get("response"),
    }


def trim_error(error: dict[str, Any] | None) -> dict[str, Any] | None:
    if error is None:
        return None
    trimmed = {k: error.get(k) for k in ("name", "message", "status", "code")}
    if trimmed["status"] is None and isinstance(error.get("response"), dict):
        trimmed["status"] = error["response"].get("status")  # HTTPError: the status is on its response
    return trimmed


def trim(case: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    expected: dict[str, Any] = {"subscription_source": out["subscription"]["source"], "events": []}
    for event in out["events"]:
        trimmed = {k: event.get(k) for k in ("index", "matched", "payload", "validation_error")}
        if not out["batch"]:
            trimmed["requests"] = [trim_request(r) for r in event.get("requests") or []]
            trimmed["result"] = event.get("result")
            trimmed["error"] = trim_error(event.get("error"))
        expected["events"].append(trimmed)
    if out["batch"]:
        result = out["batch_result"]
        expected["batch"] = {
            "requests": [trim_request(r) for r in result.get("requests") or []],
            "multistatus": result.get("multistatus"),
            "error": trim_error(result.get("error")),
        }
    return {**case, "expected": expected}


def main(oracle: Path, extra: Path | None) -> None:
    sources = sorted((oracle / "cases").glob("[0-9]*.json")) + (sorted(extra.glob("[0-9]*.json")) if extra else [])
    for source in sources:
        if source.name.endswith(".out.json"):
            continue
        saved = source.with_name(source.name.replace(".json", ".out.json"))
        if saved.exists():
            out = json.loads(saved.read_text())
        else:
            run = subprocess.run(["node", "run.js", str(source)], cwd=oracle, check=True, capture_output=True)
            out = json.loads(run.stdout)
        case = json.loads(source.read_text())
        (HERE / source.name).write_text(json.dumps(trim(case, out), indent=1, ensure_ascii=False) + "\n")
    fields = subprocess.run(["node", str(HERE / "dump_fields.js")], cwd=oracle, check=True, capture_output=True)
    (HERE / "segment_actions.json").write_text(json.dumps(json.loads(fields.stdout), indent=1) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
