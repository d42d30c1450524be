"""``zoryx new-plugin``: the names it derives, the files it writes, and what it refuses."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from zoryx_core.cli import main
from zoryx_core.scaffold import PluginNames, ScaffoldError, core_requirement, write_plugin


@pytest.mark.parametrize(
    ("given", "distribution", "module", "command", "cog"),
    [
        ("zoryx-weather", "zoryx-weather", "zoryx_weather", "weather", "Weather"),
        (
            "Zoryx_Weather.Alerts",
            "zoryx-weather-alerts",
            "zoryx_weather_alerts",
            "weather-alerts",
            "WeatherAlerts",
        ),
        ("polls", "polls", "polls", "polls", "Polls"),
        ("zoryx-2fa", "zoryx-2fa", "zoryx_2fa", "2fa", "Plugin2fa"),
    ],
)
def test_names_are_derived_from_the_distribution_name(
    given: str, distribution: str, module: str, command: str, cog: str
) -> None:
    assert PluginNames.from_name(given) == PluginNames(distribution, module, command, cog)


@pytest.mark.parametrize("bad", ["", "9lives", "zoryx-", "has space", "-dash", "zoryx/weather", "é"])
def test_invalid_names_are_refused_with_what_is_allowed(bad: str) -> None:
    with pytest.raises(ScaffoldError, match="not a valid distribution name: use letters, digits"):
        PluginNames.from_name(bad)


def test_keyword_package_names_are_refused() -> None:
    with pytest.raises(ScaffoldError, match="which Python cannot import"):
        PluginNames.from_name("class")


@pytest.mark.parametrize(
    ("version", "requirement"),
    [
        ("0.1.0", "zoryx-core>=0.1,<0.2"),
        ("0.3.7", "zoryx-core>=0.3,<0.4"),
        ("1.4.2", "zoryx-core>=1.4,<2"),
        ("2.0.0rc1", "zoryx-core>=2.0,<3"),
        ("not-a-version", "zoryx-core"),
    ],
)
def test_the_core_range_admits_the_running_series(version: str, requirement: str) -> None:
    assert core_requirement(version) == requirement


def test_the_files_are_written_with_the_entry_point_and_metadata(tmp_path: Path) -> None:
    target = tmp_path / "plugin"
    names, folder, written = write_plugin(
        "zoryx-weather", target, core_version="0.1.0", description='Weather "now"', author="Ada"
    )
    assert folder == target
    assert sorted(p.relative_to(target).as_posix() for p in written) == [
        ".gitignore",
        "README.md",
        "pyproject.toml",
        "src/zoryx_weather/__init__.py",
        "src/zoryx_weather/cog.py",
        "src/zoryx_weather/py.typed",
        "tests/test_zoryx_weather.py",
    ]
    project = tomllib.loads((target / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == "zoryx-weather"
    assert project["description"] == "Weather 'now'"  # quotes cannot break the TOML
    assert project["dependencies"] == ["zoryx-core>=0.1,<0.2"]
    assert project["entry-points"]["zoryx.plugins"] == {"zoryx-weather": "zoryx_weather"}
    assert project["optional-dependencies"]["test"] == ["zoryx-core[testing]"]
    for path in written:
        if path.suffix == ".py":
            compile(path.read_text(encoding="utf-8"), str(path), "exec")
    assert '@hybrid_command(name="weather"' in (target / "src/zoryx_weather/cog.py").read_text()
    assert names.command == "weather"


def test_a_folder_in_use_and_an_importable_name_are_refused(tmp_path: Path) -> None:
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ScaffoldError, match="already exists and is not an empty folder"):
        write_plugin("zoryx-weather", used, core_version="0.1.0")
    assert [p.name for p in used.iterdir()] == ["notes.txt"]  # nothing written
    with pytest.raises(ScaffoldError, match="'discord' is already importable"):
        write_plugin("discord", tmp_path / "other", core_version="0.1.0")
    empty = tmp_path / "empty"
    empty.mkdir()
    write_plugin("zoryx-weather", empty, core_version="0.1.0")  # an empty folder is fine
    assert (empty / "pyproject.toml").is_file()


def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "polls"
    assert main(["new-plugin", "polls", "--dir", str(target)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"created polls in {target} (7 files):")
    assert "pip install -e '.[test]'" in out and "(command: polls)" in out
    assert main(["new-plugin", "polls", "--dir", str(target)]) == 2
    assert "already exists and is not an empty folder" in capsys.readouterr().err
