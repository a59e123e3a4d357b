"""JavaScript `undefined`: one sentinel for the mapping language and payload validation."""

from __future__ import annotations

import copy
import pickle

from sfmc_actions.js import equality, operators
from sfmc_actions.js.undefined import UNDEFINED, is_undefined
from sfmc_actions.route import mapping


def test_undefined_is_a_falsy_singleton_distinct_from_none() -> None:
    assert is_undefined(UNDEFINED) and not is_undefined(None)
    assert not UNDEFINED
    assert repr(UNDEFINED) == "UNDEFINED"
    assert type(UNDEFINED)() is UNDEFINED
    assert pickle.loads(pickle.dumps(UNDEFINED)) is UNDEFINED
    assert copy.deepcopy([UNDEFINED])[0] is UNDEFINED


def test_the_mapping_language_and_the_validator_share_it() -> None:
    assert mapping.UNDEFINED is operators.UNDEFINED is equality.UNDEFINED is UNDEFINED
    assert operators.real_type_of(UNDEFINED) == "undefined" and equality.type_name(UNDEFINED) == "undefined"
