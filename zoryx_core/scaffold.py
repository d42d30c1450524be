"""``zoryx new-plugin NAME``: a ready plugin distribution to start from.

It writes a ``pyproject.toml`` (the ``zoryx.plugins`` entry point, a ``zoryx-core`` range that
admits the running version's minor series, a ``test`` extra), a README, the plugin module (a
setting, set-up, a health check, the data deletion hook) with a cog holding one hybrid command,
and an end-to-end test that runs the real bot against the Discord emulator. Installed with
``pip install -e 'NAME[test]'``, its tests pass unchanged.
"""

from __future__ import annotations

import keyword
import re
import string
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

__all__ = ["PluginNames", "ScaffoldError", "core_requirement", "plugin_files", "write_plugin"]

_NAME = re.compile(r"^[A-Za-z](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
_COMMAND_LIMIT = 32


class ScaffoldError(ValueError):
    """The name or the target folder cannot be used; the message says why and what is allowed."""


@dataclass(frozen=True)
class PluginNames:
    """Every name a new plugin needs, derived from the one given."""

    distribution: str
    """Canonical distribution name (``zoryx-weather``), also the plugin's name in Zoryx."""
    module: str
    """Import name of its package (``zoryx_weather``)."""
    command: str
    """Its example command (``weather``)."""
    cog: str
    """Class name of its cog (``Weather``)."""

    @classmethod
    def from_name(cls, name: str) -> PluginNames:
        text = name.strip()
        if not _NAME.match(text):
            raise ScaffoldError(
                f"{name!r} is not a valid distribution name: use letters, digits, '-', '_' or '.', "
                "starting with a letter and ending with a letter or digit (e.g. zoryx-weather)"
            )
        distribution = canonicalize_name(text)
        module = distribution.replace("-", "_")
        if keyword.iskeyword(module) or not module.isidentifier():
            raise ScaffoldError(
                f"{name!r} would make the package name {module!r}, which Python cannot import"
            )
        stem = distribution.removeprefix("zoryx-") or distribution
        command = stem[:_COMMAND_LIMIT].strip("-") or "hello"
        cog = "".join(part.capitalize() for part in re.split(r"[-_]", stem) if part) or "Plugin"
        if cog[0].isdigit():
            cog = f"Plugin{cog}"
        return cls(distribution, module, command, cog)


def core_requirement(version: str) -> str:
    """The ``zoryx-core`` range a new plugin declares: the running release's series, from its
    minor version up to the next breaking one (``0.1.3`` -> ``>=0.1,<0.2``; ``1.4.0`` -> ``>=1.4,<2``)."""
    try:
        parsed = Version(version)
    except InvalidVersion:
        return "zoryx-core"
    major, minor = parsed.major, parsed.minor
    upper = f"{major}.{minor + 1}" if major == 0 else str(major + 1)
    return f"zoryx-core>={major}.{minor},<{upper}"


_PYPROJECT = """\
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "$distribution"
version = "0.1.0"
description = "$description"
readme = "README.md"
requires-python = ">=3.11"
authors = [{ name = "$author" }]
dependencies = ["$core"]

[project.optional-dependencies]
test = ["zoryx-core[testing]"]

[project.entry-points."zoryx.plugins"]
$distribution = "$module"

[tool.setuptools.packages.find]
where = ["src"]

[tool.setuptools.package-data]
$module = ["py.typed"]

[tool.pytest.ini_options]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
asyncio_default_test_loop_scope = "function"
testpaths = ["tests"]
filterwarnings = ["ignore:.*audioop.*:DeprecationWarning"]
"""

_README = """\
# $distribution

$description

A plugin for the Zoryx Discord bot framework. Install it into the bot's environment and it
is found through its `zoryx.plugins` entry point at the next start, or at once with
`load $distribution` in Discord:

```bash
pip install .                  # or: pip install -e '.[test]' while working on it
```

## Commands

| command | what it does |
|---|---|
| `$command [member]` (`!$command` or `/$command`) | Greets you, or the member named. |

## Settings

Under `plugin_settings.$distribution` in the bot's `config.json`:

| key | default | meaning |
|---|---|---|
| `greeting` | `Hello` | The word the bot greets with (1 to 40 characters). |

## Tests

The tests run a real Zoryx bot against the Discord emulator from `zoryx-core[testing]`:

```bash
pip install -e '.[test]'
python -m pytest
```
"""

_INIT = '''\
"""$distribution: $description

The package is the plugin: Zoryx imports it through its ``zoryx.plugins`` entry
point and calls the hook implementations below (``zoryx_core/hookspecs.py`` has
every hook).
"""

from __future__ import annotations

from zoryx_core import HealthResult, PluginContext, Setting, ZoryxBot, hookimpl

from .cog import $cog

__all__ = ["$cog"]


@hookimpl
def zoryx_settings() -> list[Setting]:
    return [
        Setting(
            "greeting",
            "Hello",
            "str",
            "The word to greet with",
            min_length=1,
            max_length=40,
        )
    ]


@hookimpl
async def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    # What is added here (cogs, commands, listeners, tasks) goes again on unload.
    await bot.add_cog($cog(str(plugin.settings["greeting"])))


@hookimpl
def zoryx_health_check(bot: ZoryxBot) -> HealthResult:
    if bot.get_cog("$cog") is None:
        return HealthResult("$command cog", "unhealthy", "the cog is not registered")
    return HealthResult("$command cog", "healthy", "ready")


@hookimpl
def zoryx_delete_user_data(bot: ZoryxBot, user_id: int) -> None:
    # Called when a user asks for their data to be deleted (`mydata forget`).
    # This plugin keeps none; delete here whatever yours stores about the user.
    return None
'''

_COG = '''\
"""The plugin's cog: one hybrid command, usable as ``!$command`` and ``/$command``."""

from __future__ import annotations

from typing import Any

import discord
from discord.ext import commands
from zoryx_core.hybrid import hybrid_command


class $cog(commands.Cog):
    """$description"""

    def __init__(self, greeting: str) -> None:
        self.greeting = greeting

    @hybrid_command(name="$command", description="Greets you, or the member you name")
    async def greet(
        self, ctx: commands.Context[Any], member: discord.Member | None = None
    ) -> None:
        """Greets you, or the member you name."""
        who = member or ctx.author
        await ctx.send(f"{self.greeting}, {who.display_name}!")
'''

_TEST = '''\
"""$distribution in a real Zoryx bot, against the Discord emulator.

The fixtures (``discord_emulator``, ``zoryx_bot``) come from ``zoryx-core[testing]``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from zoryx_core import PluginStatus, ZoryxBot
from zoryx_core.testing import DiscordEmulator

BotFactory = Callable[..., Awaitable[ZoryxBot]]


async def test_the_command_answers_by_prefix_and_slash(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory
) -> None:
    alice = discord_emulator.create_user("alice")
    bob = discord_emulator.create_user("bob")
    guild = discord_emulator.create_guild("Test Guild", members=[alice, bob])
    general = discord_emulator.channel_named(guild, "general")
    config = {"cooldowns.default_rate": 0}  # no per-user cooldown between the two calls
    bot = await zoryx_bot(plugins=["$distribution"], config=config)
    assert bot.plugins.outcomes["$distribution"].status is PluginStatus.LOADED

    reply = await discord_emulator.converse(general, alice, "!$command")
    assert reply.content == "Hello, alice!"

    await bot.tree.sync()
    result = await discord_emulator.run_slash(
        "$command", channel=general, user=alice, options={"member": bob}
    )
    assert result.content == "Hello, bob!"


async def test_the_greeting_comes_from_the_settings(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory
) -> None:
    alice = discord_emulator.create_user("alice")
    guild = discord_emulator.create_guild("Test Guild", members=[alice])
    general = discord_emulator.channel_named(guild, "general")
    config = {"plugin_settings.$distribution.greeting": "Howdy"}
    await zoryx_bot(plugins=["$distribution"], config=config)
    reply = await discord_emulator.converse(general, alice, "!$command")
    assert reply.content == "Howdy, alice!"


async def test_unloading_removes_the_command(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory
) -> None:
    bot = await zoryx_bot(plugins=["$distribution"])
    assert bot.get_command("$command") is not None
    await bot.plugins.unload("$distribution")
    assert bot.get_command("$command") is None
'''

_GITIGNORE = """\
__pycache__/
*.egg-info/
build/
dist/
.pytest_cache/
"""


def plugin_files(
    names: PluginNames, *, core_version: str, description: str = "", author: str = ""
) -> dict[str, str]:
    """The new distribution's files: path relative to its folder -> text."""
    values = {
        "distribution": names.distribution,
        "module": names.module,
        "command": names.command,
        "cog": names.cog,
        "description": _one_line(description) or f"A Zoryx plugin adding the {names.command} command.",
        "author": _one_line(author) or "The authors",
        "core": core_requirement(core_version),
    }

    def render(template: str) -> str:
        return string.Template(template).substitute(values)

    module_dir = f"src/{names.module}"
    return {
        "pyproject.toml": render(_PYPROJECT),
        "README.md": render(_README),
        ".gitignore": _GITIGNORE,
        f"{module_dir}/__init__.py": render(_INIT),
        f"{module_dir}/cog.py": render(_COG),
        f"{module_dir}/py.typed": "",
        f"tests/test_{names.module}.py": render(_TEST),
    }


def _one_line(text: str) -> str:
    # Keep TOML strings and docstrings valid: one line, no quotes or backslashes.
    return " ".join(text.replace('"', "'").replace("\\", "/").split())


def write_plugin(
    name: str,
    target: Path | None = None,
    *,
    core_version: str,
    description: str = "",
    author: str = "",
) -> tuple[PluginNames, Path, list[Path]]:
    """Create the distribution for ``name`` in ``target`` (default ``./<name>``); returns its
    names, its folder and the files written. The folder must not exist or must be empty, and the
    package name must not already be importable (it would shadow or be shadowed)."""
    names = PluginNames.from_name(name)
    if find_spec(names.module) is not None:
        raise ScaffoldError(
            f"a module named {names.module!r} is already importable here; choose another name "
            "(the plugin's package would clash with it)"
        )
    folder = Path(target) if target is not None else Path(names.distribution)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ScaffoldError(f"{folder} already exists and is not an empty folder; choose another place")
    files = plugin_files(names, core_version=core_version, description=description, author=author)
    written = []
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return names, folder, written
