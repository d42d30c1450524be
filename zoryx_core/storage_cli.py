"""``zoryx storage info`` and ``zoryx storage migrate --to postgresql``: the command line only; the
work is in :mod:`zoryx_core.storage_commands`."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .cli_options import config_option, env_file_option

__all__ = ["storage"]

F = TypeVar("F", bound=Callable[..., Any])


@click.group(short_help="the bot's store: info, or migrate a SQLite folder to PostgreSQL")
def storage() -> None:
    """The bot's store: where it is and how big, or migrate a SQLite data folder to PostgreSQL."""


def _store_options(function: F) -> F:
    function = click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="the data folder (default: the data_dir setting)",
    )(function)
    return config_option(env_file_option(None)(function))


@storage.command(short_help="backend, location (password masked), sizes and pool of the configured store")
@_store_options
def info(config: Path, env_file: Path | None, data_dir: Path | None) -> int:
    """Backend, location (password masked), sizes and pool of the configured store."""
    return _run(config, env_file, data_dir, migrate=False)


@storage.command(short_help="copy a SQLite data folder into PostgreSQL (ZORYX_DATABASE_URL) and verify it")
@_store_options
@click.option("--to", "target", type=click.Choice(["postgresql"]), required=True, help="the target backend")
def migrate(config: Path, env_file: Path | None, data_dir: Path | None, target: str) -> int:
    """Copy a SQLite data folder into PostgreSQL (ZORYX_DATABASE_URL) and verify the copy."""
    return _run(config, env_file, data_dir, migrate=True)


def _run(config: Path, env_file: Path | None, data_dir: Path | None, *, migrate: bool) -> int:
    from .bot import storage_options
    from .runner import RunOptions, StartupError, load_configuration
    from .storage_commands import StorageCommandError, describe_storage, migrate_to_postgresql

    try:
        settings, env = load_configuration(RunOptions(config=config, env_file=env_file), dict(os.environ))
    except StartupError as error:
        click.echo(f"error: {error}", err=True)
        return 2
    folder = data_dir or Path(settings["data_dir"])
    try:
        if not migrate:
            for line in describe_storage(folder, storage_options(settings), env):
                click.echo(line)
            return 0
        lines, code = migrate_to_postgresql(
            folder, str(settings["storage.pg_schema"]), env, lambda line: click.echo(line)
        )
    except StorageCommandError as error:
        click.echo(f"error: {error}", err=True)
        return 2
    for line in lines:
        click.echo(line)
    return code
