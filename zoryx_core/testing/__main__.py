"""``python -m zoryx_core.testing --port N``: the emulator as a standalone server (the same as
``zoryx emulator``); ``python -m zoryx_core.testing coverage``: what it covers of discord.py's
REST routes and gateway events, and what is missing."""

from __future__ import annotations

import sys

from ..cli_main import run_command
from ..emulator_cli import emulator

if __name__ == "__main__":
    sys.exit(run_command(emulator, None, "python -m zoryx_core.testing"))
