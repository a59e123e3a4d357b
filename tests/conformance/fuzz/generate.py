"""Random cases for the differential fuzz: events, FQL triggers, mappings with every directive, `@liquid`.

Everything comes from one `random.Random(seed)`, so a seed replays the same cases. The values lean on the
corners where Python and JavaScript differ: index-like object keys ("1", "01", "4294967295") in an order
JavaScript would change, astral characters and lone surrogates, `-0`, `1e21`, integers above 2**53, strings
that look like numbers, dates and HTML, and the names Liquid and mapping-kit treat specially (`size`, `first`,
`last`, `length`, `empty`, `nil`). No key is a JavaScript prototype member name (`constructor`, `toString`,
`at`, ...): treating those as absent is a documented difference.

Strings are kept in the form JavaScript would hold them after JSON.parse: a high surrogate followed by a low
one is one astral character, so neither side sees a pair the other reads as two halves.
"""

from __future__ import annotations

import random
from typing import Any

from sfmc_actions.js.values import from_utf16_units
from tests.conformance.fuzz import liquid_gen

# Names on Object.prototype, Array.prototype and String.prototype: Segment's get() and FQL read them from
# the prototype; we treat them as absent (documented). Generated keys and path segments avoid them.
PROTOTYPE_NAMES = frozenset(
    [
        "constructor",
        "__proto__",
        "__defineGetter__",
        "__defineSetter__",
        "__lookupGetter__",
        "__lookupSetter__",
        "hasOwnProperty",
        "isPrototypeOf",
        "propertyIsEnumerable",
        "toLocaleString",
        "toString",
        "valueOf",
        "at",
        "concat",
        "copyWithin",
        "entries",
        "every",
        "fill",
        "filter",
        "find",
        "findIndex",
        "findLast",
        "findLastIndex",
        "flat",
        "flatMap",
        "forEach",
        "includes",
        "indexOf",
        "join",
        "keys",
        "lastIndexOf",
        "map",
        "pop",
        "push",
        "reduce",
        "reduceRight",
        "reverse",
        "shift",
        "slice",
        "some",
        "sort",
        "splice",
        "toReversed",
        "toSorted",
        "toSpliced",
        "unshift",
        "values",
        "with",
        "anchor",
        "big",
        "blink",
        "bold",
        "charAt",
        "charCodeAt",
        "codePointAt",
        "endsWith",
        "fixed",
        "fontcolor",
        "fontsize",
        "isWellFormed",
        "italics",
        "link",
        "localeCompare",
        "match",
        "matchAll",
        "normalize",
        "padEnd",
        "padStart",
        "repeat",
        "replace",
        "replaceAll",
        "search",
        "small",
        "split",
        "startsWith",
        "strike",
        "sub",
        "substr",
        "substring",
        "sup",
        "toLocaleLowerCase",
        "toLocaleUpperCase",
        "toLowerCase",
        "toUpperCase",
        "toWellFormed",
        "trim",
        "trimEnd",
        "trimLeft",
        "trimRight",
        "trimStart",
        "equals",
        "gt",
        "geq",
        "lt",
        "leq",
        "liquidMethodMissing",
    ]
)

KEYS = [
    "a",
    "b",
    "s",
    "n",
    "arr",
    "obj",
    "name",
    "email",
    "total",
    "tags",
    "x y",
    "0",
    "1",
    "2",
    "01",
    "-1",
    "4294967294",
    "4294967295",
    "size",
    "first",
    "last",
    "length",
    "é",
    "😀",
    "\ud83d",
    "nil",
    "empty",
    "blank",
    "true",
    "and",
    "or",
    "contains",
    "e",
    "d",
    "$",
    "a.b",
    "",
    "_x",
    "k-1",
]

WORDS = [
    "",
    "a",
    "abc",
    "Hello World",
    " padded ",
    "x y\tz\nw",
    "track",
    "identify",
    "Order Completed",
    "order completed",
    "Signed Up",
    "ada@example.com",
    "ÀÉÎ õü",
    "straße",
    "İstanbul",
    "ǅ",
    "ſ",
    "K",
    "😀",
    "a😀b",
    "\ud83d",
    "\ude00",
    "x\ud83dy",
    "日本語のテキスト",
    "한국어",
    "\u2028",
    "\ufeff a \u00a0",
    "<b>Tom & Jerry's</b>",
    "&amp;lt;&#39;",
    "{{ x }}",
    "{% if %}",
    "a,b,,c",
    "a|b",
    "%20+%2B",
    "Hi 😀!",
    "it's",
    'say "hi"',
    "\\n",
    "TRUE",
    "null",
    "undefined",
    "NaN",
    "Infinity",
    "-0",
    "0",
    "1",
    "007",
    "1.50",
    " 12 ",
    "1e21",
    "0x1F",
    "0b101",
    "1_000",
    "9007199254740993",
    "3.14abc",
    "2024-01-05T10:20:30Z",
    "2024-01-05",
    "2024-01-05T10:20:30.123+02:00",
    "2024-02-30T00:00:00Z",
    "Jan 5 2024",
    "Fri, 05 Jan 2024 10:20:30 GMT",
    "05/01/2024 10:00",
    "1700000000",
    "not a date",
    "SGVsbG8=",
    "aGk",
    "a b c d e f g h i j k l m n o p q",
    "word  words   more",
    "café-au-lait_OK",
]

NUMBERS: list[int | float] = [
    0,
    -0.0,
    1,
    -1,
    2,
    7,
    2.5,
    -2.5,
    0.1,
    0.5,
    1.005,
    3.14159,
    100.0,
    1e21,
    1e-7,
    123456.789,
    -17.25,
    2**53,
    2**53 + 1,
    2**64 + 5,
    123456789012345678901234,
    1e300,
    1700000000,
    4294967295,
]


def _canonical(text: str) -> str:
    return from_utf16_units(text)


class Generator:
    """Seeded random events, triggers and mappings."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.liquid = liquid_gen.LiquidGenerator(self)

    # --- scalars and values ---
    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, items: list[Any] | tuple[Any, ...]) -> Any:
        return items[self.rng.randrange(len(items))]

    def word(self) -> str:
        if self.chance(0.15):
            return _canonical("".join(self.pick(WORDS) for _ in range(self.rng.randint(2, 3))))
        return self.pick(WORDS)

    def number(self) -> int | float:
        if self.chance(0.2):
            return self.rng.randint(-50, 50)
        if self.chance(0.1):
            return round(self.rng.uniform(-1000, 1000), self.rng.randint(0, 4))
        return self.pick(NUMBERS)

    def key(self) -> str:
        return self.pick(KEYS)

    def scalar(self) -> Any:
        r = self.rng.random()
        if r < 0.45:
            return self.word()
        if r < 0.8:
            return self.number()
        if r < 0.9:
            return self.chance(0.5)
        return None

    def value(self, depth: int = 0) -> Any:
        r = self.rng.random()
        if depth >= 3 or r < 0.6:
            return self.scalar()
        if r < 0.8:
            return [self.value(depth + 1) for _ in range(self.rng.randint(0, 4))]
        return self.obj(depth + 1)

    def obj(self, depth: int = 0) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for _ in range(self.rng.randint(0, 5)):
            out[self.key()] = self.value(depth)
        return out

    # --- events ---
    def event(self) -> dict[str, Any]:
        kind = self.pick(["track", "track", "identify", "page", "screen", "group", "alias", "other"])
        event: dict[str, Any] = {}
        if kind != "other" or self.chance(0.5):
            event["type"] = kind if kind != "other" else self.word()
        if kind == "track" or self.chance(0.1):
            event["event"] = (
                self.pick(["Order Completed", "Signed Up", "Product Viewed", "🎉 Launch"])
                if self.chance(0.7)
                else self.scalar()
            )
        if self.chance(0.85):
            event["userId"] = self.pick(["u1", "user-2", "4242", ""]) if self.chance(0.8) else self.scalar()
        if self.chance(0.4):
            event["anonymousId"] = self.pick(["anon-1", "a😀"]) if self.chance(0.8) else self.scalar()
        if self.chance(0.3):
            event["name"] = self.word()
        properties = self.properties()
        if kind in ("track", "page", "screen", "other") or self.chance(0.2):
            event["properties"] = properties if self.chance(0.95) else self.scalar()
        if kind in ("identify", "group") or self.chance(0.25):
            event["traits"] = self.traits()
        if self.chance(0.5):
            context: dict[str, Any] = {"ip": "1.2.3.4", "library": {"name": "analytics.js", "version": "2.1"}}
            if self.chance(0.4):
                context["traits"] = self.traits()
            if self.chance(0.3):
                context[self.key()] = self.value(1)
            event["context"] = context
        if self.chance(0.5):
            event["timestamp"] = self.pick(["2024-01-05T10:20:30.123Z", "2023-12-31T23:59:59Z", "2024-06-01"])
        if self.chance(0.2):
            event[self.key()] = self.value(1)
        return self._shuffled(event)

    def properties(self) -> dict[str, Any]:
        props: dict[str, Any] = {}
        fixed = {
            "s": lambda: self.word(),
            "n": lambda: self.number(),
            "arr": lambda: [self.value(2) for _ in range(self.rng.randint(0, 5))],
            "obj": lambda: self.obj(1),
            "z": lambda: -0.0,
            "huge": lambda: self.pick([2**53 + 1, 2**64 + 5, 1e21, 123456789012345678901234]),
            "date": lambda: self.pick([w for w in WORDS if w[:1].isdigit() or w[:3] in ("Jan", "Fri", "not")]),
            "t": lambda: self.chance(0.5),
            "nul": lambda: None,
            "idx": lambda: self._index_keyed(),
            "words": lambda: [self.word() for _ in range(self.rng.randint(0, 4))],
            "nums": lambda: [self.number() for _ in range(self.rng.randint(0, 4))],
        }
        for name, make in fixed.items():
            if self.chance(0.55):
                props[name] = make()
        for _ in range(self.rng.randint(0, 3)):
            props[self.key()] = self.value(1)
        return self._shuffled(props)

    def traits(self) -> dict[str, Any]:
        traits: dict[str, Any] = {}
        if self.chance(0.7):
            traits["email"] = self.pick(["ada@example.com", "", "BOB@Example.COM", None, "x😀@y.z"])
        if self.chance(0.5):
            traits["plan"] = self.pick(["enterprise", "free", "pro", 3])
        if self.chance(0.4):
            traits["age"] = self.number()
        if self.chance(0.3):
            traits[self.key()] = self.value(1)
        return traits

    def _index_keyed(self) -> dict[str, Any]:
        keys = ["b", "10", "1", "a", "0", "01", "4294967294", "4294967295", "-1", "2"]
        self.rng.shuffle(keys)
        return {k: self.scalar() for k in keys[: self.rng.randint(2, len(keys))]}

    def _shuffled(self, mapping: dict[str, Any]) -> dict[str, Any]:
        items = list(mapping.items())
        if self.chance(0.3):
            self.rng.shuffle(items)
        return dict(items)

    # --- paths (mapping-kit get() and Liquid variables) ---
    def path_segments(self) -> list[str]:
        root = self.pick(["properties", "properties", "properties", "traits", "context", "event", "userId", "type"])
        segments = [root]
        if root in ("properties", "traits", "context"):
            for _ in range(self.rng.randint(0, 3)):
                segments.append(
                    self.pick(["s", "n", "arr", "obj", "z", "huge", "date", "t", "nul", "idx", "words", "nums"])
                    if len(segments) == 1 and self.chance(0.7)
                    else self.key()
                )
        return segments

    def mapping_path(self) -> str:
        r = self.rng.random()
        if r < 0.03:
            return self.pick(
                ["$.", "$", "", ".", "$.$.", "properties..s", "$.properties[0]", "properties['s']", 'properties["x y"]']
            )
        segments = self.path_segments()
        text = segments[0]
        for segment in segments[1:]:
            if segment.isdigit() and self.chance(0.5):
                text += f"[{segment}]"
            elif self.chance(0.1):
                text += f'["{segment}"]'
            else:
                text += "." + segment
        if self.chance(0.1):
            text += self.pick([".length", "[0]", ".0", "[1]"])
        return ("$." if self.chance(0.8) else "") + text

    # --- FQL triggers ---
    def fql_field(self) -> str:
        r = self.rng.random()
        if r < 0.25:
            return self.pick(["type", "event", "name", "userId"])
        if r < 0.3:
            return self.pick(
                ["context.traits.email", "traits.plan", "properties", "foo", "event.x", "AND", "properties.a-b"]
            )
        segments = self.path_segments()
        if segments[0] not in ("properties", "traits", "context"):
            segments = ["properties", *segments[1:]] if len(segments) > 1 else ["properties", self.key()]
        return ".".join(self._fql_ident(s) for s in segments)

    def _fql_ident(self, segment: str) -> str:
        if segment and all(c.isascii() and (c.isalnum() or c in "_-") for c in segment) and not segment[0].isdigit():
            return segment
        if not segment:
            return "x"
        # Escape every character an identifier cannot hold (also the halves of astral characters).
        units = []
        for char in segment:
            if ord(char) > 0xFFFF:
                code = ord(char) - 0x10000
                units += [chr(0xD800 + (code >> 10)), chr(0xDC00 + (code & 0x3FF))]
            else:
                units.append(char)
        return "".join(c if c.isascii() and (c.isalnum() or c == "_") else "\\" + c for c in units)

    def fql_value(self) -> str:
        r = self.rng.random()
        if r < 0.35:
            word = self.word().replace('"', "")
            return f'"{word}"'
        if r < 0.6:
            number = self.number()
            if type(number) is float and number == 0:
                return "-0"
            text = repr(number) if type(number) is float else str(number)
            return text
        return self.pick(
            [
                "true",
                "false",
                "null",
                "'single'",
                '"track"',
                '"Order Completed"',
                '"Order*"',
                '"*ed"',
                '""',
                "007",
                "1e3",
                "-1.5",
                "Infinity",
                "bare",
                '"100"',
            ]
        )

    def fql_condition(self) -> str:
        r = self.rng.random()
        field = self.fql_field()
        if r < 0.6:
            op = self.pick(["=", "!=", "<", "<=", ">", ">=", "=", "!="])
            return f"{field} {op} {self.fql_value()}"
        if r < 0.8:
            function = self.pick(["contains", "match", "!contains", "!match"])
            value = self.word().replace('"', "")
            if function.endswith("match") and self.chance(0.6):
                value = self.pick(["*", "", "a*", "*a", "Order*", "*ed"]) if self.chance(0.5) else value + "*"
            return f'{function}({field}, "{value}")'
        if r < 0.9:
            value = self.pick(["track", "identify", "page", "Order Completed", "Signed Up"])
            return f'{self.pick(["type", "event"])} = "{value}"'
        return self.pick(["(", ")", "!", "!(", ",", "and", "or", "AND", f"{field} = ", "[", 'properties.\\😀 != "x"'])

    def trigger(self) -> str:
        parts = [self.fql_condition()]
        for _ in range(self.rng.randint(0, 3)):
            parts.append(self.pick(["and", "or", "and", "or", "AND", ""]))
            condition = self.fql_condition()
            if self.chance(0.2):
                condition = f"({condition} {self.pick(['and', 'or'])} {self.fql_condition()})"
            elif self.chance(0.05):
                condition = f"!({condition})"
            parts.append(condition)
        text = " ".join(p for p in parts if p)
        if self.chance(0.03):
            text = text.replace(" ", self.pick(["  ", "\t", "\n", "\r"]))
        return _canonical(text)

    # --- mappings ---
    def mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for _ in range(self.rng.randint(1, 4)):
            out[self.pick(["a", "b", "c", "1", "0", "x y", "values", "10", "key"])] = self.node(0)
        if self.chance(0.03):
            out = {
                "__segment_internal_directive": {
                    "@merge": {"objects": [{"@path": "$.properties"}], "direction": "right"}
                },
                **out,
            }
        return out

    def node(self, depth: int) -> Any:
        r = self.rng.random()
        if depth >= 3 or r < 0.15:
            return self.scalar()
        if r < 0.2:
            return {self.pick(["k", "1", "0", "z"]): self.node(depth + 1) for _ in range(self.rng.randint(0, 3))}
        if r < 0.23:
            return [self.node(depth + 1) for _ in range(self.rng.randint(0, 3))]
        return self.directive(depth)

    def directive(self, depth: int) -> dict[str, Any]:
        name = self.pick(DIRECTIVES)
        make = getattr(self, "_d_" + name[1:])
        node: dict[str, Any] = {name: make(depth + 1)}
        if self.chance(0.02):
            node["_metadata"] = {"label": "x"}
        return node

    def _sub(self, depth: int) -> Any:
        if self.chance(0.55):
            return {"@path": self.mapping_path()}
        return self.node(depth)

    def _d_path(self, depth: int) -> Any:
        return self.mapping_path() if self.chance(0.95) else self._sub(depth)

    def _d_template(self, depth: int) -> Any:
        pieces = []
        for _ in range(self.rng.randint(1, 4)):
            r = self.rng.random()
            if r < 0.5:
                pieces.append(
                    "{{" + self.pick(["", " "]) + self.mapping_path().removeprefix("$.") + self.pick(["", " "]) + "}}"
                )
            elif r < 0.6:
                pieces.append("{{{" + self.mapping_path() + "}}}")
            else:
                pieces.append(self.pick(["Hi ", " - ", "{{", "}}", "{", "%s", "😀", "{{ }}", "$", "\\"]))
        return "".join(pieces) if self.chance(0.95) else self._sub(depth)

    def _d_literal(self, depth: int) -> Any:
        return self.node(depth)

    def _d_if(self, depth: int) -> Any:
        options: dict[str, Any] = {}
        condition = "exists" if self.chance(0.6) else "blank"
        options[condition] = self._sub(depth)
        if self.chance(0.8):
            options["then"] = self.node(depth) if self.chance(0.5) else self._sub(depth)
        if self.chance(0.6):
            options["else"] = self.node(depth) if self.chance(0.5) else self.pick(["", 0, False, None, "fallback"])
        if self.chance(0.05):
            options = self.pick([{}, {"then": 1}, {"exists": None, "then": 1}])
        return options

    def _d_case(self, depth: int) -> Any:
        options: dict[str, Any] = {"operator": self.pick(["lower", "upper", "lower", "upper", "title", ""])}
        if self.chance(0.9):
            options["value"] = self._sub(depth) if self.chance(0.7) else self.word()
        return options

    def _d_replace(self, depth: int) -> Any:
        options: dict[str, Any] = {
            "pattern": self.pick(
                [
                    "a",
                    "o",
                    " ",
                    "😀",
                    "\ud83d",
                    "\ude00",
                    ".",
                    "$",
                    "-",
                    "A",
                    "ß",
                    "İ",
                    "ſ",
                    "k",
                    "é",
                    "ab",
                    "",
                    "x" * 11,
                ]
            ),
            "value": self._sub(depth) if self.chance(0.8) else self.word(),
        }
        if self.chance(0.8):
            options["replacement"] = self.pick(
                ["", "_", "$&", "$$", "$`", "$'", "[$&]", "😀", "\ude00", "x" * 11, None]
            )
        if self.chance(0.3):
            options["ignorecase"] = self.pick([True, False, "yes"])
        if self.chance(0.3):
            options["global"] = self.pick([True, False, 1])
        if self.chance(0.2):
            options["pattern2"] = self.pick(["b", "_", "😀", "\ud83d"])
            if self.chance(0.7):
                options["replacement2"] = self.pick(["", "B", "$&"])
        return options

    def _d_arrayPath(self, depth: int) -> Any:
        path: Any = self.pick(
            [
                "$.properties.arr",
                "$.properties.words",
                "$.properties.obj",
                "$.properties.nums",
                "$.properties.s",
                "$.properties.idx",
            ]
        )
        if self.chance(0.2):
            path = self._sub(depth)
        shape: dict[str, Any] = {}
        for _ in range(self.rng.randint(0, 3)):
            shape[self.pick(["v", "w", "1"])] = self.pick(
                [
                    {"@path": "$.a"},
                    {"@path": "$."},
                    {"@path": "$.length"},
                    {"@template": "{{a}}-{{0}}"},
                    self.scalar(),
                    {"@liquid": self.liquid.template(short=True)},
                    {"@liquid": self.pick(ITEM_TEMPLATES)},
                ]
            )
        if self.chance(0.1):
            shape = {"@path": "$.b"}  # type: ignore[dict-item]
        return [path, shape] if self.chance(0.9) else [path]

    def _d_json(self, depth: int) -> Any:
        mode = self.pick(["encode", "decode", "encode", "ENCODE", ""])
        value: Any
        if mode.lower() == "decode" and self.chance(0.6):
            value = self.pick(
                [
                    '{"b":1,"1":2}',
                    "[1,2",
                    "-0",
                    "1e400",
                    '"\\ud83d"',
                    "123456789012345678901",
                    "null",
                    "true",
                    " 7 ",
                    "{}",
                ]
            )
        else:
            value = self._sub(depth)
        return {"mode": mode, "value": value}

    def _d_flatten(self, depth: int) -> Any:
        options: dict[str, Any] = {"separator": self.pick([".", "_", "/", "", "😀"]), "value": self._sub(depth)}
        if self.chance(0.3):
            options["omitArrays"] = self.pick([True, False])
        return options

    def _d_merge(self, depth: int) -> Any:
        objects = [self._sub(depth) if self.chance(0.6) else self.node(depth) for _ in range(self.rng.randint(0, 3))]
        return {"objects": objects, "direction": self.pick(["left", "right", "right", "up"])}

    def _d_transform(self, depth: int) -> Any:
        apply = {self.pick(["a", "b", "1"]): self.node(depth) for _ in range(self.rng.randint(1, 2))}
        mapping = {
            self.pick(["x", "y"]): self.pick([{"@path": "$.a"}, {"@path": "$.1"}, {"@path": "$.b"}, self.node(depth)])
        }
        return {"apply": apply, "mapping": mapping}

    def _d_excludeWhenNull(self, depth: int) -> Any:
        return self._sub(depth)

    def _d_liquid(self, depth: int) -> Any:
        if self.chance(0.02):
            return self.pick([5, None, {"@path": "$.x"}, "x" * 1001])
        return self.liquid.template()


# Liquid inside @arrayPath items: the item (a string, number, array or object) is LiquidJS's environment.
ITEM_TEMPLATES = [
    "{{ length }}|{{ size }}|{{ first }}|{{ [0] }}|{{ a }}",
    "{% increment c %}{% increment c %}{{ c }}",
    "{% increment 0 %}{{ [0] }}",
    "{% decrement length %}{{ length }}",
    "{% increment a %}{{ a }}",
    "{{ [1] | append: 'x' }}{{ b | size }}",
]

DIRECTIVES = [
    "@path",
    "@path",
    "@template",
    "@literal",
    "@if",
    "@case",
    "@replace",
    "@replace",
    "@arrayPath",
    "@json",
    "@json",
    "@flatten",
    "@merge",
    "@transform",
    "@excludeWhenNull",
    "@liquid",
    "@liquid",
    "@liquid",
    "@liquid",
]
