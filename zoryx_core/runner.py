"""``zoryx run``: settings, logging, the bot, signals and the start-up panel."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import discord.http
from rich.console import Console

from .bot import ZoryxBot
from .config_checks import unmatched_plugin_names
from .discord_redirect import point_discord_at
from .disk_full import find_disk_full
from .logs import FILE_ONLY, LogConfig, LoggingRuntime, setup_logging
from .panel import startup_panel
from .plugins.resolution import Selection
from .settings import ConfigFileError, Deployment, DeploymentError, Settings, SettingsError, merged_environ
from .startup_failures import describe_start_failure
from .storage.postgres.dsn import DsnError

__all__ = [
    "RunOptions",
    "StartupError",
    "check_plugin_names",
    "load_configuration",
    "run",
    "selection_for",
    "start_logging",
]

log = logging.getLogger("zoryx.run")


class StartupError(Exception):
    """Start-up cannot go on; the message is one line saying what to fix."""


@dataclass(frozen=True)
class RunOptions:
    """Options of ``zoryx run`` (and the shared part of ``zoryx sandbox``)."""

    config: Path = Path("config.json")
    env_file: Path | None = None
    """A dotenv file; ``None`` reads ``.env`` when there is one (a file named here must exist)."""
    no_plugins: bool = False
    plugins: tuple[str, ...] = ()
    hot_reload: bool | None = None
    console: bool = True


def load_configuration(
    options: RunOptions, environ: Mapping[str, str], *, write: bool = True
) -> tuple[Settings, dict[str, str]]:
    """Settings from defaults <- config.json <- environment (.env included); one-line errors.
    ``write=False`` leaves ``config.json`` as it is (inspections write nothing)."""
    if options.env_file is not None and not options.env_file.is_file():
        raise StartupError(f"--env-file {options.env_file}: no such file")
    try:
        env = merged_environ(options.env_file or Path(".env"), environ)
        return Settings.load(options.config, env, write=write), env
    except (ConfigFileError, SettingsError, DeploymentError) as error:
        raise StartupError(str(error)) from error


def check_plugin_names(options: RunOptions, settings: Settings) -> None:
    """``--plugins`` names that match no plugin found here are an error listing what there is."""
    if not options.plugins:
        return
    from . import __version__
    from .builtin import BUILTIN_PLUGINS
    from .plugins.metadata import discover

    extensions = Path(settings["plugins.extensions_dir"])
    found = [
        spec.name for spec in discover(None, extensions, builtins=BUILTIN_PLUGINS, core_version=__version__)
    ]
    unknown = unmatched_plugin_names(options.plugins, found)
    if unknown:
        listed = ", ".join(sorted(name for name in found if not name.startswith("core.")))
        raise StartupError(
            f"--plugins: no plugin named {', '.join(unknown)}; installed plugins and extensions: "
            f"{listed or 'none'}"
        )


def selection_for(options: RunOptions, settings: Settings) -> Selection:
    """``--no-plugins`` and ``--plugins a,b`` take precedence over the configured lists."""
    if options.plugins:
        return Selection.of(options.plugins, settings["plugins.disabled"], only_source="--plugins")
    return Selection.of(settings["plugins.enabled"], settings["plugins.disabled"], none=options.no_plugins)


def start_logging(settings: Settings, base: Path, *, console: bool) -> LoggingRuntime:
    directory = Path(settings["logging.directory"])
    return setup_logging(
        LogConfig(
            directory=directory if directory.is_absolute() else base / directory,
            level=str(settings["logging.level"]),
            max_bytes=int(settings["logging.max_bytes"]),
            backup_count=int(settings["logging.backup_count"]),
            max_age_days=int(settings["logging.max_age_days"]),
            console=console,
        )
    )


def run(options: RunOptions, environ: Mapping[str, str] | None = None, console: Console | None = None) -> int:
    """Run the bot until SIGINT or SIGTERM; returns the exit code (0 after a clean shutdown, 1 when
    the disk is full: one line on the console, the traceback in the log file only)."""
    console = console or Console(stderr=True)
    environ = dict(os.environ if environ is None else environ)
    try:
        settings, env = load_configuration(options, environ)
        check_plugin_names(options, settings)
        deployment = Deployment.from_environ(env)
        deployment.require_credentials()
    except (StartupError, DeploymentError) as error:
        console.print(f"[red]error:[/] {error}", highlight=False, soft_wrap=True)
        return 2
    if url := env.get("ZORYX_DISCORD_URL"):
        base = url.rstrip("/")
        point_discord_at(f"{base}/api/v10", base.replace("http", "ws", 1) + "/gateway")
    try:
        logs = start_logging(settings, Path.cwd(), console=options.console)
    except OSError as error:
        if (full := find_disk_full(error)) is None:
            raise
        console.print(
            f"[red]error:[/] {full}; free space on that disk and start again", highlight=False, soft_wrap=True
        )
        return 1
    bot: ZoryxBot | None = None
    try:
        bot = ZoryxBot(
            settings, deployment, selection=selection_for(options, settings), hot_reload=options.hot_reload
        )
        asyncio.run(_serve(bot, deployment, console))
    except DsnError as error:  # the store cannot be used: one line saying where and what to check
        console.print(f"[red]error:[/] {error}", highlight=False, soft_wrap=True)
        return 2
    except Exception as error:
        if (full := find_disk_full(error)) is not None:
            log.error("stopped: %s", full, exc_info=error, extra={FILE_ONLY: True})
            console.print(
                f"[red]error:[/] {full}; free space on that disk and start again",
                highlight=False,
                soft_wrap=True,
            )
            return 1
        line = None
        if bot is not None:
            line = describe_start_failure(error, intents=bot.intents, api_url=discord.http.Route.BASE)
        if line is None:
            raise
        log.error("start-up failed: %s", line, exc_info=error, extra={FILE_ONLY: True})
        console.print(f"[red]error:[/] {line}", highlight=False, soft_wrap=True)
        return 1
    finally:
        logs.stop()
    return 0


async def _serve(bot: ZoryxBot, deployment: Deployment, console: Console) -> None:
    started = time.perf_counter()
    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Task[None]] = []

    def request_stop(signame: str) -> None:
        if not stopping:
            console.print(f"[dim]{signame} received: shutting down[/]")
            stopping.append(loop.create_task(bot.close()))

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, request_stop, sig.name)
    assert deployment.token is not None
    async with bot:
        await bot.storage.open()  # an unusable store stops start-up before Discord is contacted
        runner = asyncio.create_task(bot.start(deployment.token))
        ready = asyncio.create_task(bot.wait_until_ready())
        await asyncio.wait({runner, ready}, return_when=asyncio.FIRST_COMPLETED)
        if ready.done() and not runner.done():
            console.print(startup_panel(bot, time.perf_counter() - started))
        else:
            ready.cancel()
        await runner
        if stopping:
            await stopping[0]
