"""Every core setting is documented in the README and read by the code that uses it."""

from __future__ import annotations

from pathlib import Path

import pytest

from zoryx_core.settings import CORE_SETTINGS

ROOT = Path(__file__).parent.parent
SOURCES = [p for p in (ROOT / "zoryx_core").rglob("*.py") if p.name != "settings.py"]


@pytest.mark.parametrize("key", [setting.key for setting in CORE_SETTINGS])
def test_setting_is_documented_and_read(key: str) -> None:
    assert f"| `{key}` |" in (ROOT / "README.md").read_text(), f"{key} is not in the README's reference"
    readers = [p for p in SOURCES if f'"{key}"]' in p.read_text()]
    assert readers, f"no module outside settings.py reads {key}"
