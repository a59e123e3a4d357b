"""DESIGN.md: the emulator is an independent implementation and imports nothing from the client."""

from __future__ import annotations

import ast
from pathlib import Path

import sfmc_actions.emulator

PACKAGE = Path(sfmc_actions.emulator.__file__).parent


def test_emulator_imports_nothing_from_the_sfmc_client() -> None:
    imported: set[str] = set()
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    own = {name for name in imported if name.startswith("sfmc_actions")}
    assert own and all(name.startswith("sfmc_actions.emulator") for name in own), sorted(own)
