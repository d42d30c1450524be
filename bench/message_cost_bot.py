"""The Zoryx side of ``bench/message_cost.py``: a ZoryxBot as a user runs it, ``!ping`` from a plugin.

The bot lives in a temporary home folder (config.json, data/, extensions/) built with
``make_zoryx_bot``: real storage under ``data/``, every discovered plugin loaded (the built-in
plugins always load; installed plugins too, the plugin selection is left open), default settings
(the default per-user cooldown on, the members intent on; ``--no-members-intent`` turns it off)
except ``startup.guild_ready_timeout`` = ``--guild-ready-timeout`` (0.05 s, as for the bare bot).

One single-file extension is written to the extensions folder, ``bench_ping.py``: an ordinary
discord.py extension (``async def setup(bot)``) adding a ``Ping`` cog whose ``ping`` answers
``pong``, so the command is registered and attributed through the plugin host like any user's.

It prints ``READY`` on stdout once ``on_ready`` fired, then ``PLUGINS <names>`` and ``SETTINGS
<json>`` (the cooldown and intent settings in force); after a clean
shutdown on SIGTERM or SIGINT it prints ``COUNTS <messages> <commands>``, the bot's own
``bot.metrics`` counters (messages seen by ``on_message``, commands completed).

    ZORYX_BENCH_TOKEN=... python bench/message_cost_bot.py --api-url http://127.0.0.1:PORT/api/v10 \\
        --gateway-url ws://127.0.0.1:PORT/gateway
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
from pathlib import Path

from bench_env import settings_in_force
from zoryx_ping_bot import serve_until_signal

from zoryx_core import ZoryxBot
from zoryx_core.discord_redirect import point_discord_at
from zoryx_core.testing.zoryx_bots import make_zoryx_bot

TOKEN_ENV = "ZORYX_BENCH_TOKEN"
READY_LINE = "READY"
EXTENSION_NAME = "bench_ping"

EXTENSION_SOURCE = '''\
"""Benchmark extension: ``!ping`` -> ``pong``."""

from discord.ext import commands


class Ping(commands.Cog):
    @commands.command()
    async def ping(self, ctx):
        await ctx.send("pong")


async def setup(bot):
    await bot.add_cog(Ping())
'''


def make_bot(home: Path, guild_ready_timeout: float, members_intent: bool) -> ZoryxBot:
    extensions = home / "extensions"
    extensions.mkdir(parents=True, exist_ok=True)
    (extensions / f"{EXTENSION_NAME}.py").write_text(EXTENSION_SOURCE, encoding="utf-8")
    bot = make_zoryx_bot(
        home,
        extensions_dir=extensions,
        config={
            "intents.members": members_intent,
            "startup.guild_ready_timeout": guild_ready_timeout,
        },
    )

    async def on_ready() -> None:
        print(READY_LINE, flush=True)
        print("PLUGINS " + " ".join(bot.plugins.loaded), flush=True)
        print("SETTINGS " + json.dumps(settings_in_force(bot)), flush=True)

    bot.add_listener(on_ready, "on_ready")
    return bot


async def run(token: str, home: Path, guild_ready_timeout: float, members_intent: bool) -> int:
    bot = make_bot(home, guild_ready_timeout, members_intent)
    await serve_until_signal(bot, token)
    print(f"COUNTS {bot.metrics.messages} {bot.metrics.commands}", flush=True)
    return 0


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
        "--members-intent",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="request the members intent (default: on, Zoryx's default)",
    )
    parser.add_argument("--home", type=Path, help="bot folder (default: a temporary folder, removed after)")
    parser.add_argument("--log-level", default="ERROR", help="logging level (default: ERROR)")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error(f"no token: pass --token or set {TOKEN_ENV}")
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    point_discord_at(args.api_url, args.gateway_url)
    if args.home is not None:
        return asyncio.run(run(args.token, args.home, args.guild_ready_timeout, args.members_intent))
    with tempfile.TemporaryDirectory(prefix="zoryx-message-cost-bot-") as folder:
        return asyncio.run(run(args.token, Path(folder), args.guild_ready_timeout, args.members_intent))


if __name__ == "__main__":
    sys.exit(main())
