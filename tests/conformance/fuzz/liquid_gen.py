"""Random `@liquid` templates: every tag and filter Segment's LiquidJS setup enables, the ones it disables,
unknown ones, whitespace control and syntax LiquidJS reads leniently.

Left out on purpose, because Segment's own answer is not a function of the input: `sample` on more than one
element (it shuffles with Math.random), `date` of "now"/"today" (the clock), and templates big enough to
approach LiquidJS's 500 ms render limit (a wall-clock limit).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sfmc_actions.route.mapping.liquidjs import DISABLED_FILTERS, DISABLED_TAGS

if TYPE_CHECKING:
    from tests.conformance.fuzz.generate import Generator

DATE_FORMATS = [
    "'%Y-%m-%d'",
    "'%a %b %e %H:%M:%S %Y'",
    "'%-d %B %y'",
    "'%j %U %W %u %w'",
    "'%I:%M %p %P'",
    "'%s'",
    "'%L %N %3N %6N'",
    "'%z %:z'",
    "'%^a %#B %_m %010d %-H'",
    "'%q %C %h %k %l %D'",
    "'%F %T %E %%'",
    "'%A, %B %-e, %Y at %-l:%M %P %z'",
    "'%Z'",
    "'%c'",
    "'%x %X'",
    "'%Ey %Od'",
    "nil",
    "''",
    "5",
]
FIXED_PROPERTIES = ["s", "n", "arr", "obj", "z", "huge", "date", "t", "nul", "idx", "words", "nums", "missing"]
TIMEZONES = [
    "360",
    "-480",
    "0",
    "'Asia/Tokyo'",
    "'America/New_York'",
    "'UTC'",
    "'Europe/Paris'",
    "'+08:00'",
    "'Invalid/Zone'",
]


class LiquidGenerator:
    """Templates built from the same random source as the rest of the case."""

    def __init__(self, gen: Generator) -> None:
        self.g = gen
        self.filters: dict[str, Callable[[], list[str]]] = {
            "escape": self._none,
            "xml_escape": self._none,
            "escape_once": self._none,
            "strip_html": self._none,
            "abs": self._none,
            "at_least": lambda: [self.number_arg()],
            "at_most": lambda: [self.number_arg()],
            "ceil": self._none,
            "floor": self._none,
            "divided_by": lambda: [self.number_arg()] + (["true"] if self.g.chance(0.2) else []),
            "minus": lambda: [self.number_arg()],
            "plus": lambda: [self.number_arg()],
            "modulo": lambda: [self.number_arg()],
            "times": lambda: [self.number_arg()],
            "round": lambda: [self.number_arg()] if self.g.chance(0.6) else [],
            "url_decode": self._none,
            "url_encode": self._none,
            "cgi_escape": self._none,
            "uri_escape": self._none,
            "slugify": lambda: self._some(
                ["'default'", "'raw'", "'pretty'", "'ascii'", "'latin'", "'none'", "'x'"], ["true", "false"]
            ),
            "join": lambda: self._some([self.string_arg(), "nil", "1"]),
            "last": self._none,
            "first": self._none,
            "size": self._none,
            "sum": lambda: self._some(["'a'", "'n'", "'1'", "nil"]),
            "compact": self._none,
            "push": lambda: [self.arg()],
            "unshift": lambda: [self.arg()],
            "pop": self._none,
            "shift": self._none,
            "slice": lambda: [self.number_arg()] + ([self.number_arg()] if self.g.chance(0.6) else []),
            "where": lambda: (
                [self.g.pick(["'a'", "'b'", "'a.b'", "'1'", "nil"])] + ([self.arg()] if self.g.chance(0.7) else [])
            ),
            "date": lambda: [self.g.pick(DATE_FORMATS)] + ([self.g.pick(TIMEZONES)] if self.g.chance(0.3) else []),
            "date_to_xmlschema": self._none,
            "date_to_rfc822": self._none,
            "date_to_string": lambda: self._some(["'ordinal'", "'x'"], ["'US'", "'UK'"]),
            "date_to_long_string": lambda: self._some(["'ordinal'", "'x'"], ["'US'", "'UK'"]),
            "append": lambda: [self.arg()] if self.g.chance(0.95) else self.g.pick([[], [self.arg(), self.arg()]]),
            "prepend": lambda: [self.arg()] if self.g.chance(0.95) else [],
            "lstrip": lambda: self._some(["'a'", "'ab'", "' x'", "'😀'", "1"]),
            "rstrip": lambda: self._some(["'a'", "'ab'", "' x'", "'😀'", "1"]),
            "strip": lambda: self._some(["'a'", "'ab'", "' x'", "'😀'", "1"]),
            "downcase": self._none,
            "upcase": self._none,
            "remove": lambda: [self.string_arg()],
            "remove_first": lambda: [self.string_arg()],
            "remove_last": lambda: [self.string_arg()],
            "split": lambda: [self.g.pick(["','", "' '", "''", "'a'", "'😀'", "nil", "1"])],
            "strip_newlines": self._none,
            "squish": self._none,
            "capitalize": self._none,
            "replace": lambda: [self.string_arg(), self.string_arg()],
            "replace_first": lambda: [self.string_arg(), self.string_arg()],
            "replace_last": lambda: [self.string_arg(), self.string_arg()],
            "truncate": lambda: self._some([self.number_arg(), "'5'"], [self.string_arg()]),
            "truncatewords": lambda: self._some([self.number_arg()], [self.string_arg()]),
            "normalize_whitespace": self._none,
            "number_of_words": lambda: self._some(["'cjk'", "'auto'", "'x'"]),
            "base64_encode": self._none,
            "base64_decode": self._none,
            "sha256": self._none,
            "hmac_sha256": lambda: [self.string_arg()] if self.g.chance(0.9) else [],
            "default": lambda: [self.arg()] + (["allow_false: true"] if self.g.chance(0.3) else []),
            "raw": self._none,
            "json": lambda: self._some(["2", "0", "'  '", "nil"]),
            "jsonify": lambda: self._some(["2"]),
            "inspect": lambda: self._some(["2", "0"]),
            "to_integer": self._none,
        }

    # --- arguments and expressions ---
    def _none(self) -> list[str]:
        return []

    def _some(self, *positions: list[str]) -> list[str]:
        out = []
        for choices in positions:
            if not self.g.chance(0.6):
                break
            out.append(self.g.pick(choices))
        return out

    def quoted(self, text: str) -> str:
        quote = "'" if "'" not in text else '"'
        if quote in text:
            text = text.replace('"', "")
        return quote + text + quote

    def string_arg(self) -> str:
        r = self.g.rng.random()
        if r < 0.6:
            return self.quoted(
                self.g.pick(["", "a", "b", " ", ",", "😀", "\ud83d", "&", "<", "x", "ab", "A", "-", "..."])
            )
        if r < 0.7:
            return self.g.pick(["'a\\nb'", '"\\u0041\\t"', "'\\101'", "'it\\'s'", "'\\x'"])
        return self.value_expr()

    def number_arg(self) -> str:
        return self.g.pick(
            [
                "0",
                "1",
                "2",
                "3",
                "-1",
                "-2",
                "2.5",
                "-0",
                "0.5",
                "10",
                "'3'",
                "'x'",
                "nil",
                "empty",
                "1.",
                "007",
                "properties.n",
                "properties.s",
                "properties.z",
                "properties.huge",
                "1e3",
            ]
        )

    def arg(self) -> str:
        return self.value_expr() if self.g.chance(0.6) else self.string_arg()

    def variable(self) -> str:
        r = self.g.rng.random()
        if r < 0.1:
            return self.g.pick(
                [
                    "size",
                    "first",
                    "last",
                    "[0]",
                    "['properties']['s']",
                    '["properties"].arr',
                    "properties[properties.s]",
                    "properties.arr[-1]",
                    "properties.arr[1 2]",
                    "properties.s[0]",
                    "properties.s.length",
                    "properties.s.first",
                    "properties.idx[1]",
                    "properties.idx['1']",
                    "properties.idx.size",
                    "userId",
                    "type",
                    "event",
                    "v",
                    "w",
                    "c",
                    "block",
                    "forloop",
                ]
            )
        if r < 0.75:
            text = "properties." + self.g.pick(FIXED_PROPERTIES)
            if self.g.chance(0.35):
                text += self.g.pick(
                    [".size", ".first", ".last", "[0]", "[1]", ".length", "[-1]", ".a", ".b", "['1']", "[1]", ".0"]
                )
            return text
        if r < 0.85:
            return self.g.pick(
                [
                    "traits.email",
                    "traits.plan",
                    "traits.age",
                    "userId",
                    "event",
                    "type",
                    "context.library.name",
                    "anonymousId",
                    "name",
                    "timestamp",
                ]
            )
        segments = self.g.path_segments()
        text = segments[0]
        for segment in segments[1:]:
            if (
                segment
                and all(c.isascii() and (c.isalnum() or c in "_-") for c in segment)
                and not (segment[0].isdigit() and self.g.chance(0.5))
            ):
                text += "." + segment
            elif segment.isdigit():
                text += f"[{segment}]"
            else:
                text += "[" + self.quoted(segment) + "]"
        return text

    def literal(self) -> str:
        return self.g.pick(
            [
                "true",
                "false",
                "nil",
                "null",
                "empty",
                "blank",
                "1",
                "-1",
                "2.5",
                "0",
                "-0",
                "007",
                "1.",
                "'abc'",
                "''",
                "' '",
                "'😀'",
                '"it\'s"',
                "'1'",
                "'true'",
                "(1..3)",
                "(3..1)",
                "(properties.n..3)",
                "('a'..'c')",
                "(1.5..4)",
                "(0..0)",
            ]
        )

    def value_expr(self) -> str:
        return self.variable() if self.g.chance(0.65) else self.literal()

    def filter_chain(self) -> str:
        parts = []
        for _ in range(self.g.rng.randint(0, 3)):
            r = self.g.rng.random()
            if r < 0.96:
                name = self.g.pick(list(self.filters))
                args = self.filters[name]()
            elif r < 0.98:
                name = self.g.pick(DISABLED_FILTERS)
                args = []
            else:
                name = self.g.pick(["nope", "upcase_all", "base64_url_safe_encode", "t"])
                args = [self.arg()] if self.g.chance(0.5) else []
            parts.append(f" | {name}" + (": " + ", ".join(args) if args else ""))
        return "".join(parts)

    def filtered(self) -> str:
        return self.value_expr() + self.filter_chain()

    def condition(self) -> str:
        r = self.g.rng.random()
        if r < 0.25:
            return self.value_expr()
        if r < 0.75:
            op = self.g.pick(["==", "!=", "<", ">", "<=", ">=", "contains", "==", "<>"])
            return f"{self.value_expr()} {op} {self.value_expr()}"
        if r < 0.85:
            return f"not {self.value_expr()}"
        joined = f"{self.value_expr()} {self.g.pick(['==', '<', 'contains'])} {self.value_expr()}"
        return f"{joined} {self.g.pick(['and', 'or'])} {self.condition()}"

    # --- template pieces ---
    def text(self) -> str:
        return self.g.pick(["", "x", " ", "Hi ", "\n", " - ", "😀", "a,b", "}", "{", "%", "-}}", "'"])

    def output(self) -> str:
        open_, close = self.g.pick([("{{ ", " }}"), ("{{", "}}"), ("{{- ", " -}}"), ("{{ ", " -}}")])
        return open_ + self.filtered() + close

    def tag(self, depth: int) -> str:
        r = self.g.rng.random()
        body = (lambda: self.body(depth + 1, 2)) if depth < 2 else self.text
        if r < 0.2:
            out = "{% if " + self.condition() + " %}" + body()
            if self.g.chance(0.3):
                out += "{% elsif " + self.condition() + " %}" + body()
            if self.g.chance(0.5):
                out += "{% else %}" + body()
            return out + "{% endif %}"
        if r < 0.27:
            out = "{% unless " + self.condition() + " %}" + body()
            if self.g.chance(0.4):
                out += "{% else %}" + body()
            return out + "{% endunless %}"
        if r < 0.4:
            name = self.g.pick(["v", "w", "properties", "userId", "x"])
            return (
                "{% assign "
                + name
                + " = "
                + self.filtered()
                + " %}"
                + self.g.pick(["{{ " + name + " }}", "", "{{ " + name + " | size }}"])
            )
        if r < 0.46:
            name = self.g.pick(["v", "w", "'q'"])
            used = name.strip("'")
            return "{% capture " + name + " %}" + body() + "{% endcapture %}" + "{{ " + used + " }}"
        if r < 0.53:
            name = self.g.pick(["c", "c", "properties", "userId", "n", "type", ""])
            tag = self.g.pick(["increment", "decrement"])
            return "{% " + tag + " " + name + " %}" + ("{{ " + name + " }}" if name and self.g.chance(0.5) else "")
        if r < 0.58:
            values = ", ".join(
                self.g.pick(["'a'", "'b'", "1", "0", "''", "nil", "properties.s"])
                for _ in range(self.g.rng.randint(1, 3))
            )
            group = self.g.pick(["", "'g': ", "g: "]) if self.g.chance(0.3) else ""
            tag = "{% cycle " + group + values + " %}"
            return tag * self.g.rng.randint(1, 3)
        if r < 0.64:
            return "{% echo " + self.filtered() + " %}" if self.g.chance(0.9) else "{% echo %}"
        if r < 0.68:
            lines = [
                self.g.pick(
                    [
                        "assign v = " + self.filtered(),
                        "echo " + self.filtered(),
                        "if " + self.condition(),
                        "endif",
                        "else",
                        "increment c",
                        "# note",
                        "",
                        "cycle 'a', 'b'",
                    ]
                )
                for _ in range(self.g.rng.randint(1, 4))
            ]
            return "{% liquid\n" + "\n".join(lines) + "\n%}"
        if r < 0.71:
            return "{% raw %}" + self.g.pick(["{{ x }}", "{% if %}", "a", ""]) + "{% endraw %}"
        if r < 0.74:
            return "{% comment %}" + self.g.pick(["x", "{{ y }}", "{% if %}"]) + "{% endcomment %}"
        if r < 0.76:
            return "{% # " + self.g.pick(["note", "a\n# b", "a\nb"]) + " %}"
        if r < 0.79:
            return (
                "{% block "
                + self.g.pick(["b", "", "x y"])
                + " %}"
                + body()
                + self.g.pick(["", "{{ block.super }}", "{{ block }}"])
                + "{% endblock %}"
            )
        if r < 0.83:
            return self.g.pick(["{% break %}", "{% continue %}"])
        if r < 0.85:
            tag = self.g.pick(DISABLED_TAGS)
            return "{% " + tag + " x in properties.arr %}" + self.text() + "{% end" + tag + " %}"
        if r < 0.97:
            return "{%- if " + self.condition() + " -%} " + self.output() + " {%- endif -%}"
        return self.g.pick(
            [
                "{% nope %}",
                "{% if %}x{% endif %}",
                "{% endif %}",
                "{% if true %}x",
                "{% else %}",
                "{% if true %}a{% else x %}b{% endif %}",
                "{% if true %}a{% else %}b{% else %}c{% endif %}",
                "{% if false %}a{% else %}b{% elsif true %}c{% endif %}",
                "{% unless false %}a{% else %}b{% else %}c{% endunless %}",
                "{% assign = 1 %}",
                "{% assign v 1 %}",
                "{% capture %}x{% endcapture %}",
                "{% %}",
                "{%",
                "{% raw %}x",
                "{% comment %}x",
                "{% cycle %}",
            ]
        )

    def soup(self) -> str:
        return self.g.pick(
            [
                "{{ properties.s | }}",
                "{{ e d }}",
                "{{ [] }}",
                "{{ }}",
                "{{",
                "}}",
                "{{ properties.s | | upcase }}",
                "{{ properties.s | upcase: }}",
                "{{ properties.s | append 'x' }}",
                "{{ 'unclosed }}",
                "{{ properties.arr[ }}",
                "{{ (1..) }}",
                "{{ (1) }}",
                "{{ properties.obj. }}",
                "{{ properties.s | t: empty }}",
                "{{ == 1 }}",
                "{{ 1 == }}",
                "{{ not }}",
                "{{ a b c }}",
                "{{ properties.s,x }}",
                "{{ properties.s)x }}",
                "{{ - }}",
                "{{ -x }}",
                "{{ 1.2.3 }}",
                "{{ 'a' 'b' }}",
                "{{ 'a' | append: 'b' 'c' }}",
                "{{ 'a' | append: k: 'v' }}",
                "{{ “smart” }}",
                "{{ properties.s | default: 'x', allow_false: true, y }}",
                '{{ "}}" }}',
                "{{ '%}' }}",
                "{{ nil | sample }}",
                "{{ 'a' | sample }}",
                "{{ properties.nul | sample: 2 }}",
            ]
        )

    def piece(self, depth: int) -> str:
        r = self.g.rng.random()
        if r < 0.3:
            return self.text()
        if r < 0.65:
            return self.output()
        if r < 0.97:
            return self.tag(depth)
        return self.soup()

    def body(self, depth: int, size: int) -> str:
        return "".join(self.piece(depth) for _ in range(self.g.rng.randint(0, size)))

    def template(self, short: bool = False) -> str:
        text = self.body(0, 2 if short else 4)
        if not text or self.g.chance(0.05):
            text += self.output()
        from sfmc_actions.js.values import from_utf16_units, utf16_len

        text = from_utf16_units(text)
        return text if utf16_len(text) <= 1000 else text[:500]
