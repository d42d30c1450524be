"""The ``zoryx`` root group: built-in commands, plus the commands plugins register through
``zoryx_register_commands``, loaded only when they are needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

__all__ = ["ZoryxGroup"]


class ZoryxGroup(click.Group):
    """A group that imports installed plugins (entry points and ``./extensions``) the first time it
    lists its commands (help, completion) or is asked for a name that is not built in, so
    ``zoryx --version`` and the built-in commands never pay for it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plugins_loaded = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        self.load_plugin_commands(quiet=ctx.resilient_parsing)
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and not self._plugins_loaded:
            self.load_plugin_commands(quiet=ctx.resilient_parsing)
            command = super().get_command(ctx, cmd_name)
        return command

    def load_plugin_commands(self, *, quiet: bool = False) -> None:
        """Add the commands plugins register (once); refused ones are reported on stderr as
        warnings unless ``quiet`` (during shell completion)."""
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        from . import __version__
        from .plugins.inspection import inspect_plugins
        from .plugins.resolution import Selection

        report = inspect_plugins(Path("extensions"), Selection(), __version__)
        for warning in report.register_commands(self):
            if not quiet:
                click.echo(f"warning: {warning}", err=True)
