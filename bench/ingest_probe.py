"""Probe a running `serve` as issue 11 did, and print one JSON line: per class of input, how many were tried
and the status codes seen (plus events accepted and rejected where the answer says).

    .venv/bin/python bench/ingest_probe.py [--seed 11]

Starts `serve` on the quick-start config (a SQLite store in a temporary directory, the built-in emulator, a
1 s store timeout, a rate limit on the ios-app source) and sends every request to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.processes import INGEST_URL, Service  # noqa: E402

WEBSITE = {"Authorization": "Basic " + base64.b64encode(b"quickstart-website-key:").decode()}
IOS = {"Authorization": "Basic " + base64.b64encode(b"quickstart-ios-key:").decode()}
EXTRA = """
ingest: {store_timeout: 1}
"""


class Tally:
    def __init__(self) -> None:
        self.classes: dict[str, dict[str, Any]] = {}

    def add(self, name: str, response: httpx.Response, inputs: int = 1) -> None:
        entry = self.classes.setdefault(name, {"inputs": 0, "statuses": Counter(), "accepted": 0, "rejected": 0})
        entry["inputs"] += inputs
        entry["statuses"][str(response.status_code)] += 1
        if response.status_code == 200:
            body = response.json()
            entry["accepted"] += body.get("accepted", 0)
            entry["rejected"] += body.get("rejected", 0)

    def as_dict(self) -> dict[str, Any]:
        return {name: {**e, "statuses": dict(sorted(e["statuses"].items()))} for name, e in self.classes.items()}


def good(n: int) -> list[dict[str, Any]]:
    return [{"type": "identify", "userId": f"u{i}", "traits": {"email": f"u{i}@example.com"}} for i in range(n)]


def nested(levels: int) -> bytes:
    return (
        b'{"type":"identify","userId":"deep","traits":' + b'{"a":' * (levels - 2) + b"{}" + b"}" * (levels - 2) + b"}"
    )


def batch(items: list[bytes]) -> bytes:
    return b'{"batch":[' + b",".join(items) + b"]}"


def random_json(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(8 if depth < 4 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2**63, 2**64 + 1, 1.5, -1e308])
    if kind in (3, 4):
        return rng.choice(["", "x", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00", "\u0000", "é" * 40])
    if kind == 5:
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["type", "userId", "event", "properties", "a"]): random_json(rng, depth + 1) for _ in range(3)}


def random_event(rng: random.Random) -> Any:
    if rng.random() < 0.3:
        return random_json(rng)
    event: dict[str, Any] = {"type": rng.choice(["identify", "track", "page", "group", "alias", "nope"]), "userId": "u"}
    for field in rng.sample(
        [
            "userId",
            "event",
            "timestamp",
            "sentAt",
            "originalTimestamp",
            "properties",
            "traits",
            "context",
            "messageId",
            "groupId",
            "previousId",
        ],
        3,
    ):
        event[field] = random_json(rng)
    return event


def probe(url: str, db: Path, rng: random.Random) -> dict[str, Any]:
    tally = Tally()
    with httpx.Client(base_url=url, timeout=60) as http:
        poison = {
            "type": "track",
            "userId": "p",
            "event": "E",
            "sentAt": "9999-12-31T23:59:59Z",
            "originalTimestamp": "0001-01-01T00:00:00Z",
        }
        for _ in range(20):
            tally.add(
                "timestamps: 99 good + 1 overflowing skew",
                http.post("/v1/batch", content=orjson.dumps({"batch": [*good(99), poison]}), headers=WEBSITE),
                100,
            )
        for levels in (63, 64, 65, 100, 254, 255, 300, 1024, 1025, 5000):
            body = batch([orjson.dumps(e) for e in good(9)] + [nested(levels)])
            tally.add(
                "nesting: 9 good + 1 nested 63..5000 levels", http.post("/v1/batch", content=body, headers=WEBSITE), 10
            )
        for raw in (b'"x \\ud83d"', b"1e400", b"1" * 400, b'"\\udc00\\ud800"'):
            item = b'{"type":"identify","userId":"j","traits":{"v":' + raw + b"}}"
            tally.add(
                "JSON orjson refuses (surrogates, 1e400, 400 digits)",
                http.post("/v1/batch", content=batch([orjson.dumps(e) for e in good(4)] + [item]), headers=WEBSITE),
                5,
            )
        for _ in range(300):
            events = [random_event(rng) for _ in range(rng.randrange(1, 60))]
            tally.add(
                "random JSON in every field (batches of 1-59)",
                http.post("/v1/batch", content=json.dumps({"batch": events}).encode(), headers=WEBSITE),
                len(events),
            )
        for count in (2500, 2501, 256_000):
            tally.add(
                "item count 2,500 / 2,501 / 256,000 zeros",
                http.post("/v1/batch", content=batch([b"0"] * count), headers=WEBSITE),
                count,
            )
        one = gzip.compress(orjson.dumps({"batch": good(3)}))
        for body in (one, one + gzip.compress(b"more"), one[:-8], b"not gzip"):
            tally.add(
                "gzip: one member / two / truncated / not gzip",
                http.post("/v1/batch", content=body, headers={**WEBSITE, "Content-Encoding": "gzip"}),
            )
        tally.add(
            "Content-Encoding br", http.post("/v1/batch", content=b"{}", headers={**WEBSITE, "Content-Encoding": "br"})
        )
        for body in (
            b"{not json",
            b"[" * 100_000,
            orjson.dumps({"batch": good(3)}),
            orjson.dumps({"writeKey": "wrong", "batch": good(3)}),
        ):
            for headers in ({}, {"Authorization": "Basic " + base64.b64encode(b"wrong:").decode()}):
                tally.add("no valid write key, any body", http.post("/v1/batch", content=body, headers=headers))
        for _ in range(30):
            tally.add(
                "ios-app over its rate limit (5 events/s, burst 10), batches of 3",
                http.post("/v1/batch", content=orjson.dumps({"batch": good(3)}), headers=IOS),
                3,
            )
        lock = sqlite3.connect(db, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        slowest = 0.0
        for _ in range(5):
            started = time.monotonic()
            tally.add(
                "store locked by another process (store_timeout 1 s)",
                http.post("/v1/identify", json={"userId": "locked"}, headers=WEBSITE),
            )
            slowest = max(slowest, time.monotonic() - started)
        tally.add("/readyz while locked", http.get("/readyz"))
        lock.execute("ROLLBACK")
        lock.close()
        tally.add("/readyz after", http.get("/readyz"))
    result = tally.as_dict()
    result["store locked by another process (store_timeout 1 s)"]["slowest_answer_s"] = round(slowest, 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "probe.yaml"
        text = (ROOT / "examples" / "quickstart.yaml").read_text(encoding="utf-8")
        text = text.replace(
            "    write_key: quickstart-ios-key\n",
            "    write_key: quickstart-ios-key\n    rate_limit: {events_per_second: 5, burst: 10}\n",
        )
        config.write_text(text + EXTRA, encoding="utf-8")
        db = Path(tmp) / "probe.db"
        seed = str(ROOT / "examples" / "emulator-seed.yaml")
        with Service(
            "serve",
            "--config",
            str(config),
            "--port",
            "0",
            "--emulator-port",
            "0",
            "--emulator-seed",
            seed,
            "--database",
            f"sqlite:///{db}",
        ) as serve:
            result = probe(serve.find(INGEST_URL), db, random.Random(args.seed))
            assert serve.stop() == 0
        result["tracebacks_in_serve_output"] = serve.stderr.count("Traceback")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
