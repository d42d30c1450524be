"""``bot.gates``: a plugin paces IDENTIFYs (discord.py's before_identify_hook) and REST requests
(discord.py's http_trace) of a real ZoryxBot against the emulator; the cluster hooks fan out."""

from __future__ import annotations

import asyncio
from pathlib import Path

import discord

from zoryx_core.testing import DiscordEmulator
from zoryx_core.testing.zoryx_bots import make_zoryx_bot

PACER = """
import asyncio

from zoryx_core import hookimpl

SEEN = {"identify": [], "requests": [], "statuses": [], "done": [], "clusters": []}


async def identify_gate(shard_id, initial):
    SEEN["identify"].append((shard_id, initial))


async def request_gate(method, url):
    SEEN["requests"].append((method, url.path))
    await asyncio.sleep(0.01)

    async def done(status):
        SEEN["done"].append((url.path, status))

    return done


def observer(method, url, status, headers):
    SEEN["statuses"].append(status)


@hookimpl
def zoryx_setup(bot):
    bot.gates.identify = identify_gate
    bot.gates.add_request_gate(request_gate)
    bot.gates.add_response_observer(observer)
    bot.pacer_seen = SEEN


@hookimpl
def zoryx_teardown(bot):
    bot.gates.identify = None
    bot.gates.remove_request_gate(request_gate)
    bot.gates.remove_response_observer(observer)


@hookimpl
def zoryx_cluster_joined(bot, cluster_id, stats):
    SEEN["clusters"].append(("joined", cluster_id, stats))


@hookimpl
def zoryx_cluster_left(bot, cluster_id, stats):
    SEEN["clusters"].append(("left", cluster_id, stats))
"""


async def test_plugins_pace_identify_and_rest_through_the_gates(
    discord_emulator: DiscordEmulator, tmp_path: Path
) -> None:
    emu = discord_emulator
    guild = emu.create_guild("Paced")
    (tmp_path / "extensions").mkdir()
    (tmp_path / "extensions" / "pacer.py").write_text(PACER)
    bot = make_zoryx_bot(tmp_path, plugins=["pacer"], shard_count=2)
    # Started by hand: the test harness would replace discord.py's identify hook on the instance.
    runner = asyncio.create_task(bot.start(emu.token))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 30)
        seen = bot.pacer_seen  # type: ignore[attr-defined]
        assert seen["identify"] == [(0, True), (1, False)]  # no 5 s pause: the gate decided
        channel = bot.get_channel(emu.channel_named(guild, "general").id)
        assert isinstance(channel, discord.TextChannel)
        await channel.send("paced")
        assert ("POST", f"/api/v10/channels/{channel.id}/messages") in seen["requests"]
        assert 200 in seen["statuses"]
        assert (f"/api/v10/channels/{channel.id}/messages", 200) in seen["done"]
        await bot.plugins.notify("zoryx_cluster_joined", cluster_id=2, stats={"guilds": 3})
        await bot.plugins.notify("zoryx_cluster_left", cluster_id=2, stats={"guilds": 3})
        assert seen["clusters"] == [("joined", 2, {"guilds": 3}), ("left", 2, {"guilds": 3})]
    finally:
        await bot.close()
        await asyncio.gather(runner, return_exceptions=True)
    assert bot.gates.identify is None


async def test_rest_requests_carry_no_trace_unless_a_plugin_set_a_gate(
    discord_emulator: DiscordEmulator, tmp_path: Path
) -> None:
    emu = discord_emulator
    guild = emu.create_guild("Untraced")
    (tmp_path / "extensions").mkdir()
    (tmp_path / "extensions" / "pacer.py").write_text(PACER)
    bot = make_zoryx_bot(tmp_path, no_plugins=True)
    runner = asyncio.create_task(bot.start(emu.token))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 30)
        channel = bot.get_channel(emu.channel_named(guild, "general").id)
        assert isinstance(channel, discord.TextChannel)
        await channel.send("plain")
        assert not bot.gates.tracing and bot.gates.traced_sessions() == 0

        await bot.plugins.load("pacer")  # its set-up adds a request gate and an observer
        assert bot.gates.traced_sessions() == 1
        await channel.send("paced")
        seen = bot.pacer_seen  # type: ignore[attr-defined]
        assert ("POST", f"/api/v10/channels/{channel.id}/messages") in seen["requests"]

        await bot.plugins.unload("pacer")
        assert bot.gates.traced_sessions() == 0
        before = len(seen["requests"])
        await channel.send("plain again")
        assert len(seen["requests"]) == before
    finally:
        await bot.close()
        await asyncio.gather(runner, return_exceptions=True)
