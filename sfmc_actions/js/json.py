"""`JSON.stringify` / `JSON.parse` as JavaScript does them, for `@json` and Liquid's `json` filter.

Differences from Python's `json` that matter: compact output, non-ASCII kept, lone surrogates
escaped, numbers written like JavaScript (`100.0` → `100`), UNDEFINED members skipped (and UNDEFINED
array elements written as null); `NaN`/`Infinity` are not JSON for the parser.
"""

from __future__ import annotations

import json
from typing import Any

from sfmc_actions.js.undefined import UNDEFINED
from sfmc_actions.js.values import json_stringify


def js_json_stringify(value: Any) -> Any:
    """`JSON.stringify(value)`: compact, non-ASCII kept, UNDEFINED members skipped; UNDEFINED → UNDEFINED."""
    if value is UNDEFINED:
        return UNDEFINED
    return json_stringify(value, UNDEFINED)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_int(text: str) -> int | float:
    # JavaScript numbers are doubles: big integers lose precision exactly as JSON.parse does.
    number = int(text)
    return number if -(2**53) < number < 2**53 else float(text)


_decoder = json.JSONDecoder(parse_constant=_reject_constant, parse_int=_parse_int)


def js_json_parse(text: str) -> Any:
    """`JSON.parse(text)`; raises ValueError where JavaScript throws SyntaxError."""
    return _decoder.decode(text)
