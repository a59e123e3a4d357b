"""The config document as YAML text: block style, keys in the order built, the same bytes for the same input.

PyYAML's safe dumper quotes every string that would read back as something else (`yes`, `1.0`, `null`, `@path`,
`key: value`), so `yaml.safe_load(config_text(d)) == d` for the JSON values that Segment exports hold.
"""

from __future__ import annotations

from typing import Any

import yaml

HEADER = """\
# Written by `sfmc-actions import segment` from Segment Public API exports.
# Triggers and mappings are copied unchanged from Segment. Secrets and write keys are ${ENV_VAR}
# placeholders: set those variables before `sfmc-actions serve` (the import printed which).
# Check it with `sfmc-actions check-config` after any edit.
"""


class _Dumper(yaml.SafeDumper):
    """Indents list items under their key, as the examples and README write them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def config_text(document: dict[str, Any]) -> str:
    body = yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=False,  # the order Segment lists them in, and name/action/enabled/trigger/mapping
        allow_unicode=True,
        default_flow_style=False,
        width=1 << 20,  # never fold a long trigger or template over lines
        indent=2,
    )
    return HEADER + "\n" + body
