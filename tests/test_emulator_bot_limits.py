"""Limits Discord counts per bot: session_start_limit and max_concurrency in /gateway/bot, one
IDENTIFY per bucket per window (op 9 past it), the daily budget, the global REST limit and the
count of invalid requests; seen by real discord.py and through the control API."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import aiohttp
import discord
import pytest

from tests.conftest import make_bot
from zoryx_core.discord_redirect import skip_identify_delay
from zoryx_core.testing import DiscordEmulator


async def test_gateway_bot_reports_the_session_start_limit(
    discord_emulator: DiscordEmulator, bot_runner
) -> None:
    emu = discord_emulator
    emu.identify_limits.configure(max_concurrency=4, window=0.2, total=50)
    bot = await bot_runner(make_bot())
    _, _, raw = await bot.http.get_bot_gateway()
    assert raw["max_concurrency"] == 4 and raw["total"] == 50
    assert raw["remaining"] == 49  # the bot's own IDENTIFY was counted


async def test_identifies_past_the_window_are_invalidated_and_the_bot_recovers(
    discord_emulator: DiscordEmulator, bot_runner
) -> None:
    emu = discord_emulator
    emu.identify_limits.configure(max_concurrency=1, window=0.3)
    # The test harness drops discord.py's pause between IDENTIFYs, so the second shard comes too soon.
    bot = await bot_runner(
        discord.AutoShardedClient(intents=discord.Intents.default(), shard_count=2), timeout=30
    )
    assert {shard.id for shard in bot.shards.values()} == {0, 1}
    limits = emu.identify_limits
    assert limits.invalidated, "an IDENTIFY within the window must be invalidated"
    assert all("window" in record.reason for record in limits.invalidated)
    assert limits.most_in_one_window() == 1
    accepted = [r for r in limits.log if r.accepted]
    assert sorted(r.shard_id for r in accepted) == [0, 1]
    assert accepted[1].at - accepted[0].at >= 0.3


async def test_an_exhausted_daily_budget_refuses_identify(discord_emulator: DiscordEmulator) -> None:
    emu = discord_emulator
    emu.identify_limits.configure(total=1000, remaining=0)
    client = discord.Client(intents=discord.Intents.default())
    skip_identify_delay(client)  # discord.py waits 5 s before identifying again
    task = asyncio.create_task(client.start(emu.token))
    try:
        for _ in range(500):
            if emu.identify_limits.log:
                break
            await asyncio.sleep(0.02)
        assert emu.identify_limits.log[0].reason == "session start limit exhausted"
        assert not client.is_ready()
    finally:
        # discord.py reconnects after each refusal; closing it while it opens the next connection
        # would leave that connection's heartbeat thread running after the test (it then fails
        # on the closed loop). Let it in, and close a connected client.
        emu.identify_limits.configure(enforced=False)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(client.wait_until_ready(), 10)
        await client.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_global_limit_answers_429_global_and_counts_invalid_requests(
    discord_emulator: DiscordEmulator,
) -> None:
    emu = discord_emulator
    emu.global_limit.per_second = 5
    headers = {"Authorization": f"Bot {emu.token}"}
    async with aiohttp.ClientSession() as session:
        statuses = []
        for _ in range(7):
            async with session.get(f"{emu.api_url}/users/@me", headers=headers) as response:
                statuses.append(response.status)
                if response.status == 429:
                    body = await response.json()
                    assert body["global"] is True and response.headers["X-RateLimit-Global"] == "true"
        async with session.get(
            f"{emu.api_url}/users/@me", headers={"Authorization": "Bot wrong"}
        ) as response:
            assert response.status == 401
        async with session.get(f"{emu.base_url}/_zoryx/limits") as response:
            report = await response.json()
    assert statuses == [200] * 5 + [429, 429]
    assert emu.invalid_requests.counts[429] == 2 and emu.invalid_requests.counts[401] == 1
    assert report["invalid_requests"] == {"total": 3, "401": 1, "429": 2}
    assert report["global"] == {"per_second": 5, "admitted": 5, "rejected": 2}


async def test_control_api_sets_the_limits(discord_emulator: DiscordEmulator) -> None:
    emu = discord_emulator
    async with aiohttp.ClientSession() as session:
        url = f"{emu.base_url}/_zoryx/limits"
        body = {"max_concurrency": 16, "identify_window": 0.5, "global_per_second": 50}
        async with session.post(url, json=body) as response:
            assert response.status == 200
            report = await response.json()
        async with session.post(url, json={"max_concurrency": "many"}) as response:
            assert response.status == 400
            assert "max_concurrency must be an integer" in await response.text()
    assert report["identify"]["session_start_limit"]["max_concurrency"] == 16
    assert report["identify"]["enforced"] is True and report["identify"]["window"] == 0.5
    assert emu.global_limit.per_second == 50


@pytest.fixture
def limited_standalone() -> Iterator[str]:
    """``python -m zoryx_core.testing`` with the limit flags, in its own process; yields its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    base = f"http://127.0.0.1:{port}"
    emulator = subprocess.Popen(
        [sys.executable, "-m", "zoryx_core.testing", "--port", str(port), "--token", "limits-token",
         "--max-concurrency", "2", "--identify-window", "0.3", "--session-starts", "100",
         "--global-rate-limit", "50", "--shards", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert emulator.stdout is not None
    banner = "".join(line for line, _ in zip(emulator.stdout, range(6), strict=False))
    try:
        assert f"limits    {base}/_zoryx/limits" in banner
        yield base
    finally:
        emulator.terminate()
        emulator.wait(10)


BOT_PROCESS = """
import sys, discord
from zoryx_core.discord_redirect import point_discord_at
base, shard = sys.argv[1], int(sys.argv[2])
point_discord_at(base + "/api/v10", base.replace("http", "ws") + "/gateway")
client = discord.AutoShardedClient(intents=discord.Intents.default(), shard_count=2, shard_ids=[shard])
client.run("limits-token", log_handler=None)
"""


async def test_standalone_emulator_serves_several_bot_processes_under_the_limits(
    limited_standalone: str,
) -> None:
    """Two bot processes, one shard each of a two-shard bot, identify in their own buckets; the
    control API shows the identify log and the budget spent."""
    base = limited_standalone
    bots = [
        subprocess.Popen([sys.executable, "-c", BOT_PROCESS, base, str(shard)])  # noqa: ASYNC220
        for shard in (0, 1)
    ]
    try:
        async with aiohttp.ClientSession() as session:
            report: dict[str, Any] = {}
            for _ in range(600):
                async with session.get(f"{base}/_zoryx/limits") as response:
                    report = await response.json()
                if len(report["identify"]["log"]) == 2:
                    break
                await asyncio.sleep(0.05)
            headers = {"Authorization": "Bot limits-token"}
            async with session.get(f"{base}/api/v10/gateway/bot", headers=headers) as response:
                gateway = await response.json()
    finally:
        for process in bots:
            process.terminate()
        for process in bots:
            await asyncio.to_thread(process.wait, 10)
    identify = report["identify"]
    assert sorted((r["shard_id"], r["bucket"], r["accepted"]) for r in identify["log"]) == [
        (0, 0, True),
        (1, 1, True),
    ]
    assert identify["invalidated"] == 0 and identify["most_in_one_window"] <= 2
    assert gateway["shards"] == 2
    assert gateway["session_start_limit"]["max_concurrency"] == 2
    assert gateway["session_start_limit"]["remaining"] == 98
    assert report["global"]["per_second"] == 50
