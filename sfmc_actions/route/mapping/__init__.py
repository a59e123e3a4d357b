"""Segment's mapping language (mapping-kit), compiled once per mapping.

    compile_mapping(mapping).resolve(event)   -> the mapped value (UNDEFINED members removed)
    validate_mapping(mapping)                 -> every problem, in Segment's words

The semantics follow spec/segment-runtime.md §1, checked against Segment's own code; UNDEFINED is
JavaScript's `undefined`, distinct from `None` (JSON null).
"""

from sfmc_actions.js.undefined import UNDEFINED, is_undefined
from sfmc_actions.route.mapping.compiler import CompiledMapping, compile_mapping, validate_mapping

__all__ = ["UNDEFINED", "CompiledMapping", "compile_mapping", "is_undefined", "validate_mapping"]
