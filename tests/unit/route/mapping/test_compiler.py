"""compile_mapping: validate once, cache, resolve many; top-level `transform` behaviour (spec §1.1)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import pytest

import sfmc_actions
from sfmc_actions.errors import MappingError
from sfmc_actions.route.mapping import UNDEFINED, compile_mapping, compiler


def test_equal_mappings_share_one_compilation_but_key_order_matters() -> None:
    first = compile_mapping({"a": {"@path": "$.x"}, "b": 1})
    assert compile_mapping({"a": {"@path": "$.x"}, "b": 1}) is first
    reordered = compile_mapping({"b": 1, "a": {"@path": "$.x"}})
    assert reordered is not first
    assert list(reordered.resolve({"x": 2})) == ["b", "a"]


def test_resolve_never_revalidates(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = compile_mapping({"only": {"@path": "$.once"}})

    def boom(mapping: Any) -> list[str]:
        raise AssertionError("validation ran again")

    monkeypatch.setattr(compiler, "validation_errors", boom)
    assert [compiled.resolve({"once": i}) for i in range(3)] == [{"only": 0}, {"only": 1}, {"only": 2}]


def test_missing_removed_from_objects_and_array_holes_are_null() -> None:
    mapping = {"foo": {"@path": "$.a"}, "bar": {"@path": "$.b"}, "baz": None, "arr": [1, {"@path": "$.b"}, None]}
    assert sfmc_actions.resolve_mapping(mapping, {"a": 1}) == {"foo": 1, "baz": None, "arr": [1, None, None]}


def test_output_uses_javascript_key_order() -> None:
    assert list(compile_mapping({"b": 1, "2": 2, "a": 3, "1": 4}).resolve({})) == ["1", "2", "b", "a"]


def test_results_are_fresh_objects() -> None:
    compiled = compile_mapping({"k": {"nested": [1, 2]}})
    one = compiled.resolve({})
    one["k"]["nested"].append(3)
    assert compiled.resolve({}) == {"k": {"nested": [1, 2]}}


@pytest.mark.parametrize(("event", "kind"), [([1], "array"), (None, "null"), ("x", "string"), (5, "number")])
def test_event_must_be_an_object(event: Any, kind: str) -> None:
    with pytest.raises(MappingError, match=f"data must be an object, got {kind}"):
        compile_mapping({"a": 1}).resolve(event)


def test_missing_event_is_an_empty_object() -> None:
    assert compile_mapping({"a": {"@path": "$."}}).resolve(UNDEFINED) == {"a": {}}


def test_top_level_non_objects_are_spread_like_javascript() -> None:
    assert compile_mapping([1, {"@path": "$.a"}]).resolve({"a": 2}) == {"0": 1, "1": 2}
    assert compile_mapping("ab").resolve({}) == {"0": "a", "1": "b"}
    assert compile_mapping(5).resolve({}) == {}
    with pytest.raises(MappingError, match="Cannot convert undefined or null to object"):
        compile_mapping(None)


def test_root_directive_hook() -> None:
    mapping = {
        "__segment_internal_directive": {
            "@transform": {"apply": {"p": {"@flatten": {"value": {"@path": "$.props"}, "separator": "_"}}}}
        },
        "flat": {"@path": "$.p"},
        "top": {"@path": "$.p.a_b"},
    }
    assert compile_mapping(mapping).resolve({"props": {"a": {"b": 1}}}) == {"flat": {"a_b": 1}, "top": 1}
    assert (
        "__segment_internal_directive" in mapping
        and "mapping" not in mapping["__segment_internal_directive"]["@transform"]
    )


def test_resolve_batch_is_transform_batch() -> None:
    compiled = compile_mapping({"v": {"@path": "$.v"}})
    assert compiled.resolve_batch([{"v": 1}, {}, {"v": None}]) == [{"v": 1}, {}, {"v": None}]
    with pytest.raises(MappingError, match="data must be an array, got object"):
        compiled.resolve_batch({"v": 1})  # type: ignore[arg-type]
    failing = compile_mapping({"v": [{"@path": {"@path": "$.p"}}]})
    with pytest.raises(MappingError, match="@path: expected string, got number"):
        failing.resolve_batch([{"p": "x"}, {"p": 5}])


def test_deeply_nested_event_gives_mapping_error() -> None:
    deep: Any = 1
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(MappingError, match="nested too deeply"):
        compile_mapping({"@json": {"mode": "encode", "value": {"@path": "$.d"}}}).resolve({"d": deep})


def test_threads_share_a_compiled_mapping() -> None:
    compiled = compile_mapping({"v": {"@template": "{{n}}-{{n}}"}})
    results: dict[int, Any] = {}

    def work(n: int) -> None:
        results[n] = [compiled.resolve({"n": n})["v"] for _ in range(200)]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(values == [f"{n}-{n}"] * 200 for n, values in results.items())


def test_repr_names_the_mapping() -> None:
    assert repr(compile_mapping({"a": 1})) == "CompiledMapping({'a': 1})"


def test_cache_does_not_confuse_null_with_non_finite_numbers() -> None:
    compile_mapping({"a": [None]})
    with pytest.raises(MappingError, match="inf, which JSON cannot hold"):
        compile_mapping({"a": [float("inf")]})


class _Tree(dict):  # type: ignore[type-arg]
    """A dict subclass, as some YAML loaders produce."""


def test_dict_subclasses_in_mappings_and_events_work_like_dicts() -> None:
    mapping = _Tree(a=_Tree({"@path": "$.x.y"}), b=[_Tree({"@template": "{{x.y}}"})])
    assert sfmc_actions.validate_mapping(mapping) == []
    assert compile_mapping(mapping).resolve(_Tree(x=OrderedDict(y=1))) == {"a": 1, "b": ["1"]}
