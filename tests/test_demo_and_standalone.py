"""The quick-start demo, the standalone emulator process and its control API."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import aiohttp
import pytest
from rich.console import Console

from zoryx_core.demo import run_demo


async def test_demo_conversation_runs_end_to_end() -> None:
    lines = await run_demo(Console(file=open(os.devnull, "w"), force_terminal=False))  # noqa: SIM115, ASYNC230
    assert lines == [
        "alice: !ping",
        "demo-bot: pong",
        "alice: !add 2 40",
        "demo-bot: 2 + 40 = 42",
        "alice: /add a:20 b:22",
        "demo-bot: 20 + 22 = 42",
        "alice: !poll",
        "demo-bot: Votes so far: 0",
        "alice: [clicks Vote]",
        "demo-bot: (edits) Votes so far: 1",
        "alice: [clicks Vote]",
        "demo-bot: (edits) Votes so far: 2",
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def standalone() -> Iterator[tuple[str, str]]:
    """``python -m zoryx_core.testing`` in its own process; yields (base URL, printed banner)."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "zoryx_core.testing", "--port", str(port), "--token", "standalone-token"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    banner = []
    assert proc.stdout is not None
    for line in proc.stdout:
        banner.append(line)
        if line.startswith("post as"):
            break
    try:
        yield f"http://127.0.0.1:{port}", "".join(banner)
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        proc.kill()


async def test_standalone_emulator_serves_a_separate_bot_process(standalone: tuple[str, str]) -> None:
    base, banner = standalone
    assert "token     standalone-token" in banner
    bot_source = f"""
import asyncio, discord
from discord.ext import commands
from zoryx_core.discord_redirect import point_discord_at
point_discord_at("{base}/api/v10", "{base.replace("http", "ws")}/gateway")
intents = discord.Intents.default(); intents.message_content = True
bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.05)
@bot.command()
async def ping(ctx): await ctx.send("pong from another process")
bot.run("standalone-token", log_handler=None)
"""
    bot = subprocess.Popen([sys.executable, "-c", bot_source])  # noqa: ASYNC220 - starting it does not block
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/_zoryx/state") as response:
                state = await response.json()
            guild = state["guilds"][0]
            channel_id = guild["channels"][0]["id"]
            tester = next(m for m in guild["members"] if m["username"] == "tester")
            for _ in range(200):  # wait until the bot process has identified on the gateway
                async with session.get(f"{base}/_zoryx/state") as response:
                    if any(s["connected"] for s in (await response.json())["sessions"]):
                        break
                await asyncio.sleep(0.05)
            # no extra wait: READY and GUILD_CREATE precede the message on the same ordered socket
            async with session.post(
                f"{base}/_zoryx/messages",
                json={"channel_id": channel_id, "user_id": tester["id"], "content": "!ping"},
            ) as r:
                sent = await r.json()
            reply = None
            for _ in range(200):
                async with session.get(
                    f"{base}/_zoryx/channels/{channel_id}/messages", params={"after": sent["id"]}
                ) as r:
                    replies = await r.json()
                if replies:
                    reply = replies[0]
                    break
                await asyncio.sleep(0.05)
            assert reply is not None and reply["content"] == "pong from another process"
            async with session.post(f"{base}/_zoryx/messages", json={"channel_id": channel_id}) as r:
                assert r.status == 400 and "user_id" in await r.text()
    finally:
        bot.terminate()
        bot.wait(5)


def test_zoryx_cli_lists_demo_and_emulator() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "zoryx_core.cli", "--help"], capture_output=True, text=True, check=True
    )
    assert "demo" in out.stdout and "emulator" in out.stdout
