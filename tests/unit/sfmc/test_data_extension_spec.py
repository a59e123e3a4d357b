"""Creating a data extension: every mistake is reported before the call, with where and how to fix it."""

from __future__ import annotations

from typing import Any

import pytest

from sfmc_actions.errors import ConfigError
from sfmc_actions.sfmc.data_extension_spec import DataExtensionSpec, create_body


def problems(raw: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        DataExtensionSpec.parse(raw, source="orders.yaml")
    assert all(p.file == "orders.yaml" for p in caught.value.problems)
    return {p.path: f"{p.message} | {p.hint or ''}" for p in caught.value.problems}


def test_valid_spec_with_segment_hook_names() -> None:
    spec = DataExtensionSpec.parse(
        {
            "name": "Customers",
            "categoryId": 77,
            "isSendable": True,
            "sendableCustomObjectField": "Email",
            "sendableSubscriberField": "_SubscriberKey",
            "key": "CUSTOMERS",
            "columns": [
                {"name": "Email", "type": "EmailAddress", "isPrimaryKey": True, "isNullable": False},
                {"name": "Points", "type": "Number"},
                {"name": "Seen", "type": "Date", "nullable": True},
            ],
        }
    )
    assert spec.folder_id == 77 and spec.is_sendable and spec.key == "CUSTOMERS"
    body = create_body(spec)
    assert body["key"] == "CUSTOMERS" and body["sendableCustomObjectField"] == "Email"
    assert [(f["name"], f.get("length"), f["isNullable"]) for f in body["fields"]] == [
        ("Email", 254, False),
        ("Points", None, True),
        ("Seen", None, True),
    ]
    assert "length" not in body["fields"][1]


def test_text_gets_sfmcs_default_length() -> None:
    spec = DataExtensionSpec.parse(
        {"name": "X", "folder_id": 1, "columns": [{"name": "Id", "type": "Text", "primary_key": True}]}
    )
    assert spec.columns[0].length == 50 and spec.columns[0].is_nullable is False


def test_every_problem_is_reported_at_once() -> None:
    found = problems(
        {
            "folder_id": "root",
            "key": "K" * 37,
            "sendable": True,
            "columns": [
                {"name": "Id", "type": "Text", "primary_key": True, "nullable": True},
                {"name": "id", "type": "Text"},
                {"name": "When", "type": "Date", "primary_key": True},
                {"name": "Email", "type": "Email", "length": 300},
                {"name": "Total", "type": "Decimal", "length": 30, "scale": 2},
                {"name": "Rate", "type": "Decimal"},
                {"name": "Count", "type": "Number", "length": 10},
                {"name": "Long", "type": "Text", "length": 5000},
                {"name": "Kind", "type": "Varchar"},
                {"name": "", "type": "Text"},
                {"name": "N", "type": "Text", "length": "ten"},
                "oops",
            ],
        }
    )
    assert set(found) == {
        "name",
        "folder_id",
        "key",
        "columns[0].nullable",
        "columns[1].name",
        "columns[2].primary_key",
        "columns[3].length",
        "columns[4]",
        "columns[5]",
        "columns[6].length",
        "columns[7].length",
        "columns[8].type",
        "columns[9].name",
        "columns[10].length",
        "columns[11]",
        "sendable_field",
    }
    assert "data-extensions folders" in found["folder_id"]
    assert "appears twice" in found["columns[1].name"]
    assert "precision must be 1 to 29" in found["columns[4]"]
    assert "needs length (precision) and scale" in found["columns[5]"]
    assert "takes no length" in found["columns[6].length"]
    assert "one of Text, Number" in found["columns[8].type"]


def test_no_columns_and_no_primary_key() -> None:
    assert "at least one column" in problems({"name": "X", "folder_id": 1})["columns"]
    no_pk = problems({"name": "X", "folder_id": 1, "columns": [{"name": "A", "type": "Text"}]})
    assert "no primary key" in no_pk["columns"]
