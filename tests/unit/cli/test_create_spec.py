"""`data-extensions create` input: --column syntax, options over a spec file, folder names, where problems point."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfmc_actions.cli.create_spec import CreateOptions, checked_spec, folder_paths, resolve_folder
from sfmc_actions.errors import ConfigError
from sfmc_actions.sfmc.soap import DataFolder

FOLDERS = [
    DataFolder(1, "Data Extensions", "dataextension", 0),
    DataFolder(2, "Segment", "dataextension", 1),
    DataFolder(3, "Archive", "dataextension", 1),
    DataFolder(4, "Segment", "dataextension", 3),
]


def problems(options: CreateOptions, spec: Path | None = None) -> list[str]:
    with pytest.raises(ConfigError) as error:
        checked_spec(spec, options)
    return [f"{p.path}: {p.message}" for p in error.value.problems]


def test_column_syntax() -> None:
    checked = checked_spec(
        None,
        CreateOptions(
            name="N",
            folder="7",
            columns=[
                "Id:text(36):pk",
                "Total : Decimal (18, 2)",
                "Email:EmailAddress:REQUIRED",
                "Born:Date:nullable",
                "N:Number",
            ],
        ),
    )
    assert checked.folder_ref is None and checked.spec.folder_id == 7
    assert [(c.name, c.type, c.length, c.scale, c.is_primary_key, c.is_nullable) for c in checked.spec.columns] == [
        ("Id", "Text", 36, None, True, False),
        ("Total", "Decimal", 18, 2, False, True),
        ("Email", "EmailAddress", 254, None, False, False),
        ("Born", "Date", None, None, False, True),
        ("N", "Number", None, None, False, True),
    ]


def test_every_problem_points_at_the_option_it_came_from() -> None:
    found = problems(CreateOptions(columns=["Id:Text(0)", "X:Text:pk:nullable", ":Text", "Y"]))
    assert found == [
        "--column ':Text': write a column as NAME:TYPE[(LENGTH[,SCALE])][:pk][:required|:nullable]",
        "--column 'Y': write a column as NAME:TYPE[(LENGTH[,SCALE])][:pk][:required|:nullable]",
        "--name: a data extension needs a name",
        "--folder: SFMC requires the id of the folder (categoryId) to create the data extension in",
        "--column 'Id:Text(0)' length: Text length must be 1 to 4000, not 0",
        "--column 'X:Text:pk:nullable' nullable: a primary key column cannot be nullable",
    ]


def test_options_override_the_spec_file_and_columns_come_from_one_place(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: FromFile\ncategoryId: 5\ncolumns: [{name: Id, type: Text, isPrimaryKey: true}]\n")
    checked = checked_spec(spec, CreateOptions(name="FromOption", folder="Data Extensions/Segment"))
    assert checked.spec.name == "FromOption" and checked.folder_ref == "Data Extensions/Segment"
    assert problems(CreateOptions(columns=["Other:Text:pk"]), spec) == ["--column: " + f"{spec} already lists columns"]
    spec.write_text("- not a mapping\n")
    assert problems(CreateOptions(), spec) == [": the spec file must hold a mapping"]
    spec.write_text("name: [unclosed\n")
    assert problems(CreateOptions(), spec)[0].startswith(": not valid YAML or JSON")


def test_folder_paths_and_resolution() -> None:
    assert folder_paths(FOLDERS) == {
        1: "Data Extensions",
        2: "Data Extensions/Segment",
        3: "Data Extensions/Archive",
        4: "Data Extensions/Archive/Segment",
    }
    assert resolve_folder("archive", FOLDERS) == 3
    assert resolve_folder("/Data Extensions/Archive/Segment/", FOLDERS) == 4
    with pytest.raises(ValueError, match=r"several folders are named 'Segment': 2 \(Data Extensions/Segment\), 4"):
        resolve_folder("Segment", FOLDERS)
    with pytest.raises(ValueError, match=r"no data extension folder is named 'Nope'; folders: 'Data Extensions' \(1"):
        resolve_folder("Nope", FOLDERS)
    looped = [DataFolder(8, "A", "dataextension", 9), DataFolder(9, "B", "dataextension", 8)]
    assert folder_paths(looped) == {8: "B/A", 9: "A/B"}  # a cycle in SFMC's answer ends the walk
