from __future__ import annotations

from pathlib import Path

from sfmc_actions.service.run import default_emulator_seed


def test_the_seed_beside_the_config_is_the_default(tmp_path: Path) -> None:
    config = tmp_path / "my.yaml"
    assert default_emulator_seed(config) is None  # the emulator's demo tenant then
    (tmp_path / "emulator-seed.yaml").write_text("tenants: []\n")
    assert default_emulator_seed(config) == tmp_path / "emulator-seed.yaml"
    assert default_emulator_seed(Path("examples/quickstart.yaml")) == Path("examples/emulator-seed.yaml")
