"""The cluster inside one bot process: its lease, the identify and REST gates, heartbeats with
stats, membership (who joined, who left), and the preset requests of the bus.

Redis may come and go: the bot keeps serving its shards all along. While Redis is away the
gates pace this process alone, heartbeats retry with backoff, and when Redis is back the cluster
re-takes its lease, publishes its stats and subscribes again at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import TYPE_CHECKING, Any

import discord
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from zoryx_core.cancellation import cancel_and_wait
from zoryx_core.ui import plural

from .bus import BusMessage, BusReply, Kind, parse_message
from .identify import IdentifyGate
from .keys import Keys
from .lease import Lease, LeaseLost, new_token
from .link import client_for, mask_url
from .registry import cluster_of, find_cluster, forget_cluster, remember_cluster
from .rest_limits import GlobalRestLimiter, InvalidRequestCounter
from .settings import ClusterIdentity, ClusterSettings
from .shards import ShardLayoutError, check_ranges, plan_ranges
from .stats import ClusterStats, collect_stats

if TYPE_CHECKING:
    from zoryx_core import PluginContext, ZoryxBot

__all__ = ["Cluster", "cluster_of", "find_cluster", "refuse_to_connect"]

log = logging.getLogger("zoryx.plugin.zoryx-cluster")

_closing: set[asyncio.Task[Any]] = set()
_MAX_BACKOFF = 10.0
_REPUBLISH_SECONDS = 1.0
_SEEN_REQUESTS = 256


class Cluster:
    """One cluster (one process): a contiguous range of shards of the bot."""

    def __init__(
        self,
        bot: ZoryxBot,
        plugin: PluginContext,
        settings: ClusterSettings,
        identity: ClusterIdentity,
        redis_url: str,
    ) -> None:
        self.bot = bot
        self.plugin = plugin
        self.settings = settings
        self.identity = identity
        self.redis_url = redis_url
        self.redis: aioredis.Redis = client_for(redis_url)
        self.keys = Keys(0)
        self.shard_count = 0
        self.shard_ids: list[int] = []
        self.token = identity.lease_token or new_token()
        self.lease: Lease | None = None
        self.identify_gate: IdentifyGate | None = None
        self.limiter: GlobalRestLimiter | None = None
        self.invalid: InvalidRequestCounter | None = None
        self.peers: dict[int, ClusterStats] = {}
        self.stats: ClusterStats | None = None
        self.started_at = time.time()
        self.link_up = False
        self.link_changed_at = time.time()
        self.last_heartbeat: float | None = None
        self.pubsub_state = "starting"
        self.broadcasts: list[tuple[int, str]] = []
        """(sender cluster, text) of every broadcast this cluster received."""
        self.session_start_limit: dict[str, int] = {}
        self._stats_at = 0.0
        self._published_at = 0.0
        self._grace_until = 0.0
        self._invalid_alerted_at = 0.0
        self._tasks: list[asyncio.Task[None]] = []
        self._handlers: set[asyncio.Task[None]] = set()
        self._stopping = False
        """Set by :meth:`stop`; the loops end on it as well as on cancellation (a Redis call can
        drop a cancellation on Python 3.11, see zoryx_core.cancellation)."""
        self._seen_requests: dict[str, None] = {}
        self._max_backoff = min(_MAX_BACKOFF, settings.expiry_seconds)
        """Retries while Redis is away never wait longer than one expiry window."""

    @property
    def cluster_id(self) -> int:
        return self.identity.cluster_id

    @property
    def masked_url(self) -> str:
        return mask_url(self.redis_url)

    # --- start and stop -------------------------------------------------------------------------

    async def start(self) -> None:
        """Checks the shard layout, installs the gates and starts the loops. Never waits for Redis."""
        bot = self.bot
        self.keys = Keys(int(bot.application_id or (bot.user.id if bot.user else 0)))
        self.shard_count = int(bot.shard_count or 1)
        self.shard_ids = sorted(bot.shard_ids or range(self.shard_count))
        self._check_layout()
        _, _, limits = await bot.http.get_bot_gateway()
        self.session_start_limit = {key: int(value) for key, value in limits.items()}  # type: ignore[call-overload]
        max_concurrency = int(limits.get("max_concurrency", 1))
        log.info(
            "cluster %s of %s: shards %s of %s; max_concurrency %s; session starts %s of %s left",
            self.cluster_id, self.identity.cluster_count, _span(self.shard_ids), self.shard_count,
            max_concurrency, limits.get("remaining"), limits.get("total"),
        )  # fmt: skip
        settings = self.settings
        self.lease = Lease(self.redis, self.keys, self.cluster_id, self.token, settings.expiry_seconds)
        self.identify_gate = IdentifyGate(
            self.redis, self.keys, max_concurrency=max_concurrency,
            hold=settings.identify_window + settings.identify_margin, holder=self.token,
        )  # fmt: skip
        self.invalid = InvalidRequestCounter(
            self.redis, self.keys, window_seconds=settings.invalid_request_window_seconds
        )
        bot.gates.identify = self.identify_gate
        bot.gates.add_response_observer(self.invalid.observe)
        if settings.global_rest_limit > 0:
            self.limiter = GlobalRestLimiter(
                self.redis, self.keys, limit=settings.global_rest_limit,
                window_ms=1000 + settings.rest_margin_ms, holder=self.token,
                local_share=settings.global_rest_limit // self.identity.cluster_count,
            )  # fmt: skip
            bot.gates.add_request_gate(self.limiter)
        remember_cluster(bot, self)
        try:
            await self._heartbeat()
        except LeaseLost:
            self.uninstall()
            raise
        except (RedisError, OSError) as error:
            self._link_lost(error)
        self._tasks = [
            self.plugin.create_task(self._heartbeat_loop(), name="zoryx-cluster heartbeat"),
            self.plugin.create_task(self._bus_loop(), name="zoryx-cluster bus"),
        ]

    def _check_layout(self) -> None:
        count = self.identity.cluster_count
        try:
            planned = plan_ranges(self.shard_count, count)
            check_ranges(self.shard_count, [self.shard_ids])
        except ShardLayoutError as error:
            raise ShardLayoutError(f"refusing to connect: {error}") from None
        if self.shard_ids != list(planned[self.cluster_id]):
            raise ShardLayoutError(
                f"refusing to connect: cluster {self.cluster_id} of {count} runs shards "
                f"{_span(planned[self.cluster_id])} of {self.shard_count}, not {_span(self.shard_ids)}"
            )

    def uninstall(self) -> None:
        """Takes the gates away (discord.py's own identify pause applies again)."""
        gates = self.bot.gates
        if gates.identify is self.identify_gate:
            gates.identify = None
        if self.limiter is not None:
            gates.remove_request_gate(self.limiter)
        if self.invalid is not None:
            gates.remove_response_observer(self.invalid.observe)
        forget_cluster(self.bot, self)

    async def stop(self) -> None:
        """Leaves the cluster: loops stopped, heartbeat removed, own lease given back."""
        self.uninstall()
        self._stopping = True
        for task in await cancel_and_wait([*self._tasks, *self._handlers]):
            log.warning("cluster task %s did not stop when cancelled; left running", task.get_name())
        with contextlib.suppress(RedisError, OSError):
            await asyncio.wait_for(self.redis.delete(self.keys.member(self.cluster_id)), 2)
            if self.identity.lease_token is None and self.lease is not None:
                await asyncio.wait_for(self.lease.release(), 2)
        await self.redis.aclose()

    # --- heartbeats and membership ---------------------------------------------------------------

    async def _heartbeat_loop(self) -> None:
        backoff = self.settings.heartbeat_seconds
        while not self._stopping:
            await asyncio.sleep(backoff if not self.link_up else self.settings.heartbeat_seconds)
            try:
                await self._heartbeat()
            except LeaseLost as error:
                log.error("%s; closing this process so that the cluster runs once", error)
                self._close_bot()
                return
            except (RedisError, OSError) as error:
                self._link_lost(error)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            backoff = self.settings.heartbeat_seconds

    def _link_lost(self, error: BaseException) -> None:
        if self.link_up or self.last_heartbeat is None:
            log.warning(
                "Redis link to %s lost (%s); serving on, retrying with backoff",
                self.masked_url, str(error).split("\n", 1)[0].replace(self.redis_url, self.masked_url),
            )  # fmt: skip
            self.link_changed_at = time.time()
        self.link_up = False
        self.last_heartbeat = self.last_heartbeat or 0.0

    async def _heartbeat(self) -> None:
        now = time.time()
        if self.stats is None or now - self._stats_at >= self.settings.stats_seconds:
            self.refresh_stats()
        assert self.stats is not None and self.lease is not None
        self.stats.heartbeat_at = now
        self.stats.ready = self.bot.is_ready()
        retaken = await self.lease.renew()
        expiry_ms = int(self.settings.expiry_seconds * 1000)
        await self.redis.set(
            self.keys.member(self.cluster_id), json.dumps(self.stats.as_dict()), px=expiry_ms
        )
        peers = await self.read_members()
        if self.invalid is not None:
            await self.invalid.flush()
            await self._check_invalid_budget()
        if not self.link_up:
            if self.last_heartbeat is not None:
                log.info(
                    "Redis link to %s is back%s", self.masked_url, " (lease re-taken)" if retaken else ""
                )
                self._grace_until = time.monotonic() + self.settings.expiry_seconds
            self.link_up = True
            self.link_changed_at = now
        self.last_heartbeat = now
        await self._update_peers(peers)
        if now - self._published_at >= self.settings.stats_seconds:
            self._published_at = now
            await self.bot.events.emit("cluster_stats", **self.stats_event())

    def stats_event(self) -> dict[str, Any]:
        """The payload of the custom event ``cluster_stats`` (emitted every ``stats_seconds``):
        ``cluster_count``, ``this_cluster`` and ``clusters``, one dict per live cluster with
        ``cluster_id``, ``shards`` (shard id -> latency in ms or ``None``), ``guilds``, ``host``,
        ``pid``. Other plugins (zoryx-shard-monitor) show every cluster's shards from it."""
        return {
            "cluster_count": self.identity.cluster_count,
            "this_cluster": self.cluster_id,
            "clusters": [
                {
                    "cluster_id": stats.cluster_id,
                    "shards": {int(k): v for k, v in stats.shards.items()},
                    "guilds": stats.guilds,
                    "host": stats.host,
                    "pid": stats.pid,
                }
                for stats in sorted(self.peers.values(), key=lambda s: s.cluster_id)
            ],
        }

    def refresh_stats(self) -> None:
        from zoryx_core import __version__

        self.stats = collect_stats(
            self.bot, self.cluster_id, self.shard_ids, self.shard_count,
            started_at=self.started_at, version=__version__,
        )  # fmt: skip
        self._stats_at = time.time()

    async def read_members(self) -> dict[int, ClusterStats]:
        """Every live cluster's last heartbeat, read from Redis now."""
        ids = range(self.identity.cluster_count)
        values = await self.redis.mget([self.keys.member(i) for i in ids])
        found: dict[int, ClusterStats] = {}
        for cluster_id, raw in zip(ids, values, strict=True):
            if raw is None:
                continue
            with contextlib.suppress(ValueError, TypeError, KeyError):
                found[cluster_id] = ClusterStats.from_dict(json.loads(raw))
        return found

    async def _update_peers(self, peers: dict[int, ClusterStats]) -> None:
        before = self.peers
        self.peers = peers
        in_grace = time.monotonic() < self._grace_until
        for cluster_id in sorted(set(peers) - set(before)):
            if cluster_id == self.cluster_id or not before:
                continue
            log.info("cluster %s joined", cluster_id)
            await self.bot.plugins.notify(
                "zoryx_cluster_joined", cluster_id=cluster_id, stats=peers[cluster_id]
            )
            if not in_grace:
                await self._alert(f"Cluster {cluster_id} joined", _describe(peers[cluster_id]))
        if in_grace:
            if set(before) - set(peers):
                self.peers = {**before, **peers}  # after a Redis outage, wait for everyone to beat again
            return
        for cluster_id in sorted(set(before) - set(peers)):
            if cluster_id == self.cluster_id:
                continue
            log.warning("cluster %s is gone (no heartbeat for %ss)", cluster_id, self.settings.expiry_seconds)
            await self.bot.plugins.notify(
                "zoryx_cluster_left", cluster_id=cluster_id, stats=before[cluster_id]
            )
            await self._alert(
                f"Cluster {cluster_id} is gone",
                f"No heartbeat for {self.settings.expiry_seconds:g} s. {_describe(before[cluster_id])}",
            )

    async def _check_invalid_budget(self) -> None:
        assert self.invalid is not None
        half = self.settings.invalid_request_budget // 2
        window = self.settings.invalid_request_window_seconds
        if time.monotonic() - self._invalid_alerted_at < window and self._invalid_alerted_at:
            return
        total = await self.invalid.total()
        if total > half:
            self._invalid_alerted_at = time.monotonic()
            log.warning("invalid REST requests: %s in %s s (budget %s)", total, window,
                        self.settings.invalid_request_budget)  # fmt: skip
            await self._alert(
                "Invalid requests past half the budget",
                f"{total} answers 401/403/429 in the last {window // 60} minutes, for the whole bot; "
                f"Discord bans the IP at {self.settings.invalid_request_budget}.",
            )

    def is_leader(self) -> bool:
        """The lowest live cluster id speaks for all (alerts go out once)."""
        alive = set(self.peers) | {self.cluster_id}
        return min(alive) == self.cluster_id

    async def _alert(self, title: str, text: str, *, leader_only: bool = True) -> None:
        if leader_only and not self.is_leader():
            return
        embed = discord.Embed(title=title, description=text, colour=discord.Colour.orange())
        embed.set_footer(text=f"reported by cluster {self.cluster_id}")
        try:
            channel_id = self.settings.alert_channel_id
            if channel_id:
                channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
                await channel.send(embed=embed)  # type: ignore[union-attr]
                return
            owner_id = min(self.bot.all_owner_ids, default=None)
            if owner_id is not None:
                user = self.bot.get_user(owner_id) or await self.bot.fetch_user(owner_id)
                await user.send(embed=embed)
        except (discord.HTTPException, AttributeError) as error:
            log.warning("cluster alert %r not delivered: %s", title, error)

    # --- the bus ---------------------------------------------------------------------------------

    async def _bus_loop(self) -> None:
        backoff = 0.5
        while not self._stopping:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(self.keys.bus)
                self.pubsub_state = "subscribed"
                backoff = 0.5
                while not self._stopping:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is None or message.get("type") != "message":
                        continue
                    request = parse_message(message.get("data"))
                    if request is None:
                        log.warning("ignored a message on the cluster bus that is not a preset request")
                        continue
                    if request.request_id in self._seen_requests:
                        continue  # the same request published again for a cluster that missed it
                    self._seen_requests[request.request_id] = None
                    while len(self._seen_requests) > _SEEN_REQUESTS:
                        self._seen_requests.pop(next(iter(self._seen_requests)))
                    task = asyncio.create_task(self._handle(request))
                    self._handlers.add(task)
                    task.add_done_callback(self._handlers.discard)
            except (RedisError, OSError):
                self.pubsub_state = "reconnecting"
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _handle(self, request: BusMessage) -> None:
        if request.kind == "broadcast":
            log.info("broadcast from cluster %s: %s", request.sender, request.text)
            self.broadcasts.append((request.sender, request.text))
            await self.bot.events.emit("cluster_broadcast", sender=request.sender, text=request.text)
            reply = BusReply(self.cluster_id, True, "received")
        elif request.kind == "reload":
            reply = await self._reload(request.plugin)
        else:
            reply = BusReply(self.cluster_id, True, "pong")
        key = self.keys.replies(request.request_id)
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.rpush(key, reply.encode())
                pipe.expire(key, max(int(self.settings.reply_timeout * 4), 60))
                await pipe.execute()
        except (RedisError, OSError) as error:
            log.warning("could not answer a %s request: %s", request.kind, error)

    async def _reload(self, name: str) -> BusReply:
        from zoryx_core.plugins import PluginStatus

        if name in ("zoryx-cluster", "zoryx_cluster"):
            return BusReply(self.cluster_id, False, "zoryx-cluster reloads per process, with `reload`")
        try:
            outcome = await self.bot.plugins.reload(name)
        except Exception as error:
            return BusReply(self.cluster_id, False, str(error).split("\n", 1)[0][:300])
        if outcome.status is PluginStatus.LOADED and outcome.last_reload_error is None:
            return BusReply(
                self.cluster_id, True, f"reloaded {outcome.name} {outcome.spec.version or ''}".strip()
            )
        return BusReply(self.cluster_id, False, (outcome.last_reload_error or outcome.reason)[:300])

    async def ask(self, kind: Kind, *, text: str = "", plugin: str = "") -> tuple[list[BusReply], set[int]]:
        """Sends a preset request to every cluster and collects the answers; returns them with
        the ids of live clusters that did not answer in time."""
        expected = set(await self.read_members()) | {self.cluster_id}
        request = BusMessage.new(kind, self.cluster_id, text=text, plugin=plugin)
        key = self.keys.replies(request.request_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.reply_timeout
        replies: list[BusReply] = []
        published_at = -_REPUBLISH_SECONDS
        while loop.time() < deadline:
            if loop.time() - published_at >= _REPUBLISH_SECONDS:
                # again for a cluster that was (re)subscribing: pub/sub keeps nothing for later,
                # and a cluster acts on one request id once
                await self.redis.publish(self.keys.bus, request.encode())
                published_at = loop.time()
            replies = [BusReply.decode(str(raw)) for raw in await self.redis.lrange(key, 0, -1)]
            if expected <= {reply.cluster_id for reply in replies}:
                break
            await asyncio.sleep(0.05)
        return sorted(replies, key=lambda r: r.cluster_id), expected - {r.cluster_id for r in replies}

    async def round_trip_ms(self) -> float:
        started = time.perf_counter()
        await self.redis.ping()
        return (time.perf_counter() - started) * 1000

    def _close_bot(self) -> None:
        task = asyncio.get_running_loop().create_task(self.bot.close())
        _closing.add(task)
        task.add_done_callback(_closing.discard)


def refuse_to_connect(bot: ZoryxBot, reason: str) -> None:
    """Keeps every shard of ``bot`` from identifying and closes it: a process that would run
    shards it must not (wrong range, another process's cluster) never connects them."""
    log.error("zoryx-cluster: %s; closing the bot", reason)
    never = asyncio.Event()

    async def no_identify(shard_id: int, initial: bool) -> None:
        await never.wait()

    bot.gates.identify = no_identify
    task = asyncio.get_running_loop().create_task(_close_after_setup(bot))
    _closing.add(task)
    task.add_done_callback(_closing.discard)


async def _close_after_setup(bot: ZoryxBot) -> None:
    await asyncio.sleep(0)
    await bot.close()


def _span(shards: Any) -> str:
    listed = list(shards)
    if not listed:
        return "none"
    return f"{listed[0]}-{listed[-1]}" if len(listed) > 1 else str(listed[0])


def _describe(stats: ClusterStats) -> str:
    servers = plural(stats.guilds, "server")
    return f"Shards {_span(stats.shard_ids)}, {servers}, host {stats.host} (pid {stats.pid})."
