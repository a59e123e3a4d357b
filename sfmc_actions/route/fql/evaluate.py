"""AST → a fast predicate over events, with the semantics of destination-subscriptions' `validate`.

The AST is compiled once into nested closures (no per-event tree walk, no generated source): groups
here, single conditions in conditions.py. A group is `every` (and) or `some` (or) of its children,
evaluated in order and stopping early, as JavaScript does.

Where Segment's runtime throws while evaluating (an empty `( )` slot, a path with no key), the event
is not delivered; `Abort` mirrors that as "no match", whatever the rest of the trigger says, which
is why evaluation order matters even inside an `and`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sfmc_actions.js.values import has_surrogates, js_to_string
from sfmc_actions.route.fql.ast import Condition, Group, Node
from sfmc_actions.route.fql.conditions import TOP_FIELDS, Abort, Event, Predicate, compile_condition


def compile_predicate(tree: Group) -> Callable[[Any], bool]:
    """`matches(event) -> bool` for the trigger `tree`.

    The returned closure is the root of the compiled tree itself, with the guard for unusual input
    folded in (a try block costs nothing until it catches), so a match is one Python call for the
    common trigger shapes."""
    predicate = _node(tree)

    def recover(event: Any, error: Exception) -> bool:
        if isinstance(error, Abort) or event is None:
            return False  # Segment threw (see Abort), or the event is null: validate() throws
        if type(event) is dict:
            raise error
        # A primitive or array has none of the members Segment reads (type, event, ...): as {}.
        try:
            return predicate(dict(event) if isinstance(event, Mapping) else {})
        except Abort:
            return False

    return _root(tree, predicate, recover)


def _root(tree: Group, predicate: Predicate, recover: Callable[[Any, Exception], bool]) -> Callable[[Any], bool]:
    fused = _equalities(tree)
    if fused is not None and len(fused) == 2:
        (k1, v1), (k2, v2) = fused

        def match_two(e: Any) -> bool:
            try:
                return e.get(k1) == v1 and e.get(k2) == v2
            except (AttributeError, Abort) as error:
                return recover(e, error)

        return match_two
    if fused is not None and len(fused) == 1:
        ((k1, v1),) = fused

        def match_one(e: Any) -> bool:
            try:
                return e.get(k1) == v1
            except (AttributeError, Abort) as error:
                return recover(e, error)

        return match_one
    one_of = _same_key_alternatives(tree)
    if one_of is not None:
        key, texts = one_of

        def match_in(e: Any) -> bool:
            try:
                return type(found := e.get(key)) is str and found in texts
            except (AttributeError, Abort) as error:
                return recover(e, error)

        return match_in
    preds = tuple(_node(child) for child in tree.children)
    if len(preds) > 1 and tree.operator == "or":

        def match_any(e: Any) -> bool:
            try:
                for pred in preds:  # noqa: SIM110 -- a plain loop is faster than any() over a generator
                    if pred(e):
                        return True
                return False
            except (AttributeError, Abort) as error:
                return recover(e, error)

        return match_any
    if len(preds) > 1 and tree.operator == "and":

        def match_all(e: Any) -> bool:
            try:
                for pred in preds:  # noqa: SIM110 -- a plain loop is faster than all() over a generator
                    if not pred(e):
                        return False
                return True
            except (AttributeError, Abort) as error:
                return recover(e, error)

        return match_all

    def match(e: Any) -> bool:
        try:
            return predicate(e)
        except (AttributeError, Abort) as error:
            return recover(e, error)

    return match


def _node(node: Node | None) -> Predicate:
    if node is None:
        return _abort  # an empty ( ) slot: `undefined.type` throws in Segment
    if isinstance(node, Group):
        return _group(node)
    return compile_condition(node)


def _abort(event: Event) -> bool:
    raise Abort


def _group(group: Group) -> Predicate:
    preds = [_node(child) for child in group.children]
    if group.operator not in ("and", "or"):
        return lambda e: False
    fused = _fuse_equalities(group, preds)
    if fused is not None:
        return fused
    one_of = _same_key_alternatives(group)
    if one_of is not None:
        key, texts = one_of
        return lambda e: type(found := e.get(key)) is str and found in texts
    if group.operator == "and" and len(preds) in (2, 3):
        leading = _equalities(Group("and", group.children[:1]))
        if leading:  # `type = "x" and …`: test the type inline, it decides most events
            ((k, v),) = leading
            if len(preds) == 2:
                b = preds[1]
                return lambda e: e.get(k) == v and b(e)
            b, c = preds[1:]
            return lambda e: e.get(k) == v and b(e) and c(e)
    if group.operator == "and":
        if len(preds) == 1:
            return preds[0]
        if len(preds) == 2:
            a, b = preds
            return lambda e: a(e) and b(e)
        if len(preds) == 3:
            a, b, c = preds
            return lambda e: a(e) and b(e) and c(e)

        def every(e: Event) -> bool:
            for pred in preds:  # noqa: SIM110 -- faster than all() over a generator
                if not pred(e):
                    return False
            return True

        return every
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda e: a(e) or b(e)
    if len(preds) == 3:
        a, b, c = preds
        return lambda e: a(e) or b(e) or c(e)

    def some(e: Event) -> bool:
        for pred in preds:  # noqa: SIM110 -- faster than any() over a generator
            if pred(e):
                return True
        return False

    return some


def _fuse_equalities(group: Group, preds: list[Predicate]) -> Predicate | None:
    """`type = "track" and event = "X"` as one closure: the common trigger shape, evaluated without
    a call per condition."""
    pairs = _equalities(group)
    if pairs is None or len(pairs) not in (2, 3):
        return None
    if len(pairs) == 2:
        (k1, v1), (k2, v2) = pairs
        return lambda e: e.get(k1) == v1 and e.get(k2) == v2
    (k1, v1), (k2, v2), (k3, v3) = pairs
    return lambda e: e.get(k1) == v1 and e.get(k2) == v2 and e.get(k3) == v3


def _same_key_alternatives(group: Group) -> tuple[str, frozenset[str]] | None:
    """`event = "A" or event = "B" or …` as one set lookup (only strings can equal the texts)."""
    if group.operator != "or" or len(group.children) < 2:
        return None
    pairs = _equalities(Group("and", group.children))
    if pairs is None or len({key for key, _ in pairs}) != 1:
        return None
    return pairs[0][0], frozenset(text for _, text in pairs)


def _equalities(group: Group) -> list[tuple[str, str]] | None:
    """(key, text) pairs when `group` is an `and` of top-level `=` tests on plain text, else None."""
    if group.operator != "and" and not (group.operator == "or" and len(group.children) == 1):
        return None
    pairs = []
    for child in group.children:
        if not (isinstance(child, Condition) and child.type in TOP_FIELDS and child.operator == "="):
            return None
        text = js_to_string(child.value if child.value is not None else "undefined")
        if has_surrogates(text):
            return None
        pairs.append((TOP_FIELDS[child.type], text))
    return pairs
