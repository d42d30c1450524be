"""``zoryx cluster run`` (and ``python -m zoryx_cluster run``): the command line only; the
launcher's logic is in :mod:`.launcher` (:func:`run_launcher` is what a command line calls)."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Sequence

import click

from zoryx_core.cli_main import run_command

from .launcher import Launcher, LauncherOptions, LaunchError, default_bot_command, environment_with_dotenv

__all__ = ["cluster", "main", "run_launcher"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cluster() -> None:
    """Run the bot's shards over several processes and machines (zoryx-cluster)."""


@cluster.command(
    short_help="start and supervise one bot process per cluster on this machine",
    context_settings={"show_default": True},
)
@click.option("--shards", type=click.IntRange(min=1), required=True, help="total shard count of the bot")
@click.option("--clusters", type=click.IntRange(min=1), required=True, help="number of clusters (processes)")
@click.option(
    "--processes", type=click.IntRange(min=1), help="clusters to run on this machine (default: all)"
)
@click.option("--env-file", default=".env", help="dotenv file under the environment")
@click.option(
    "--max-restarts",
    type=click.IntRange(min=0),
    default=5,
    help="restarts of one cluster within 5 min before giving up",
)
@click.option(
    "--restart-backoff",
    type=click.FloatRange(min=0),
    default=1.0,
    help="seconds before the first restart (doubles)",
)
@click.option(
    "--lease-seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=6.0,
    help="expiry of a cluster's lease in Redis",
)
@click.argument("bot_args", nargs=-1, type=click.UNPROCESSED, metavar="[-- ZORYX RUN OPTIONS]")
def run(
    shards: int,
    clusters: int,
    processes: int | None,
    env_file: str,
    max_restarts: int,
    restart_backoff: float,
    lease_seconds: float,
    bot_args: tuple[str, ...],
) -> int:
    """Split --shards shards into --clusters contiguous ranges and run a bot process per range on
    this machine (or --processes of them; other machines run the rest). After --: options for
    each `zoryx run` (e.g. -- --config FILE)."""
    options = LauncherOptions(
        shards=shards,
        clusters=clusters,
        processes=processes,
        environ=environment_with_dotenv(env_file, dict(os.environ)),
        bot_command=(*default_bot_command(), *bot_args),
        max_restarts=max_restarts,
        restart_backoff=restart_backoff,
        lease_seconds=lease_seconds,
        renew_seconds=max(lease_seconds / 3, 0.1),
    )
    return run_launcher(options)


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


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m zoryx_cluster``: the ``cluster`` group on its own; returns the exit code."""
    return run_command(cluster, argv, "python -m zoryx_cluster")
