"""``zoryx run``, ``zoryx plugins`` and ``zoryx sandbox`` as separate processes, as a user runs them."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import journal_lines

from zoryx_core.testing import DiscordEmulator

CLI = [sys.executable, "-m", "zoryx_core.cli"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("ZORYX_", "DISCORD_", "BOT_OWNER", "SHARD_"))
    }
    env.update(extra)
    return env


def zoryx(
    *args: str, cwd: Path, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_run_without_token_is_one_line(tmp_path: Path) -> None:
    result = zoryx("run", cwd=tmp_path, env=clean_env(COLUMNS="300"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "DISCORD_TOKEN" in lines[0] and "BOT_OWNER_ID" in lines[0] and "zoryx sandbox" in lines[0]


def test_run_refuses_bad_settings_and_never_rewrites(tmp_path: Path) -> None:
    env = clean_env(DISCORD_TOKEN="x", BOT_OWNER_ID="1", COLUMNS="300")
    config = tmp_path / "config.json"
    broken = '{\n  "prefix": "!",\n  "logging": {"level": "INFO" "x": 1}\n}\n'
    config.write_text(broken)
    result = zoryx("run", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "line 3, column" in result.stderr
    assert config.read_text() == broken

    config.write_text('{"logging": {"max_bytes": 5}}')
    result = zoryx("run", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "logging.max_bytes = 5" in result.stderr and "1024" in result.stderr

    config.unlink()
    (tmp_path / ".env").write_text("ZORYX_PLUGINS__SETUP_TIMEOUT=-1\n")
    result = zoryx("run", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "ZORYX_PLUGINS__SETUP_TIMEOUT" in result.stderr and "plugins.setup_timeout" in result.stderr


async def test_sigterm_during_traffic_exits_cleanly(
    discord_emulator: DiscordEmulator, test_plugins: Path, plugin_site: Path, tmp_path: Path
) -> None:
    alice = discord_emulator.create_user("alice")
    guild = discord_emulator.create_guild("Prod", members=[alice])
    general = discord_emulator.channel_named(guild, "general")
    env = clean_env(
        DISCORD_TOKEN=discord_emulator.token,
        BOT_OWNER_ID=str(alice.id),
        ZORYX_DISCORD_URL=discord_emulator.base_url,
        ZORYX_PLUGINS__ENABLED="zoryx-test-recorder,zoryx-test-second,zoryx-hello",
        ZORYX_STARTUP__GUILD_READY_TIMEOUT="0.1",
        ZORYX_TEST_JOURNAL=str(test_plugins),
        PYTHONPATH=str(plugin_site),
    )
    process = await asyncio.create_subprocess_exec(
        *CLI,
        "run",
        "--quiet",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while "ready" not in journal_lines(test_plugins):
        assert time.monotonic() < deadline and process.returncode is None, "the bot did not become ready"
        await asyncio.sleep(0.05)
    assert (await discord_emulator.converse(general, alice, "!hello")).content == "Hello, alice!"

    async def traffic() -> None:
        while True:
            await discord_emulator.send_message(general, alice, "!recping")
            await asyncio.sleep(0.01)

    flood = asyncio.create_task(traffic())
    await asyncio.sleep(0.3)
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    flood.cancel()
    assert process.returncode == 0, stderr.decode()
    assert "SIGTERM received" in stderr.decode()
    assert "is online" in stderr.decode()  # the start-up panel
    lines = journal_lines(test_plugins)
    # commands still in flight may complete after the shutdown hook (the gateway is still open)
    ending = [line for line in lines if line.startswith(("shutdown-hook", "teardown"))]
    assert ending == [
        "shutdown-hook zoryx-test-recorder",
        "teardown zoryx-test-second",
        "teardown zoryx-test-recorder",
    ]
    assert any(line.startswith("executed recping prefix zoryx-test-recorder") for line in lines)
    permanent = (tmp_path / "botlogs" / "permanent.log").read_text()
    assert "loaded plugin zoryx-test-recorder" in permanent and "shutting down" in permanent
    assert (tmp_path / "botlogs" / "current_run.log").exists()
    with sqlite3.connect(tmp_path / "data" / "main.db") as db:
        assert db.execute("SELECT clean FROM zoryx_runs").fetchall() == [(1,)]
    assert (
        not (tmp_path / "data" / "main.db-wal").exists()
        or (tmp_path / "data" / "main.db-wal").stat().st_size == 0
    )
    written = json.loads((tmp_path / "config.json").read_text())
    assert written["plugins"]["setup_timeout"] == 30.0
    assert written["plugin_settings"]["zoryx-hello"]["greeting"] == "Hello"


def test_plugins_json_lists_everything(plugin_site: Path, tmp_path: Path) -> None:
    result = zoryx("plugins", "--json", cwd=tmp_path, env=clean_env(PYTHONPATH=str(plugin_site)))
    assert result.returncode == 0, result.stderr
    report = {item["name"]: item for item in json.loads(result.stdout)}
    assert report["zoryx-hello"]["status"] == "available"
    assert report["zoryx-hello"]["hooks"] == ["zoryx_health_check", "zoryx_settings", "zoryx_setup"]
    assert report["zoryx-hello"]["requires_core"] == "zoryx-core<0.2,>=0.1"
    assert report["zoryx-test-broken"]["status"] == "failed"
    assert (
        report["zoryx-test-needy"]["reason"] == "requires zoryx-hello>=9, but zoryx-hello 0.1.0 is installed"
    )
    assert report["zoryx-test-second"]["dependencies"] == ["zoryx-test-recorder>=1"]
    assert report["zoryx-test-cycle-a"]["reason"].startswith("dependency cycle")
    assert report["core.help"]["kind"] == "builtin" and report["core.help"]["status"] == "available"
    table = zoryx("plugins", cwd=tmp_path, env=clean_env(COLUMNS="200"))
    assert "zoryx-hello" in table.stdout and "available" in table.stdout


def test_sandbox_script_prints_a_conversation(tmp_path: Path) -> None:
    script = tmp_path / "demo.txt"
    script.write_text("# a comment\n!hello\n/hello\n")
    result = zoryx(
        "sandbox", "--script", str(script), "--home", str(tmp_path / "home"),
        cwd=tmp_path, env=clean_env(COLUMNS="120", ZORYX_PLUGINS__ENABLED="zoryx-hello"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "alice> !hello" in out and out.count("Hello, alice!") == 2
    assert "alice> /hello" in out and "a comment" not in out
    assert (tmp_path / "home" / "data" / "main.db").exists()


def _first_run(
    emu: DiscordEmulator, tmp_path: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    owner = emu.create_user("first-run-owner")
    emu.create_guild("First run", members=[owner])
    settings = {
        "DISCORD_TOKEN": emu.token,
        "BOT_OWNER_ID": str(owner.id),
        "ZORYX_DISCORD_URL": emu.base_url,
        "ZORYX_PLUGINS__ENABLED": "zoryx-hello",
        "ZORYX_STARTUP__GUILD_READY_TIMEOUT": "0.1",
        "COLUMNS": "400",
    }
    return zoryx("run", *args, cwd=tmp_path, env=clean_env(**(settings | env)), timeout=90)


def _one_error_line(result: subprocess.CompletedProcess[str], tmp_path: Path, *expected: str) -> str:
    """Exit 1, no traceback on the console, one ``error:`` line holding ``expected``; the traceback
    is in the log file."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "voice will NOT be supported" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert all(part in errors[0] for part in expected), errors[0]
    permanent = (tmp_path / "botlogs" / "permanent.log").read_text()
    assert "start-up failed" in permanent and "Traceback" in permanent
    return errors[0]


async def test_a_bad_token_is_one_line_and_exit_1(discord_emulator: DiscordEmulator, tmp_path: Path) -> None:
    wrong = "MTIz.wrong-token-never-shown.abc"
    result = await asyncio.to_thread(_first_run, discord_emulator, tmp_path, "--quiet", DISCORD_TOKEN=wrong)
    line = _one_error_line(result, tmp_path, "refused the bot token", "DISCORD_TOKEN", "Reset Token")
    assert result.stderr.strip() == line  # --quiet: nothing but the line
    assert wrong not in result.stderr and wrong not in (tmp_path / "botlogs" / "permanent.log").read_text()


async def test_privileged_intents_refused_by_the_gateway_are_one_line(
    discord_emulator: DiscordEmulator, tmp_path: Path
) -> None:
    discord_emulator.gateway.privileged_intents_enabled = 0  # nothing switched on in the portal
    result = await asyncio.to_thread(_first_run, discord_emulator, tmp_path)
    _one_error_line(
        result,
        tmp_path,
        "4014",
        "Server Members, Message Content",
        "Privileged Gateway Intents",
        "intents.members = false / intents.message_content = false",
    )
    assert "PrivilegedIntentsRequired" in (tmp_path / "botlogs" / "permanent.log").read_text()


async def test_an_unreachable_discord_is_one_line(discord_emulator: DiscordEmulator, tmp_path: Path) -> None:
    with socket.socket() as placeholder:  # a port nothing listens on
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    result = await asyncio.to_thread(
        _first_run, discord_emulator, tmp_path, ZORYX_DISCORD_URL=f"http://127.0.0.1:{port}"
    )
    _one_error_line(result, tmp_path, "Could not reach Discord at 127.0.0.1", "network")
