"""Real Redis, real bot processes started by the real launcher, and the Discord emulator they all
connect to (served from this test process, over real sockets).

Redis is found as the project's tests find it: ``ZORYX_TEST_REDIS_URL``, else 127.0.0.1:6379,
else a throwaway ``redis-server`` from PATH; else the tests skip (under ``CI=true`` they fail).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from redis import Redis
from redis.exceptions import RedisError

from zoryx_core.testing import Channel, DiscordEmulator, Guild, Message, User

HOW_TO_RUN = (
    "zoryx-cluster's tests need Redis: set ZORYX_TEST_REDIS_URL, run one on 127.0.0.1:6379, "
    "or put redis-server on PATH"
)

# A community-style plugin each bot process loads from its extensions folder.
WHERE_PLUGIN = """
import asyncio
import os

import discord
from discord.ext import commands

from zoryx_core import hookimpl

CLUSTER = os.environ.get("ZORYX_CLUSTER_ID", "?")


def journal(line):
    with open(f"journal-{CLUSTER}.txt", "a", encoding="utf-8") as file:
        file.write(line + "\\n")


@commands.command(name="where")
async def where(ctx):
    await ctx.send(f"cluster {CLUSTER} shard {ctx.guild.shard_id} pid {os.getpid()}")


@commands.command(name="flood")
async def flood(ctx, count: int):
    await asyncio.gather(*(ctx.channel.send(f"flood {i}") for i in range(count)))
    await ctx.send(f"flooded {count} from cluster {CLUSTER}")


@hookimpl
def zoryx_setup(bot):
    bot.add_command(where)
    bot.add_command(flood)
    journal("setup")


@hookimpl
def zoryx_cluster_joined(bot, cluster_id, stats):
    journal(f"joined {cluster_id}")


@hookimpl
def zoryx_cluster_left(bot, cluster_id, stats):
    journal(f"left {cluster_id}")


@hookimpl
def zoryx_custom_event(event):
    if event.name == "cluster_broadcast":
        journal(f"broadcast {event.payload['text']}")
    elif event.name == "cluster_stats":
        shards = sorted(s for c in event.payload["clusters"] for s in c["shards"])
        journal(f"stats of {len(event.payload['clusters'])} clusters, shards {shards}")
"""


def _ping(url: str) -> bool:
    try:
        client = Redis.from_url(url, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (RedisError, OSError):
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThrowawayRedis:
    """A ``redis-server`` of our own on a free port, without persistence; it can be stopped and
    started again on the same port (the machine's shared Redis is never touched)."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(500):
            if _ping(self.url):
                return
            if self.process.poll() is not None:
                break
            import time

            time.sleep(0.01)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: a missing Redis is a failure)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A reachable Redis, found as the module docstring says."""
    url = os.environ.get("ZORYX_TEST_REDIS_URL")
    if url:
        if not _ping(url):
            _missing(f"ZORYX_TEST_REDIS_URL does not answer; {HOW_TO_RUN}")
        yield url
        return
    if _ping("redis://127.0.0.1:6379/0"):
        yield "redis://127.0.0.1:6379/0"
        return
    binary = shutil.which("redis-server")
    if binary is None:
        _missing(HOW_TO_RUN)
        return
    server = ThrowawayRedis(binary)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    """A redis-server of this test alone, which the test may stop and start."""
    binary = shutil.which("redis-server")
    if binary is None:
        _missing("this test stops and restarts Redis: it needs redis-server on PATH")
    assert binary is not None
    server = ThrowawayRedis(binary)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest_asyncio.fixture
async def redis_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


async def delete_namespace(url: str, application_id: int) -> None:
    """Removes every key of one test bot (keys are namespaced by its application id)."""
    with contextlib.suppress(RedisError, OSError):
        client = aioredis.Redis.from_url(url, decode_responses=True)
        try:
            keys = [key async for key in client.scan_iter(match=f"zoryx:{application_id}:*")]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()


async def until(condition: Callable[[], Any], what: str, timeout: float = 60.0, every: float = 0.05) -> Any:
    """Waits (bounded) until ``condition()`` is truthy (it may be a coroutine function)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(every)


@dataclass
class World:
    emu: DiscordEmulator
    boss: User
    plain: User
    shard_count: int
    guilds: dict[int, Guild] = field(default_factory=dict)
    """A server per shard id."""

    def channel(self, shard_id: int) -> Channel:
        return self.emu.channel_named(self.guilds[shard_id], "general")


def make_world(emu: DiscordEmulator, shard_count: int) -> World:
    boss = emu.create_user("boss")
    plain = emu.create_user("plain")
    world = World(emu, boss, plain, shard_count)
    index = 0
    while len(world.guilds) < shard_count:  # snowflakes decide the shard: make servers until each has one
        guild = emu.create_guild(f"Server {index}", owner=boss, members=[plain])
        world.guilds.setdefault((guild.id >> 22) % shard_count, guild)
        index += 1
    return world


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[DiscordEmulator]:
    """The emulator, serving every bot process of a test."""
    emu = DiscordEmulator()
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()


class LaunchedCluster:
    """``python -m zoryx_cluster run`` as a real process, with its output collected."""

    def __init__(self, home: Path, process: asyncio.subprocess.Process) -> None:
        self.home = home
        self.process = process
        self.output: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            line = raw.decode(errors="replace").rstrip()
            self.output.append(line)
            if os.environ.get("ZORYX_TEST_SHOW_CLUSTER"):
                print(line, file=sys.stderr)

    def log_has(self, text: str) -> bool:
        return any(text in line for line in self.output)

    def journal(self, cluster_id: int) -> list[str]:
        path = self.home / f"journal-{cluster_id}.txt"
        return path.read_text(encoding="utf-8").splitlines() if path.exists() else []

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 60)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(self._reader, 5)
        return int(self.process.returncode or 0)


Launch = Callable[..., Awaitable[LaunchedCluster]]


@pytest_asyncio.fixture
async def launch(emulator: DiscordEmulator) -> AsyncIterator[Launch]:
    """``await launch(world, redis_url, shards=..., clusters=..., **plugin_settings)``: the launcher
    running the world's bot; every launcher is stopped (SIGTERM) and its keys deleted at the end."""
    started: list[tuple[LaunchedCluster, str]] = []
    homes = tempfile.TemporaryDirectory(prefix="zoryx-cluster-")

    async def run(
        world: World, url: str, *, shards: int, clusters: int, extra: tuple[str, ...] = (), **settings: Any
    ) -> LaunchedCluster:
        home = Path(homes.name) / f"bot{len(started)}"
        (home / "extensions").mkdir(parents=True)
        (home / "extensions" / "where.py").write_text(WHERE_PLUGIN, encoding="utf-8")
        plugin_settings = {
            "heartbeat_seconds": 0.25,
            "expiry_seconds": 1.5,
            "identify_window": world.emu.identify_limits.window,
            "identify_margin": 0.15,
            "stats_seconds": 0.25,
            "reply_timeout": 20.0,
            **settings,
        }
        config = {
            "plugins": {"enabled": ["zoryx-cluster", "where"]},
            "plugin_settings": {"zoryx-cluster": plugin_settings},
            "startup": {"guild_ready_timeout": 0.05},
            "hot_reload": {"enabled": False},
            "cooldowns": {"default_rate": 0},
            "errors": {"delete_after": 0},
        }
        (home / "config.json").write_text(json.dumps(config), encoding="utf-8")
        env = {
            **os.environ,
            "DISCORD_TOKEN": world.emu.token,
            "BOT_OWNER_ID": str(world.boss.id),
            "ZORYX_DISCORD_URL": world.emu.base_url,
            "ZORYX_REDIS_URL": url,
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "zoryx_cluster", "run", "--shards", str(shards),
            "--clusters", str(clusters), "--lease-seconds", "1.5", "--restart-backoff", "0.2",
            "--env-file", str(home / "none.env"), *extra,
            "--", "--config", str(home / "config.json"), "--quiet",
            cwd=home, env=env, stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        launched = LaunchedCluster(home, process)
        started.append((launched, url))
        return launched

    try:
        yield run
    finally:
        for launched, _ in reversed(started):
            await launched.stop()
        for _, url in started:
            await delete_namespace(url, emulator.application_id)
        homes.cleanup()


async def all_shards_ready(emu: DiscordEmulator, shard_count: int) -> bool:
    connected = {s.shard_id for s in emu.gateway.sessions.values() if s.connection is not None}
    return connected == set(range(shard_count))


async def reply_to(world: World, shard_id: int, content: str, *, author: User | None = None) -> Message:
    return await world.emu.converse(world.channel(shard_id), author or world.boss, content, timeout=30)


def description(message: Message) -> str:
    """An embed's title, description and fields as one text."""
    parts = []
    for embed in message.embeds:
        parts.append(str(embed.get("title", "")))
        parts.append(str(embed.get("description", "")))
        for item in embed.get("fields", []):
            parts.append(f"{item.get('name')}: {item.get('value')}")
    return "\n".join(parts) or message.content
