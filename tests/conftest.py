"""Shared helpers for the core test suite. The emulator fixtures come from zoryx_core's pytest plugin."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import discord
import pytest
from discord.ext import commands
from run_shared import shared_folder


def make_bot(
    *, prefix: str = "!", members: bool = False, sharded: bool = False, **options: object
) -> commands.Bot:
    """A plain discord.py bot as a user would write it, with a short ready timeout for tests."""
    intents = discord.Intents.default()
    intents.message_content = True
    intents.members = members
    cls = commands.AutoShardedBot if sharded else commands.Bot
    return cls(command_prefix=prefix, intents=intents, guild_ready_timeout=0.05, help_command=None, **options)


PLUGIN_DISTS = Path(__file__).parent / "plugin_dists"
LONG_RUNNING = "long_running: a test of half a minute or more; the suite starts with these"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", LONG_RUNNING)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests first (otherwise in the usual order): pytest-xdist hands them out one per
    worker at the start, so that none of them is still running alone at the end of the run."""
    items.sort(key=lambda item: item.get_closest_marker("long_running") is None)


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test plugin distributions in tests/plugin_dists, installed once with pip into a folder
    (one for the whole run, shared by the pytest-xdist workers)."""

    def install(site: Path) -> None:
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        command += ["--no-deps", "--no-build-isolation", "--target", str(site)]
        command += map(str, sorted(PLUGIN_DISTS.iterdir()))
        subprocess.run(command, check=True, capture_output=True, timeout=300)

    return shared_folder(tmp_path_factory, "plugin-site", install)


@pytest.fixture
def test_plugins(plugin_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Puts the installed test plugins on sys.path for one test; yields the journal file they write."""
    journal = tmp_path / "journal.txt"
    journal.touch()
    monkeypatch.syspath_prepend(str(plugin_site))
    monkeypatch.setenv("ZORYX_TEST_JOURNAL", str(journal))
    yield journal
    for name in [n for n in sys.modules if n.startswith("zoryx_test_")]:
        del sys.modules[name]


def journal_lines(journal: Path) -> list[str]:
    return journal.read_text(encoding="utf-8").splitlines()

