"""Parsing tokens into templates and rendering them: LiquidJS's Parser, Render and every tag Segment leaves on.

Enabled: assign, capture, comment, cycle, decrement, echo, if, increment, liquid, raw, unless, block, break,
continue and `#`. Segment's `liquid-directive` disables case, for, include, layout, render and tablerow (an
error when parsed); unknown tags fail as `tag "x" not found`. Rendering quirks kept: `{% break %}` and
`{% continue %}` outside a loop stop the rest of the template (the flag is never cleared), `{% cycle %}`
writes nothing for a falsy value (0, ""), `unless` ignores an `elsif` after `else` and a second `else`.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable
from typing import Any, Final

from sfmc_actions.js.undefined import UNDEFINED
from sfmc_actions.route.mapping.liquidjs.lexer import (
    DelimitedToken,
    FilteredValue,
    HtmlToken,
    LiquidError,
    Tokenizer,
)
from sfmc_actions.route.mapping.liquidjs.render import Context, RenderFailure, evaluate, evaluate_token, wrap_error
from sfmc_actions.route.mapping.liquidjs.values import (
    JS_SPACE_CLASS,
    BlockDrop,
    canonical,
    is_falsy,
    is_number,
    js_string,
    js_truthy,
    number,
    stringify,
    tidy,
    to_value,
)

Tokens = deque[HtmlToken | DelimitedToken]
Out = list[str]

DISABLED_TAGS: Final = ("case", "for", "include", "layout", "render", "tablerow")
_INLINE_COMMENT_LINE: Final = re.compile(f"\\n[{JS_SPACE_CLASS}]*[^#{JS_SPACE_CLASS}]")


class Node:
    """A parsed template piece; `render` writes to `out` or returns a value to write (raw, cycle)."""

    position = 0

    def render(self, ctx: Context, out: Out) -> Any:
        return None


def render_templates(templates: list[Node], ctx: Context, out: Out) -> None:
    """LiquidJS `Render.renderTemplates`: errors are located at the template that threw."""
    for template in templates:
        try:
            html = template.render(ctx, out)
            if html is not None and js_truthy(html):
                out.append(stringify(html))
        except (LiquidError, RenderFailure, RecursionError, MemoryError, OverflowError) as e:
            raise wrap_error(e, ctx.source, template.position) from None
        if ctx.break_called or ctx.continue_called:
            break


class Html(Node):
    def __init__(self, text: str) -> None:
        self.text = text

    def render(self, ctx: Context, out: Out) -> Any:
        out.append(self.text)


class Output(Node):
    def __init__(self, value: FilteredValue, position: int) -> None:
        self.value, self.position = value, position

    def render(self, ctx: Context, out: Out) -> Any:
        out.append(stringify(to_value(evaluate(self.value, ctx))))


class Parser:
    """LiquidJS `Parser` for one template."""

    def __init__(self, source: str) -> None:
        self.source = source

    def parse(self) -> list[Node]:
        return self.parse_tokens(deque(Tokenizer(self.source).read_top_level_tokens()))

    def parse_tokens(self, tokens: Tokens) -> list[Node]:
        templates = []
        while tokens:
            templates.append(self.parse_token(tokens.popleft(), tokens))
        return templates

    def parse_token(self, token: HtmlToken | DelimitedToken, tokens: Tokens) -> Node:
        try:
            if isinstance(token, HtmlToken):
                return Html(self.source[token.begin + token.trim_left : token.end - token.trim_right])
            if not token.is_tag:
                reader = Tokenizer(self.source, *token.content)
                return Output(reader.read_filtered_value(), token.begin)
            make = TAGS.get(token.name)
            if make is None:
                raise RenderFailure(f'tag "{token.name}" not found')
            node = make(self, token, tokens)
            node.position = token.begin
            return node
        except LiquidError:
            raise
        except (RenderFailure, TypeError, RecursionError) as e:
            raise wrap_error(e, self.source, token.begin) from None

    def text(self, token: DelimitedToken) -> str:
        return self.source[token.begin : token.end]

    def not_closed(self, token: DelimitedToken) -> RenderFailure:
        return RenderFailure(f"tag {self.text(token)} not closed")

    def until(self, tokens: Tokens, end: str, opener: DelimitedToken, parse: bool = True) -> list[Any]:
        """The tokens up to the `{% end %}` tag (parsed into templates unless `parse` is false)."""
        found: list[Any] = []
        while tokens:
            token = tokens.popleft()
            if isinstance(token, DelimitedToken) and token.is_tag and token.name == end:
                return found
            found.append(self.parse_token(token, tokens) if parse else token)
        raise self.not_closed(opener)

    def stream(
        self,
        tokens: Tokens,
        opener: DelimitedToken,
        handlers: dict[str, Callable[[DelimitedToken], bool]],
        add: Callable[[Node], None],
    ) -> None:
        """LiquidJS `ParseStream`: tag handlers (returning True to stop) and a sink for other templates."""
        while tokens:
            token = tokens.popleft()
            if isinstance(token, DelimitedToken) and token.is_tag and token.name in handlers:
                if handlers[token.name](token):
                    return
                continue
            add(self.parse_token(token, tokens))
        raise self.not_closed(opener)


def _reader(token: DelimitedToken) -> Tokenizer:
    assert token.reader is not None
    return token.reader


def _assert_empty(args: str) -> None:
    if args:
        raise RenderFailure(f"unexpected {json.dumps(args, ensure_ascii=False)}")


# --- tags ---------------------------------------------------------------------------------------------
class Assign(Node):
    def __init__(self, parser: Parser, token: DelimitedToken, tokens: Tokens) -> None:
        reader = _reader(token)
        self.key = reader.read_identifier()
        reader.check(self.key, "expected variable name")
        reader.skip_blank()
        reader.check(reader.peek() == "=", 'expected "="')
        reader.p += 1
        self.value = reader.read_filtered_value()

    def render(self, ctx: Context, out: Out) -> Any:
        ctx.scopes[0][self.key] = evaluate(self.value, ctx)


class Capture(Node):
    def __init__(self, parser: Parser, token: DelimitedToken, tokens: Tokens) -> None:
        reader = _reader(token)
        name = reader.read_identifier()
        if not name:
            quoted = reader.read_quoted()
            if quoted is None:
                raise reader.error("invalid capture name")
            name = quoted.value
        self.name = name
        self.templates = parser.until(tokens, "endcapture", token)

    def render(self, ctx: Context, out: Out) -> Any:
        inner: Out = []
        render_templates(self.templates, ctx, inner)
        ctx.scopes[0][self.name] = canonical("".join(inner))


class Comment(Node):
    def __init__(self, parser: Parser, token: DelimitedToken, tokens: Tokens) -> None:
        parser.until(tokens, "endcomment", token, parse=False)


class Raw(Node):
    def __init__(self, parser: Parser, token: DelimitedToken, tokens: Tokens) -> None:
        inside = parser.until(tokens, "endraw", token, parse=False)
        self.text = "".join(parser.source[t.begin : t.end] for t in inside)

    def render(self, ctx: Context, out: Out) -> Any:
        return self.text


class If(Node):
    def __init__(self, parser: Parser, token: DelimitedToken, tokens: Tokens) -> None:
        first: list[Node] = []
        self.branches: list[tuple[FilteredValue, list[Node]]] = [(_reader(token).read_filtered_value(), first)]
        self.otherwise: list[Node] | None = None
        current = [first]

        def elsif(tag: DelimitedToken) -> bool:
            if self.otherwise is not None:
                raise RenderFailure("unexpected elsif after else")
            current[0] = []
            self.branches.append((_reader(tag).read_filtered_value(), current[0]))
            return False

        def else_(tag: DelimitedToken) -> bool:
            _assert_empty(tag.args)
            if self.otherwise is not None:
                raise RenderFailure("duplicated else")
            self.otherwise = current[0] = []
            return False

        def endif(tag: DelimitedToken) -> bool:
            _assert_empty(tag.args)
            return True

        parser.stream(tokens, token, {"elsif": elsif, "else": else_, "endif": endif}, lambda t: current[0].append(t))

    def render(self, ctx: Context, out: Out) -> Any:
        for value, templates in self.branches:
            if not is_falsy(to_value(evaluate(value, ctx))):
                render_templates(templates, ctx, out)
                return
        render_templates(self.otherwise or [], ctx, out)


class Unless(Node):
    def __init__(self, parser: Parser, token: DelimitedToken, tokens: Tokens) -> None:
        first: list[Node] = []
        self.branches: list[tuple[FilteredValue, bool, list[Node]]] = [
            (_reader(token).read_filtered_value(), False, first)
        ]
        self.otherwise: list[Node] = []
        current = [first]
        elses = [0]

        def elsif(tag: DelimitedToken) -> bool:
            if elses[0] > 0:
                current[0] = []  # an elsif after else is dropped, unparsed
                return False
            current[0] = []
            self.branches.append((_reader(tag).read_filtered_value(), True, current[0]))
            return False

        def else_(tag: DelimitedToken) -> bool:
            elses[0] += 1
            current[0] = self.otherwise
            return False

        def add(template: Node) -> None:
            if current[0] is not self.otherwise or elses[0] == 1:
                current[0].append(template)

        parser.stream(tokens, token, {"elsif": elsif, "else": else_, "endunless": lambda tag: True}, add)

    def render(self, ctx: Context, out: Out) -> Any:
        for value, truthy, templates in self.branches:
            falsy = is_falsy(to_value(evaluate(value, ctx)))
            if falsy != truthy:
                render_templates(templates, ctx, out)
                return
        render_templates(self.otherwise, ctx, out)


class Counter(Node):
    """`increment` / `decrement`: a counter kept in the environment (the event) itself."""

    def __init__(self, parser: Parser, token: DelimitedToken, tokens: Tokens) -> None:
        self.name = _reader(token).read_identifier()
        self.step = 1 if token.name == "increment" else -1

    def render(self, ctx: Context, out: Out) -> Any:
        current = ctx.env_member(self.name)
        if not is_number(current):
            ctx.set_env_member(self.name, 0)
            current = 0
        updated = tidy(number(current) + self.step)
        ctx.set_env_member(self.name, updated)
        out.append(stringify(current if self.step > 0 else updated))


class Cycle(Node):
    def __init__(self, parser: Parser, token: DelimitedToken, tokens: Tokens) -> None:
        reader = _reader(token)
        begin = reader.p
        group = reader.read_value()
        reader.skip_blank()
        self.group: Any = None
        if group is not None:
            if reader.peek() == ":":
                self.group = group
                reader.p += 1
            else:
                reader.p = begin
        self.candidates: list[FilteredValue] = []
        while not reader.end():
            self.candidates.append(reader.read_filtered_value())
            reader.read_to(",")
        reader.check(self.candidates, f'empty candidates: "{parser.text(token)}"')

    def render(self, ctx: Context, out: Out) -> Any:
        group = evaluate_token(self.group, ctx) if self.group is not None else UNDEFINED
        fingerprint = f"cycle:{js_string(group)}:" + ",".join(c.text for c in self.candidates)
        groups = ctx.registers.setdefault("cycle", {})
        index = groups.get(fingerprint, 0)
        groups[fingerprint] = (index + 1) % len(self.candidates)
        return to_value(evaluate(self.candidates[index], ctx))


class Echo(Node):
    def __init__(self, parser: Parser, token: DelimitedToken, tokens: Tokens) -> None:
        reader = _reader(token)
        reader.skip_blank()
        self.value = None if reader.end() else reader.read_filtered_value()

    def render(self, ctx: Context, out: Out) -> Any:
        if self.value is not None:
            out.append(stringify(to_value(evaluate(self.value, ctx))))


class LiquidTag(Node):
    def __init__(self, parser: Parser, token: DelimitedToken, tokens: Tokens) -> None:
        self.templates = parser.parse_tokens(deque(_reader(token).read_liquid_tag_tokens()))

    def render(self, ctx: Context, out: Out) -> Any:
        render_templates(self.templates, ctx, out)


class InlineComment(Node):
    def __init__(self, parser: Parser, token: DelimitedToken, tokens: Tokens) -> None:
        if _INLINE_COMMENT_LINE.search(token.args):
            raise RenderFailure("every line of an inline comment must start with a '#' character")


class Block(Node):
    """`{% block %}` without layouts: renders its content, with `block` (a BlockDrop) in scope."""

    def __init__(self, parser: Parser, token: DelimitedToken, tokens: Tokens) -> None:
        self.templates = parser.until(tokens, "endblock", token)

    def render(self, ctx: Context, out: Out) -> Any:
        ctx.scopes.append({"block": BlockDrop()})
        try:
            render_templates(self.templates, ctx, out)
        finally:
            ctx.scopes.pop()


class Break(Node):
    def __init__(self, parser: Parser, token: DelimitedToken, tokens: Tokens) -> None:
        self.is_break = token.name == "break"

    def render(self, ctx: Context, out: Out) -> Any:
        if self.is_break:
            ctx.break_called = True
        else:
            ctx.continue_called = True


def _disabled(parser: Parser, token: DelimitedToken, tokens: Tokens) -> Node:
    raise RenderFailure(f'tag "{token.name}" is disabled')


TAGS: Final[dict[str, Callable[[Parser, DelimitedToken, Tokens], Node]]] = {
    "assign": Assign,
    "capture": Capture,
    "comment": Comment,
    "raw": Raw,
    "if": If,
    "unless": Unless,
    "increment": Counter,
    "decrement": Counter,
    "cycle": Cycle,
    "echo": Echo,
    "liquid": LiquidTag,
    "#": InlineComment,
    "block": Block,
    "break": Break,
    "continue": Break,
    **dict.fromkeys(DISABLED_TAGS, _disabled),
}


def parse(source: str) -> list[Node]:
    return Parser(source).parse()


def render(templates: list[Node], env: Any, source: str) -> str:
    ctx = Context(env, source=source)
    out: Out = []
    render_templates(templates, ctx, out)
    return canonical("".join(out))
