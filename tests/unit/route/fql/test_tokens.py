"""The lexer reproduces @segment/fql-ts 1.10.1 token by token, and explains its errors with a column."""

from __future__ import annotations

import pytest

from sfmc_actions.errors import FqlSyntaxError
from sfmc_actions.route.fql.tokens import Lexer, Token, join_dotted, lex, token_value


def kinds(fql: str) -> list[tuple[str, str]]:
    return [(t.type, t.value) for t in lex(fql)]


def test_a_simple_condition() -> None:
    assert kinds('type = "track"') == [("ident", "type"), ("operator", "="), ("string", '"track"'), ("eos", "eos")]


def test_positions_are_code_point_columns() -> None:
    tokens = lex('event = "🎉" and x')
    assert [(t.start, t.end) for t in tokens] == [(0, 5), (6, 7), (8, 11), (12, 15), (16, 17), (17, 17)]


@pytest.mark.parametrize(
    ("fql", "expected"),
    [
        ("a and b", [("ident", "a"), ("conditional", "and"), ("ident", "b")]),
        ("android", [("ident", "android")]),  # keywords only stand alone
        ("orange or null", [("ident", "orange"), ("conditional", "or"), ("null", "null")]),
        ("and(", [("ident", "and"), ("parenleft", "(")]),  # a keyword needs a terminator after it
        ("AND", [("ident", "AND")]),  # keywords are lower-case
        ("x an", [("ident", "x"), ("ident", "a")]),  # look-ahead at the end drops the 'n'
        ("x nul", [("ident", "x"), ("ident", "n")]),
        ("x == 1", [("ident", "x"), ("operator", "="), ("operator", "="), ("number", "1")]),
        ("x <=5", [("ident", "x"), ("operator", "<"), ("operator", "="), ("number", "5")]),
        ("x >= 5", [("ident", "x"), ("operator", ">="), ("number", "5")]),
        ("x != 5", [("ident", "x"), ("operator", "!="), ("number", "5")]),
        ("!contains", [("operator", "!"), ("ident", "contains")]),
        ("!(", [("operator", "!"), ("parenleft", "(")]),
        (
            "007 -5 +1.5 - 5.x",
            [
                ("number", "007"),
                ("number", "-5"),
                ("number", "+1.5"),
                ("number", "-"),
                ("number", "5."),
                ("ident", "x"),
            ],
        ),
        ("'a' \"b\"", [("string", "'a'"), ("string", '"b"')]),
        ('"a"and"', [("string", '"a"'), ("string", '"and"')]),  # a closing quote needs a terminator
        ("p\\ 1.x", [("ident", "p 1"), ("dot", "."), ("ident", "x")]),
        ("\\a\\n\\d", [("ident", "and")]),  # an escaped keyword is an identifier
        ("a.b[0]", None),
        ("x\ty\nz", [("ident", "x"), ("ident", "y"), ("ident", "z")]),
        (
            ", [ ] ( ) .",
            [
                ("comma", ","),
                ("brackleft", "["),
                ("brackright", "]"),
                ("parenleft", "("),
                ("parenright", ")"),
                ("dot", "."),
            ],
        ),
    ],
)
def test_tokens(fql: str, expected: list[tuple[str, str]] | None) -> None:
    if expected is None:
        with pytest.raises(FqlSyntaxError):
            lex(fql)
    else:
        assert kinds(fql) == [*expected, ("eos", "eos")]


def test_the_end_of_input_quirk_is_recorded() -> None:
    lexer = Lexer("type = nul")
    lexer.lex()
    assert lexer.dropped == [(8, "ul")]


@pytest.mark.parametrize(
    ("fql", "column", "expected_words"),
    [
        ("properties.price>99", 16, "after 'price', got '>'"),
        ('type = "track"\r', 13, "followed by '\\r'"),
        ('type = "track', 7, 'expected a closing "'),
        ("type = 'track", 7, "expected a closing '"),
        ("type !x", 6, None),  # `!` before a letter is the negation operator: this one lexes
        ("type ! x", 6, "expected '=' after '!', got ' '"),
        ("x !=5", 4, "'!=' must be followed by a space, ',', ')', ']' or the end, got '5'"),
        ("type = # x", 7, "invalid character '#'"),
        ("x = 1.", 5, "unexpected terminator after decimal point"),
        ("x = 1.2.3", 7, "multiple decimal points"),
        ("x = y\\", 5, "after the escape character"),
        ("type = tràck", 9, "got 'à'"),
    ],
)
def test_errors_name_the_problem_and_point_at_it(fql: str, column: int, expected_words: str | None) -> None:
    if expected_words is None:
        lex(fql)
        return
    with pytest.raises(FqlSyntaxError) as caught:
        lex(fql)
    error = caught.value
    assert error.column == column
    assert expected_words in error.reason
    assert error.fql == fql
    lines = str(error).split("\n")
    assert lines[-1] == "  " + " " * column + "^"
    assert lines[-2] == "  " + fql


def test_strings_and_identifiers_have_a_length_limit() -> None:
    with pytest.raises(FqlSyntaxError, match="string length"):
        lex('"' + "x" * 100_000 + '"')
    assert lex('"' + "x" * 99_999 + '"')[0].type == "string"
    with pytest.raises(FqlSyntaxError, match="identifier length"):
        lex("x" * 100_000)


def test_astral_characters_are_two_utf16_units_for_the_lexer() -> None:
    # fql-ts escapes one UTF-16 unit; the second half of the emoji then ends the identifier badly.
    with pytest.raises(FqlSyntaxError) as caught:
        lex("x\\🎉 = 1")
    assert caught.value.column == 2
    assert "\\udf89" in caught.value.reason  # the lone half is escaped, so the message can be printed
    str(caught.value).encode("utf-8")
    assert kinds('"🎉"')[0] == ("string", '"🎉"')


def test_join_dotted() -> None:
    joined = join_dotted(lex("properties.a.b = 1 and x.0"))
    assert [(t.type, t.value) for t in joined] == [
        ("ident", "properties.a.b"),
        ("operator", "="),
        ("number", "1"),
        ("conditional", "and"),
        ("ident", "x"),
        ("dot", "."),
        ("number", "0"),
        ("eos", "eos"),
    ]
    assert joined[0] == Token("ident", "properties.a.b", 0, 14)


@pytest.mark.parametrize(
    ("token", "value"),
    [
        (Token("string", '"a"', 0, 3), "a"),
        (Token("string", "'a'", 0, 3), "'a'"),  # only double quotes are removed
        (Token("string", '""', 0, 2), ""),
        (Token("number", "007", 0, 3), 7.0),
        (Token("ident", "true", 0, 4), True),
        (Token("ident", "false", 0, 5), False),
        (Token("ident", "True", 0, 4), "True"),
        (Token("null", "null", 0, 4), "null"),
        (Token("operator", "=", 0, 1), "="),
        (Token("eos", "eos", 0, 0), "eos"),
    ],
)
def test_token_value(token: Token, value: object) -> None:
    got = token_value(token)
    assert got == value and type(got) is type(value)


def test_a_lone_sign_is_nan() -> None:
    value = token_value(Token("number", "-", 0, 1))
    assert isinstance(value, float) and value != value
