"""Imports go one way (DESIGN.md, Layout): leaves <- libraries <- stages <- console <- wiring, and the emulator
stands alone. Every module's imports are read (TYPE_CHECKING ones too: they are the same dependency) and each
one is checked against the layer rules below."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sfmc_actions

PACKAGE = Path(sfmc_actions.__file__).parent

LEAVES = {"_version", "errors", "events", "config", "config_yaml", "js", "observe"}
LIBRARIES = {"queue", "sfmc", "route.fql", "route.mapping", "route.payload", "segment_import"}
STAGES = {"ingest", "route", "deliver"}
CONSOLE = {"console"}
WIRING = {"service", "cli", "__main__"}
PUBLIC_API = {""}  # sfmc_actions/__init__.py: the engine's functions, over the libraries
EMULATOR = {"emulator"}
KNOWN = LEAVES | LIBRARIES | STAGES | CONSOLE | WIRING | PUBLIC_API | EMULATOR


def unit(module: str) -> str:
    """The layer unit of a dotted module name: `sfmc_actions.route.fql.parser` -> "route.fql"."""
    parts = module.split(".")[1:]
    if not parts:
        return ""
    if parts[0] == "route" and len(parts) > 1 and f"route.{parts[1]}" in LIBRARIES:
        return f"route.{parts[1]}"
    return parts[0]


def may_import(importer: str, imported: str) -> bool:
    if importer == imported:
        return True
    if importer in EMULATOR or imported in EMULATOR:
        return importer in WIRING  # the emulator imports nothing outside itself; only the wiring starts it
    if importer in LEAVES:
        return imported in LEAVES
    if importer in LIBRARIES:
        return imported in LEAVES | LIBRARIES
    if importer in STAGES:
        return imported in LEAVES | LIBRARIES  # no stage imports another (deliver sees subscriptions by protocol)
    if importer in PUBLIC_API:
        return imported in LEAVES | LIBRARIES
    if importer in CONSOLE:
        return imported in LEAVES | LIBRARIES | STAGES
    return importer in WIRING


def imports() -> list[tuple[str, str, str]]:
    """(importing module, imported module, where) for every import of sfmc_actions inside sfmc_actions."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(("sfmc_actions", *path.relative_to(PACKAGE).with_suffix("").parts))
        module = module.removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{path}:{node.lineno}: use absolute imports"
                if node.module:  # `from sfmc_actions.cli import serve` imports sfmc_actions.cli.serve
                    names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            for name in names:
                if name == "sfmc_actions" or name.startswith("sfmc_actions."):
                    found.append((module, name, f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"))
    return found


IMPORTS = imports()


def test_every_package_has_a_layer() -> None:
    units = {unit(module) for module, _, _ in IMPORTS} | {unit(name) for _, name, _ in IMPORTS}
    assert units - KNOWN == set(), "add the new package to a layer in this test (and DESIGN.md's Layout)"


def test_imports_go_one_way() -> None:
    wrong = [
        f"{where}: {module} imports {name} ({unit(module) or 'sfmc_actions'} -> {unit(name) or 'sfmc_actions'})"
        for module, name, where in IMPORTS
        if not may_import(unit(module), unit(name))
    ]
    assert wrong == []


def test_emulator_imports_nothing_outside_itself() -> None:
    """DESIGN.md: the emulator is an independent implementation of the SFMC API; it imports nothing from the
    client, so tests against it check our client against the API's documented behaviour, not against itself."""
    own = {name for module, name, _ in IMPORTS if unit(module) == "emulator"}
    assert own and all(name.startswith("sfmc_actions.emulator") for name in own), sorted(own)


@pytest.mark.parametrize(
    ("importer", "imported", "allowed"),
    [
        ("deliver", "route", False),
        ("ingest", "deliver", False),
        ("deliver", "ingest", False),
        ("route", "ingest", False),
        ("queue", "service", False),
        ("sfmc", "cli", False),
        ("js", "route.mapping", False),
        ("errors", "queue", False),
        ("route", "route.fql", True),
        ("deliver", "sfmc", True),
        ("emulator", "errors", False),
        ("sfmc", "emulator", False),
        ("service", "emulator", True),
        ("cli", "service", True),
        ("service", "cli", True),
    ],
)
def test_the_rules_themselves(importer: str, imported: str, allowed: bool) -> None:
    assert may_import(importer, imported) is allowed
