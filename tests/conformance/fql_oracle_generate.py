"""Regenerate fql_oracle_cases.jsonl by running Segment's real FQL code on every probe below.

    python tests/conformance/fql_oracle_generate.py /path/to/oracle > tests/conformance/fql_oracle_cases.jsonl

The oracle folder is the Node install described in the shared oracle README (it holds
`node_modules/@segment/destination-subscriptions` 3.37.0 with `@segment/fql-ts` 1.10.1).

Output: the first line is `{"events": {name: event}}`; each other line is one case, either
`{fql, event_ref, expect}` (with `ast`, Segment's parseFql output, on the first line of each FQL,
and `segment_throws` where Segment's validate() threw, which its runtime treats as no match), or
`{fql, expect_parse_error: true, segment_error}`. Besides the hand-written probes, a seeded random
sample of FQL token soup is included. Not collected by pytest.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

PROBE_JS = r"""
const root = process.argv[1]
const subs = require(root + '/node_modules/@segment/destination-subscriptions')
let data = ''
process.stdin.on('data', (c) => (data += c))
process.stdin.on('end', () => {
  const out = JSON.parse(data).map(({ fqls, events }) => fqls.map((fql) => {
    const ast = subs.parseFql(fql)
    if (ast.error) return { fql, error: ast.error.message }
    return { fql, ast, results: events.map((e) => {
      try { return subs.validate(ast, e) } catch (err) { return 'throw' }
    }) }
  }))
  process.stdout.write(JSON.stringify(out))
})
"""

# Small events so the file stays small; each group lists the events its FQLs run on.
TRACK = {
    "type": "track",
    "event": "Order Completed",
    "userId": "u1",
    "properties": {
        "revenue": 100,
        "total": "100",
        "coupon": None,
        "flag": True,
        "off": False,
        "zero": 0,
        "empty": "",
        "tags": ["a", "b"],
        "obj": {"k": "v"},
        "neg": -5.5,
        "big": 12345678901234567890,
        "nested": {"level": "deep", "n": 0},
        "product 1": {"price": 5},
        "and": 1,
        "constructor": "own",
    },
}
IDENTIFY = {
    "type": "identify",
    "userId": "u2",
    "traits": {"email": "vip@example.com", "plan": "enterprise", "age": 30},
    "context": {"ip": "1.1.1.1", "traits": {"email": "c@x.io"}, "library": {"name": "analytics.js"}},
}
PAGE = {"type": "page", "name": "Home", "anonymousId": "a3", "properties": {"revenue": "150", "tags": [], "obj": {}}}
ODD = {
    "type": "track",
    "event": "Product Viewed",
    "userId": None,
    "name": 7,
    "properties": {"revenue": 150.5, "flag": "true", "zero": "0", "nested": "deep", "tags": "ab"},
    "traits": {"email": None, "plan": "free"},
    "context": 0,
}
EMPTY: dict[str, Any] = {}
BASIC = ["track", "identify", "page", "odd", "empty"]
EVENTS: dict[str, Any] = {
    "track": TRACK,
    "identify": IDENTIFY,
    "page": PAGE,
    "odd": ODD,
    "empty": EMPTY,
    "launch": {"type": "track", "event": "🎉 Launch"},
    "x-launch": {"type": "track", "event": "x🎉 Launch"},
    "accent": {"type": "track", "event": "é"},
}

GROUPS: list[tuple[str, list[str], list[str]]] = [
    (
        "operators on properties",
        [
            "properties.revenue = 100",
            "properties.revenue != 100",
            'properties.revenue = "100"',
            'properties.revenue != "100"',
            "properties.revenue > 99",
            "properties.revenue >= 100",
            "properties.revenue < 100.5",
            "properties.revenue <= 100",
            'properties.revenue > "99"',
            'properties.revenue < " 200 "',
            'properties.revenue > ""',
            'properties.revenue < "0x100"',
            "properties.revenue > true",
            "properties.revenue < Infinity",
            "properties.revenue > -1e3",
            "properties.revenue = 1e2",
            "properties.revenue = 100.0",
            "properties.revenue = 0100",
            'properties.total = "100"',
            "properties.total > 99",
            "properties.neg < -5",
            "properties.neg = -5.5",
            "properties.big = 12345678901234567000",
            "properties.big > 12345678901234567000",
            "properties.zero = 0",
            "properties.zero != 0",
            "properties.zero = null",
            "properties.zero != null",
            'properties.empty = ""',
            'properties.empty != ""',
            "properties.empty = null",
            "properties.coupon = null",
            "properties.coupon != null",
            'properties.coupon = "null"',
            "properties.missing = null",
            "properties.missing != null",
            'properties.missing != "x"',
            "properties.missing != 5",
            "properties.missing < 5",
            "properties.flag = true",
            "properties.flag = false",
            "properties.flag != true",
            "properties.flag != false",
            'properties.flag = "true"',
            "properties.off = false",
            "properties.off = true",
            "properties.flag = True",
            "properties.flag = TRUE",
            "properties.flag < true",
            "properties.coupon = NULL",
            'properties.tags = "a,b"',
            "properties.tags != null",
            "properties.obj != null",
            'properties.obj = "[object Object]"',
            "properties.tags.length = 2",
            "properties.tags.length > 1",
            'properties.tags.\\0 = "a"',
            'properties.tags.\\1 = "b"',
            'properties.tags.\\01 = "b"',
            "properties.tags.\\2 = null",
            "properties.total.length = 3",
            'properties.total.\\0 = "1"',
            'properties.nested.level = "deep"',
            "properties.nested.n = 0",
            "properties.nested.n.x = 0",
            "properties.nested.level.x = null",
            "properties.zero.x = 0",
            'properties.empty.x = ""',
            "properties.off.x = false",
            "properties.coupon.x = null",
            'properties.constructor = "own"',
            "properties.nested.constructor != null",
            "properties.tags.map != null",
            "properties.total.toUpperCase != null",
            "properties.revenue.toFixed != null",
            "properties.flag.valueOf != null",
            "properties.hasOwnProperty = null",
            'properties.obj.k = "v"',
            "properties.product\\ 1.price = 5",
            "properties.x\\.y = 1",
            "properties = null",
            "properties != null",
        ],
        BASIC,
    ),
    (
        "text operators and functions",
        [
            'contains(event, "Order")',
            'contains(event, "order")',
            'contains(event, "")',
            '!contains(event, "Order")',
            '!contains(event, "xyz")',
            'contains(properties.total, "10")',
            'contains(properties.revenue, "1")',
            '!contains(properties.missing, "x")',
            'contains(traits.email, "@example")',
            'contains(context.ip, "1.")',
            'contains(name, "Ho")',
            'contains(userId, "u")',
            'contains(type, "tr")',
            'contains(anonymousId, "a")',
            'contains(propertiesx, "a")',
            'contains(properties, "a")',
            "contains(event, 100)",
            "contains(event, true)",
            "contains(event, 'Order')",
            'contains event "Order"',
            'contains(event "Order")',
            'contains(event, "Order"',
            'match(event, "Order*")',
            'match(event, "*Completed")',
            'match(event, "Order Completed")',
            'match(event, "*")',
            'match(event, "O*d")',
            'match(event, "*Order*")',
            "match(event, 'Order*')",
            'match(event, "rder Completed")',
            '!match(event, "Order*")',
            '!match(event, "*Viewed")',
            'match(properties.total, "1*")',
            'match(traits.plan, "*prise")',
            'match(name, "H*")',
            'match(event, "**")',
            "match(event, Order*)",
            'event contains "Order"',
            'event starts_with "Order"',
            'event ends_with "ted"',
            'properties.total contains "0"',
            'properties.total not_contains "0"',
            "properties.revenue contains 100",
            "properties.revenue number_equals 100",
            "properties.coupon exists x",
            "properties.coupon not_exists x",
            "properties.flag is_true x",
            "userId exists x",
            'type in ["track"]',
            'type == "track"',
            'type <> "track"',
            'type = "track" "identify"',
            'type equals "track"',
            "contains",
            "contains(",
            "match(event",
            "contains()",
        ],
        BASIC,
    ),
    (
        "top-level fields",
        [
            'type = "track"',
            'type = "Track"',
            'type != "track"',
            "type = track",
            "type = true",
            "type = 5",
            "type = null",
            "type != null",
            "event = null",
            "event != null",
            'event = "null"',
            'name = "Home"',
            "name = 7",
            'name = "7"',
            "name != null",
            "name = null",
            "name = true",
            'userId = "u1"',
            "userId = null",
            "userId != null",
            "userId = true",
            "userId = false",
            "userId = 1",
            'type.foo = "track"',
            'event.x = "Order Completed"',
            "userId.id != null",
            "event = 007",
            "event = 1.50",
            'type > "a"',
            "type = ",
            "type =",
            "type",
            'event = ""',
            "type = 'track'",
            'anonymousId = "a3"',
            "traits.email != null",
            'traits.plan = "enterprise"',
            "traits.age >= 30",
            "traits = null",
            'context.ip = "1.1.1.1"',
            'context.library.name = "analytics.js"',
            "context.traits.email != null",
            "context != null",
            "context.x = 0",
            "context.x.y = 0",
        ],
        BASIC,
    ),
    (
        "precedence, parentheses and negation",
        [
            'type = "track" and event = "Order Completed"',
            'type = "track" or type = "identify"',
            'type = "identify" and event = "X" or userId = "u1"',
            'userId = "u1" or type = "identify" and event = "X"',
            'type = "track" and event = "X" or type = "identify"',
            'type = "track" or',
            'type = "track" and',
            'or type = "track"',
            'and type = "x" or type = "track"',
            'type = "track" event = "Order Completed"',
            'type = "page" event = "x" or',
            'type = "track" or type = "page" and',
            '(type = "track")',
            '(type = "track" or type = "page")',
            '(type = "track" and event = "Order Completed") or type = "page"',
            '(type = "track") and (event = "Order Completed")',
            '(type = "track" or type = "page") and (userId = "u1" or name = "Home")',
            'type = "track" and (event = "X" or event = "Order Completed")',
            'type = "page" and (contains(event, "Order") or userId = "u1")',
            'type = "page" and (userId = "u1" or contains(event, "Order"))',
            '(contains(event, "Order"))',
            '(contains(event, "Order") and type = "track")',
            '(type = "track" and contains(event, "Order")) or (type = "identify" and traits.email != null)',
            '((type = "track"))',
            '((type = "track") and event = "A")',
            'type = "track" and (event = "A" or (userId = "u1"))',
            '(type = "track"',
            'type = "track")',
            "())",
            "()",
            "(foo)",
            'type = "track" and ()',
            'type = "page" or ()',
            '() or type = "track"',
            "() and ()",
            'type = "track" or (anonymousId = "x")',
            '!(type = "identify")',
            '!(type = "track")',
            '!type = "track"',
            '!contains(event, "Order") and type = "track"',
            '!(contains(event, "Order"))',
            '!!contains(event, "Order")',
            'type = "track" and !(userId = "u1")',
            'type = "track" AND event = "Order Completed"',
            'type = "track" OR type = "page"',
            'type = "page" Or type = "track"',
            'foo and type = "track"',
            'foo = "bar" or type = "page"',
            'constructor = "x" or type = "page"',
            'toString type = "track"',
            '__proto__ = 1 and type = "track"',
            'type = "track" and properties\\.\\. != null',
            'type = "page" or properties\\.\\. != null',
            "properties\\. = null",
            "properties\\.\\. xyz 1",
            'type = "track" and traits.x\\.\\.y = null',
        ],
        BASIC,
    ),
    (
        "lexer",
        [
            'type="track"',
            'type ="track"',
            'type= "track"',
            'type\t=\t"track"',
            'type\n=\n"track"',
            'type = "track"\r',
            'type = "track"and event = "Order Completed"',
            'type = "track" andevent = "x"',
            "properties.revenue>99",
            "properties.revenue >99",
            "properties.revenue >=99",
            "properties.revenue <=100",
            "properties.revenue != 99",
            "properties.revenue !=99",
            "properties.revenue!= 99",
            'type != "page"',
            "properties.revenue = +100",
            "properties.revenue = 100.",
            "properties.revenue = 1.0.0",
            "properties.revenue = -",
            "properties.revenue < -",
            "properties.neg = -5.5",
            "properties.revenue = .5",
            "properties.revenue = 100abc",
            "type = an",
            "type = a",
            "event = nul",
            "event = nu",
            "type = o",
            "type = android",
            "type = orange",
            "type = nullable",
            "type = \\and",
            "type = and",
            "type = or",
            "properties.and = 1",
            "properties.\\and = 1",
            "properties.or = 1",
            'type = "trac"k',
            "type = 'track'x",
            "'a'.b",
            'properties.x = "a\\"b"',
            "type = \\t\\r\\a\\c\\k",
            "type = tr\\ack",
            "type = track\\",
            "event = Order\\ Completed",
            'properties.tags[0] = "a"',
            'properties.tags.0 = "a"',
            'type = "track" # comment',
            'type = "tr\'ack"',
            "type = 'tr\"ack'",
            'type = "track',
            "type = 'track",
            'type = "🎉"',
            'event = "Ordér"',
            'type = "track" and event = "Ordér Completed"',
            "type = tràck",
            '_x = 1 or type = "page"',
            "type = _",
            "type = -5",
            'type = "track" , event = "x"',
            'type = "track" [ ]',
            '"type" = "track"',
            "type = [",
            'type ! "x"',
            "type !x",
            "properties.price.",
            'lowercase(event) = "x"',
            "length(event) > 3",
            "all",
            "",
            "   ",
            "\t\n",
        ],
        ["track", "odd", "empty"],
    ),
    (
        "unicode",
        [
            'contains(event, "🎉")',
            'match(event, "🎉*")',
            'match(event, "🎉 Launch")',
            'match(event, "*Launch")',
            'event = "🎉 Launch"',
            'contains(event, "é")',
            'match(event, "\ud83c")',
        ],
        ["launch", "x-launch", "accent"],
    ),
]


def _fuzz_group(count: int, seed: int) -> tuple[str, list[str], list[str]]:
    """Random FQL token soup (seeded): parser corners nobody thinks to write by hand."""
    rnd = random.Random(seed)
    fields = [
        "type",
        "event",
        "name",
        "userId",
        "properties.revenue",
        "properties.nested.level",
        "properties.tags",
        "traits.email",
        "context.ip",
        "properties",
        "foo",
        "constructor",
        "event.x",
        "AND",
    ]
    ops = ["=", "!=", "<", "<=", ">", ">=", "contains", "in", "==", "!"]
    values = [
        '"track"',
        "'track'",
        "100",
        "-1.5",
        "0",
        "true",
        "false",
        "null",
        "bare",
        '""',
        '"Order*"',
        '"*ed"',
        '"100"',
        "007",
        "-",
        "True",
        '"x"and',
    ]
    other = ["(", ")", "!", "!(", ",", "[", ".", "and", "or", "and", "or"]

    def piece() -> str:
        r = rnd.random()
        if r < 0.5:
            return f"{rnd.choice(fields)} {rnd.choice(ops)} {rnd.choice(values)}"
        if r < 0.65:
            function = rnd.choice(["contains", "match", "!contains", "!match"])
            return f"{function}({rnd.choice(fields)}, {rnd.choice(values)})"
        return rnd.choice(other)

    fqls = [" ".join(piece() for _ in range(rnd.randint(1, 6))) for _ in range(count)]
    return (f"random token soup, seed {seed}", fqls, BASIC)


def _oracle_groups(oracle: str) -> list[tuple[str, list[str], list[str]]]:
    semantics = Path(oracle) / "cases/transform/fql-semantics.json"
    data = json.loads(semantics.read_text(encoding="utf-8"))
    for index, event in enumerate(data["events"]):
        EVENTS[f"oracle-{index}"] = event
    oracle_events = [f"oracle-{i}" for i in range(len(data["events"]))]
    return [("oracle fql-semantics", data["subscriptions"], oracle_events), *GROUPS, _fuzz_group(60, 42)]


def main(oracle: str) -> None:
    groups = _oracle_groups(oracle)
    payload = json.dumps([{"fqls": fqls, "events": [EVENTS[n] for n in names]} for _, fqls, names in groups])
    run = subprocess.run(["node", "-e", PROBE_JS, oracle], input=payload, capture_output=True, text=True, check=True)
    seen: set[str] = set()
    out = sys.stdout
    out.write(json.dumps({"events": EVENTS}) + "\n")
    for (source, _fqls, names), results in zip(groups, json.loads(run.stdout), strict=True):
        for result in results:
            fql = result["fql"]
            if fql in seen:
                continue
            seen.add(fql)
            if "error" in result:
                line = {"fql": fql, "expect_parse_error": True, "segment_error": result["error"], "source": source}
                out.write(json.dumps(line) + "\n")
                continue
            for index, (name, got) in enumerate(zip(names, result["results"], strict=True)):
                case: dict[str, Any] = {"fql": fql, "event_ref": name, "expect": got is True}
                if got == "throw":
                    case["segment_throws"] = True
                if index == 0:
                    case["ast"] = result["ast"]
                    case["source"] = source
                out.write(json.dumps(case) + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/oracle")
