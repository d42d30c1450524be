"""The ``zoryx`` command line: run, sandbox, plugins, demo, emulator, version, and plugin commands."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from .marketplace_cli import COMMANDS as MARKETPLACE_COMMANDS
from .marketplace_cli import add_marketplace_commands, run_marketplace_command
from .storage_cli import STORAGE_COMMANDS, add_storage_commands, run_storage_command
from .ui.text import plural

__all__ = ["main"]

BUILTIN_COMMANDS = {
    "run",
    "sandbox",
    "plugins",
    "demo",
    "emulator",
    "version",
    "new-plugin",
} | MARKETPLACE_COMMANDS | STORAGE_COMMANDS


def _plugin_list(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    if not names:
        raise argparse.ArgumentTypeError("expected comma-separated plugin names, e.g. zoryx-hello,dice")
    return names


def _add_selection(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--no-plugins", action="store_true", help="start without loading any plugin")
    group.add_argument(
        "--plugins", type=_plugin_list, default=(), metavar="A,B", help="load only these plugins"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zoryx", description="Zoryx: a pluggable Discord bot framework.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser(
        "run", help="run the bot (DISCORD_TOKEN and BOT_OWNER_ID from .env or the environment)"
    )
    run.add_argument(
        "--config", type=Path, default=Path("config.json"), help="settings file (default config.json)"
    )
    run.add_argument(
        "--env-file", type=Path, default=None, help="dotenv file (default: .env when there is one)"
    )
    _add_selection(run)
    reload = run.add_mutually_exclusive_group()
    reload.add_argument(
        "--hot-reload", dest="hot_reload", action="store_true", default=None, help="watch and reload"
    )
    reload.add_argument(
        "--no-hot-reload", dest="hot_reload", action="store_false", help="never reload on change"
    )
    run.add_argument("--quiet", action="store_true", help="no log output on the console (files only)")

    sandbox = sub.add_parser(
        "sandbox", help="the bot and its plugins on a local Discord emulator, no token needed"
    )
    sandbox.add_argument("--script", type=Path, help="play the inputs in FILE and print the conversation")
    sandbox.add_argument(
        "--home", type=Path, default=Path(".zoryx-sandbox"), help="folder for config, data, logs"
    )
    sandbox.add_argument(
        "--no-hot-reload", action="store_true", help="do not reload plugins when files change"
    )
    sandbox.add_argument("--verbose", action="store_true", help="show the bot's log on the console")
    _add_selection(sandbox)

    plugins = sub.add_parser(
        "plugins", help="list discovered plugins with version, status, hooks, dependencies"
    )
    plugins.add_argument("--json", action="store_true", help="print JSON instead of a table")
    plugins.add_argument(
        "--config", type=Path, default=Path("config.json"), help="settings file (default config.json)"
    )
    _add_selection(plugins)

    sub.add_parser("demo", help="an ordinary discord.py bot in a scripted conversation on the emulator")
    emulator = sub.add_parser("emulator", help="run the Discord emulator as a standalone server")
    emulator.add_argument("args", nargs=argparse.REMAINDER, help="options of python -m zoryx_core.testing")
    sub.add_parser("version", help="print the installed version")
    new_plugin = sub.add_parser(
        "new-plugin", help="create a ready plugin distribution (entry point, cog, hooks, emulator test)"
    )
    new_plugin.add_argument("name", help="the distribution's name, e.g. zoryx-weather")
    new_plugin.add_argument("--dir", type=Path, help="folder to create (default: ./NAME)")
    new_plugin.add_argument("--description", default="", help="one-line summary for its metadata")
    new_plugin.add_argument("--author", default="", help="author name for its metadata")
    add_marketplace_commands(sub)
    add_storage_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and not argv[0].startswith("-") and argv[0] not in BUILTIN_COMMANDS:
        return _plugin_command(argv)
    args = build_parser().parse_args(argv)
    if args.command == "run":
        from .runner import RunOptions, run

        options = RunOptions(
            config=args.config,
            env_file=args.env_file,
            no_plugins=args.no_plugins,
            plugins=args.plugins,
            hot_reload=args.hot_reload,
            console=not args.quiet,
        )
        return run(options)
    if args.command == "sandbox":
        return _sandbox(args)
    if args.command == "plugins":
        return _plugins(args)
    if args.command == "demo":
        from .demo import run_demo

        asyncio.run(run_demo())
        return 0
    if args.command == "emulator":
        from .testing.__main__ import main as emulator_main

        emulator_main(args.args)
        return 0
    if args.command in MARKETPLACE_COMMANDS:
        return run_marketplace_command(args)
    if args.command in STORAGE_COMMANDS:
        return run_storage_command(args)
    if args.command == "version":
        from . import __version__

        print(__version__)
        return 0
    if args.command == "new-plugin":
        return _new_plugin(args)
    build_parser().print_help()
    return 2


def _sandbox(args: argparse.Namespace) -> int:
    from .runner import StartupError
    from .sandbox.app import SandboxOptions, run_sandbox

    if args.script is not None and not args.script.is_file():
        print(f"error: --script {args.script}: no such file", file=sys.stderr)
        return 2
    options = SandboxOptions(
        home=args.home,
        script=args.script,
        no_plugins=args.no_plugins,
        plugins=args.plugins,
        hot_reload=not args.no_hot_reload and args.script is None,
        verbose=args.verbose,
    )
    try:
        asyncio.run(run_sandbox(options))
    except StartupError:
        return 2
    except KeyboardInterrupt:
        pass
    return 0


def _plugins(args: argparse.Namespace) -> int:
    from rich.console import Console

    from . import __version__
    from .builtin import BUILTIN_PLUGINS
    from .panel import plugin_table
    from .plugins.inspection import inspect_plugins
    from .runner import RunOptions, StartupError, check_plugin_names, load_configuration, selection_for

    options = RunOptions(config=args.config, no_plugins=args.no_plugins, plugins=args.plugins)
    try:
        settings, _ = load_configuration(options, dict(os.environ), write=False)
        check_plugin_names(options, settings)
    except StartupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    extensions = Path(settings["plugins.extensions_dir"])
    report = inspect_plugins(extensions, selection_for(options, settings), __version__, BUILTIN_PLUGINS)
    if args.json:
        print(json.dumps([outcome.as_dict() for outcome in report.outcomes], indent=2))
    else:
        Console().print(plugin_table(report.outcomes, title=f"Zoryx plugins ({len(report.outcomes)} found)"))
    return 0


def _new_plugin(args: argparse.Namespace) -> int:
    from . import __version__
    from .scaffold import ScaffoldError, write_plugin

    try:
        names, folder, written = write_plugin(
            args.name, args.dir, core_version=__version__, description=args.description, author=args.author
        )
    except ScaffoldError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"created {names.distribution} in {folder} ({plural(len(written), 'file')}):")
    for path in written:
        print(f"  {path.relative_to(folder)}")
    print(
        f"\nnext:\n  cd {folder}\n  pip install -e '.[test]'\n  python -m pytest\n"
        f"then start the bot: the plugin {names.distribution} loads with it (command: {names.command})"
    )
    return 0


def _plugin_command(argv: list[str]) -> int:
    """Run a sub-command contributed by a plugin through ``zoryx_cli_commands``."""
    from . import __version__
    from .plugins.inspection import inspect_plugins
    from .plugins.resolution import Selection

    report = inspect_plugins(Path("extensions"), Selection(), __version__)
    commands, warnings = report.cli_commands(BUILTIN_COMMANDS)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for command in commands:
        command_parser = sub.add_parser(command.name, help=command.help)
        if command.configure is not None:
            command.configure(command_parser)
        command_parser.set_defaults(_plugin_run=command.run)
    args = parser.parse_args(argv)
    return int(args._plugin_run(args))


if __name__ == "__main__":
    sys.exit(main())
