"""Running a click command as a program and turning the outcome into an exit code."""

from __future__ import annotations

from collections.abc import Sequence

import click

__all__ = ["run_command"]


def run_command(command: click.Command, args: Sequence[str] | None, prog_name: str) -> int:
    """Run a click ``command`` on ``args`` (default: ``sys.argv[1:]``) and return its exit code:
    what the command returned when it is an int (otherwise 0), 2 for a usage error (printed with
    the usage line), 130 when interrupted. Shell completion (click's ``_<PROG>_COMPLETE`` variable)
    works through it."""
    try:
        arguments = list(args) if args is not None else None
        result = command.main(args=arguments, prog_name=prog_name, standalone_mode=False)
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.Abort as error:
        interrupted = isinstance(error.__cause__, KeyboardInterrupt)
        click.echo("" if interrupted else "Aborted!", err=True)
        return 130 if interrupted else 1
    return result if isinstance(result, int) and not isinstance(result, bool) else 0
