"""Discovery reads core metadata without the email parser and registration looks at a module's own
namespace: both must find exactly what importlib.metadata and plain pluggy find."""

from __future__ import annotations

import sys
import types
from importlib import metadata
from pathlib import Path

import pluggy
import pytest

from zoryx_core import hookimpl, hookspecs
from zoryx_core.plugins.manager import ZoryxPluginManager
from zoryx_core.plugins.metadata import discover_distributions, metadata_headers, scan_distributions
from zoryx_core.plugins.resolution import InstalledVersions

FOLDED = """\
Metadata-Version: 2.1
Name: Zoryx_Folded
Version: 1.2.3
Summary: One line
Author-email: "Ada L" <ada@example.org>, Bob <bob@example.org>
License: first line
        second line
Requires-Dist: zoryx-core>=0.1
Requires-Dist: discord.py<3,>=2.7
Requires-Dist: pytest; extra == "test"
Requires-Dist: colorama; sys_platform == "win32"

Requires-Dist: not-a-header-this-is-the-description
"""

PLAIN = """\
Metadata-Version: 2.1
Name: zoryx-plain
Version: 0.4
Author: Carol
"""

EGG = """\
Metadata-Version: 1.1
Name: zoryx-egg
Version: 2.0
Summary: an old-style install
"""


def _dist_info(site: Path, folder: str, metadata_text: str, entry_point: str | None) -> None:
    info = site / folder
    info.mkdir()
    (info / ("PKG-INFO" if folder.endswith(".egg-info") else "METADATA")).write_text(metadata_text)
    if entry_point:
        (info / "entry_points.txt").write_text(f"[zoryx.plugins]\n{entry_point}\n")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    _dist_info(tmp_path, "zoryx_folded-1.2.3.dist-info", FOLDED, "zoryx-folded = zoryx_folded")
    _dist_info(tmp_path, "zoryx_plain-0.4.dist-info", PLAIN, "zoryx-plain = zoryx_plain")
    _dist_info(tmp_path, "zoryx_egg.egg-info", EGG, "zoryx-egg = zoryx_egg")
    (tmp_path / "zoryx_egg.egg-info" / "requires.txt").write_text(
        "zoryx-core>=0.1\nattrs\n\n[test]\npytest\n"
    )
    _dist_info(tmp_path, "other-1.0.dist-info", "Name: other\nVersion: 1.0\n", None)
    return tmp_path


def test_headers_match_the_email_parser(site: Path) -> None:
    for dist in metadata.distributions(path=[str(site)]):
        headers = metadata_headers(dist)
        reference = dist.metadata
        for field in ("Name", "Version", "Summary", "Author", "Author-email"):
            values = headers.get(field.lower())
            assert (values[0] if values else None) == reference[field], field
        assert headers.get("requires-dist", []) == (reference.get_all("Requires-Dist") or [])
    folded = next(d for d in metadata.distributions(path=[str(site)]) if d.metadata["Name"] == "Zoryx_Folded")
    assert metadata_headers(folded)["license"] == ["first line\nsecond line"]


def test_plugins_found_as_importlib_metadata_describes_them(site: Path) -> None:
    specs = {spec.name: spec for spec in discover_distributions([str(site)])}
    assert sorted(specs) == ["zoryx-egg", "zoryx-folded", "zoryx-plain"]
    folded = specs["zoryx-folded"]
    assert (folded.version, folded.summary, folded.author) == ("1.2.3", "One line", "Ada L, Bob")
    # Markers evaluated, extras ignored: as from Distribution.requires.
    assert [str(req) for req in folded.requirements] == ["zoryx-core>=0.1", "discord.py<3,>=2.7"]
    assert specs["zoryx-plain"].author == "Carol"
    assert specs["zoryx-plain"].requirements == ()
    egg = specs["zoryx-egg"]  # an egg-info install keeps its requirements in requires.txt
    assert [str(req) for req in egg.requirements] == ["zoryx-core>=0.1", "attrs"]


def test_installed_versions_come_from_one_scan(site: Path) -> None:
    versions = InstalledVersions(scan_distributions([str(site)]))
    assert versions("Zoryx.Folded") == "1.2.3"
    assert versions("other") == "1.0"
    assert versions("absent") is None
    on_sys_path = InstalledVersions()  # scans sys.path when first asked
    assert on_sys_path("pluggy") == pluggy.__version__


def _plugin_module(name: str, body: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(body, module.__dict__)
    sys.modules[name] = module
    return module


PLUGIN_BODY = """
from zoryx_core import hookimpl

class Helper:
    @hookimpl
    def settings(self):
        return []

zoryx_settings = Helper().settings  # a bound method at module level registers as well

@hookimpl
def zoryx_conflicts():
    return []

def zoryx_shutdown(bot):  # no marker: not an implementation
    pass

not_callable = {"zoryx_impl": {}}

def __getattr__(name):
    raise AssertionError(f"registration asked the module for {name!r}")
"""


def test_the_manager_registers_what_pluggy_registers() -> None:
    found = {}
    for manager_class in (pluggy.PluginManager, ZoryxPluginManager):
        manager = manager_class(hookspecs.PROJECT_NAME)
        manager.add_hookspecs(hookspecs)
        module = _plugin_module(f"zoryx_test_registration_{manager_class.__name__}", PLUGIN_BODY)
        manager.register(module, name="probe")
        found[manager_class] = sorted(caller.name for caller in manager.get_hookcallers(module) or [])
    assert found[ZoryxPluginManager] == found[pluggy.PluginManager] == ["zoryx_conflicts", "zoryx_settings"]


def test_a_misspelled_hook_is_still_refused() -> None:
    manager = ZoryxPluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    module = _plugin_module("zoryx_test_misspelled", "from zoryx_core import hookimpl\n")
    module.__dict__["zoryx_setpu"] = hookimpl(lambda bot, plugin: None)
    manager.register(module, name="misspelled")
    with pytest.raises(pluggy.PluginValidationError, match="zoryx_setpu"):
        manager.check_pending()
