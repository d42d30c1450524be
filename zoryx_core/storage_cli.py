"""``zoryx storage info`` and ``zoryx storage migrate --to postgresql``: argument parsing only; the
work is in :mod:`zoryx_core.storage_commands`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["STORAGE_COMMANDS", "add_storage_commands", "run_storage_command"]

STORAGE_COMMANDS = {"storage"}


def add_storage_commands(sub: Any) -> None:
    """Add ``storage`` with its ``info`` and ``migrate`` subcommands to the CLI's subparsers."""
    storage = sub.add_parser(
        "storage", help="the bot's store: info, or migrate a SQLite folder to PostgreSQL"
    )
    actions = storage.add_subparsers(dest="storage_action", metavar="ACTION", required=True)
    for name, text in (
        ("info", "backend, location (password masked), sizes and pool of the configured store"),
        ("migrate", "copy a SQLite data folder into PostgreSQL (ZORYX_DATABASE_URL) and verify it"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument(
            "--config", type=Path, default=Path("config.json"), help="settings file (default config.json)"
        )
        action.add_argument(
            "--env-file", type=Path, default=None, help="dotenv file (default: .env when there is one)"
        )
        action.add_argument("--data-dir", type=Path, help="the data folder (default: the data_dir setting)")
    migrate = actions.choices["migrate"]
    migrate.add_argument("--to", required=True, choices=["postgresql"], help="the target backend")


def run_storage_command(args: argparse.Namespace) -> int:
    from .bot import storage_options
    from .runner import RunOptions, StartupError, load_configuration
    from .storage_commands import StorageCommandError, describe_storage, migrate_to_postgresql

    try:
        settings, env = load_configuration(
            RunOptions(config=args.config, env_file=args.env_file), dict(os.environ)
        )
    except StartupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    data_dir = args.data_dir or Path(settings["data_dir"])
    try:
        if args.storage_action == "info":
            for line in describe_storage(data_dir, storage_options(settings), env):
                print(line)
            return 0
        lines, code = migrate_to_postgresql(
            data_dir, str(settings["storage.pg_schema"]), env, lambda line: print(line, flush=True)
        )
    except StorageCommandError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    return code
