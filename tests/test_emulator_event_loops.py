"""The emulator and a bot on uvloop, which many bots run on; the rest of the suite uses asyncio's loop."""

from __future__ import annotations

import asyncio
import sys

import pytest

from tests.conftest import make_bot
from zoryx_core.discord_redirect import point_discord_at, restore_discord_defaults
from zoryx_core.testing import DiscordEmulator, running_bot

uvloop = pytest.importorskip("uvloop", reason="uvloop is installed with the dev extra on Linux and macOS")


async def _conversation() -> str:
    async with DiscordEmulator() as emu:
        point_discord_at(emu.api_url, emu.gateway_url)
        try:
            alice = emu.create_user("alice")
            guild = emu.create_guild("Loop", members=[alice])
            bot = make_bot()

            @bot.command()
            async def ping(ctx):  # type: ignore[no-untyped-def]
                await ctx.send("pong")

            async with running_bot(emu, bot):
                reply = await emu.converse(emu.channel_named(guild, "general"), alice, "!ping")
                assert isinstance(asyncio.get_running_loop(), uvloop.Loop)
                return reply.content
        finally:
            restore_discord_defaults()


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop does not run on Windows")
def test_emulator_and_bot_on_uvloop() -> None:
    assert uvloop.run(_conversation()) == "pong"
