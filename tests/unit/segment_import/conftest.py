"""Sample Segment Public API exports (exports/) in the documented shapes, and helpers to import them.

exports/ holds two SFMC (Actions) destinations with their subscriptions (all seven actions, a disabled
subscription, V2 subscriptions with onMappingSave outputs, a Reverse ETL subscription, an unknown action
slug, a repeated name, a trigger Segment reads surprisingly) and GET /sources (two write keys, none, and a source
no imported destination receives from).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

EXPORTS = Path(__file__).parent / "exports"
PAIRS = [
    (EXPORTS / "destination-emea.json", EXPORTS / "subscriptions-emea.json"),
    (EXPORTS / "destination-us.json", EXPORTS / "subscriptions-us.json"),
]
SOURCES = EXPORTS / "sources.json"


def pair_args(pairs: list[tuple[Path, Path]] = PAIRS) -> list[str]:
    return [arg for d, s in pairs for arg in ("--destination", str(d), "--subscriptions", str(s))]


def read(path: Path) -> dict[str, Any]:
    result: dict[str, Any] = orjson.loads(path.read_bytes())
    return result
