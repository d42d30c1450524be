"""``python -m zoryx_core.testing --port N``: the emulator as a standalone server.

``python -m zoryx_core.testing coverage``: how many of discord.py's REST routes and gateway events
the emulator serves and emits, and which are missing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from .server import DiscordEmulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m zoryx_core.testing", description="Run the Discord emulator."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8765, help="port to listen on (default 8765; 0 picks a free one)"
    )
    parser.add_argument("--token", default=None, help="bot token to accept (default: a random one, printed)")
    parser.add_argument(
        "--guild", default="Zoryx Sandbox", help="name of the guild to create (default 'Zoryx Sandbox')"
    )
    parser.add_argument(
        "--user", default="tester", help="name of a human member to create (default 'tester')"
    )
    limits = parser.add_argument_group(
        "limits Discord counts per bot (several bot processes of one shard count may connect at once)"
    )
    limits.add_argument(
        "--max-concurrency",
        type=int,
        default=None,
        help="session_start_limit.max_concurrency; also enforces one IDENTIFY per bucket per window",
    )
    limits.add_argument(
        "--identify-window", type=float, default=5.0, help="seconds per identify bucket (default 5)"
    )
    limits.add_argument(
        "--session-starts", type=int, default=1000, help="daily session_start_limit.total (default 1000)"
    )
    limits.add_argument(
        "--global-rate-limit",
        type=int,
        default=None,
        metavar="N",
        help="global REST limit, requests per second (Discord's is 50; default: none)",
    )
    limits.add_argument("--shards", type=int, default=1, help="shard count /gateway/bot recommends")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    emulator = DiscordEmulator(host=args.host, port=args.port, token=args.token)
    emulator.recommended_shards = args.shards
    emulator.identify_limits.configure(
        max_concurrency=args.max_concurrency,
        window=args.identify_window,
        total=args.session_starts,
        remaining=args.session_starts,
        enforced=args.max_concurrency is not None,
    )
    emulator.global_limit.per_second = args.global_rate_limit
    user = emulator.create_user(args.user)
    guild = emulator.create_guild(args.guild, members=[user])
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
        f'-d \'{{"channel_id": {general.id}, "user_id": {user.id}, "content": "!ping"}}\''
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


def coverage(argv: list[str]) -> int:
    from pathlib import Path

    from .coverage import measure

    parser = argparse.ArgumentParser(
        prog="python -m zoryx_core.testing coverage",
        description="Routes and events the emulator covers, against discord.py and Discord's OpenAPI.",
    )
    parser.add_argument(
        "--openapi", type=Path, default=None, help="Discord's OpenAPI document (default: the vendored copy)"
    )
    parser.add_argument("--summary", action="store_true", help="only the three figures, not what is missing")
    args = parser.parse_args(argv)
    if args.openapi is not None and not args.openapi.is_file():
        parser.error(f"--openapi {args.openapi}: no such file")
    print(measure(args.openapi).render(list_missing=not args.summary))
    return 0


def main(argv: list[str] | None = None) -> None:
    import sys

    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["coverage"]:
        raise SystemExit(coverage(arguments[1:]))
    asyncio.run(serve(parse_args(arguments)))


if __name__ == "__main__":
    main()
