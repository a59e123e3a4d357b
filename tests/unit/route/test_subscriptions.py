from __future__ import annotations

from pathlib import Path

import pytest

from sfmc_actions import trigger_matches
from sfmc_actions.errors import ConfigError
from sfmc_actions.service.load import load


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def problems(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load(path)
    return "\n".join(str(p) for p in info.value.problems)


def test_quickstart_compiles_every_subscription() -> None:
    loaded = load("examples/quickstart.yaml")
    assert [s.action.key for s in loaded.subscriptions] == [
        "contact",
        "contactDataExtension",
        "dataExtension",
        "dataExtension",
        "apiEvent",
        "contactDataExtension",
        "contactDataExtension",
    ]
    assert loaded.warnings == []


def test_default_trigger_comes_from_the_action(tmp_path: Path) -> None:
    loaded = load(write(tmp_path, "subscriptions:\n  - {name: c, action: contact, mapping: {contactKey: x}}\n"))
    (sub,) = loaded.subscriptions
    assert sub.trigger.fql == 'type = "identify"'
    assert sub.trigger.matches({"type": "identify"}) and not sub.trigger.matches({"type": "track"})


def test_unknown_action_lists_the_valid_ones(tmp_path: Path) -> None:
    text = problems(write(tmp_path, 'subscriptions:\n  - name: s\n    action: contacts\n    trigger: type = "x"\n'))
    assert "config.yaml:3: subscriptions[0].action: unknown action 'contacts'" in text
    assert "apiEvent" in text and "dataExtensionV2" in text


def test_trigger_syntax_error_has_line_column_and_caret(tmp_path: Path) -> None:
    config = 'subscriptions:\n  - name: s\n    action: dataExtension\n    trigger: ((type = "track"))\n'
    config += "    mapping: {key: K, keys: {a: 1}, values: {}}\n"
    text = problems(write(tmp_path, config))
    assert "config.yaml:4: subscriptions[0].trigger: invalid trigger:" in text
    assert '    ((type = "track"))\n' in text and "^" in text


def test_trigger_required_when_the_action_has_no_default(tmp_path: Path) -> None:
    text = problems(write(tmp_path, "subscriptions:\n  - {name: s, action: apiEvent}\n"))
    assert "a trigger is required: action 'apiEvent' has no default trigger" in text


def test_mapping_errors_point_at_the_directive_line(tmp_path: Path) -> None:
    config = """subscriptions:
  - name: s
    action: dataExtension
    trigger: type = "track"
    mapping:
      key: Orders
      keys:
        id: { "@path": false }
"""
    text = problems(write(tmp_path, config))
    assert "config.yaml:8: subscriptions[0].mapping.keys.id.@path: invalid mapping: " in text
    assert "/keys/id/@path should be a string or a mapping directive but it is a boolean." in text


def test_v2_action_needs_its_data_extension_id(tmp_path: Path) -> None:
    config = 'subscriptions:\n  - name: s\n    action: dataExtensionV2\n    trigger: type = "track"\n'
    config += "    mapping: {keys: {a: 1}}\n"
    text = problems(write(tmp_path, config))
    assert "No Data Extension Connected" in text and "onMappingSave" in text


def test_surprising_triggers_load_with_a_located_warning(tmp_path: Path) -> None:
    config = "subscriptions:\n  - name: s\n    action: contact\n"
    config += '    trigger: type = "identify" or type = "track" and userId = "x"\n'
    loaded = load(write(tmp_path, config))
    (warning,) = loaded.warnings[:1]
    assert "config.yaml:4: subscription 's':" in warning


def test_yaml_booleans_where_text_is_expected_get_a_quoting_hint(tmp_path: Path) -> None:
    text = problems(write(tmp_path, "subscriptions:\n  - {name: off, action: contact}\n"))
    assert "subscriptions[0].name: Input should be a valid string" in text
    assert "put the value in quotes" in text


def test_root_mapping_errors_without_a_pointer_stay_at_the_mapping(tmp_path: Path) -> None:
    config = "subscriptions:\n  - name: s\n    action: contact\n    mapping:\n"
    config += '      __segment_internal_directive: {"@transform": {}, "@path": "x"}\n'
    text = problems(write(tmp_path, config))
    message = "The root mapping must only have a single directive object"
    assert f"subscriptions[0].mapping: invalid mapping: {message}" in text


def test_triggers_with_astral_characters_load_or_fail_as_config_problems(tmp_path: Path) -> None:
    # Issue 14, class 1: trigger text raised ValueError; now it compiles, or is a trigger problem.
    config = "subscriptions:\n  - name: s\n    action: contact\n    trigger: TRIGGER\n    mapping: {contactKey: x}\n"
    (sub,) = load(
        write(tmp_path, config.replace("TRIGGER", "'properties.a = \"😀\" or properties.\\ü = 1'"))
    ).subscriptions
    assert sub.trigger.matches({"properties": {"a": "😀"}})
    # Segment's lexer escapes one UTF-16 unit: `\😀` leaves the emoji's second half outside the name.
    text = problems(write(tmp_path, config.replace("TRIGGER", "'properties.\\😀 != \"x\"'")))
    assert "subscriptions[0].trigger: invalid trigger:" in text
    # Lone surrogates cannot be in a YAML config (pydantic wants valid Unicode text): the public API takes them.
    assert trigger_matches('properties.\\\ud83d\\\ude00 != "x"', {"properties": {}})
