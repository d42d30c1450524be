"""``zoryx sandbox``: the bot with every installed plugin, on the emulator, no token needed."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from ..bot import ZoryxBot
from ..discord_redirect import point_discord_at, restore_discord_defaults
from ..panel import startup_panel
from ..private_files import private_dir
from ..runner import (
    RunOptions,
    StartupError,
    check_plugin_names,
    load_configuration,
    selection_for,
    start_logging,
)
from ..settings import Deployment, Settings
from ..testing import DiscordEmulator, start_bot, stop_bot
from .reload_report import reload_line
from .session import SandboxSession

__all__ = ["SandboxOptions", "run_sandbox"]


@dataclass(frozen=True)
class SandboxOptions:
    """Options of ``zoryx sandbox``."""

    home: Path = Path(".zoryx-sandbox")
    """Folder for the sandbox's config.json, data and logs (extensions come from the current folder)."""
    script: Path | None = None
    no_plugins: bool = False
    plugins: tuple[str, ...] = ()
    hot_reload: bool = True
    verbose: bool = False


async def run_sandbox(
    options: SandboxOptions, console: Console | None = None, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Start emulator and bot, then play the script or read the terminal; returns the transcript."""
    console = console or Console()
    home = options.home.resolve()
    private_dir(home)
    run_options = RunOptions(
        config=home / "config.json",
        no_plugins=options.no_plugins,
        plugins=options.plugins,
    )
    try:
        settings, _ = load_configuration(run_options, dict(os.environ if environ is None else environ))
        check_plugin_names(run_options, settings)
    except StartupError as error:
        console.print(f"[red]error:[/] {error}", highlight=False, soft_wrap=True)
        raise
    logs = start_logging(settings, home, console=options.verbose)
    try:
        async with DiscordEmulator(bot_name="Zoryx") as emulator:
            point_discord_at(emulator.api_url, emulator.gateway_url)
            try:
                return await _converse(emulator, settings, options, run_options, home, console)
            finally:
                restore_discord_defaults()
    finally:
        logs.stop()


async def _converse(
    emulator: DiscordEmulator,
    settings: Settings,
    options: SandboxOptions,
    run_options: RunOptions,
    home: Path,
    console: Console,
) -> list[str]:
    alice = emulator.create_user("alice")
    bob = emulator.create_user("bob")
    guild = emulator.create_guild(
        "Zoryx Sandbox", owner=alice, members=[bob], text_channels=("general", "random")
    )
    extensions = Path(settings["plugins.extensions_dir"])
    bot = ZoryxBot(
        settings,
        Deployment(
            token=emulator.token, owner_id=alice.id, owner_ids=frozenset(), shard_count=None, shard_ids=None
        ),
        selection=selection_for(run_options, settings),
        hot_reload=options.hot_reload,
        base_dir=home,
        extensions_dir=extensions if extensions.is_absolute() else Path.cwd() / extensions,
        # the emulator sends every guild at once: waiting longer for more would only slow start-up
        guild_ready_timeout=min(float(settings["startup.guild_ready_timeout"]), 0.1),
    )
    started = time.perf_counter()
    await start_bot(emulator, bot, timeout=60)
    try:
        await bot.tree.sync()
        console.print(startup_panel(bot, time.perf_counter() - started))
        console.print(
            f"[dim]You are alice (owner of {guild.name}) in #general. Prefix {settings['prefix']!r}; "
            "type :help for what you can do.[/]"
        )
        session = SandboxSession(
            emulator, guild, emulator.channel_named(guild, "general"), alice, console=console, bot=bot
        )
        if bot.reloader is not None:
            bot.reloader.listeners.append(lambda result: console.print(reload_line(result)))
        if options.script is not None:
            lines = options.script.read_text(encoding="utf-8").splitlines()
            await session.run_script(lines)
        else:
            await session.interactive()
        return session.transcript
    finally:
        await stop_bot(bot)
