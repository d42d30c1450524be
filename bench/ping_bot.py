"""The bot side of the ping benchmark: a plain discord.py ``commands.Bot`` answering ``!ping`` with ``pong``.

``bench/ping_roundtrip.py`` starts this script in its own process so that the bot's CPU time can be
told apart from the emulator's. It connects to the emulator given on the command line; the token
comes from the ``ZORYX_BENCH_TOKEN`` environment variable (or ``--token``). It prints ``READY`` on
stdout once ``on_ready`` fired and closes cleanly on SIGTERM or SIGINT. Its intents are discord.py's
defaults plus message_content; ``--members-intent`` adds members (Zoryx's default intents).

    ZORYX_BENCH_TOKEN=... python bench/ping_bot.py --api-url http://127.0.0.1:PORT/api/v10 \\
        --gateway-url ws://127.0.0.1:PORT/gateway
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys

import discord
from discord.ext import commands

from zoryx_core.discord_redirect import point_discord_at

TOKEN_ENV = "ZORYX_BENCH_TOKEN"
READY_LINE = "READY"


def make_bot(guild_ready_timeout: float, members_intent: bool = False) -> commands.Bot:
    intents = discord.Intents.default()
    intents.message_content = True
    intents.members = members_intent
    bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=guild_ready_timeout)

    @bot.command()
    async def ping(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send("pong")

    @bot.event
    async def on_ready() -> None:
        print(READY_LINE, flush=True)

    return bot


async def run(token: str, guild_ready_timeout: float, members_intent: bool) -> None:
    bot = make_bot(guild_ready_timeout, members_intent)
    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Task[None]] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stopping.append(loop.create_task(bot.close())))
    async with bot:
        await bot.start(token)
    if stopping:
        await asyncio.gather(*stopping)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--api-url", required=True, help="the emulator's REST base, ending in /api/v10")
    parser.add_argument("--gateway-url", required=True, help="the emulator's gateway, ws://HOST:PORT/gateway")
    parser.add_argument(
        "--token", default=os.environ.get(TOKEN_ENV), help=f"bot token (default: ${TOKEN_ENV})"
    )
    parser.add_argument("--guild-ready-timeout", type=float, default=0.05)
    parser.add_argument(
        "--members-intent", action="store_true", help="request the members intent too (Zoryx's default)"
    )
    parser.add_argument("--log-level", default="ERROR", help="discord.py logging level (default: ERROR)")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error(f"no token: pass --token or set {TOKEN_ENV}")
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    point_discord_at(args.api_url, args.gateway_url)
    asyncio.run(run(args.token, args.guild_ready_timeout, args.members_intent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
