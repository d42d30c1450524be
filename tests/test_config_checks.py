"""Typos are named, not ignored: unknown config.json keys and ZORYX_* variables get a warning with
the closest known name; --plugins names that match nothing, and a missing --env-file, are errors;
`zoryx plugins` writes nothing."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from zoryx_core import ZoryxBot
from zoryx_core.testing import DiscordEmulator

BotFactory = Callable[..., Awaitable[ZoryxBot]]
CLI = [sys.executable, "-m", "zoryx_core.cli"]


def _environ(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZORYX_", "DISCORD_", "BOT_OWNER"))}
    return env | {"COLUMNS": "300"} | extra


async def test_unknown_keys_and_variables_are_named_with_the_closest_known_one(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="zoryx")
    await zoryx_bot(
        plugins=["zoryx-hello"],
        config={"prefx": "?", "logging.levl": "DEBUG", "plugin_settings.zoryx-hello.greting": "Hi"},
        environ={
            "ZORYX_COOLDOWNS__DEFAULT_RAT": "2",
            "ZORYX_PLUGIN_SETTINGS__ZORYX_HELLO__GREETIN": "Hey",
            "ZORYX_DATABASE_URL": "postgresql://u:p@h/db",  # a deployment value, not a setting
            "ZORYX_PREFIX": "!",  # a real setting
        },
    )
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    expected = [
        "config.json: unknown key 'prefx' is ignored (did you mean 'prefix'?)",
        "config.json: unknown key 'logging.levl' is ignored (did you mean 'logging.level'?)",
        "config.json: unknown key 'plugin_settings.zoryx-hello.greting' is ignored "
        "(did you mean 'greeting'?)",
        "environment variable ZORYX_COOLDOWNS__DEFAULT_RAT sets no setting and is ignored "
        "(did you mean 'ZORYX_COOLDOWNS__DEFAULT_RATE'?)",
        "environment variable ZORYX_PLUGIN_SETTINGS__ZORYX_HELLO__GREETIN sets no setting and is ignored "
        "(did you mean 'ZORYX_PLUGIN_SETTINGS__ZORYX_HELLO__GREETING'?)",
    ]
    for line in expected:
        assert line in warnings, (line, warnings)
    assert not [w for w in warnings if "ZORYX_DATABASE_URL" in w or "ZORYX_PREFIX" in w]


def test_plugin_names_that_match_nothing_are_an_error_listing_what_is_installed(tmp_path: Path) -> None:
    for command in (["plugins"], ["run"], ["sandbox", "--script", "demo.txt"]):
        (tmp_path / "demo.txt").write_text("!about\n")
        result = subprocess.run(
            [*CLI, *command, "--plugins", "zoryx-helo,zoryx-hello"],
            cwd=tmp_path,
            env=_environ(DISCORD_TOKEN="x", BOT_OWNER_ID="1"),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        said = result.stderr + result.stdout  # the sandbox prints on its own console
        assert "--plugins: no plugin named zoryx-helo; installed plugins and extensions:" in said
        assert "zoryx-hello" in said.split("installed plugins and extensions:")[1]


def test_a_missing_env_file_is_an_error_and_plugins_writes_nothing(tmp_path: Path) -> None:
    result = subprocess.run(
        [*CLI, "run", "--env-file", "production.env"],
        cwd=tmp_path,
        env=_environ(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "--env-file production.env: no such file" in result.stderr
    listing = subprocess.run([*CLI, "plugins"], cwd=tmp_path, env=_environ(), capture_output=True, text=True)
    assert listing.returncode == 0, listing.stderr
    assert "zoryx-hello" in listing.stdout
    assert list(tmp_path.iterdir()) == [], "an inspection writes no file"
