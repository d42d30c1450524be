"""``zoryx emulator`` (also ``python -m zoryx_core.testing``): the Discord emulator as a standalone
server, and ``coverage``: how many of discord.py's REST routes and gateway events it serves.

The emulator (:mod:`zoryx_core.testing`) is imported only when one of them runs."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

__all__ = ["EmulatorOptions", "emulator", "serve"]


@dataclass(frozen=True)
class EmulatorOptions:
    """How the standalone emulator listens and what it starts with."""

    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    guild: str = "Zoryx Sandbox"
    user: str = "tester"
    max_concurrency: int | None = None
    identify_window: float = 5.0
    session_starts: int = 1000
    global_rate_limit: int | None = None
    shards: int = 1


async def serve(options: EmulatorOptions) -> None:
    """Run the emulator until SIGINT or SIGTERM, after printing where it listens."""
    from .testing.server import DiscordEmulator

    emulator = DiscordEmulator(host=options.host, port=options.port, token=options.token)
    emulator.recommended_shards = options.shards
    emulator.identify_limits.configure(
        max_concurrency=options.max_concurrency,
        window=options.identify_window,
        total=options.session_starts,
        remaining=options.session_starts,
        enforced=options.max_concurrency is not None,
    )
    emulator.global_limit.per_second = options.global_rate_limit
    user = emulator.create_user(options.user)
    guild = emulator.create_guild(options.guild, members=[user])
    await emulator.start()
    general = emulator.channel_named(guild, "general")
    print(f"Discord emulator on {emulator.base_url}")
    print(f"  REST      {emulator.api_url}")
    print(f"  gateway   {emulator.gateway_url}")
    print(f"  token     {emulator.token}")
    print(f"  limits    {emulator.base_url}/_zoryx/limits")
    print(f"  guild     {guild.name} ({guild.id}), #general {general.id}, user {user.username} ({user.id})")
    print("Point discord.py at it with zoryx_core.discord_redirect.point_discord_at(REST, gateway);")
    print(
        f"post as {user.username}: curl -XPOST {emulator.base_url}/_zoryx/messages "
        f'-d \'{{"channel_id": {general.id}, "user_id": {user.id}, "content": "!ping"}}\'',
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await emulator.stop()


@click.group(
    invoke_without_command=True,
    short_help="run the Discord emulator as a standalone server",
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="port to listen on (0 picks a free one)",
)
@click.option("--token", default=None, help="bot token to accept (default: a random one, printed)")
@click.option("--guild", default="Zoryx Sandbox", show_default=True, help="name of the guild to create")
@click.option("--user", default="tester", show_default=True, help="name of a human member to create")
@click.option(
    "--max-concurrency",
    type=click.IntRange(min=1),
    default=None,
    help="session_start_limit.max_concurrency; also enforces one IDENTIFY per bucket per window",
)
@click.option(
    "--identify-window",
    type=click.FloatRange(min=0, min_open=True),
    default=5.0,
    show_default=True,
    help="seconds per identify bucket",
)
@click.option(
    "--session-starts",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="daily session_start_limit.total",
)
@click.option(
    "--global-rate-limit",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="global REST limit, requests per second (Discord's is 50; default: none)",
)
@click.option(
    "--shards",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="shard count /gateway/bot recommends",
)
@click.pass_context
def emulator(ctx: click.Context, /, **params: Any) -> int:
    """Run the Discord emulator as a standalone server until Ctrl-C.

    The limits options are what Discord counts per bot (several bot processes of one shard count
    may connect at once). `coverage` reports what the emulator covers instead.
    """
    if ctx.invoked_subcommand is None:
        asyncio.run(serve(EmulatorOptions(**params)))
    return 0


@emulator.command(short_help="routes and events the emulator covers, and which are missing")
@click.option(
    "--openapi",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Discord's OpenAPI document (default: the vendored copy)",
)
@click.option("--summary", is_flag=True, help="only the three figures, not what is missing")
def coverage(openapi: Path | None, summary: bool) -> int:
    """Routes and events the emulator covers, against discord.py and Discord's OpenAPI."""
    from .testing.coverage import measure

    if openapi is not None and not openapi.is_file():
        raise click.UsageError(f"--openapi {openapi}: no such file")
    click.echo(measure(openapi).render(list_missing=not summary))
    return 0
