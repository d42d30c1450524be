"""Rate-limit headers, 429s (route and global), dropped connections and latency, through real discord.py."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import discord
import pytest

from tests.conftest import make_bot
from zoryx_core.testing import DiscordEmulator

SEND = "POST /channels/{channel_id}/messages"
GET_CHANNEL = "GET /channels/{channel_id}"


async def _ready_channel(emu: DiscordEmulator, bot_runner):  # type: ignore[no-untyped-def]
    guild = emu.create_guild("Limits", text_channels=("one", "two"))
    bot = await bot_runner(make_bot())
    return (
        bot,
        bot.get_channel(emu.channel_named(guild, "one").id),
        bot.get_channel(emu.channel_named(guild, "two").id),
    )


async def test_route_429_is_retried_after_retry_after(discord_emulator: DiscordEmulator, bot_runner) -> None:
    emu = discord_emulator
    _bot, one, _ = await _ready_channel(emu, bot_runner)
    emu.faults.rate_limit(SEND, retry_after=0.5)
    message = await one.send("through the 429")
    assert message.content == "through the 429"
    attempts = emu.requests_to(SEND)
    assert [r.status for r in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.5
    assert [m.content for m in emu.messages_in(one.id)] == ["through the 429"]


async def test_global_429_pauses_other_routes(discord_emulator: DiscordEmulator, bot_runner) -> None:
    emu = discord_emulator
    bot, one, two = await _ready_channel(emu, bot_runner)
    emu.faults.rate_limit(SEND, retry_after=0.6, is_global=True)

    async def other_route() -> None:
        await asyncio.sleep(0.1)  # starts after the global 429 has been answered
        await bot.fetch_channel(two.id)

    sent, _ = await asyncio.gather(one.send("global"), other_route())
    assert sent.content == "global"
    first_429 = emu.requests_to(SEND)[0]
    assert first_429.status == 429
    others = emu.requests_to(GET_CHANNEL)
    # the client held the other route back until the global limit was over: it never hit the block
    assert [r.status for r in others] == [200]
    assert others[0].at - first_429.at >= 0.6 - 0.05


async def test_bucket_headers_make_the_client_wait(discord_emulator: DiscordEmulator, bot_runner) -> None:
    emu = discord_emulator
    emu.rate_limits.set_route_limit(SEND, limit=2, per=0.5)
    _bot, one, _ = await _ready_channel(emu, bot_runner)
    started = time.monotonic()
    await asyncio.gather(*(one.send(f"m{i}") for i in range(5)))
    elapsed = time.monotonic() - started
    statuses = [r.status for r in emu.requests_to(SEND)]
    assert statuses == [200] * 5, "the client must honour X-RateLimit-Remaining instead of hitting 429s"
    assert elapsed >= 2 * 0.5 - 0.05  # 5 requests at 2 per 0.5 s need at least two resets
    assert sorted(m.content for m in emu.messages_in(one.id)) == [f"m{i}" for i in range(5)]


async def test_exceeding_a_bucket_gets_a_429_with_headers(discord_emulator: DiscordEmulator) -> None:
    emu = discord_emulator
    guild = emu.create_guild("Raw")
    channel = emu.channel_named(guild, "general")
    emu.rate_limits.set_route_limit(SEND, limit=1, per=5)
    headers = {"Authorization": f"Bot {emu.token}"}
    url = f"{emu.api_url}/channels/{channel.id}/messages"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"content": "a"}, headers=headers) as first:
            assert first.status == 200
            assert first.headers["X-RateLimit-Limit"] == "1"
            assert first.headers["X-RateLimit-Remaining"] == "0"
            assert float(first.headers["X-RateLimit-Reset-After"]) > 4
            assert first.headers["Content-Type"] == "application/json"
        async with session.post(url, json={"content": "b"}, headers=headers) as second:
            assert second.status == 429
            assert second.headers["Via"]
            body = await second.json()
            assert body["global"] is False and body["retry_after"] > 4
    assert [m.content for m in emu.messages_in(channel)] == ["a"]


async def test_dropped_rest_connections(discord_emulator: DiscordEmulator, bot_runner) -> None:
    emu = discord_emulator
    bot, one, _ = await _ready_channel(emu, bot_runner)
    # aiohttp retries an idempotent request once when its connection is dropped
    emu.faults.drop_connection(GET_CHANNEL)
    fetched = await bot.fetch_channel(one.id)
    assert fetched.id == one.id
    assert [r.status for r in emu.requests_to(GET_CHANNEL)] == [499, 200]  # 499: closed without an answer
    # a dropped POST reaches the caller, and nothing was created
    emu.faults.drop_connection(SEND)
    with pytest.raises(aiohttp.ClientError):
        await one.send("lost")
    assert emu.messages_in(one.id) == []
    assert (await one.send("again")).content == "again"


async def test_server_errors_and_connections_dropped_after_the_work(
    discord_emulator: DiscordEmulator, bot_runner
) -> None:
    emu = discord_emulator
    _bot, one, _ = await _ready_channel(emu, bot_runner)
    # a 503 is not retried by discord.py: it reaches the caller, and nothing was done
    emu.faults.server_error(SEND, status=503)
    with pytest.raises(discord.DiscordServerError) as raised:
        await one.send("refused")
    assert raised.value.status == 503 and emu.messages_in(one.id) == []
    # dropped after the work: the caller hears nothing, yet the message exists
    emu.faults.drop_connection(SEND, after_processing=True)
    with pytest.raises(aiohttp.ClientError):
        await one.send("sent in silence")
    assert [m.content for m in emu.messages_in(one.id)] == ["sent in silence"]
    assert [r.status for r in emu.requests_to(SEND)] == [503, 499]
    with pytest.raises(ValueError, match="500 to 599"):
        emu.faults.server_error(SEND, status=404)


async def test_added_latency_delays_every_request(discord_emulator: DiscordEmulator, bot_runner) -> None:
    emu = discord_emulator
    bot, one, _ = await _ready_channel(emu, bot_runner)
    emu.faults.latency = 0.2
    started = time.monotonic()
    await bot.fetch_channel(one.id)
    assert time.monotonic() - started >= 0.2
