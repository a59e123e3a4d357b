"""`@liquid`: Liquid templates, rendered the way Segment's LiquidJS 10 setup renders them (spec §1.8).

The engine is python-liquid, adjusted to behave like Segment's LiquidJS instance:
* output is written like JavaScript: `undefined`/`null` → "", numbers without `.0`, objects as
  "[object Object]", arrays flattened and concatenated (`liquid_filters.liquid_text`);
* Segment disables the tags `case for include layout render tablerow` (an error when parsed) and
  20 filters (an error when used), with its own messages; unknown filters pass the value through
  (LiquidJS `strictFilters: false`) and unknown tags fail as `tag "x" not found`;
* numeric filters, `join`, `round` and a few LiquidJS-only filters follow LiquidJS
  (`liquid_filters`);
* errors read like LiquidJS's: `<message>, line:L, col:C`.
Templates are limited to 1,000 UTF-16 units, as Segment limits them. With `for` and `tablerow`
disabled nothing loops, so render time is bounded by the template length; output and variables
are capped at Segment's 100 MB memory limit.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, TextIO

from liquid import Environment
from liquid.builtin.output import Output, OutputNode
from liquid.builtin.tags.echo_tag import EchoNode, EchoTag
from liquid.exceptions import LiquidError, LiquidSyntaxError
from liquid.stream import TokenStream
from liquid.tag import Tag
from liquid.template import BoundTemplate
from liquid.token import TOKEN_TAG, Token

from sfmc_actions.errors import MappingError
from sfmc_actions.js.values import utf16_len
from sfmc_actions.route.mapping.liquid_filters import LIQUIDJS_FILTERS, STRING_FILTERS, liquid_text, with_js_text
from sfmc_actions.route.mapping.registry import Compiler, Mode, Resolver, constant, directive, raises

MAX_TEMPLATE_LENGTH = 1000
MEMORY_LIMIT = 100_000_000  # Segment's LiquidJS memoryLimit (1e8)

DISABLED_TAGS = ("case", "for", "include", "layout", "render", "tablerow")
DISABLED_FILTERS = (
    "array_to_sentence_string",
    "concat",
    "find",
    "find_exp",
    "find_index",
    "find_index_exp",
    "group_by",
    "group_by_exp",
    "has",
    "has_exp",
    "map",
    "newline_to_br",
    "reject",
    "reject_exp",
    "reverse",
    "sort",
    "sort_natural",
    "uniq",
    "where_exp",
    "type",
)
_NOT_IN_LIQUIDJS = ("ifchanged", "doc")  # python-liquid tags that LiquidJS does not know


class LiquidJsError(LiquidSyntaxError):
    """An error worded like LiquidJS's (a syntax error so python-liquid's parser lets it through)."""


class _JsOutputNode(OutputNode):
    def render_to_output(self, context: Any, buffer: TextIO) -> int:
        return buffer.write(liquid_text(self.expression.evaluate(context)))


class _JsEchoNode(EchoNode):
    def render_to_output(self, context: Any, buffer: TextIO) -> int:
        return buffer.write(liquid_text(self.expression.evaluate(context)))


class _JsOutput(Output):
    node_class = _JsOutputNode


class _JsEcho(EchoTag):
    node_class = _JsEchoNode


class _UnknownTag(Tag):
    name = "illegal"
    block = False

    def parse(self, stream: TokenStream) -> Any:
        raise LiquidJsError(f'tag "{stream.current.value}" not found', token=stream.current)


def _disabled_tag(tag_name: str) -> type[Tag]:
    class DisabledTag(Tag):
        name = tag_name
        block = False

        def parse(self, stream: TokenStream) -> Any:
            raise LiquidJsError(f'tag "{tag_name}" is disabled', token=stream.current)

    return DisabledTag


def _disabled_filter(filter_name: str) -> Callable[..., Any]:
    def disabled(*args: Any, **kwargs: Any) -> Any:
        raise LiquidJsError(f'filter "{filter_name}" is disabled', token=None)

    return disabled


class _SegmentLiquid(Environment):
    output_stream_limit = MEMORY_LIMIT
    local_namespace_limit = MEMORY_LIMIT


def _environment() -> Environment:
    env = _SegmentLiquid(strict_filters=False)
    for tag in (_JsOutput, _JsEcho, _UnknownTag):
        env.add_tag(tag)
    for name in (*DISABLED_TAGS, *_NOT_IN_LIQUIDJS):
        env.tags.pop(name, None)
    for name in DISABLED_TAGS:
        env.add_tag(_disabled_tag(name))
    for name in STRING_FILTERS:
        if name in env.filters:
            env.filters[name] = with_js_text(env.filters[name])
    for name, func in LIQUIDJS_FILTERS.items():
        env.add_filter(name, func)
    for name in DISABLED_FILTERS:
        env.add_filter(name, _disabled_filter(name))
    return env


_ENV = _environment()


def _located(error: LiquidError, source: str) -> str:
    """`<message>, line:L, col:C` as LiquidJS words it (the column of the `{{` or `{%`)."""
    message = str(error.message) if error.message is not None else type(error).__name__
    token = error.token
    if not isinstance(token, Token) or token.start_index < 0:
        return message
    before = source[: token.start_index]
    line_start = before.rfind("\n") + 1
    opener = max(before.rfind("{%"), before.rfind("{{"))
    column = (opener if opener >= line_start else token.start_index) - line_start + 1
    if token.kind != TOKEN_TAG and opener < line_start:
        column = token.start_index - line_start + 1
    return f"{message}, line:{before.count(chr(10)) + 1}, col:{column}"


@lru_cache(maxsize=512)
def _parse(source: str) -> BoundTemplate | str:
    try:
        return _ENV.from_string(source)
    except LiquidError as e:
        return _located(e, source)


def render_liquid(source: str, payload: Any) -> str:
    """Segment's `evaluateLiquid(source, payload)`."""
    if source == "":
        return ""
    if utf16_len(source) > MAX_TEMPLATE_LENGTH:
        raise MappingError(f"liquid template values are limited to {MAX_TEMPLATE_LENGTH} characters")
    template = _parse(source)
    if isinstance(template, str):
        raise MappingError(template)
    try:
        return template.render(payload if type(payload) is dict else {})
    except LiquidError as e:
        raise MappingError(_located(e, source)) from None
    except (ArithmeticError, ValueError, TypeError, RecursionError) as e:
        raise MappingError(f"liquid template failed: {e}") from None


@directive("@liquid")
def compile_liquid(options: Any, mode: Mode, compile: Compiler) -> Resolver:
    if type(options) is not str:
        return raises("liquid template value must be a string")
    if options == "":
        return constant("")
    return lambda payload: render_liquid(options, payload)
