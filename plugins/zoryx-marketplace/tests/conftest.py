"""Shared set-up of the zoryx-marketplace tests.

Once per session: wheels built from the example sources in ``market_sources/`` (plugins and a
library), a pypiserver index serving them on loopback, a static server for catalogs and wheels,
and the catalog document written from the wheels. Per test: a guild with an owner and a member,
the bot started with zoryx-marketplace pointed at a freshly published catalog, and a guard on
the environment: installs land in the running interpreter's environment, so whatever a test
leaves installed is removed afterwards.
"""

from __future__ import annotations

import asyncio
import copy
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from marketplace_client import build_catalog
from zoryx_core import ZoryxBot
from zoryx_core.testing import Channel, DiscordEmulator, Guild, Message, User
from zoryx_core.testing.package_index import PackageIndex, StaticServer, build_wheels, package_index

SOURCES = Path(__file__).parent / "market_sources"
ECHO, DICE, FAULTY, DICELIB = "zoryx-mpt-echo", "zoryx-mpt-dice", "zoryx-mpt-faulty", "mpt-dicelib"
TEST_MODULES = ("zoryx_mpt_", "mpt_dicelib")
INFO = "\u2139\ufe0f"
"""The information sign that info embeds' titles start with."""


# --- the session's marketplace ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def market_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the wheels of every example source, built once."""
    folder = tmp_path_factory.mktemp("market-wheels")
    build_wheels(sorted(path for path in SOURCES.iterdir() if path.is_dir()), folder)
    return folder


@pytest.fixture(scope="session")
def market_index(market_wheels: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PackageIndex]:
    """pypiserver serving the wheels (no fallback to PyPI)."""
    with package_index(market_wheels, log=tmp_path_factory.mktemp("pypiserver") / "pypiserver.log") as index:
        yield index


@pytest.fixture(scope="session")
def market_server(market_wheels: Path) -> Iterator[StaticServer]:
    """Catalogs the tests publish, and the wheels at ``/files/<name>``."""
    with StaticServer(market_wheels) as server:
        yield server


@pytest.fixture(scope="session")
def _session_catalog(market_wheels: Path, market_server: StaticServer, market_index: PackageIndex) -> Any:
    report = build_catalog(
        market_wheels, base_url=f"{market_server.base_url}/files", sidecar=SOURCES / "marketplace.toml"
    )
    for plugin in report.document["plugins"]:
        if plugin["name"] == ECHO:  # the echo plugin's wheels are found through the package index
            for entry in plugin["versions"]:
                del entry["url"]
                entry["index"] = market_index.simple_url
    return report.document


@pytest.fixture
def catalog(_session_catalog: Any) -> Any:
    """A copy of the test marketplace's catalog document, for the test to change and publish."""
    return copy.deepcopy(_session_catalog)


def entry_of(document: Any, name: str, version: str | None = None) -> Any:
    """A plugin of a catalog document (``version``: one of its version entries)."""
    plugin = next(p for p in document["plugins"] if p["name"] == name)
    if version is None:
        return plugin
    return next(v for v in plugin["versions"] if v["version"] == version)


def without_version(document: Any, name: str, version: str) -> Any:
    """A copy of ``document`` with one version of a plugin left out."""
    changed = copy.deepcopy(document)
    plugin = entry_of(changed, name)
    plugin["versions"] = [v for v in plugin["versions"] if v["version"] != version]
    return changed


# --- the environment ---------------------------------------------------------------------------------


def _freeze() -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--all", "--isolated", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return sorted(result.stdout.splitlines())


def _names(lines: list[str]) -> set[str]:
    names = set()
    for line in lines:
        for separator in ("==", " @ "):
            if separator in line:
                names.add(line.split(separator, 1)[0].strip().lower().replace("_", "-"))
                break
    return names


@dataclass
class Environment:
    """The running interpreter's environment, where the bot installs plugins."""

    before: list[str]
    """``pip freeze`` when the test began."""

    async def freeze(self) -> list[str]:
        """``pip freeze --all`` now (run off the event loop)."""
        return await asyncio.to_thread(_freeze)

    async def pip_install(self, *args: str) -> None:
        await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "pip", "install", "--isolated", "--quiet", *args],
            check=True,
            capture_output=True,
            timeout=300,
        )


@pytest.fixture
def environment() -> Iterator[Environment]:
    """The environment as the test found it; afterwards, what the test added is uninstalled (also
    after a failure) and the test modules are forgotten."""
    before = _freeze()
    yield Environment(before)
    added = sorted(_names(_freeze()) - _names(before))
    if added:
        subprocess.run(
            [sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet", *added],
            capture_output=True,
            timeout=300,
            check=False,
        )
    for module in [name for name in sys.modules if name.startswith(TEST_MODULES)]:
        del sys.modules[module]


# --- the world and the bot ---------------------------------------------------------------------------


@dataclass
class World:
    emu: DiscordEmulator
    guild: Guild
    general: Channel
    boss: User
    """The bot's owner."""
    member: User
    """A member with no special rights."""
    server: StaticServer
    index: PackageIndex
    env: Environment
    start: Callable[..., Awaitable[ZoryxBot]]
    """``await world.start(document)``: publish ``document`` and start the bot on it; returns the
    bot. ``world.catalog_url`` is then where the catalog is served."""
    catalog_url: str = ""

    def current(self, message: Message) -> Message:
        """``message`` as it is now (after the bot's edits)."""
        return self.emu.state.messages[message.channel_id][message.id]

    async def until(
        self, message: Message, check: Callable[[Message], bool], what: str, timeout: float = 60.0
    ) -> Message:
        """Wait until the bot has edited ``message`` into a state where ``check`` holds."""
        deadline = time.monotonic() + timeout
        while True:
            now = self.current(message)
            if check(now):
                return now
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out waiting for {what}; the message is {now.embeds or now.content!r}"
                )
            await asyncio.sleep(0.05)

    def shown_on(self, message: Message) -> list[str]:
        """The embed descriptions ``message`` showed, edit after edit (from the emulator's log)."""
        shown = []
        for request in self.emu.requests:
            if request.method != "PATCH" or not request.path.endswith(f"/messages/{message.id}"):
                continue
            body = json.loads(request.body) if isinstance(request.body, bytes | str) else request.body
            for embed in (body or {}).get("embeds") or []:
                shown.append(str(embed.get("description", "")))
        return shown

    async def reply_after(self, message: Message, timeout: float = 10.0) -> Message:
        """The bot's next message in #general after ``message``."""
        return await self.emu.wait_for_message(self.general, after=message, timeout=timeout)


@pytest.fixture
def world(
    environment: Environment,
    discord_emulator: DiscordEmulator,
    zoryx_bot: Callable[..., Awaitable[ZoryxBot]],
    market_server: StaticServer,
    market_index: PackageIndex,
) -> World:
    emu = discord_emulator
    boss, member = emu.create_user("boss"), emu.create_user("member")
    guild = emu.create_guild("Market", members=[boss, member])

    async def start(document: Any, **config: Any) -> ZoryxBot:
        url = market_server.publish(document)
        world.catalog_url = url
        settings = {
            "marketplace.catalog_url": url,
            "marketplace.index_url": market_index.simple_url,
            "marketplace.max_retry_wait": 5.0,
            "marketplace.allow_insecure_http": True,
            "cooldowns.default_rate": 0,
            "errors.delete_after": 0,
            "plugin_settings.zoryx-marketplace.pip_isolated": True,
            **config,
        }
        return await zoryx_bot(plugins=["zoryx-marketplace"], owner_id=boss.id, config=settings)

    world = World(
        emu,
        guild,
        emu.channel_named(guild, "general"),
        boss,
        member,
        market_server,
        market_index,
        environment,
        start,
    )
    return world


def title(message: Message) -> str:
    """The title of the message's first embed ('' when it has none)."""
    return str(message.embeds[0].get("title", "")) if message.embeds else ""


def fields(message: Message) -> dict[str, str]:
    """The first embed's fields by name."""
    return {f["name"]: f["value"] for f in (message.embeds[0].get("fields", []) if message.embeds else [])}


def select_values(message: Message) -> list[str]:
    """The option values of the message's first select menu."""
    for row in message.components:
        for component in row.get("components", []):
            if component.get("type") == 3:
                return [option["value"] for option in component.get("options", [])]
    return []


def labels(message: Message) -> list[str]:
    """The labels of the message's buttons, in order."""
    return [
        str(component.get("label"))
        for row in message.components
        for component in row.get("components", [])
        if component.get("type") == 2
    ]


async def confirm_twice(world: World, message: Message, user: User) -> None:
    """Click Confirm, then "Click again to confirm", on a two-step confirmation."""
    armed = await world.emu.click(message, user=user, label="Confirm")
    assert armed.message is not None and "Click again to confirm" in labels(armed.message)
    await world.emu.click(message, user=user, label="Click again to confirm")


async def accept_terms(world: World, user: User, command: str = "!marketplace") -> Message:
    """Run ``command`` as ``user``, accept the terms it asks for; the bot's next message."""
    terms = await world.emu.converse(world.general, user, command)
    assert title(terms).endswith("Terms of Zoryx test marketplace"), title(terms)
    await world.emu.click(terms, user=user, label="Accept")
    return await world.reply_after(terms)
