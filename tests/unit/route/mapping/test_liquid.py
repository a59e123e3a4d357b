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
