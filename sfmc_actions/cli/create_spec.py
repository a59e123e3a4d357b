"""`data-extensions create` input: options and/or a YAML/JSON spec file into a checked DataExtensionSpec.

Every problem is collected before any request is made (the options' syntax here, SFMC's column rules in
`sfmc.data_extension_spec`), and each is reported where the user wrote it: `--column 'Total:Decimal'`, `--name`,
or the spec file's key path. A folder given by name or path ("Data Extensions/Segment") is resolved only after
the spec passed, with one read of the folder list (SOAP DataFolder, like Segment's categoryId choices).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sfmc_actions.cli.options import COLUMN_EXAMPLE, COLUMN_SYNTAX
from sfmc_actions.errors import ConfigError, ConfigProblem
from sfmc_actions.sfmc.data_extension_spec import DataExtensionSpec
from sfmc_actions.sfmc.soap import DataFolder

COMMAND_LINE = "command line"
_COLUMN_RE = re.compile(
    r"^(?P<name>[^:]+):\s*(?P<type>[A-Za-z]+)\s*"  # Name:Type
    r"(?:\(\s*(?P<length>\d+)\s*(?:,\s*(?P<scale>\d+)\s*)?\))?\s*"  # (length) or (precision,scale)
    r"(?P<flags>(?::[^:]*)*)$"  # :pk :required :nullable
)
_FLAGS = {
    "pk": ("primary_key", True),
    "primary-key": ("primary_key", True),
    "primary_key": ("primary_key", True),
    "nullable": ("nullable", True),
    "required": ("nullable", False),
    "not-null": ("nullable", False),
}
_FOLDER_KEYS = ("folder_id", "folder", "categoryId", "category_id")  # DataExtensionSpec's aliases, in its order
_OPTION_OF = {
    "name": "--name",
    "folder_id": "--folder",
    "description": "--description",
    "key": "--key",
    "sendable": "--sendable",
    "sendable_field": "--sendable-field",
    "sendable_subscriber_field": "--subscriber-field",
}
PLACEHOLDER_FOLDER = 1  # stands in for a folder given by name while the rest of the spec is checked


@dataclass(frozen=True)
class CreateOptions:
    """The `create` options; None means not given (a spec file's value, if any, stays)."""

    name: str | None = None
    folder: str | None = None
    description: str | None = None
    key: str | None = None
    sendable: bool | None = None
    sendable_field: str | None = None
    subscriber_field: str | None = None
    columns: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CheckedSpec:
    spec: DataExtensionSpec
    folder_ref: str | None  # a folder name or path still to resolve to its id


def checked_spec(spec_file: Path | None, options: CreateOptions) -> CheckedSpec:
    """The spec to create, or ConfigError listing every problem (with where each one was written)."""
    source = str(spec_file) if spec_file else COMMAND_LINE
    problems: list[ConfigProblem] = []
    column_texts: list[str] = []  # the --column options, aligned with raw["columns"]
    raw = _read_spec_file(spec_file) if spec_file else {}
    given = {
        "name": options.name,
        "folder_id": options.folder,
        "description": options.description,
        "key": options.key,
        "sendable": options.sendable,
        "sendable_field": options.sendable_field,
        "sendable_subscriber_field": options.subscriber_field,
    }
    from_options = {k for k, v in given.items() if v is not None}
    raw |= {k: given[k] for k in from_options}
    if options.columns:
        if "columns" in raw or "fields" in raw:
            hint = "give them in the file or as --column options, not both"
            problems.append(_problem("--column", f"{source} already lists columns", hint))
        parsed = [(text, _column(text, problems)) for text in options.columns]
        column_texts = [text for text, column in parsed if column is not None]
        raw["columns"] = [column for _, column in parsed if column is not None]
    folder_ref = None
    folder = next((raw[k] for k in _FOLDER_KEYS if k in raw), None)
    if isinstance(folder, str) and folder.strip() and not folder.strip().isdigit():
        folder_ref = folder.strip()
        raw["folder_id"] = PLACEHOLDER_FOLDER
    try:
        spec = DataExtensionSpec.parse(raw, source)
    except ConfigError as error:
        unreadable = bool(problems) and bool(options.columns)  # then "no columns" / "no primary key" may be why
        problems += [
            _where_written(p, from_options, column_texts)
            for p in error.problems
            if not (unreadable and p.path == "columns")
        ]
    if problems:
        raise ConfigError(problems)
    return CheckedSpec(spec, folder_ref)


def _read_spec_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))  # YAML is a superset of JSON
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(path), "", f"cannot read the spec file: {exc.strerror}")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError([ConfigProblem(str(path), "", f"not valid YAML or JSON: {problem}", line)]) from None
    if not isinstance(data, dict):
        hint = "see `sfmc-actions data-extensions create --help` and the README's Data extensions section"
        raise ConfigError([ConfigProblem(str(path), "", "the spec file must hold a mapping", hint=hint)])
    return data


def _column(text: str, problems: list[ConfigProblem]) -> dict[str, Any] | None:
    """`Total:Decimal(18,2):required` -> {name, type, length, scale, nullable}; None (and a problem) if unreadable."""
    match = _COLUMN_RE.match(text.strip())
    if match is None:
        problems.append(_problem(f"--column {text!r}", f"write a column as {COLUMN_SYNTAX}", f"e.g. {COLUMN_EXAMPLE}"))
        return None
    column: dict[str, Any] = {"name": match["name"].strip(), "type": match["type"]}
    if match["length"] is not None:
        column["length"] = int(match["length"])
    if match["scale"] is not None:
        column["scale"] = int(match["scale"])
    for flag in filter(None, (f.strip().lower() for f in match["flags"].split(":"))):
        if flag not in _FLAGS:
            hint = "use :pk (primary key), :required (not nullable) or :nullable"
            problems.append(_problem(f"--column {text!r}", f"unknown column flag ':{flag}'", hint))
            continue
        key, value = _FLAGS[flag]
        column[key] = value
    return column


def _problem(path: str, message: str, hint: str) -> ConfigProblem:
    return ConfigProblem(COMMAND_LINE, path, message, hint=hint)


def _where_written(problem: ConfigProblem, from_options: set[str], column_texts: list[str]) -> ConfigProblem:
    """Point a spec problem at the option the value came from (`columns[1].length` -> `--column 'X:Text(0)'`)."""
    head, _, rest = problem.path.partition(".")
    index = re.fullmatch(r"columns\[(\d+)\]", head)
    if column_texts and index is not None:
        written = f"--column {column_texts[int(index[1])]!r}"
        hint = _COLUMN_HINTS.get(problem.hint or "", problem.hint)
        return dataclasses.replace(problem, file=COMMAND_LINE, path=f"{written} {rest}".strip(), hint=hint)
    if column_texts and problem.path == "columns":
        hint = f"add :pk to the column that identifies a row, e.g. {COLUMN_EXAMPLE}"
        return dataclasses.replace(problem, file=COMMAND_LINE, path="--column", hint=hint)
    if problem.path == "columns" and problem.file == COMMAND_LINE:
        return dataclasses.replace(problem, path="--column", hint=f"add one option per column: {COLUMN_EXAMPLE}")
    if head in from_options or (problem.file == COMMAND_LINE and head in _OPTION_OF):
        option = _OPTION_OF[head]
        better = _OPTION_HINTS.get(head) or problem.hint
        return dataclasses.replace(problem, file=COMMAND_LINE, path=f"{option} {rest}".strip(), hint=better)
    return problem


_COLUMN_HINTS = {  # DataExtensionSpec's hints speak YAML; say them in --column syntax
    "e.g. length: 18, scale: 2": "write it as e.g. 'Total:Decimal(18,2)'",
    "drop nullable: true": "drop :nullable",
}
_OPTION_HINTS = {
    "name": "add --name, e.g. --name Orders",
    "folder_id": "add --folder with a folder id, name or path (list them with `sfmc-actions data-extensions folders`)",
    "sendable_field": "add --sendable-field with one of the columns, e.g. --sendable-field Email",
}


def folder_paths(folders: list[DataFolder]) -> dict[int, str]:
    """Each folder's path from its top folder, e.g. {1002: "Data Extensions/Segment"}."""
    by_id = {f.id: f for f in folders}
    paths: dict[int, str] = {}
    for folder in folders:
        parts: list[str] = []
        seen: set[int] = set()
        current: DataFolder | None = folder
        while current is not None and current.id not in seen:  # a cycle in SFMC's answer must not hang
            seen.add(current.id)
            parts.append(current.name)
            current = by_id.get(current.parent_id) if current.parent_id is not None else None
        paths[folder.id] = "/".join(reversed(parts))
    return paths


def resolve_folder(ref: str, folders: list[DataFolder]) -> int:
    """The id of the folder named or pathed `ref` (case-insensitive); ValueError says what was found instead."""
    paths = folder_paths(folders)
    wanted = ref.strip("/").lower()
    by_path = [i for i, p in paths.items() if p.lower() == wanted]
    matches = by_path or [f.id for f in folders if f.name.lower() == wanted]
    if len(matches) == 1:
        return matches[0]
    if matches:
        listed = ", ".join(f"{i} ({paths[i]})" for i in matches)
        raise ValueError(f"several folders are named {ref!r}: {listed}; give --folder with the id or the full path")
    known = ", ".join(f"{paths[f.id]!r} ({f.id})" for f in folders[:20]) or "none"
    raise ValueError(f"no data extension folder is named {ref!r}; folders: {known}")
