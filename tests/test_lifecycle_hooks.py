"""Every framework event reaches plugins as a hook; the contract is documented and exercised."""

from __future__ import annotations

import asyncio
import inspect
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from conftest import journal_lines

from zoryx_core import ZoryxBot, hookspecs
from zoryx_core.testing import DiscordEmulator

BotFactory = Callable[..., Awaitable[ZoryxBot]]
ROOT = Path(__file__).parent.parent

WATCHER = """
import os

from discord.ext import commands

from zoryx_core import hookimpl


def journal(line):
    with open(os.environ["ZORYX_TEST_JOURNAL"], "a", encoding="utf-8") as file:
        file.write(line + "\\n")


@commands.command()
async def explode(ctx):
    raise ValueError("kaboom")


@hookimpl
def zoryx_setup(bot):
    bot.add_command(explode)


@hookimpl
def zoryx_guild_joined(guild):
    journal(f"joined {guild.name}")


@hookimpl
def zoryx_guild_left(guild):
    journal(f"left {guild.name}")


@hookimpl
def zoryx_command_error(event, error):
    journal(f"error {event.name} {event.kind} {event.plugin} {type(error).__name__}: {error}")


@hookimpl
def zoryx_plugin_loaded(outcome):
    journal(f"loaded {outcome.name} {outcome.status.value}")


@hookimpl
def zoryx_plugin_unloaded(outcome, reason):
    journal(f"unloaded {outcome.name} {reason}")


@hookimpl
def zoryx_hot_reload(result):
    journal(f"hot {result.action} {result.plugin} {result.ok}")
"""


async def wait_for_line(journal: Path, line: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while line not in journal_lines(journal):
        assert time.monotonic() < deadline, f"{line!r} not in {journal_lines(journal)}"
        await asyncio.sleep(0.02)


async def test_lifecycle_events_reach_plugins(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, test_plugins: Path, tmp_path: Path
) -> None:
    alice = discord_emulator.create_user("alice")
    home = discord_emulator.create_guild("Home", members=[alice])
    folder = tmp_path / "extensions"
    folder.mkdir()
    (folder / "watcher.py").write_text(WATCHER)
    bot = await zoryx_bot(
        plugins=["watcher", "zoryx-hello", "side"],
        extensions_dir=folder,
        hot_reload=True,
        config={"hot_reload.debounce_ms": 50},
    )
    await wait_for_line(test_plugins, "loaded watcher loaded")

    general = discord_emulator.channel_named(home, "general")
    await discord_emulator.send_message(general, alice, "!explode")
    await wait_for_line(test_plugins, "error explode prefix watcher ValueError: kaboom")

    other = discord_emulator.create_guild("Other", members=[alice], add_bot=False)
    discord_emulator.add_bot_to_guild(other)
    await wait_for_line(test_plugins, "joined Other")
    discord_emulator.remove_bot_from_guild(other)
    await wait_for_line(test_plugins, "left Other")
    assert "joined Home" not in journal_lines(test_plugins)

    (folder / "side.py").write_text("async def setup(bot):\n    pass\n")
    await wait_for_line(test_plugins, "hot load side True")
    await wait_for_line(test_plugins, "loaded side loaded")
    await bot.plugins.unload("zoryx-hello")
    await wait_for_line(test_plugins, "unloaded zoryx-hello unload")
    await bot.plugins.load("zoryx-hello")
    await wait_for_line(test_plugins, "loaded zoryx-hello loaded")


def test_plugin_cli_commands(plugin_site: Path, tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(plugin_site), "ZORYX_TEST_JOURNAL": str(tmp_path / "j")}
    result = subprocess.run(
        [sys.executable, "-m", "zoryx_core.cli", "recorder-hello", "--name", "zoryx"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3, result.stderr
    assert result.stdout.strip() == "recorder says hello to zoryx"
    assert "plugin zoryx-test-recorder: command 'run' is already taken" in result.stderr


HOOKS = sorted(
    name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("zoryx_")
)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_and_exercised(hook: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert doc.startswith(("*Per plugin", "*Fan-out")), f"{hook} must say whether it is per plugin or fan-out"
    assert f"`{hook}(" in (ROOT / "docs" / "hooks.md").read_text(), f"{hook} is missing from the hook table"
    test_sources = [p.read_text() for p in (ROOT / "tests").rglob("*.py")]
    test_sources += [p.read_text() for p in (ROOT / "examples").rglob("*.py")]
    assert any(f"def {hook}(" in text for text in test_sources), f"no test plugin implements {hook}"
