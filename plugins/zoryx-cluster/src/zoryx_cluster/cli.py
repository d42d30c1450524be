"""``zoryx cluster run`` (and ``python -m zoryx_cluster run``): argument parsing only; the
launcher's logic is in :mod:`.launcher` (:func:`run_launcher` is what a command line calls)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Mapping, Sequence

from zoryx_core import CliCommand

from .launcher import Launcher, LauncherOptions, LaunchError, default_bot_command, environment_with_dotenv

__all__ = ["cluster_command", "configure_parser", "main", "run_from_args", "run_launcher"]


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Adds ``run`` and its options to ``parser``."""
    sub = parser.add_subparsers(dest="cluster_command", metavar="COMMAND")
    run = sub.add_parser(
        "run",
        help="start and supervise one bot process per cluster on this machine",
        description="Split --shards shards into --clusters contiguous ranges and run a bot process "
        "per range on this machine (or --processes of them; other machines run the rest).",
    )
    run.add_argument("--shards", type=_positive, required=True, help="total shard count of the bot")
    run.add_argument("--clusters", type=_positive, required=True, help="number of clusters (processes)")
    run.add_argument("--processes", type=_positive, help="clusters to run on this machine (default: all)")
    run.add_argument("--env-file", default=".env", help="dotenv file under the environment (default .env)")
    run.add_argument(
        "--max-restarts", type=int, default=5, help="restarts of one cluster within 5 min before giving up"
    )
    run.add_argument(
        "--restart-backoff", type=float, default=1.0, help="seconds before the first restart (doubles)"
    )
    run.add_argument("--lease-seconds", type=float, default=6.0, help="expiry of a cluster's lease in Redis")
    run.add_argument(
        "bot_args",
        nargs=argparse.REMAINDER,
        help="after --: options for each `zoryx run` (e.g. --config FILE)",
    )


def run_launcher(options: LauncherOptions) -> int:
    """Prepares and runs the launcher; a ``LaunchError`` is printed as one line (exit code 2)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def go() -> int:
        launcher = Launcher(options)
        try:
            await launcher.prepare()
        except LaunchError:
            if launcher.redis is not None:
                await launcher.redis.aclose()
            raise
        return await launcher.run()

    try:
        return asyncio.run(go())
    except LaunchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def run_from_args(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> int:
    if args.cluster_command != "run":
        print("usage: zoryx cluster run --shards N --clusters M [-- zoryx run options]", file=sys.stderr)
        return 2
    bot_args: Sequence[str] = [a for a in args.bot_args if a != "--"] if args.bot_args else []
    options = LauncherOptions(
        shards=args.shards,
        clusters=args.clusters,
        processes=args.processes,
        environ=environment_with_dotenv(args.env_file, dict(os.environ if environ is None else environ)),
        bot_command=(*default_bot_command(), *bot_args),
        max_restarts=args.max_restarts,
        restart_backoff=args.restart_backoff,
        lease_seconds=args.lease_seconds,
        renew_seconds=max(args.lease_seconds / 3, 0.1),
    )
    return run_launcher(options)


def cluster_command() -> CliCommand:
    """The ``zoryx cluster`` sub-command (contributed through ``zoryx_cli_commands``)."""
    return CliCommand(
        name="cluster",
        help="run the bot's shards over several processes and machines (zoryx-cluster)",
        run=run_from_args,
        configure=configure_parser,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zoryx_cluster", description="Zoryx cluster launcher.")
    configure_parser(parser)
    return run_from_args(parser.parse_args(argv))
