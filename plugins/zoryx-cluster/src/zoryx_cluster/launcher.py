"""The launcher: one bot process per cluster on this machine, each with its contiguous range of
the shards, supervised (respawned with backoff, up to a restart cap, the reason logged) and
stopped cleanly on SIGTERM or SIGINT.

Several machines each run a launcher with the same ``--shards`` and ``--clusters``. A launcher
runs up to ``processes`` clusters here; each cluster id is claimed with an expiring lease in
Redis, so two machines never run the same shards. A launcher with no free cluster id waits and
takes over the clusters of a machine that stopped renewing its leases.

The launcher's logic is here; :mod:`.cli` only parses arguments.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from zoryx_core.cancellation import cancel_and_wait
from zoryx_core.settings import Deployment, DeploymentError
from zoryx_core.ui import plural

from .discord_info import DiscordInfo, DiscordInfoError, fetch_discord_info
from .keys import Keys
from .lease import Lease, LeaseLost, new_token
from .link import RedisUnavailable, connect, mask_url
from .settings import ENV_CLUSTER_COUNT, ENV_CLUSTER_ID, ENV_LEASE_TOKEN, ENV_REDIS_URL
from .shards import ShardLayoutError, check_ranges, plan_ranges

__all__ = ["LaunchError", "Launcher", "LauncherOptions", "ProcessSlot", "default_bot_command"]

log = logging.getLogger("zoryx.cluster.launcher")

LOG_DIR_VARIABLE = "ZORYX_LOGGING__DIRECTORY"


class LaunchError(Exception):
    """The launcher cannot start; the message is one line saying what to fix."""


def default_bot_command() -> tuple[str, ...]:
    """``zoryx run`` with this Python."""
    return (sys.executable, "-m", "zoryx_core.cli", "run")


@dataclass(frozen=True)
class LauncherOptions:
    """``shards`` split into ``clusters``; ``processes``: how many clusters this machine runs
    (default: all). ``bot_command`` starts one bot; ``environ`` is the environment the processes
    get (with ``DISCORD_TOKEN`` and ``ZORYX_REDIS_URL``)."""

    shards: int
    clusters: int
    environ: Mapping[str, str]
    processes: int | None = None
    bot_command: tuple[str, ...] = field(default_factory=default_bot_command)
    lease_seconds: float = 6.0
    renew_seconds: float = 2.0
    restart_backoff: float = 1.0
    max_backoff: float = 60.0
    max_restarts: int = 5
    restart_window: float = 300.0
    stop_timeout: float = 20.0


@dataclass
class ProcessSlot:
    """One local place for a cluster: the cluster it holds (if any) and its process."""

    index: int
    cluster_id: int | None = None
    lease: Lease | None = None
    process: asyncio.subprocess.Process | None = None
    restarts: deque[float] = field(default_factory=deque)
    starts: int = 0
    given_up: bool = False


class Launcher:
    def __init__(self, options: LauncherOptions) -> None:
        self.options = options
        self.ranges: list[range] = []
        self.slots: list[ProcessSlot] = []
        self.redis: aioredis.Redis | None = None
        self.keys = Keys(0)
        self.info: DiscordInfo | None = None
        self._stopping = asyncio.Event()
        self._link_up = True
        self._leases = asyncio.Lock()
        self._redis_url = ""

    # --- checks before anything starts ------------------------------------------------------------

    async def prepare(self) -> None:
        """Checks the layout, Redis and Discord; ``LaunchError`` (one line) on the first problem."""
        options = self.options
        try:
            self.ranges = plan_ranges(options.shards, options.clusters)
            check_ranges(options.shards, self.ranges)
        except ShardLayoutError as error:
            raise LaunchError(str(error)) from None
        processes = options.clusters if options.processes is None else options.processes
        if not 1 <= processes <= options.clusters:
            raise LaunchError(f"--processes {processes}: must be from 1 to --clusters ({options.clusters})")
        env = options.environ
        try:  # what each `zoryx run` would refuse, refused once here rather than in a restart loop
            deployment = Deployment.from_environ(env)
            deployment.require_credentials()
        except DeploymentError as error:
            raise LaunchError(str(error)) from None
        token = deployment.token or ""
        self._redis_url = (env.get(ENV_REDIS_URL) or "").strip()
        if not self._redis_url:
            raise LaunchError(
                f"{ENV_REDIS_URL} is not set; e.g. redis://127.0.0.1:6379/0 (rediss:// for TLS)"
            )
        try:
            self.redis = await connect(self._redis_url)
        except RedisUnavailable as error:
            raise LaunchError(str(error)) from None
        try:
            self.info = await fetch_discord_info(token, env.get("ZORYX_DISCORD_URL") or None)
        except DiscordInfoError as error:
            raise LaunchError(str(error)) from None
        info = self.info
        log.info(
            "session starts: %s of %s left (reset in %.1f h); max_concurrency %s; %s shards recommended",
            info.session_starts_remaining, info.session_starts_total,
            info.session_starts_reset_after_ms / 3_600_000, info.max_concurrency, info.recommended_shards,
        )  # fmt: skip
        needed = sum(len(self.ranges[i]) for i in range(processes))
        if needed > info.session_starts_remaining:
            raise LaunchError(
                f"starting {plural(needed, 'shard')} needs {needed} session starts but Discord allows "
                f"{info.session_starts_remaining} more today (of {info.session_starts_total}; reset in "
                f"{info.session_starts_reset_after_ms / 3_600_000:.1f} h); refusing to exhaust them"
            )
        self.keys = Keys(info.application_id)
        await self._agree_on_layout()
        self.slots = [ProcessSlot(i) for i in range(processes)]

    async def _agree_on_layout(self) -> None:
        assert self.redis is not None
        mine = {"shard_count": self.options.shards, "cluster_count": self.options.clusters}
        ttl = int(max(self.options.lease_seconds * 10, 60) * 1000)
        if await self.redis.set(self.keys.layout, json.dumps(mine), nx=True, px=ttl):
            return
        raw = await self.redis.get(self.keys.layout)
        theirs = json.loads(raw) if raw else mine
        if theirs != mine:
            raise LaunchError(
                f"another launcher of this bot runs {plural(int(theirs['shard_count']), 'shard')} in "
                f"{plural(int(theirs['cluster_count']), 'cluster')}; {self.options.shards} in "
                f"{self.options.clusters} would "
                "overlap its shard ranges (use the same --shards and --clusters everywhere)"
            )
        await self.redis.pexpire(self.keys.layout, ttl)

    # --- running ------------------------------------------------------------------------------------

    async def run(self) -> int:
        """Supervises until SIGTERM/SIGINT (or every slot gave up); returns the exit code."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, self.stop)
        log.info(
            "launcher: %s shards in %s clusters, up to %s here; Redis %s",
            self.options.shards, self.options.clusters, len(self.slots), mask_url(self._redis_url),
        )  # fmt: skip
        supervisors = [
            asyncio.create_task(self._supervise(slot), name=f"supervisor of slot {slot.index}")
            for slot in self.slots
        ]
        renewer = asyncio.create_task(self._renew_loop(), name="lease renewal")
        stop_requested = asyncio.create_task(self._stopping.wait())
        try:
            running: set[asyncio.Task[Any]] = set(supervisors)
            while running and not self._stopping.is_set():  # until a stop, or every slot gave up
                _, pending = await asyncio.wait(
                    {*running, stop_requested}, return_when=asyncio.FIRST_COMPLETED
                )
                running = {task for task in pending if task is not stop_requested}
        finally:
            stop_requested.cancel()
            self._stopping.set()
            await self._stop_all()
            for task in await cancel_and_wait([renewer, *supervisors]):
                log.warning("launcher task %s did not stop when cancelled; left running", task.get_name())
            await self._release_all()
            if self.redis is not None:
                await self.redis.aclose()
        given_up = [slot for slot in self.slots if slot.given_up]
        return 1 if given_up and len(given_up) == len(self.slots) else 0

    def stop(self) -> None:
        """Asks every process to stop (SIGTERM), then the launcher ends."""
        if not self._stopping.is_set():
            log.info("launcher: stopping every cluster")
            self._stopping.set()

    async def _supervise(self, slot: ProcessSlot) -> None:
        options = self.options
        while not self._stopping.is_set():
            if slot.cluster_id is None and not await self._claim(slot):
                await self._sleep(options.renew_seconds)
                continue
            assert slot.cluster_id is not None
            slot.process = await self._spawn(slot)
            slot.starts += 1
            code = await slot.process.wait()
            if self._stopping.is_set() or slot.cluster_id is None:
                return
            now = time.monotonic()
            slot.restarts.append(now)
            while slot.restarts and now - slot.restarts[0] > options.restart_window:
                slot.restarts.popleft()
            reason = _exit_reason(code)
            if len(slot.restarts) > options.max_restarts:
                log.error(
                    "cluster %s %s; it stopped %s times in %.0f s: giving up (restart cap %s)",
                    slot.cluster_id, reason, len(slot.restarts), options.restart_window, options.max_restarts,
                )  # fmt: skip
                slot.given_up = True
                await self._release(slot)  # for good: another machine may run it
                return
            backoff = min(options.restart_backoff * 2 ** (len(slot.restarts) - 1), options.max_backoff)
            log.warning("cluster %s %s; restarting in %.1f s", slot.cluster_id, reason, backoff)
            await self._sleep(backoff)

    async def _claim(self, slot: ProcessSlot) -> bool:
        """Takes the first free cluster id (one not held by a live launcher or process)."""
        assert self.redis is not None
        held = {s.cluster_id for s in self.slots if s.cluster_id is not None}
        for cluster_id in range(self.options.clusters):
            if cluster_id in held:
                continue
            lease = Lease(self.redis, self.keys, cluster_id, new_token(), self.options.lease_seconds)
            try:
                taken = await lease.claim()
            except (RedisError, OSError):
                return False
            if taken:
                slot.cluster_id, slot.lease = cluster_id, lease
                log.info("claimed cluster %s (shards %s)", cluster_id, _span(self.ranges[cluster_id]))
                return True
        return False

    async def _spawn(self, slot: ProcessSlot) -> asyncio.subprocess.Process:
        assert slot.cluster_id is not None and slot.lease is not None
        shards = self.ranges[slot.cluster_id]
        env = {
            **self.options.environ,
            "SHARD_COUNT": str(self.options.shards),
            "SHARD_IDS": ",".join(map(str, shards)),
            ENV_CLUSTER_ID: str(slot.cluster_id),
            ENV_CLUSTER_COUNT: str(self.options.clusters),
            ENV_LEASE_TOKEN: slot.lease.token,
            # one log folder per cluster: processes never rotate each other's files
            LOG_DIR_VARIABLE: str(Path(self.options.environ.get(LOG_DIR_VARIABLE) or "logs"))
            + f"/cluster-{slot.cluster_id}",
        }
        process = await asyncio.create_subprocess_exec(
            *self.options.bot_command, env=env, start_new_session=True
        )
        log.info("cluster %s started: pid %s, shards %s", slot.cluster_id, process.pid, _span(shards))
        return process

    async def _renew_loop(self) -> None:
        """Keeps this machine's leases (and the shared layout) alive while its processes run,
        also while a process restarts; Redis away: the processes keep serving, renewal retries."""
        assert self.redis is not None
        # Ends on the stop flag, not only on cancellation: a Redis call can drop a cancellation
        # on Python 3.11 (see zoryx_core.cancellation).
        while not self._stopping.is_set():
            await self._sleep(self.options.renew_seconds)
            try:
                for slot in self.slots:
                    if self._stopping.is_set():
                        return
                    try:
                        await self._renew(slot)
                    except LeaseLost as error:
                        log.error("%s; stopping it here", error)
                        await self._terminate(slot)
                        slot.cluster_id, slot.lease = None, None
                await self._agree_on_layout()
            except (RedisError, OSError) as error:
                if self._link_up:
                    log.warning(
                        "Redis link lost (%s); the clusters keep serving, retrying", type(error).__name__
                    )
                self._link_up = False
                continue
            except LaunchError as error:
                log.error("%s", error)
                continue
            if not self._link_up:
                log.info("Redis link back; leases renewed")
            self._link_up = True

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _terminate(self, slot: ProcessSlot) -> None:
        process = slot.process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), self.options.stop_timeout)
        except TimeoutError:
            log.warning(
                "cluster %s did not stop within %.0f s; killing it",
                slot.cluster_id,
                self.options.stop_timeout,
            )
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()

    async def _stop_all(self) -> None:
        await asyncio.gather(*(self._terminate(slot) for slot in self.slots))
        for slot in self.slots:
            if (
                slot.process is not None
                and slot.process.returncode is not None
                and slot.cluster_id is not None
            ):
                log.info("cluster %s stopped (%s)", slot.cluster_id, _exit_reason(slot.process.returncode))

    async def _renew(self, slot: ProcessSlot) -> None:
        """Renews the slot's lease, if it holds one; never while a release is under way (a renewal
        that reached Redis after the release would take the lease again)."""
        async with self._leases:
            if slot.lease is not None:
                await slot.lease.renew()

    async def _release(self, slot: ProcessSlot) -> None:
        """Gives the slot's lease back; it is not renewed after this."""
        async with self._leases:
            lease, slot.lease = slot.lease, None
            if lease is not None:
                with contextlib.suppress(RedisError, OSError):
                    await lease.release()

    async def _release_all(self) -> None:
        for slot in self.slots:
            await self._release(slot)


def _exit_reason(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def _span(shards: Sequence[int]) -> str:
    return f"{shards[0]}-{shards[-1]}" if len(shards) > 1 else str(shards[0])


def environment_with_dotenv(env_file: str | os.PathLike[str], environ: Mapping[str, str]) -> dict[str, str]:
    """The environment with ``.env`` underneath it (the environment wins), as ``zoryx run`` reads it."""
    from zoryx_core.settings import merged_environ

    return dict(merged_environ(Path(env_file), environ))
