"""Marketplace install and live load: from ``install`` called to the new plugin answering a user.

A ZoryxBot (no plugins) runs on the Discord emulator in this process. A local PyPI-compatible
index (pypiserver, on loopback) serves two wheels built here from the test sources in
``tests/marketplace_helpers/sources``: the plugin ``zoryx-mkt-greeter`` 0.1.0 and the library
``mkt-tinylib`` it depends on, which exists only on that index. The catalog is a file written by
``build_catalog``; its entry for the plugin points at the index, so the wheel is downloaded over
HTTP from there.

Each round gets a fresh throwaway virtual environment standing for the bot's environment (a
``.pth`` line adds this interpreter's site-packages, so zoryx-core and pip are importable there;
installs land in the throwaway environment only), and this process's ``sys.path`` sees it as a
bot sees its own environment. Timed, per round:

    Installer.install("zoryx-mkt-greeter==0.1.0", activate=plugin_host_activator(bot.plugins))
    then "!greet" sent by a user until the bot's answer arrives (emulator round trip)

that is: catalog lookup and environment snapshot, download through the index, sha256, wheel
metadata and compatibility checks, pip's dry-run resolution, pip install (plugin + dependency
in one resolution), and the live load through the bot's plugin host (discovery, import, set-up),
plus one command round trip. Uninstalling between rounds is not timed. Goal: median <= 5 s.

    python bench/marketplace_install.py               # 5 rounds
    python bench/marketplace_install.py --repeat 9 --json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from marketplace_client import (
    Installer,
    MarketplaceClient,
    MarketplaceOptions,
    Progress,
    build_catalog,
    plugin_host_activator,
    write_catalog,
)
from zoryx_core import ZoryxBot
from zoryx_core.discord_redirect import point_discord_at, restore_discord_defaults
from zoryx_core.testing import Channel, DiscordEmulator, User, start_bot, stop_bot
from zoryx_core.testing.zoryx_bots import make_zoryx_bot

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "tests" / "marketplace_helpers" / "sources"
BUILD = ROOT / "tests" / "marketplace_helpers" / "build_wheels.py"
PLUGIN = "zoryx-mkt-greeter"
GOAL_MEDIAN_S = 5.0


@dataclass
class Round:
    index: int
    total_s: float
    """install() called -> the new plugin's answer seen."""
    install_s: float
    """install() called -> returned (activation included)."""
    answer_s: float
    """install() returned -> answer seen."""
    steps: dict[str, float] = field(default_factory=dict)
    """Seconds spent in each step (until the next step started)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def package_index(folder: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "pypiserver", "run", "-i", "127.0.0.1", "-p", str(port)]
    command += ["--disable-fallback", "--server", "wsgiref", str(folder)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/simple/"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(url, timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("pypiserver did not start (is it installed?)") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def make_env(root: Path) -> tuple[Path, Path]:
    """A throwaway environment; returns (python, site-packages)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(
        subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    )
    parent = sysconfig.get_paths()["purelib"]
    (site / "_bench_parent.pth").write_text(f"import site; site.addsitedir({parent!r})\n", encoding="utf-8")
    return python, site


def prepare(work: Path, index_url: str) -> Path:
    """The catalog file for the wheels in ``work/wheels``, each version found through the index."""
    wheels = work / "wheels"
    document = build_catalog(wheels).document
    for plugin in document["plugins"]:
        for entry in plugin["versions"]:
            entry.pop("url", None)
            entry["index"] = index_url
    catalog = work / "catalog.json"
    write_catalog(document, catalog)
    return catalog


def build_wheels(work: Path) -> Path:
    """The plugin 0.1.0 and its library, built from the test sources into ``work/wheels``."""
    wheels = work / "wheels"
    command = [sys.executable, str(BUILD), str(SOURCES), str(work / "build"), str(wheels)]
    subprocess.run(command, check=True, capture_output=True)
    for extra in wheels.glob("*.whl"):
        if not extra.name.startswith(("zoryx_mkt_greeter-0.1.0", "mkt_tinylib")):
            extra.unlink()
    return wheels


async def run(repeat: int, work: Path, catalog: Path, index_url: str) -> list[Round]:
    emulator = DiscordEmulator()
    await emulator.start()
    point_discord_at(emulator.api_url, emulator.gateway_url)
    try:
        alice = emulator.create_user("alice")
        guild = emulator.create_guild("Bench", members=[alice])
        general = emulator.channel_named(guild, "general")
        bot = make_zoryx_bot(work / "bot", no_plugins=True)
        await start_bot(emulator, bot)
        try:
            options = MarketplaceOptions(
                catalog_url=str(catalog),
                index_url=index_url,
                data_dir=bot.data_dir,
                allow_insecure_http=True,  # the local index is plain http on loopback
            )
            async with MarketplaceClient(options) as client:
                stage = Stage(work, client, bot, emulator, general, alice)
                return [await stage.round(n) for n in range(repeat)]
        finally:
            await stop_bot(bot)
    finally:
        await emulator.stop()
        restore_discord_defaults()


@dataclass
class Stage:
    work: Path
    client: MarketplaceClient
    bot: ZoryxBot
    emulator: DiscordEmulator
    general: Channel
    alice: User

    async def round(self, n: int) -> Round:
        python, site = await asyncio.to_thread(make_env, self.work / f"env-{n}")
        sys.path.insert(0, str(site))
        marks: list[tuple[str, float]] = []
        try:
            installer = Installer(self.client, python=python, pip_isolated=True)

            def progress(event: Progress) -> None:
                if not marks or marks[-1][0] != event.step.value:
                    marks.append((event.step.value, time.perf_counter()))

            activate = plugin_host_activator(self.bot.plugins)
            started = time.perf_counter()
            await installer.install(f"{PLUGIN}==0.1.0", activate=activate, progress=progress)
            installed = time.perf_counter()
            reply = await self.emulator.converse(self.general, self.alice, "!greet")
            answered = time.perf_counter()
            assert reply.content == "greeter 0.1.0 says tiny", reply.content
            ends = [at for _, at in marks[1:]] + [installed]
            steps = {name: round(end - at, 3) for (name, at), end in zip(marks, ends, strict=True)}
            await self.bot.plugins.unload(PLUGIN)
            await installer.uninstall(PLUGIN)
            return Round(n, answered - started, installed - started, answered - installed, steps)
        finally:
            sys.path.remove(str(site))
            for name in [m for m in sys.modules if m.startswith(("zoryx_mkt_", "mkt_tinylib"))]:
                del sys.modules[name]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="rounds (default 5)")
    parser.add_argument("--json", action="store_true", help="print the rounds as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zoryx-bench-marketplace-") as folder:
        work = Path(folder)
        wheels = build_wheels(work)
        with package_index(wheels) as index_url:
            catalog = prepare(work, index_url)
            rounds = asyncio.run(run(args.repeat, work, catalog, index_url))
    if args.json:
        print(json.dumps([asdict(r) for r in rounds], indent=2))
    for r in rounds:
        steps = "  ".join(f"{name} {seconds:.2f}" for name, seconds in r.steps.items())
        parts = f"install {r.install_s:.2f}, answer {r.answer_s:.3f}"
        print(f"round {r.index}: total {r.total_s:.2f} s ({parts}) | {steps}")
    median = statistics.median(r.total_s for r in rounds)
    verdict = "met" if median <= GOAL_MEDIAN_S else "NOT met"
    goal = f"goal <= {GOAL_MEDIAN_S:g} s: {verdict}"
    print(f"median install + live load + first answer: {median:.2f} s over {len(rounds)} rounds ({goal})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
