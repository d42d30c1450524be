"""The ``zoryx`` command line (click): run, sandbox, plugins, demo, emulator, version, new-plugin,
completion, the marketplace and storage commands, and the commands plugins register."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from . import __version__
from .cli_group import ZoryxGroup
from .cli_main import run_command
from .cli_options import config_option, env_file_option, plugin_selection, reject_together
from .completion_cli import completion
from .emulator_cli import emulator
from .marketplace_cli import MARKETPLACE_COMMANDS
from .storage_cli import storage
from .ui.text import plural

__all__ = ["cli", "main", "run_command"]

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(cls=ZoryxGroup, context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name="zoryx", message="%(prog)s %(version)s")
def cli() -> None:
    """Zoryx: a pluggable Discord bot framework.

    Commands that installed plugins register are listed too. Shell completion:
    `zoryx completion --help`.
    """


@cli.command(short_help="run the bot (DISCORD_TOKEN and BOT_OWNER_ID from .env or the environment)")
@config_option
@env_file_option(None)
@plugin_selection
@click.option(
    "--hot-reload/--no-hot-reload",
    "hot_reload",
    default=None,
    help="reload plugins when their files change, or never (default: the hot_reload.enabled setting)",
)
@click.option("--quiet", is_flag=True, help="no log output on the console (files only)")
def run(**params: Any) -> int:
    """Run the bot (DISCORD_TOKEN and BOT_OWNER_ID from .env or the environment)."""
    reject_together(params, "--no-plugins", "--plugins")
    from .runner import RunOptions
    from .runner import run as run_bot

    return run_bot(
        RunOptions(
            config=params["config"],
            env_file=params["env_file"],
            no_plugins=params["no_plugins"],
            plugins=params["plugins"],
            hot_reload=params["hot_reload"],
            console=not params["quiet"],
        )
    )


@cli.command(short_help="the bot and its plugins on a local Discord emulator, no token needed")
@click.option(
    "--script",
    type=click.Path(path_type=Path),
    help="play the inputs in FILE and print the conversation",
)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".zoryx-sandbox"),
    help="folder for config, data, logs (default .zoryx-sandbox)",
)
@click.option("--no-hot-reload", is_flag=True, help="do not reload plugins when files change")
@click.option("--verbose", is_flag=True, help="show the bot's log on the console")
@plugin_selection
def sandbox(**params: Any) -> int:
    """The bot and its plugins on a local Discord emulator, no token needed; type as a member."""
    reject_together(params, "--no-plugins", "--plugins")
    from .runner import StartupError
    from .sandbox.app import SandboxOptions, run_sandbox

    script: Path | None = params["script"]
    if script is not None and not script.is_file():
        raise click.UsageError(f"--script {script}: no such file")
    options = SandboxOptions(
        home=params["home"],
        script=script,
        no_plugins=params["no_plugins"],
        plugins=params["plugins"],
        hot_reload=not params["no_hot_reload"] and script is None,
        verbose=params["verbose"],
    )
    try:
        asyncio.run(run_sandbox(options))
    except StartupError:
        return 2
    except KeyboardInterrupt:
        pass
    return 0


@cli.command(short_help="list discovered plugins with version, status, hooks, dependencies")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
@config_option
@plugin_selection
def plugins(**params: Any) -> int:
    """List discovered plugins with version, status, hooks and dependencies."""
    reject_together(params, "--no-plugins", "--plugins")
    from rich.console import Console

    from .builtin import BUILTIN_PLUGINS
    from .panel import plugin_table
    from .plugins.inspection import inspect_plugins
    from .runner import RunOptions, StartupError, check_plugin_names, load_configuration, selection_for

    options = RunOptions(config=params["config"], no_plugins=params["no_plugins"], plugins=params["plugins"])
    try:
        settings, _ = load_configuration(options, dict(os.environ), write=False)
        check_plugin_names(options, settings)
    except StartupError as error:
        click.echo(f"error: {error}", err=True)
        return 2
    extensions = Path(settings["plugins.extensions_dir"])
    report = inspect_plugins(extensions, selection_for(options, settings), __version__, BUILTIN_PLUGINS)
    if params["as_json"]:
        click.echo(json.dumps([outcome.as_dict() for outcome in report.outcomes], indent=2))
    else:
        Console().print(plugin_table(report.outcomes, title=f"Zoryx plugins ({len(report.outcomes)} found)"))
    return 0


@cli.command(short_help="an ordinary discord.py bot in a scripted conversation on the emulator")
def demo() -> int:
    """An ordinary discord.py bot in a scripted conversation on the emulator."""
    from .demo import run_demo

    asyncio.run(run_demo())
    return 0


@cli.command(short_help="print the installed version")
def version() -> int:
    """Print the installed version."""
    click.echo(__version__)
    return 0


@cli.command("new-plugin", short_help="create a ready plugin distribution (entry point, cog, hooks, test)")
@click.argument("name")
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="folder to create (default: ./NAME)",
)
@click.option("--description", default="", help="one-line summary for its metadata")
@click.option("--author", default="", help="author name for its metadata")
def new_plugin(name: str, folder: Path | None, description: str, author: str) -> int:
    """Create a ready plugin distribution NAME (e.g. zoryx-weather): entry point, cog, hooks and an
    emulator test."""
    from .scaffold import ScaffoldError, write_plugin

    try:
        names, folder, written = write_plugin(
            name, folder, core_version=__version__, description=description, author=author
        )
    except ScaffoldError as error:
        click.echo(f"error: {error}", err=True)
        return 2
    click.echo(f"created {names.distribution} in {folder} ({plural(len(written), 'file')}):")
    for path in written:
        click.echo(f"  {path.relative_to(folder)}")
    click.echo(
        f"\nnext:\n  cd {folder}\n  pip install -e '.[test]'\n  python -m pytest\n"
        f"then start the bot: the plugin {names.distribution} loads with it (command: {names.command})"
    )
    return 0


for _command in (emulator, completion, storage, *MARKETPLACE_COMMANDS):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> int:
    """The ``zoryx`` console script; returns the exit code."""
    return run_command(cli, argv, "zoryx")


if __name__ == "__main__":
    sys.exit(main())
