"""sfmc/schema.py: rows SFMC is documented to refuse are refused in SFMC's words; nothing else is."""

from __future__ import annotations

from typing import Any

import pytest

from sfmc_actions.sfmc.data_extensions import Column
from sfmc_actions.sfmc.schema import (
    AT_LEAST_ONE,
    DataExtensionSchema,
    check_flat_item,
    check_keyed_row,
    check_value,
)

SCHEMA = DataExtensionSchema(
    "de-1",
    [
        Column("Order_ID", "Text", is_primary_key=True, is_nullable=False, length=10),
        Column("Email", "EmailAddress", is_primary_key=False, is_nullable=True, length=254),
        Column("Revenue", "Decimal", is_primary_key=False, is_nullable=True, length=6, scale=2),
        Column("Count", "Number", is_primary_key=False, is_nullable=True),
        Column("When", "Date", is_primary_key=False, is_nullable=True),
        Column("Flag", "Boolean", is_primary_key=False, is_nullable=True),
        Column("Phone", "Phone", is_primary_key=False, is_nullable=True),
        Column("Status", "Text", is_primary_key=False, is_nullable=False, length=5),
    ],
    key="Orders",
    name="Orders",
)


def row(keys: dict[str, Any] | None = None, **values: Any) -> dict[str, Any]:
    return {"keys": keys if keys is not None else {"Order_ID": "o-1"}, "values": values}


def test_a_good_row_passes_and_names_match_in_any_case() -> None:
    assert check_keyed_row(SCHEMA, row({"order_id": "o-1"}, email="a@b.co", REVENUE="1234.56", count=3)) == []


@pytest.mark.parametrize(
    ("candidate", "message"),
    [
        (row({"Order_ID": "o", "Nope": "x"}, Status="ok"), "Primary key 'nope' does not exist."),
        (row({"Email": "a@b.co"}, Status="ok"), "Primary key 'email' does not exist."),
        (row(Nope=1), AT_LEAST_ONE),
        (row({}, Status="ok"), "Order_ID: The value for column [Order_ID] does not allow null value."),
        (row({"Order_ID": None}, Status="ok"), "Order_ID: The value for column [Order_ID] does not allow null value."),
        (row(Status=None), "Status: The value for column [Status] does not allow null value."),
        (row(Status="toolong"), "Status: The value for column [Status] is too long. The maximum length is 5"),
        (row({"Order_ID": "x" * 11}), "[Order_ID] is too long"),
        (
            row(Email="not-an-email"),
            "Email: The value for column [Email] is not a valid email address. Parse error [InvalidEmailAddress]",
        ),
        (row(Email="@example.com"), "[InvalidEmailAddress]"),
        (row(Email="someone@"), "[InvalidEmailAddress]"),
        (row(Count="twelve"), "Count: The value for column [Count] is not a valid number."),
        (row(Count="12abc"), "is not a valid number."),
        (row(Revenue="n/a"), "is not a valid decimal number."),
        (
            row(Revenue=12345.5),
            "Revenue: The value for column [Revenue] is out of range for a decimal with precision 6 and scale 2.",
        ),
        (row(When="yesterday"), "When: The value for column [When] is not a valid date."),
        (row(When="2024-02-30"), "is not a valid date."),
        (row(When=True), "is not a valid date."),
        (row(Flag="maybe"), "Flag: The value for column [Flag] is not a valid boolean."),
    ],
)
def test_rows_sfmc_refuses(candidate: dict[str, Any], message: str) -> None:
    problems = check_keyed_row(SCHEMA, candidate)
    assert any(message in p for p in problems), problems


@pytest.mark.parametrize(
    ("column", "value"),
    [
        # Not documented, so never refused here (SFMC decides): never stricter than SFMC.
        ("Count", 1.5),
        ("Count", "1,000"),
        ("Count", 2**40),
        ("Count", True),
        ("Count", ""),
        ("Revenue", "1,234,567.5"),
        ("Revenue", 9999.999),
        ("When", "May 5 2024"),
        ("When", "12/31/2024 11:59 PM"),
        ("When", "2024-13-01"),  # 13 January in a yyyy-dd-MM culture
        ("When", 20240512),
        ("Flag", "Y"),
        ("Flag", "off"),
        ("Flag", 2),
        ("Email", "user@localhost"),
        ("Email", "a@b@c.d"),
        ("Email", ""),
        ("Phone", "call me"),
        ("Status", 1234567),  # a number's text length is SFMC's business
        ("Status", {"nested": 1}),
        ("Status", "ÉÉÉÉÉ"),
    ],
)
def test_what_is_not_documented_is_not_refused(column: str, value: Any) -> None:
    found = SCHEMA.column(column)
    assert found is not None and check_value(found, value) is None


def test_a_missing_non_nullable_column_is_left_to_sfmc() -> None:
    assert check_keyed_row(SCHEMA, row(Email="a@b.co")) == []  # an update of an existing row may omit Status


def test_problems_are_listed_once_with_the_values_problem_first() -> None:
    problems = check_keyed_row(SCHEMA, {"keys": {"Nope": "1"}, "values": {"Other": 1}})
    assert problems[0] == AT_LEAST_ONE
    assert problems[1:] == [
        "Primary key 'nope' does not exist.",
        "Order_ID: The value for column [Order_ID] does not allow null value.",
    ]


def test_async_items() -> None:
    assert check_flat_item(SCHEMA, {"Order_ID": "o", "Unknown": 1, "Count": 2}) == []  # unknown columns: SFMC's call
    missing = check_flat_item(SCHEMA, {"Email": "a@b.co"})
    assert missing == [
        "Cannot locate the existing record. Required keys are missing. (Column [Order_ID] does not allow null value.)"
    ]
    assert check_flat_item(SCHEMA, {"Order_ID": "o", "Status": None}) == ["Column [Status] does not allow null value."]
    nested = check_flat_item(SCHEMA, {"Order_ID": "o", "Email": ["a@b.co"]})
    assert nested == ["Email: nested objects and arrays cannot be sent to the asynchronous rows API"]
    assert check_flat_item(SCHEMA, {"Order_ID": "o", "Email": "nope"})[0].endswith("[InvalidEmailAddress]")
