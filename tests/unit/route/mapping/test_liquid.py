"""`@liquid` behaves like Segment's LiquidJS setup (values checked against the oracle)."""

from __future__ import annotations

from typing import Any

import pytest

from sfmc_actions.errors import MappingError
from sfmc_actions.route.mapping import compile_mapping
from sfmc_actions.route.mapping.liquid import DISABLED_FILTERS, DISABLED_TAGS

EVENT = {"p": {"n": 1, "f": 100.0, "t": True, "obj": {"a": 1}, "arr": [1, "a", None, [2, 3], {"x": 1}], "s": "Hi"}}


def liquid(template: str, event: Any = None) -> Any:
    return compile_mapping({"@liquid": template}).resolve(EVENT if event is None else event)


@pytest.mark.parametrize(
    ("template", "text"),
    [
        ("{{ p.missing }}", ""),
        ("{{ p.obj }}", "[object Object]"),
        ("{{ p.arr }}", "1a23[object Object]"),
        ("{{ p.f }}", "100"),
        ("{{ p.t }}", "true"),
        ("{{ 7 | divided_by: 2 }}", "3.5"),
        ("{{ 1 | divided_by: 0 }}", "Infinity"),
        ("{{ 0.1 | plus: 0.2 }}", "0.30000000000000004"),
        ("{{ 2.5 | round }}", "3"),
        ("{{ -2.5 | round }}", "-3"),
        ("{{ -7 | modulo: 3 }}", "2"),
        ("{{ 'abc' | plus: 1 }}", "1"),
        ("{{ p.t | append: '!' }}", "true!"),
        ("{{ p.f | append: '!' }}", "100!"),
        ("{{ p.arr | join: '-' }}", "1-a--2,3-[object Object]"),
        ("{{ p.obj | json }}", '{"a":1}'),
        ("{{ p.s | nonexistent }}", "Hi"),
        ("{{ p.arr | compact | size }}", "4"),
        ("{{ p.arr | sum }}", "1"),
        ("{% if p.n > 0 %}pos{% endif %}", "pos"),
        ("", ""),
    ],
)
def test_rendering_like_liquidjs(template: str, text: str) -> None:
    assert liquid(template) == text


@pytest.mark.parametrize("tag", DISABLED_TAGS)
def test_disabled_tags(tag: str) -> None:
    with pytest.raises(MappingError, match=f'^tag "{tag}" is disabled, line:1, col:3$'):
        liquid(f"a {{% {tag} x %}}")


@pytest.mark.parametrize("name", DISABLED_FILTERS)
def test_disabled_filters(name: str) -> None:
    with pytest.raises(MappingError, match=f'^filter "{name}" is disabled, line:2, col:1$'):
        liquid(f"x\n{{{{ p.arr | {name} }}}}")


def test_unknown_tag() -> None:
    with pytest.raises(MappingError, match=r'^tag "nope" not found, line:1, col:1$'):
        liquid("{% nope %}")


def test_length_limit_counts_utf16_units() -> None:
    assert liquid("😀" * 500) == "😀" * 500
    with pytest.raises(MappingError, match="limited to 1000 characters"):
        liquid("😀" * 501)


def test_options_must_be_a_string_at_runtime() -> None:
    with pytest.raises(MappingError, match="liquid template value must be a string"):
        compile_mapping({"a": [{"@liquid": 5}]}).resolve({})


def test_runaway_growth_is_stopped() -> None:
    doubling = "{% assign a = 'xxxxxxxxxx' %}" + "{% assign a = a | append: a %}" * 30 + "{{ a | size }}"
    with pytest.raises(MappingError):
        liquid(doubling)


# --- issue 14: every example below was rendered by Segment's actions-core 3.170.0 (LiquidJS 10.30.1) ---
@pytest.mark.parametrize(
    ("template", "event", "text"),
    [
        # JavaScript values, not Python ones (class 4)
        ("{{ properties.p | url_encode }}", {"properties": {"p": {"a": True, "b": None}}}, "%5Bobject+Object%5D"),
        ("{{ (1..3) | append: 'x' }}", {}, "123x"),
        # mixed-type comparisons are false, not errors (class 5)
        ("{% if properties.p < 1 %}lt{% else %}ge{% endif %}", {"properties": {"p": {}}}, "ge"),
        ("{% if '2' > '10' %}y{% else %}n{% endif %}{% if 2 > '10' %}y{% else %}n{% endif %}", {}, "yn"),
        # LiquidJS's lenient reader (class 6)
        ("{{ properties.a | }}", {"properties": {"a": "v"}}, "v"),
        ("{{ e d }}", {"e": "E", "d": "D"}, "E"),
        ("{{ [] }}", {}, ""),
        ("a{% break %}b", {}, "a"),
        ("{{ 'x' | t: empty }}", {}, "x"),
        ("{{ properties.s, x }}", {"properties": {"s": "S"}}, "S"),
        # array filters on strings and nil (class 7)
        (
            "{{ properties.s | last }}|{{ properties.s | pop }}|{{ properties.m | push: 5 }}",
            {"properties": {"s": "abc"}},
            "c||5",
        ),
        ("{{ '😀' | first | size }}", {}, "1"),
        # other filters (class 8)
        ("{{ nil | truncatewords: 1 }}", {}, "..."),
        ("{{ 'abc' | inspect }}", {}, '"abc"'),
        ("{{ 100 | date_to_string }}", {}, "01 Jan 1970"),
        ("{{ 'Hi 😀' | cgi_escape }}", {}, "Hi+%F0%9F%98%80"),
        ("{{ 'Hi' | slugify }}", {}, "hi"),
        ('{{ "\'" | escape_once }}', {}, "&#39;"),
        ("{{ properties | json }}", {"properties": {"b": 1, "1": 2}}, '{"1":2,"b":1}'),
        ("{{ 5 | minus }}", {}, "NaN"),
        ("{{ 1704450030 | date: '%c %Z %z', 'Asia/Tokyo' }}", {}, "1/5/2024, 7:20:30 PM Asia/Tokyo +0900"),
        ("{% cycle 0, 1 %}{% cycle 0, 1 %}{% cycle 0, 1 %}", {}, "1"),
        ("{% unless false %}a{% else %}b{% else %}c{% endunless %}", {}, "a"),
    ],
)
def test_segment_liquidjs_examples(template: str, event: Any, text: str) -> None:
    assert liquid(template, event) == text


@pytest.mark.parametrize(
    "template",
    [
        "{{ }}",
        "{{ 'a' | append }}",
        "{{ 'a' | append: 'b', 'c' }}",
        "{{ '\\ud83d' | url_encode }}",
        "{{ (1..100000001) }}",
    ],
)
def test_segment_liquidjs_errors(template: str) -> None:
    with pytest.raises(MappingError):
        liquid(template, {})


def test_increment_writes_into_the_event_for_later_fields_but_not_the_callers() -> None:
    # LiquidJS keeps the counter in the environment, the event: `$.c` after the template sees it (Segment: 2).
    event: dict[str, Any] = {"properties": {}}
    mapping = {"a": {"@liquid": "{% increment c %}{% increment c %}"}, "b": {"@path": "$.c"}}
    assert compile_mapping(mapping).resolve(event) == {"a": "01", "b": 2}
    assert event == {"properties": {}}


def test_increment_on_an_array_item_becomes_a_member_of_the_array() -> None:
    # In an @arrayPath item that is an array, LiquidJS's environment is the array: `increment a` sets `item.a`,
    # which get(), Object.assign (@merge) and Object.entries (@flatten) see, and JSON does not (Segment's output).
    mapping = {
        "key": {"@arrayPath": ["$.arr", {"n": {"@liquid": "{% increment a %}"}, "v": {"@path": "$.a"}}]},
        "m": {"@merge": {"objects": [{"@path": "$.arr[0]"}], "direction": "right"}},
        "f": {"@flatten": {"separator": ".", "value": {"@path": "$.arr"}}},
        "l": {"@liquid": "{{ arr[1].a }}{{ arr[1] | json }}"},
    }
    event = {"arr": [[5], []]}
    assert compile_mapping(mapping).resolve(event) == {
        "key": [{"n": "0", "v": 1}, {"n": "0", "v": 1}],
        "m": {"0": 5, "a": 1},
        "f": {"0.0": 5, "0.a": 1, "1.a": 1},
        "l": "1[]",
    }
    assert event == {"arr": [[5], []]}


def test_values_taken_by_reference_show_what_a_later_template_wrote() -> None:
    # Segment resolves every field, then removes undefined: "1" (an index key, so resolved first) holds the
    # event itself, which the template then writes into; `x` holds properties, which @arrayPath's item writes into.
    mapping = {
        "1": {"@path": "$."},
        "b": {"@liquid": "{% decrement c %}"},
        "x": {"@path": "$.properties"},
        "y": {"@arrayPath": ["$.properties", {"z": {"@liquid": "{% increment n %}"}}]},
    }
    event = {"a": 1, "properties": {"k": None}}
    assert compile_mapping(mapping).resolve(event) == {
        "1": {"a": 1, "properties": {"k": None, "n": 1}, "c": -1},
        "b": "-1",
        "x": {"k": None, "n": 1},
        "y": [{"z": "0"}],
    }
