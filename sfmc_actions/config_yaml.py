"""The YAML side of the config file: where each key is (line numbers), `${ENV_VAR}` interpolation, and paths.

Kept apart from `config.py`, which says what the file must hold; this module only knows YAML and text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import yaml

from sfmc_actions.errors import ConfigProblem

Path = tuple[str | int, ...]

ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
# `$${NAME}` stays the text `${NAME}` (as in Docker Compose): how a literal "${" survives interpolation, e.g. in
# a mapping imported from Segment, where "${" means nothing special.
_ENV_OR_ESCAPE_RE = re.compile(r"\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def format_path(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def escape_env(text: str) -> str:
    """`text` written so that interpolation gives it back unchanged: every `${NAME...}` becomes `$${NAME...}`."""
    return ENV_RE.sub(lambda match: "$" + match.group(0), text)


def interpolate(
    value: Any,
    path: Path,
    env: dict[str, str],
    problem: Callable[[Path, str, str], ConfigProblem],
    problems: list[ConfigProblem],
) -> Any:
    """`value` with `${NAME}` / `${NAME:-default}` replaced in every string; unset names go to `problems`."""
    if isinstance(value, dict):
        return {k: interpolate(v, (*path, k), env, problem, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, (*path, i), env, problem, problems) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        escaped, name, default = match.group(1), match.group(2), match.group(3)
        if escaped:
            return match.group(0)[1:]
        if name in env:
            return env[name]
        if default is not None:
            return default
        problems.append(
            problem(
                path,
                f"environment variable {name} is not set",
                f"export {name}=... before starting, or write ${{{name}:-default}} to give a default",
            )
        )
        return ""

    return _ENV_OR_ESCAPE_RE.sub(substitute, value)


def line_map(node: yaml.Node | None) -> dict[Path, int]:
    """1-based line of every key and item in a composed YAML document, by its path."""
    lines: dict[Path, int] = {}

    def walk(n: yaml.Node, path: Path) -> None:
        lines[path] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            for key, child in n.value:
                name = key.value
                lines[(*path, name)] = key.start_mark.line + 1
                walk(child, (*path, name))
                lines[(*path, name)] = key.start_mark.line + 1  # the key's line, not the value's
        elif isinstance(n, yaml.SequenceNode):
            for i, child in enumerate(n.value):
                walk(child, (*path, i))

    if node is not None:
        walk(node, ())
    return lines
