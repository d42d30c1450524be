"""Faults named, not swallowed: a full disk (a real, small tmpfs filled up) is answered "the disk
is full" with the path, in a command's reply and as a one-line start-up error; an error reply that
itself fails with a dropped connection never makes the error handler raise.

Mounting a tmpfs needs root (or CAP_SYS_ADMIN). Where mounting is refused, the full-disk tests skip
with one line saying so, even under ``CI=true``: that is a permission of the environment, not a
defect of the bot. Run them as root (or in a container with CAP_SYS_ADMIN) to exercise them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from zoryx_core.testing import DiscordEmulator
from zoryx_core.testing.disks import MountRefused, fill_disk, small_tmpfs
from zoryx_core.testing.zoryx_bots import make_zoryx_bot

CLI = [sys.executable, "-m", "zoryx_core.cli"]
SEND = "POST /channels/{channel_id}/messages"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 2 MiB tmpfs (skips, saying why, where mounting is not permitted)."""
    try:
        with small_tmpfs(tmp_path / "disk") as mount:
            yield mount
    except MountRefused as refused:
        pytest.skip(str(refused))


COMMUNITY_COG = '''
from discord.ext import commands


class Notes(commands.Cog):
    """A community cog that keeps notes in the bot's storage."""

    @commands.hybrid_command()
    async def note(self, ctx, *, text: str):
        await ctx.bot.storage.set("notes", str(ctx.author.id), text, guild_id=ctx.guild.id)
        await ctx.send("noted")

    @commands.command()
    async def explode(self, ctx):
        raise RuntimeError("kaboom")


async def setup(bot):
    await bot.add_cog(Notes())
'''


async def test_a_full_disk_is_named_in_the_reply(
    discord_emulator: DiscordEmulator, bot_runner, tmp_path: Path, small_disk: Path
) -> None:
    emu = discord_emulator
    owner = emu.create_user("owner")
    guild = emu.create_guild("Full", owner=owner)
    channel = emu.channel_named(guild, "general")
    (tmp_path / "extensions").mkdir()
    (tmp_path / "extensions" / "notes.py").write_text(COMMUNITY_COG)
    data = small_disk / "data"
    bot = make_zoryx_bot(
        tmp_path, config={"data_dir": str(data), "cooldowns.default_rate": 0, "errors.delete_after": 0}
    )
    await bot_runner(bot)
    await bot.tree.sync()
    assert (await emu.converse(channel, owner, "!note before")).content == "noted"
    fill_disk(small_disk)

    refused = await emu.converse(channel, owner, "!setprefix ?")
    text = refused.embeds[0]["description"]
    assert "disk is full" in text and str(data / "guilds") in text, text
    assert "Something went wrong" not in text

    for attempt in ("!note after the disk filled up", "/note"):
        if attempt == "/note":
            result = await emu.run_slash("note", channel=channel, user=owner, options={"text": "x" * 500})
            text = result.embeds[0]["description"]
            assert result.ephemeral
        else:
            text = (await emu.converse(channel, owner, attempt)).embeds[0]["description"]
        assert "disk is full" in text and str(data) in text, text


async def test_the_error_handler_never_raises_when_its_reply_fails(
    discord_emulator: DiscordEmulator, bot_runner, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    emu = discord_emulator
    member = emu.create_user("member")
    guild = emu.create_guild("Dropped", members=[member])
    channel = emu.channel_named(guild, "general")
    (tmp_path / "extensions").mkdir()
    (tmp_path / "extensions" / "notes.py").write_text(COMMUNITY_COG)
    bot = make_zoryx_bot(tmp_path, config={"cooldowns.default_rate": 0, "errors.delete_after": 0})
    await bot_runner(bot)
    caplog.set_level(logging.INFO)
    failures_before = bot.metrics.errors

    emu.faults.drop_connection(SEND)  # the error reply's connection is closed without an answer
    sent = await emu.send_message(channel, member, "!explode")
    reported = ("could not send the error reply", "Ignoring exception", "error handler failed")
    for _ in range(1500):
        if any(word in r.getMessage() for r in caplog.records for word in reported):
            break
        await asyncio.sleep(0.01)
    handler_crashes = [
        r.getMessage() for r in caplog.records if any(w in r.getMessage() for w in reported[1:])
    ]
    assert handler_crashes == []
    warning = next(r for r in caplog.records if "could not send the error reply" in r.getMessage())
    assert warning.name == "zoryx.errors" and warning.levelno == logging.WARNING
    assert "command 'explode' (plugin notes)" in warning.getMessage()
    assert "ClientOSError" in warning.getMessage() or "Disconnected" in warning.getMessage()
    assert bot.metrics.errors == failures_before + 1
    assert [m for m in emu.messages_in(channel) if m.id > sent.id] == []

    emu.faults.clear()  # the bot goes on answering
    assert "logged as" in (await emu.converse(channel, member, "!explode")).embeds[0]["description"]


def _run_env(emulator: DiscordEmulator, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("ZORYX_", "DISCORD_", "BOT_OWNER", "SHARD_"))
    }
    env.update(
        DISCORD_TOKEN=emulator.token,
        BOT_OWNER_ID="1",
        ZORYX_DISCORD_URL=emulator.base_url,
        ZORYX_STARTUP__GUILD_READY_TIMEOUT="0.1",
        ZORYX_PLUGINS__ENABLED="zoryx-hello",
        COLUMNS="300",
    )
    env.update(extra)
    return env


async def test_a_start_on_a_full_disk_is_one_line_and_exit_code_1(
    discord_emulator: DiscordEmulator, tmp_path: Path, small_disk: Path
) -> None:
    home = small_disk / "bot"
    home.mkdir()
    fill_disk(small_disk)
    logs = tmp_path / "logs"  # the traceback goes to a log file on another disk
    process = await asyncio.create_subprocess_exec(
        *CLI,
        "run",
        cwd=home,
        env=_run_env(discord_emulator, ZORYX_LOGGING__DIRECTORY=str(logs)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    err = stderr.decode()
    assert process.returncode == 1, err
    assert "Traceback" not in err + stdout.decode()
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: the disk is full: {home / 'data' / 'main.db'} could not be written; "
        "free space on that disk and start again"
    ]
    permanent = (logs / "permanent.log").read_text(encoding="utf-8")
    assert "Traceback" in permanent and "DiskFullError" in permanent

    # everything on the full disk, the logs too: still one line, exit code 1, no traceback
    process = await asyncio.create_subprocess_exec(
        *CLI,
        "run",
        cwd=home,
        env=_run_env(discord_emulator),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    err = stderr.decode()
    assert process.returncode == 1, err
    assert "Traceback" not in err + stdout.decode()
    assert any(line.startswith("error: the disk is full: ") for line in err.splitlines()), err
