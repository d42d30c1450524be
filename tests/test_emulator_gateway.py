"""Gateway behaviour through real discord.py: sharding, resume, invalid sessions, heartbeats, compression."""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import Callable

import aiohttp
import discord
import pytest
from discord.ext import commands

from tests.conftest import make_bot
from zoryx_core.testing import DiscordEmulator
from zoryx_core.testing.compression import SUPPORTED


def echo_bot(**options: object) -> commands.Bot:
    bot = make_bot(**options)

    @bot.command()
    async def echo(ctx: commands.Context[commands.Bot], *, text: str) -> None:
        await ctx.send(f"echo {text}")

    @bot.command()
    async def where(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send(f"shard {ctx.guild.shard_id if ctx.guild else None}")

    return bot


async def test_four_shards_answer_each_guild_exactly_once(
    discord_emulator: DiscordEmulator, bot_runner
) -> None:
    emu = discord_emulator
    alice = emu.create_user("alice")
    guilds = [emu.create_guild(f"Guild {i}", members=[alice]) for i in range(8)]
    expected_shard = {g.id: (g.id >> 22) % 4 for g in guilds}
    assert set(expected_shard.values()) == {0, 1, 2, 3}, "the scenario must put guilds on every shard"

    bot = await bot_runner(echo_bot(sharded=True, shard_count=4))
    assert sorted(bot.shards) == [0, 1, 2, 3]
    assert [entry[0] for entry in emu.gateway.identify_log] == ["IDENTIFY"] * 4
    for guild in guilds:
        assert bot.get_guild(guild.id).shard_id == expected_shard[guild.id]

    channels = {g.id: emu.channel_named(g, "general") for g in guilds}
    sent = {g.id: await emu.send_message(channels[g.id], alice, "!where") for g in guilds}
    sentinels = {g.id: await emu.send_message(channels[g.id], alice, "!echo done") for g in guilds}
    for guild in guilds:
        await emu.wait_for_message(channels[guild.id], after=sentinels[guild.id])
    await asyncio.sleep(0.2)  # a duplicate delivery would have been answered by now
    for guild in guilds:
        replies = [
            m.content
            for m in emu.messages_in(channels[guild.id])
            if m.author_id == emu.bot_user.id and m.id > sent[guild.id].id
        ]
        assert replies.count(f"shard {expected_shard[guild.id]}") == 1, replies
        assert replies.count("echo done") == 1, replies
        assert len(replies) == 2, replies


async def test_auto_sharding_asks_gateway_bot(discord_emulator: DiscordEmulator, bot_runner) -> None:
    emu = discord_emulator
    emu.recommended_shards = 2
    emu.create_guild("A")
    emu.create_guild("B")
    bot = await bot_runner(echo_bot(sharded=True))
    assert bot.shard_count == 2
    assert emu.requests_to("GET /gateway/bot")
    assert sorted(s.shard_id for s in emu.gateway.sessions.values()) == [0, 1]


async def test_reconnect_resumes_without_losing_events(discord_emulator: DiscordEmulator, bot_runner) -> None:
    emu = discord_emulator
    alice = emu.create_user("alice")
    guild = emu.create_guild("Resume", members=[alice])
    general = emu.channel_named(guild, "general")
    bot = echo_bot()
    resumed = asyncio.Event()

    async def on_resumed() -> None:
        resumed.set()

    bot.add_listener(on_resumed)
    await bot_runner(bot)

    assert await emu.gateway.send_reconnect() == 1
    # these are dispatched while the client is closing and resuming; the resume must replay them
    sent = [await emu.send_message(general, alice, f"!echo {i}") for i in range(5)]
    await asyncio.wait_for(resumed.wait(), 5)
    for message in sent:
        await emu.wait_for_message(general, after=message)
    await asyncio.sleep(0.2)
    replies = [m.content for m in emu.messages_in(general) if m.author_id == emu.bot_user.id]
    assert replies == [f"echo {i}" for i in range(5)]
    kinds = [entry[0] for entry in emu.gateway.identify_log]
    assert kinds == ["IDENTIFY", "RESUME"]


async def test_dropped_connection_resumes(discord_emulator: DiscordEmulator, bot_runner) -> None:
    emu = discord_emulator
    alice = emu.create_user("alice")
    guild = emu.create_guild("Drop", members=[alice])
    general = emu.channel_named(guild, "general")
    await bot_runner(echo_bot())
    assert await emu.gateway.drop_connections() == 1
    sent = await emu.send_message(general, alice, "!echo after drop")
    reply = await emu.wait_for_message(general, after=sent, timeout=10)
    assert reply.content == "echo after drop"
    assert [entry[0] for entry in emu.gateway.identify_log] == ["IDENTIFY", "RESUME"]


async def test_invalid_session_leads_to_fresh_identify(discord_emulator: DiscordEmulator, bot_runner) -> None:
    emu = discord_emulator
    alice = emu.create_user("alice")
    guild = emu.create_guild("Invalid", members=[alice])
    general = emu.channel_named(guild, "general")
    await bot_runner(echo_bot())
    old_sessions = set(emu.gateway.sessions)
    assert await emu.gateway.invalidate_session(resumable=False) == 1
    async with asyncio.timeout(10):
        while len(emu.gateway.identify_log) < 2:
            await asyncio.sleep(0.02)
    assert [entry[0] for entry in emu.gateway.identify_log] == ["IDENTIFY", "IDENTIFY"]
    assert not old_sessions & set(emu.gateway.sessions)
    reply = await emu.converse(general, alice, "!echo fresh", timeout=10)
    assert reply.content == "echo fresh"


async def test_heartbeats_are_acknowledged(discord_emulator: DiscordEmulator, bot_runner) -> None:
    emu = discord_emulator
    emu.gateway.heartbeat_interval_ms = 50
    bot = await bot_runner(echo_bot())
    async with asyncio.timeout(5):
        while bot.latency == float("inf"):
            await asyncio.sleep(0.02)
    assert 0 <= bot.latency < 1


async def test_plain_text_frames_when_compression_is_off(
    discord_emulator: DiscordEmulator, bot_runner
) -> None:
    emu = discord_emulator
    emu.gateway.compression_enabled = False
    alice = emu.create_user("alice")
    guild = emu.create_guild("Plain", members=[alice])
    await bot_runner(echo_bot())
    reply = await emu.converse(emu.channel_named(guild, "general"), alice, "!echo plain")
    assert reply.content == "echo plain"


async def test_guild_join_and_leave_reach_the_bot(discord_emulator: DiscordEmulator, bot_runner) -> None:
    emu = discord_emulator
    bot = await bot_runner(echo_bot())
    assert list(bot.guilds) == []
    joined = asyncio.create_task(bot.wait_for("guild_join", timeout=5))
    await asyncio.sleep(0)
    guild = emu.create_guild("Late")
    assert (await joined).id == guild.id
    removed = asyncio.create_task(bot.wait_for("guild_remove", timeout=5))
    await asyncio.sleep(0)
    emu.remove_bot_from_guild(guild)
    assert (await removed).id == guild.id
    assert bot.get_guild(guild.id) is None


async def test_wrong_token_is_refused(discord_emulator: DiscordEmulator) -> None:
    bot = make_bot()
    try:
        await bot.login("not-the-token")
    except discord.LoginFailure:
        pass
    else:
        raise AssertionError("a bad token must fail login with 401")
    finally:
        await bot.close()


async def test_heartbeat_acks_can_be_delayed_per_shard(discord_emulator: DiscordEmulator, bot_runner) -> None:
    emu = discord_emulator
    emu.gateway.heartbeat_interval_ms = 300
    emu.create_guild("Slow")
    emu.gateway.delay_heartbeat_acks(0.12, shard_id=1)
    bot = await bot_runner(echo_bot(sharded=True, shard_count=2))

    # discord.py's first heartbeat goes before IDENTIFY (no shard known yet) and is answered at
    # once; the later ones of shard 1 come back late. discord.py's latency also holds any delay
    # of its own event loop, so each shard is watched until it shows its figure.
    async def shows(shard_id: int, wanted: Callable[[float], bool]) -> None:
        async with asyncio.timeout(10):
            while not wanted(bot.get_shard(shard_id).latency):
                await asyncio.sleep(0.02)

    await shows(1, lambda latency: 0.12 <= latency < 0.3)
    await shows(0, lambda latency: latency < 0.12)
    emu.gateway.delay_heartbeat_acks(0, shard_id=1)
    assert emu.gateway.heartbeat_ack_delays == {}


@pytest.mark.parametrize("kind", ["zlib-stream", "zstd-stream"])
async def test_compressed_gateway_streams(discord_emulator: DiscordEmulator, kind: str) -> None:
    """Each gateway message arrives as one binary frame of a shared stream, decompressible on arrival."""
    if kind not in SUPPORTED:
        pytest.skip("zstd-stream needs the zstandard package: pip install zstandard")
    if kind == "zstd-stream":
        import zstandard

        decompress = zstandard.ZstdDecompressor().decompressobj().decompress
    else:
        decompress = zlib.decompressobj().decompress
    emu = discord_emulator
    url = f"{emu.gateway_url}?v=10&encoding=json&compress={kind}"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        hello = await ws.receive()
        assert hello.type == aiohttp.WSMsgType.BINARY
        assert json.loads(decompress(hello.data))["op"] == 10
        await ws.send_json({"op": 2, "d": {"token": emu.token, "intents": 1, "properties": {}}})
        ready = await ws.receive()
        assert ready.type == aiohttp.WSMsgType.BINARY
        frame = json.loads(decompress(ready.data))
        assert frame["t"] == "READY"  # the stream continues across frames
    assert all(s.connection is None for s in emu.gateway.sessions.values())


async def test_discordpy_gets_the_compression_it_asks_for(
    discord_emulator: DiscordEmulator, bot_runner
) -> None:
    emu = discord_emulator
    alice = emu.create_user("alice")
    guild = emu.create_guild("Squeezed", members=[alice])
    await bot_runner(echo_bot())
    wanted = "zstd-stream" if discord.utils._ZSTD_SOURCE else "zlib-stream"
    connections = [s.connection for s in emu.gateway.sessions.values()]
    assert [c.compression for c in connections if c is not None] == [wanted]
    reply = await emu.converse(emu.channel_named(guild, "general"), alice, "!echo squeezed")
    assert reply.content == "echo squeezed"
