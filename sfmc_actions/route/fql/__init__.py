"""Segment's FQL trigger language, exactly as Segment's Actions runtime evaluates it.

Segment decides which events reach an action with `@segment/destination-subscriptions` (lexer
`@segment/fql-ts`), a small parser with quirks: no operator precedence, one level of parentheses,
`!(...)` ignored, single quotes kept in values (segment-runtime.md §2). A trigger copied from Segment
must select the same events here, so those quirks are reproduced, and `Trigger.warnings` says where
a trigger's Segment meaning is surprising.

    lex (tokens.py) → parse (parser.py) → AST (ast.py) → compile (evaluate.py) → Trigger.matches
                                              └→ generate (generate.py): AST back to FQL text
"""

from sfmc_actions.route.fql.ast import Condition, Group, Node
from sfmc_actions.route.fql.generate import generate
from sfmc_actions.route.fql.parser import parse
from sfmc_actions.route.fql.trigger import Trigger, compile_trigger

__all__ = ["Condition", "Group", "Node", "Trigger", "compile_trigger", "generate", "parse"]
