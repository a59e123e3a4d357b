"""The FQL-only JavaScript number rules; the general ones live in `sfmc_actions.js.values`.

Segment's matcher is TypeScript: number tokens are read with `Number(text)`, numeric comparisons
call `Number(expected)` on whatever the condition stores (a number, a string such as `"99"`, or a
boolean), and text comparisons call `String(expected)`.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Final

from sfmc_actions.js.values import js_to_number

NAN: Final[float] = float("nan")
"""The one NaN used in ASTs, so that equal ASTs compare equal (tuple equality checks identity first)."""


def js_number(value: str | float | bool | None) -> float:
    """`Number(expected)` for a condition's stored value. None is a value the condition never had
    (`undefined`, as `String(undefined)` in conditions.py), so NaN, not `Number(null)`'s 0."""
    return NAN if value is None else js_to_number(value)


def decimal_literal(x: float) -> str:
    """FQL number-token text that `Number()` reads back as exactly `x` (never exponent notation,
    which Segment's lexer cannot read). NaN is written `-`: the lexer reads a lone sign as a number
    token, and `Number("-")` is NaN."""
    if math.isnan(x):
        return "-"
    if math.isinf(x):
        return ("-" if x < 0 else "") + "1" + "0" * 309
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    text = format(Decimal(repr(x)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
