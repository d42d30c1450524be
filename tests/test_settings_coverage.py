"""Every core setting is documented in the configuration reference (docs/configuration.md) and read by
the code that uses it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from zoryx_core.settings import CORE_SETTINGS, Setting

ROOT = Path(__file__).parent.parent
REFERENCE = ROOT / "docs" / "configuration.md"
SOURCES = [p for p in (ROOT / "zoryx_core").rglob("*.py") if p.name != "settings.py"]


@pytest.mark.parametrize(
    "key", [setting.key for setting in CORE_SETTINGS if not setting.key.startswith("marketplace.")]
)
def test_setting_is_documented_and_read(key: str) -> None:
    assert f"| `{key}` |" in REFERENCE.read_text(), f"{key} is not in the configuration reference"
    readers = [p for p in SOURCES if f'"{key}"]' in p.read_text()]
    assert readers, f"no module outside settings.py reads {key}"


MARKETPLACE_SETTINGS = [s for s in CORE_SETTINGS if s.key.startswith("marketplace.")]


def _other_value(setting: Setting) -> Any:
    """A valid value different from the default."""
    if setting.kind == "bool":
        return not setting.default
    if setting.kind == "str":
        return "https://marketplace.example/" + setting.key.removeprefix("marketplace.")
    return setting.maximum if setting.maximum != setting.default else setting.minimum


@pytest.mark.parametrize("setting", MARKETPLACE_SETTINGS, ids=lambda s: s.key)
def test_marketplace_setting_is_documented_and_reaches_the_options(setting: Setting) -> None:
    """The ``marketplace.*`` keys are read as a group by ``MarketplaceOptions.from_settings``."""
    from marketplace_client import MarketplaceOptions

    assert f"| `{setting.key}` |" in REFERENCE.read_text(), f"{setting.key} is not in the reference"
    value = _other_value(setting)
    options = MarketplaceOptions.from_settings({setting.key: value})
    assert getattr(options, setting.key.removeprefix("marketplace.")) == value
