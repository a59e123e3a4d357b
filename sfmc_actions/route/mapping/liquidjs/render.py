"""Rendering: LiquidJS's Context (scopes, environment, registers, memory limit) and expression evaluation.

Segment renders `parseAndRenderSync(template, event)`: the event is the environment (a non-object one is
boxed as `Object(value)` would box it), assigned variables live in a scope above it, and
`increment`/`decrement` write their counters into the environment itself (so into the event: later
fields of the same mapping see them, which is why a mapping with those tags resolves on a copy).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from sfmc_actions.js.operators import set_array_member
from sfmc_actions.js.undefined import UNDEFINED
from sfmc_actions.js.values import is_array_index, to_utf16_units
from sfmc_actions.route.mapping.liquidjs.lexer import (
    FilteredValue,
    Identifier,
    LiquidError,
    Literal,
    Operator,
    PropertyAccess,
    Range,
)
from sfmc_actions.route.mapping.liquidjs.values import (
    Drop,
    compare,
    equals,
    has_own,
    is_falsy,
    js_string,
    property_key,
    read_property,
    tidy,
    to_number,
    to_value,
)

MEMORY_LIMIT: Final = 100_000_000  # Segment's `memoryLimit: 1e8`


class RenderFailure(Exception):
    """A JavaScript exception thrown while rendering (LiquidJS wraps it with the template's position)."""


class Limiter:
    """LiquidJS `Limiter('memory alloc', 1e8)`: every filter charges what it allocates."""

    __slots__ = ("base",)

    def __init__(self) -> None:
        self.base = 0.0

    def use(self, count: Any) -> None:
        amount = to_number(count)
        if amount > 0:
            if not self.base + amount <= MEMORY_LIMIT:
                raise RenderFailure("memory alloc limit exceeded")
            self.base += amount


class Context:
    """One render's state. `env` is the event (or a boxed primitive); `extra` holds members written
    onto a boxed primitive, which JavaScript keeps on the wrapper object for the rest of the render."""

    __slots__ = ("break_called", "continue_called", "env", "extra", "memory", "registers", "scopes", "source")

    def __init__(self, env: Any, memory: Limiter | None = None, source: str = "") -> None:
        self.source = source
        # Object(null) and Object(undefined) are a fresh empty object; other primitives keep their wrapper.
        self.env = ({} if env is None or env is UNDEFINED else env) if type(env) not in (dict, list, str) else env
        self.extra: dict[str, Any] = {}
        self.scopes: list[dict[str, Any]] = [{}]
        self.registers: dict[str, Any] = {}
        self.break_called = False
        self.continue_called = False
        self.memory = memory or Limiter()

    def spawn(self, env: Any) -> Context:
        return Context(env, self.memory)

    def find_scope(self, key: Any) -> Any:
        name = key if type(key) is str else property_key(key)
        for scope in reversed(self.scopes):
            if name in scope:
                return scope
        if name in self.extra:
            return self.extra
        if has_own(self.env, name):
            return self.env
        return {}  # the globals: an empty object

    def get(self, props: list[Any]) -> Any:
        value = self.find_scope(props[0])
        for prop in props:
            value = read_property(value, prop)
        return value

    def env_member(self, name: str) -> Any:
        if name in self.extra:
            return self.extra[name]
        env = self.env
        if type(env) is dict:
            return env.get(name, UNDEFINED)
        return read_property(env, name) if has_own(env, name) else UNDEFINED

    def set_env_member(self, name: str, value: Any) -> None:
        """`environments[name] = value` (increment/decrement)."""
        env = self.env
        if type(env) is dict:
            env[name] = value
        elif type(env) is list and (is_array_index(name) or name == "length"):
            _assign_array(env, name, value)
        elif type(env) is list and set_array_member(env, name, value):
            pass  # a member of the array itself: later fields of the mapping read it
        elif type(env) is str and (name == "length" or (is_array_index(name) and int(name) < len(to_utf16_units(env)))):
            raise RenderFailure(f"Cannot assign to read only property '{name}' of object '[object String]'")
        else:
            self.extra[name] = value


def _assign_array(array: list[Any], name: str, value: Any) -> None:
    if name == "length":
        length = to_number(value)
        if not (length >= 0 and length == int(length) and length < 2**32):
            raise RenderFailure("Invalid array length")
        del array[int(length) :]
        array.extend([UNDEFINED] * (int(length) - len(array)))
        return
    index = int(name)
    if index >= len(array):
        array.extend([UNDEFINED] * (index + 1 - len(array)))
    array[index] = value


# --- expressions --------------------------------------------------------------------------------------
FilterFunction = Callable[..., Any]
FILTERS: dict[str, FilterFunction] = {}  # filled by the filter modules


def evaluate_token(token: Any, ctx: Context) -> Any:
    """LiquidJS `evalToken`: keeps drops (operators compare them as drops)."""
    kind = type(token)
    if kind is Literal:
        return token.value
    if kind is PropertyAccess:
        props = [to_value(evaluate_token(p, ctx)) for p in token.props]
        if token.variable is not None:
            value = evaluate_token(token.variable, ctx)
            for prop in props:
                value = read_property(value, prop)
            return value
        return ctx.get(props)
    if kind is Identifier:
        return token.value
    if kind is Range:
        return _range(token, ctx)
    if kind is FilteredValue:
        return evaluate(token, ctx)
    return UNDEFINED


def _range(token: Range, ctx: Context) -> list[Any]:
    low = to_value(evaluate_token(token.low, ctx))
    high = to_value(evaluate_token(token.high, ctx))
    ctx.memory.use(to_number(high) - to_number(low) + 1)
    start, stop = to_number(low), to_number(high) + 1
    out: list[Any] = []
    i = start
    while i < stop:
        out.append(tidy(i))
        i += 1
    return out


def _ordered(op: str, left: Any, right: Any) -> bool:
    if isinstance(left, Drop) and left.comparable:
        return False  # nil/empty/blank: gt, geq, lt, leq are all false
    if isinstance(right, Drop) and right.comparable:
        return False
    result = compare(to_value(left), to_value(right))
    if result is None:
        return False
    if op == "<":
        return result < 0
    if op == ">":
        return result > 0
    if op == "<=":
        return result <= 0
    return result >= 0


def _contains(left: Any, right: Any) -> bool:
    left = to_value(left)
    if type(left) is list:
        return any(equals(item, right) for item in left)
    if type(left) is str:
        needle = js_string(to_value(right))
        if left.isascii() and needle.isascii():
            return needle in left
        return to_utf16_units(needle) in to_utf16_units(left)  # indexOf works on UTF-16 code units
    return False


def apply_operator(op: str, left: Any, right: Any) -> Any:
    if op == "==":
        return equals(left, right)
    if op == "!=":
        return not equals(left, right)
    if op == "contains":
        return _contains(left, right)
    if op == "and":
        return not is_falsy(left) and not is_falsy(right)
    if op == "or":
        return not is_falsy(left) or not is_falsy(right)
    return _ordered(op, left, right)


def evaluate(value: FilteredValue, ctx: Context) -> Any:
    """A value expression with its filters (LiquidJS `Value.value`)."""
    operands: list[Any] = []
    for token in value.postfix:
        if type(token) is Operator:
            right = operands.pop() if operands else UNDEFINED
            if token.op == "not":
                operands.append(is_falsy(right))
            else:
                left = operands.pop() if operands else UNDEFINED
                operands.append(apply_operator(token.op, left, right))
        else:
            operands.append(evaluate_token(token, ctx))
    result = operands[0] if operands else UNDEFINED
    for flt in value.filters:
        handler = FILTERS.get(flt.name)
        args = []
        for arg in flt.args:
            if type(arg) is list:
                args.append([arg[0], evaluate_token(arg[1], ctx) if arg[1] is not None else UNDEFINED])
            else:
                args.append(evaluate_token(arg, ctx))
        result = result if handler is None else handler(ctx, result, *args)  # unknown filters pass through
    return result


def wrap_error(error: Exception, source: str, position: int) -> LiquidError:
    """LiquidJS's RenderError/ParseError: the message located at the template that failed."""
    if isinstance(error, LiquidError):
        return error
    if isinstance(error, RecursionError):
        message = "Maximum call stack size exceeded"
    elif isinstance(error, OverflowError | MemoryError):
        message = "memory alloc limit exceeded"
    else:
        message = str(error)
    return LiquidError(message, source, position)
