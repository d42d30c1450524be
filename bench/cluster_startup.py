"""Start-up to every shard READY: zoryx-cluster over several processes vs one discord.py
``AutoShardedBot``, against one standalone emulator in the same run; and memory per process.

The emulator (``python -m zoryx_core.testing``, its own process) enforces Discord's identify
rules with a scaled-down window: ``max_concurrency`` buckets, one IDENTIFY per bucket per
``--window`` seconds (Discord: 5 s), op 9 past it. Both starts are timed from spawning their
processes to the emulator's identify log holding an accepted IDENTIFY for every shard (READY is
sent with it), so both include interpreter start-up and imports:

- ``zoryx-cluster``: ``python -m zoryx_cluster run --shards S --clusters C`` (real Redis), each
  process a ZoryxBot with zoryx-cluster (identify window = the emulator's);
- ``AutoShardedBot``: one process, every shard, discord.py's own pacing: a pause before every
  IDENTIFY but the first, discord.py's 5 s scaled like the emulator's window.

Memory: the resident set of every cluster process, against the one process holding all shards,
taken when every shard is ready. Redis: ``ZORYX_REDIS_URL`` or 127.0.0.1:6379; the bench's keys
are deleted at the end.

    python bench/cluster_startup.py                       # 32 shards, max_concurrency 16, 4 processes
    python bench/cluster_startup.py --shards 16 --window 0.25 --json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import psutil
import redis.asyncio as aioredis

AUTO_SHARDED = """
import asyncio, os, sys
import discord
from zoryx_core.discord_redirect import point_discord_at

base, token, shards, window = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
point_discord_at(base + "/api/v10", base.replace("http", "ws", 1) + "/gateway")


class Bot(discord.AutoShardedClient):
    async def before_identify_hook(self, shard_id, *, initial=False):
        if not initial:  # discord.py's own pause, scaled like the emulator's identify window
            await asyncio.sleep(window)


async def main():
    bot = Bot(intents=discord.Intents.default(), shard_count=shards)
    await bot.start(token)

asyncio.run(main())
"""


async def start_emulator(args: argparse.Namespace, token: str) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "zoryx_core.testing", "--port", "0", "--token", token,
        "--max-concurrency", str(args.max_concurrency), "--identify-window", str(args.window),
        "--shards", str(args.shards), "--guild", "Bench",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    while True:
        line = (await process.stdout.readline()).decode()
        if not line:
            raise RuntimeError("the emulator did not start")
        if match := re.search(r"Discord emulator on (http://\S+)", line):
            return process, match.group(1)


async def limits(session: aiohttp.ClientSession, base: str) -> dict[str, Any]:
    async with session.get(f"{base}/_zoryx/limits") as response:
        data: dict[str, Any] = await response.json()
        return data


async def wait_all_identified(
    session: aiohttp.ClientSession, base: str, already: int, shards: int, timeout: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        report = await limits(session, base)
        accepted = {r["shard_id"] for r in report["identify"]["log"][already:] if r["accepted"]}
        if len(accepted) == shards:
            return report
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(accepted)} of {shards} shards identified within {timeout}s")
        await asyncio.sleep(0.02)


def tree_rss_mb(root: int) -> list[float]:
    """RSS of the bot processes under ``root`` (the launcher's children), or of ``root`` itself."""
    process = psutil.Process(root)
    children = process.children(recursive=True)
    targets = children or [process]
    return [round(p.memory_info().rss / 2**20, 1) for p in targets]


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    token = f"bench.{secrets.token_urlsafe(16)}"
    redis_url = os.environ.get("ZORYX_REDIS_URL", "redis://127.0.0.1:6379/0")
    emulator, base = await start_emulator(args, token)
    results: dict[str, Any] = {"shards": args.shards, "max_concurrency": args.max_concurrency,
                               "window": args.window, "processes": args.processes}  # fmt: skip
    home = Path(tempfile.mkdtemp(prefix="zoryx-cluster-bench-"))
    application_id = 0
    try:
        async with aiohttp.ClientSession() as session:
            state = await (await session.get(f"{base}/_zoryx/state")).json()
            application_id = int(state["bot"]["id"])
            config = {
                "plugins": {"enabled": ["zoryx-cluster"]},
                "plugin_settings": {
                    "zoryx-cluster": {"identify_window": args.window, "identify_margin": 0.05}
                },
                "startup": {"guild_ready_timeout": 0.05},
                "hot_reload": {"enabled": False},
            }
            (home / "config.json").write_text(json.dumps(config))
            env = {
                **os.environ,
                "DISCORD_TOKEN": token,
                "BOT_OWNER_ID": str(application_id),
                "ZORYX_DISCORD_URL": base,
                "ZORYX_REDIS_URL": redis_url,
            }
            launcher_log = (home / "launcher.log").open("wb")

            already = len((await limits(session, base))["identify"]["log"])
            started = time.monotonic()
            launcher = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "zoryx_cluster", "run", "--shards", str(args.shards),
                "--clusters", str(args.processes), "--env-file", str(home / "none.env"),
                "--", "--config", str(home / "config.json"), "--quiet",
                cwd=home, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=launcher_log,
            )  # fmt: skip
            try:
                report = await wait_all_identified(session, base, already, args.shards, args.timeout)
                results["cluster_seconds"] = round(time.monotonic() - started, 2)
                results["cluster_rss_mb"] = tree_rss_mb(launcher.pid)
                log = report["identify"]["log"][already:]
                results["cluster_invalidated"] = sum(1 for r in log if not r["accepted"])
            finally:
                await stop(launcher)
                launcher_log.close()

            already = len((await limits(session, base))["identify"]["log"])
            await asyncio.sleep(args.window)  # every bucket free again
            started = time.monotonic()
            single = await asyncio.create_subprocess_exec(
                sys.executable, "-c", AUTO_SHARDED, base, token, str(args.shards), str(args.window),
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            try:
                report = await wait_all_identified(session, base, already, args.shards, args.timeout)
                results["autosharded_seconds"] = round(time.monotonic() - started, 2)
                results["autosharded_rss_mb"] = tree_rss_mb(single.pid)
                log = report["identify"]["log"][already:]
                results["autosharded_invalidated"] = sum(1 for r in log if not r["accepted"])
            finally:
                await stop(single)
        results["speedup"] = round(results["autosharded_seconds"] / results["cluster_seconds"], 2)
        results["ideal_cluster_windows"] = math.ceil(args.shards / args.max_concurrency)
    finally:
        await stop(emulator)
        with contextlib.suppress(Exception):
            client = aioredis.Redis.from_url(redis_url)
            keys = [key async for key in client.scan_iter(match=f"zoryx:{application_id}:*")]
            if keys:
                await client.delete(*keys)
            await client.aclose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--shards", type=int, default=32)
    parser.add_argument("--max-concurrency", type=int, default=16)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--window", type=float, default=0.5, help="identify window, seconds (Discord: 5)")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    if args.json:
        print(json.dumps(results))
        return
    print(f"{args.shards} shards, max_concurrency {args.max_concurrency}, identify window {args.window}s")
    print(
        f"  zoryx-cluster, {args.processes} processes: {results['cluster_seconds']:.2f} s to every shard "
        f"identified ({results['cluster_invalidated']} invalidated); "
        f"RSS per process {results['cluster_rss_mb']} MB"
    )
    print(
        f"  AutoShardedBot, 1 process:      {results['autosharded_seconds']:.2f} s "
        f"({results['autosharded_invalidated']} invalidated); RSS {results['autosharded_rss_mb']} MB"
    )
    print(f"  speed-up x{results['speedup']}")


if __name__ == "__main__":
    main()
