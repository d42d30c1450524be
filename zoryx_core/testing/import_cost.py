"""What importing or starting a plugin imports, seen from a fresh interpreter.

A plugin that keeps its rarely used modules (an installer, a codec, renderers, a Redis client)
out of its start-up imports loads faster and leaves a smaller heap. These helpers let its tests
say so and fail when a module-level import brings a heavy module back::

    started = modules_after_start("zoryx-backup")
    assert started.loaded == ("zoryx-backup",)
    assert "zoryx_backup.codec" not in started.modules

Each call runs a new Python process (this interpreter, this environment): modules the test
process imported earlier do not count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["StartedPlugin", "modules_after_import", "modules_after_start"]

_IMPORT_SCRIPT = """
import json, sys
for name in {names!r}:
    __import__(name)
print(json.dumps(sorted(sys.modules)))
"""

_START_SCRIPT = """
import asyncio, json, logging, sys, tempfile
from pathlib import Path

from zoryx_core.discord_redirect import point_discord_at
from zoryx_core.testing import DiscordEmulator
from zoryx_core.testing.zoryx_bots import make_zoryx_bot


async def main() -> None:
    logging.basicConfig(level=logging.CRITICAL)
    async with DiscordEmulator() as emulator:
        owner = emulator.create_user("owner")
        emulator.create_guild("guild", members=[owner])
        point_discord_at(emulator.api_url, emulator.gateway_url)
        home = Path(tempfile.mkdtemp(prefix="zoryx-import-cost-"))
        bot = make_zoryx_bot(home, plugins={plugins!r}, config={{"logging.level": "CRITICAL"}})
        await bot.login(emulator.token)  # discord.py runs setup_hook here: the plugins load
        modules = sorted(sys.modules)
        loaded = [name for name in bot.plugins.loaded if not name.startswith("core.")]
        await bot.close()
    print(json.dumps({{"modules": modules, "loaded": loaded}}))


asyncio.run(main())
"""


@dataclass(frozen=True)
class StartedPlugin:
    """The modules a bot had imported once its plugins were loaded."""

    modules: frozenset[str]
    loaded: tuple[str, ...]
    """The plugins (not the built-in ``core.*`` ones) that loaded."""


def modules_after_import(*names: str, environ: Mapping[str, str] | None = None) -> frozenset[str]:
    """Every module in ``sys.modules`` after importing ``names`` in a fresh interpreter."""
    if not names:
        raise ValueError("name at least one module to import")
    output = _run(_IMPORT_SCRIPT.format(names=list(names)), environ, timeout=120)
    return frozenset(json.loads(output))


def modules_after_start(
    plugins: str | Iterable[str], *, environ: Mapping[str, str] | None = None, timeout: float = 300
) -> StartedPlugin:
    """Start a bot on the Discord emulator with only ``plugins`` (and the built-ins) in a fresh
    interpreter; the modules imported once ``setup_hook`` has loaded them, and which loaded.
    ``environ`` adds variables to the child's environment (e.g. ``ZORYX_REDIS_URL``)."""
    wanted = [plugins] if isinstance(plugins, str) else list(plugins)
    output = _run(_START_SCRIPT.format(plugins=wanted), environ, timeout=timeout)
    found = json.loads(output.strip().splitlines()[-1])
    return StartedPlugin(frozenset(found["modules"]), tuple(found["loaded"]))


def _run(script: str, environ: Mapping[str, str] | None, *, timeout: float) -> str:
    env = {**os.environ, **(environ or {})}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"the child interpreter failed (exit {result.returncode}):\n{result.stderr[-4000:]}"
        )
    return result.stdout
