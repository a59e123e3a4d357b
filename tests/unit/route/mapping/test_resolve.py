"""Segment's `get()` path rules (spec §1.2) and the compiled getters that must agree with it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfmc_actions.route.mapping import UNDEFINED
from sfmc_actions.route.mapping.resolve import compile_getter, get, split_path, strip_dollar_dot


@pytest.mark.parametrize(
    ("path", "segments"),
    [
        ("a.b[0].c", ("a", "b", "0", "c")),
        ("['a'].b", ("a", "b")),
        ("a[b]", ("a[b]",)),
        ("a['b.c']", ("a", "b", "c")),
        ("$..a", ("$", "a")),
        ("a]]", ("a]]",)),
        ("a[0]]]", ("a", "0")),
        ('a["x"]', ("a", "x")),
        ("['']", ("",)),
        ("with space.x", ("with space", "x")),
        ("a.[0]", ("a", "0")),
        ("a[٣]", ("a[٣]",)),
    ],
)
def test_split_path(path: str, segments: tuple[str, ...]) -> None:
    assert split_path(path) == segments


def test_root_paths() -> None:
    assert split_path("") is None and split_path(".") is None
    assert split_path("..") == ()
    assert strip_dollar_dot("foo.$.bar.$.baz") == "foo.bar.$.baz"
    assert strip_dollar_dot("$.") == ""


EVENT = {"a": 0, "b": None, "c": "", "d": "abc", "e": [1, {"x": 2}], "f": False, "g": {"h": {"i": 3}}, "emoji": "a😀"}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("a.b", 0),
        ("b.x", None),
        ("c.x", ""),
        ("f.x", False),
        ("d.length", 3),
        ("d.1", "b"),
        ("d.01", UNDEFINED),
        ("d.x", UNDEFINED),
        ("d.x.y", UNDEFINED),
        ("e.length", 2),
        ("e.1.x", 2),
        ("e[1].x", 2),
        ("e.2", UNDEFINED),
        ("e.-1", UNDEFINED),
        ("g.h.i", 3),
        ("g.h.i.j", UNDEFINED),
        ("g.constructor", UNDEFINED),
        ("e.map", UNDEFINED),
        ("emoji.length", 3),
        ("emoji.1", "\ud83d"),
        ("emoji.2", "\ude00"),
        ("g.h.i.toFixed", UNDEFINED),
        ("", EVENT),
    ],
)
def test_get_quirks(path: str, expected: Any) -> None:
    assert get(EVENT, path) == expected if expected is not UNDEFINED else get(EVENT, path) is UNDEFINED
    assert compile_getter(path)(EVENT) == get(EVENT, path) or compile_getter(path)(EVENT) is get(EVENT, path)


def test_get_on_falsy_roots() -> None:
    assert get(None, "x") is None
    assert get(UNDEFINED, "x.y") is UNDEFINED
    assert get(0, "x") == 0
    assert get([], "length") == 0  # an empty array is truthy in JavaScript


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["", "ab", "😀x"]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "0", "1", "length"]), children, max_size=3)
    ),
    max_leaves=12,
)
paths = st.lists(st.sampled_from(["a", "0", "1", "2", "length", "x"]), min_size=1, max_size=6).map(".".join)


@given(json_values, paths)
def test_compiled_getters_agree_with_get(value: Any, path: str) -> None:
    fast, slow = compile_getter(path)(value), get(value, path)
    assert fast is slow or fast == slow
