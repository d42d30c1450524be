"""Options several ``zoryx`` commands share: the settings file, the dotenv file, the plugin selection."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

__all__ = ["config_option", "env_file_option", "plugin_names", "plugin_selection", "reject_together"]

F = TypeVar("F", bound=Callable[..., Any])


def plugin_names(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...]:
    """``--plugins A,B``: comma-separated plugin names, e.g. ``zoryx-hello,dice``, as a tuple."""
    if value is None:
        return ()
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    if not names:
        raise click.BadParameter("expected comma-separated plugin names, e.g. zoryx-hello,dice")
    return names


def config_option(function: F) -> F:
    """``--config FILE`` (default ``config.json``) as ``config``."""
    return click.option(
        "--config",
        type=click.Path(path_type=Path),
        default=Path("config.json"),
        help="settings file (default config.json)",
    )(function)


def env_file_option(default: Path | None) -> Callable[[F], F]:
    """``--env-file FILE`` as ``env_file``; ``None`` means ``.env`` when there is one."""
    text = (
        "dotenv file (default: .env when there is one)"
        if default is None
        else f"dotenv file (default {default})"
    )
    return click.option("--env-file", type=click.Path(path_type=Path), default=default, help=text)


def plugin_selection(function: F) -> F:
    """``--no-plugins`` or ``--plugins A,B`` (not both) as ``no_plugins`` and ``plugins``."""
    function = click.option(
        "--plugins",
        metavar="A,B",
        callback=plugin_names,
        help="load only these plugins (comma-separated)",
    )(function)
    return click.option("--no-plugins", is_flag=True, help="start without loading any plugin")(function)


def reject_together(params: dict[str, Any], first: str, second: str) -> None:
    """A usage error (exit 2) when the options ``first`` and ``second`` are both given."""
    if params.get(first.lstrip("-").replace("-", "_")) and params.get(second.lstrip("-").replace("-", "_")):
        raise click.UsageError(f"{first} and {second} cannot be used together; pick one")
