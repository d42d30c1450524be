"""The Zoryx side of ``bench/zoryx_ping.py``: a ZoryxBot whose ``!ping`` comes from a plugin.

The bot lives in a temporary home folder (config.json, data/, extensions/) built with
``make_zoryx_bot``. Every installed plugin is loaded (the plugin selection is left open), plus one
single-file extension written to the extensions folder, ``bench_ping.py``, which

- adds a ``Ping`` cog whose ``ping`` command answers ``pong`` (so the command runs through the
  plugin host's registration and attribution path), and
- implements ``zoryx_command_executed`` (sync or async, ``--hook-style``), counting the events
  attributed to itself, so the hook fan-out runs once per command as in a real deployment.

Settings are Zoryx's defaults (default per-user cooldown on, members intent on) apart from the
logging level and ``startup.guild_ready_timeout``. It prints ``READY`` on stdout once ``on_ready``
fired, followed by a ``PLUGINS`` line naming the loaded plugins and a ``SETTINGS`` line (JSON: the
cooldown and intent settings in force), and, after a clean shutdown on SIGTERM or SIGINT, a
``HOOK_EVENTS <n>`` line with the number of ``zoryx_command_executed`` calls its extension saw.

    ZORYX_BENCH_TOKEN=... python bench/zoryx_ping_bot.py --api-url http://127.0.0.1:PORT/api/v10 \\
        --gateway-url ws://127.0.0.1:PORT/gateway
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import tempfile
from pathlib import Path

from bench_env import settings_in_force

from zoryx_core import ZoryxBot
from zoryx_core.discord_redirect import point_discord_at
from zoryx_core.testing.zoryx_bots import make_zoryx_bot

TOKEN_ENV = "ZORYX_BENCH_TOKEN"
READY_LINE = "READY"
EXTENSION_NAME = "bench_ping"
COUNTER_ATTRIBUTE = "_zoryx_bench_hook_events"

EXTENSION_SOURCE = '''\
"""Benchmark extension: ``!ping`` -> ``pong`` and a zoryx_command_executed counter."""

from discord.ext import commands

from zoryx_core import hookimpl


class Ping(commands.Cog):
    @commands.command()
    async def ping(self, ctx):
        await ctx.send("pong")


@hookimpl
async def zoryx_setup(bot, plugin):
    setattr(bot, "{counter}", 0)
    await bot.add_cog(Ping())


@hookimpl
{def_keyword} zoryx_command_executed(bot, event):
    if event.plugin == "{name}":
        setattr(bot, "{counter}", getattr(bot, "{counter}") + 1)
'''


def extension_source(hook_style: str) -> str:
    keyword = "async def" if hook_style == "async" else "def"
    return EXTENSION_SOURCE.format(counter=COUNTER_ATTRIBUTE, def_keyword=keyword, name=EXTENSION_NAME)


def make_bot(
    home: Path, guild_ready_timeout: float, hook_style: str, members_intent: bool = True
) -> ZoryxBot:
    extensions = home / "extensions"
    extensions.mkdir(parents=True, exist_ok=True)
    (extensions / f"{EXTENSION_NAME}.py").write_text(extension_source(hook_style), encoding="utf-8")
    bot = make_zoryx_bot(
        home,
        # ZORYX_* settings from the environment, e.g. ZORYX_STORAGE__BACKEND=postgresql with
        # ZORYX_DATABASE_URL, to measure the bot on another storage backend
        environ={k: v for k, v in os.environ.items() if k.startswith("ZORYX_")},
        extensions_dir=extensions,
        config={
            "startup.guild_ready_timeout": guild_ready_timeout,
            "intents.members": members_intent,
            "logging.level": "ERROR",
        },
    )

    async def on_ready() -> None:
        print(READY_LINE, flush=True)
        print("PLUGINS " + " ".join(bot.plugins.loaded), flush=True)
        print("SETTINGS " + json.dumps(settings_in_force(bot)), flush=True)

    bot.add_listener(on_ready, "on_ready")
    return bot


async def serve_until_signal(bot: ZoryxBot, token: str) -> None:
    """Run ``bot`` until SIGTERM or SIGINT, then let its close() finish."""
    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Task[None]] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stopping.append(loop.create_task(bot.close())))
    async with bot:
        await bot.start(token)
    if stopping:
        await asyncio.gather(*stopping)


async def run(token: str, home: Path, guild_ready_timeout: float, hook_style: str, members: bool) -> int:
    bot = make_bot(home, guild_ready_timeout, hook_style, members)
    await serve_until_signal(bot, token)
    events = int(getattr(bot, COUNTER_ATTRIBUTE, -1))
    print(f"HOOK_EVENTS {events}", flush=True)
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
        "--hook-style",
        choices=("sync", "async"),
        default="sync",
        help="how the extension implements zoryx_command_executed (default: sync)",
    )
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
        return asyncio.run(
            run(args.token, args.home, args.guild_ready_timeout, args.hook_style, args.members_intent)
        )
    with tempfile.TemporaryDirectory(prefix="zoryx-ping-bot-") as folder:
        return asyncio.run(
            run(args.token, Path(folder), args.guild_ready_timeout, args.hook_style, args.members_intent)
        )


if __name__ == "__main__":
    sys.exit(main())
