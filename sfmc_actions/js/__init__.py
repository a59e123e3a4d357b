"""JavaScript value semantics, one home: Segment's runtime is JavaScript, and its results depend on them.

    values.py      number text, `Number()`, `String()` of primitives, UTF-16 lengths, `Object.keys` order,
                   `JSON.stringify`
    undefined.py   `undefined`: one sentinel for the mapping language and payload validation
    operators.py   what mapping-kit relies on: truthiness, `typeof`, `String()` of arrays
    equality.py    what Ajv relies on: `===`, fast-deep-equal, number values, its type names
    json.py        `JSON.stringify` / `JSON.parse` for `@json` and Liquid's `json` filter
    number.py      FQL's number rules: `Number(expected)`, number-token text
    json_body.py   request bodies as the bytes JavaScript would send

A leaf: it imports no other part of sfmc_actions.
"""
