"""``zoryx completion bash|zsh|fish``: prints the shell's completion script for ``zoryx``."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

__all__ = ["COMPLETE_VAR", "SHELLS", "completion"]

COMPLETE_VAR = "_ZORYX_COMPLETE"
"""The environment variable click's completion scripts set when they call ``zoryx``."""

SHELLS = ("bash", "zsh", "fish")


@click.command(short_help="print the shell completion script (bash, zsh or fish)")
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> int:
    """Print the completion script of SHELL for zoryx (commands, options, plugin commands).

    \b
    Install it once:
      bash (4.4 or newer)  echo 'eval "$(zoryx completion bash)"' >> ~/.bashrc
      zsh                  echo 'eval "$(zoryx completion zsh)"' >> ~/.zshrc
      fish                 zoryx completion fish > ~/.config/fish/completions/zoryx.fish
    then open a new shell. The script calls zoryx with _ZORYX_COMPLETE set, so completions
    always match the installed version and plugins.
    """
    root = ctx.find_root()
    shell_class = get_completion_class(shell)
    if shell_class is None:  # click.Choice already refused anything else
        raise click.BadParameter(f"expected one of {', '.join(SHELLS)}", param_hint="SHELL")
    script = shell_class(root.command, {}, root.info_name or "zoryx", COMPLETE_VAR).source()
    click.echo(script)
    return 0
