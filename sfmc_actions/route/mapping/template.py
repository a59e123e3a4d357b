"""`@template`: Segment's mustache-like placeholders (spec §1.4), pre-split at compile time.

Segment renders in two regex passes: `{{{ X }}}` first, then `{{ X }}` over the *output* of the
first pass, with `X` = one or more non-`}` characters, trimmed, looked up with `get()` (no `$.`
removal), written with `String(value ?? "")`. A template without a triple placeholder is split once
into literal text and getters; one with a triple placeholder is rendered by the same two passes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from sfmc_actions.js.operators import template_text
from sfmc_actions.js.values import js_trim
from sfmc_actions.route.mapping.resolve import Getter, compile_getter, get

Renderer = Callable[[Any], str]

_TRIPLE = re.compile(r"\{\{\{([^}]+)\}\}\}")
_DOUBLE = re.compile(r"\{\{([^}]+)\}\}")


def _substitute(pattern: re.Pattern[str], text: str, payload: Any) -> str:
    return pattern.sub(lambda m: template_text(get(payload, js_trim(m.group(1)))), text)


def render(template: str, payload: Any) -> str:
    """Segment's `render(template, data)`, uncompiled (for templates computed at runtime)."""
    return _compiled(template)(payload)


@lru_cache(maxsize=1024)
def _compiled(template: str) -> Renderer:
    return compile_template(template)


def compile_template(template: str) -> Renderer:
    """A renderer for a fixed template string."""
    if _TRIPLE.search(template):
        # Pass 2 scans substituted values too (`{{{a}}}` with a="{{b}}" renders b), so both passes
        # must run on every event.
        def render_two_pass(payload: Any) -> str:
            return _substitute(_DOUBLE, _substitute(_TRIPLE, template, payload), payload)

        return render_two_pass

    literals: list[str] = []
    getters: list[Getter] = []
    position = 0
    for match in _DOUBLE.finditer(template):
        literals.append(template[position : match.start()].replace("%", "%%"))
        getters.append(compile_getter(js_trim(match.group(1))))
        position = match.end()
    literals.append(template[position:].replace("%", "%%"))
    if not getters:
        return lambda payload: template
    layout = "%s".join(literals)  # literal text with one %s per placeholder
    if len(getters) == 1:
        (only,) = getters

        def render_one(payload: Any) -> str:
            value = only(payload)
            return layout % (value if type(value) is str else template_text(value))

        return render_one
    if len(getters) == 2:
        first, second = getters

        def render_two(payload: Any) -> str:
            a = first(payload)
            b = second(payload)
            return layout % (
                a if type(a) is str else template_text(a),
                b if type(b) is str else template_text(b),
            )

        return render_two
    if len(getters) == 3:
        g1, g2, g3 = getters

        def render_three(payload: Any) -> str:
            a, b, c = g1(payload), g2(payload), g3(payload)
            return layout % (
                a if type(a) is str else template_text(a),
                b if type(b) is str else template_text(b),
                c if type(c) is str else template_text(c),
            )

        return render_three
    if len(getters) == 4:
        h1, h2, h3, h4 = getters

        def render_four(payload: Any) -> str:
            a, b, c, d = h1(payload), h2(payload), h3(payload), h4(payload)
            return layout % (
                a if type(a) is str else template_text(a),
                b if type(b) is str else template_text(b),
                c if type(c) is str else template_text(c),
                d if type(d) is str else template_text(d),
            )

        return render_four
    placeholders = tuple(getters)

    def render_many(payload: Any) -> str:
        texts = []
        for getter in placeholders:
            value = getter(payload)
            texts.append(value if type(value) is str else template_text(value))
        return layout % tuple(texts)

    return render_many
