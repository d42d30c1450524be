"""Scale: READY with many guilds and with one very large guild, memory per guild, a new server's
first message; a ZoryxBot with every plugin vs bare discord.py, same run.

Every start is a fresh child process (this script with ``--child bare|zoryx``) against an emulator
in this process. Both bots have Zoryx's default intents (default + members + message_content, no
presences) and ``guild_ready_timeout`` ``--guild-ready-timeout`` (0.05 s); the Zoryx bot has its
default settings (default per-user cooldown on), every installed plugin (every framework plugin of
``plugins/`` is required, see ``bench/bench_env.py``) and a ``!ping`` extension, in a fresh home
folder per start (so no server has been seen before). Two cases, bare and zoryx alternating ABBA
over ``--repeat`` rounds:

``guilds``: ``--guilds`` (1,000) servers of ``--guild-members`` (3) members plus owner and bot.
  Without the presences intent a GUILD_CREATE carries only the bot's own member, so discord.py
  requests every server's members, one gateway request per server, paced under the gateway's send
  limit (110 per 60 s): ``on_ready`` would come ~N/110 minutes after start for either bot. So the
  time taken is **start -> every server received**: from ``bot.start()`` to the moment the last of
  the N GUILD_CREATEs has been parsed (counted by an ``on_socket_event_type`` listener, removed once
  the count is reached), i.e. every server is in the cache and its messages are served. It includes
  login and ``setup_hook`` (Zoryx: storage, plugin discovery and loading). ``--until-ready`` waits
  for ``on_ready`` as well (every server chunked; long, see above).
  **Memory per guild**: (RSS when every server is received - RSS when ``setup_hook`` returned) / N.
  **First message of a server never seen vs cached**: after a warm-up in server 0 (chat lines and a
  ``!ping``), ``--fresh`` (500) other servers are messaged in ``--fresh-batches`` (10) batches:
  one chat line in each server of the batch at ``--rate`` (250/s), then a ``!ping`` in server 0
  whose ``pong`` proves every line was handled; then at once one more line in each of the same
  servers, and a barrier again. Bot CPU per line = the child's process CPU over the window
  (``time.process_time()`` read by the child when asked on its stdin, so threads count and the
  resolution is fine) minus one barrier's CPU (measured alone) and minus the background CPU (the
  median rate of five 0.2 s windows with no traffic just before, times the window's length:
  discord.py's paced member requests and their answers, the plugins' timers), / lines; the
  figures are the medians over the batches (a burst of paced member requests lands in one batch).
  The goal: the first message of a server costs at most 2x a cached one.

``members``: one server of ``--members`` (50,000) members. The bot requests its members once and
  gets them in chunks of 1,000 (not paced), so ``on_ready`` comes once they are all cached: the time
  taken is **start -> on_ready** (``guild_ready_timeout`` included, the same for both bots), with
  the CPU and memory per member.

Ratios zoryx / bare are taken per round (the two runs of a round are adjacent in time) and shown
as min / median / max; the goal is READY within 1.10x of bare. The machine's other load moves the
wall times; CPU ratios are steadier.

    python bench/scale.py                                     # 1,000 guilds, 50,000 members, 2 rounds
    python bench/scale.py --guilds 200 --members 5000 --fresh 150 --repeat 1   # smoke run
    python bench/scale.py --case members --repeat 4 --json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

TOKEN_ENV = "ZORYX_BENCH_TOKEN"
KINDS = ("bare", "zoryx")
CASES = ("guilds", "members")
READY_GOAL = 1.10  # zoryx / bare READY time, at most
FIRST_MESSAGE_GOAL = 2.0  # first message of a server / a cached one (Zoryx), at most
WARMUP_LINES = 50
CHAT_LINE = "hello there, just chatting"


# -- the child: one bot ----------------------------------------------------------------------------
def child(args: argparse.Namespace) -> int:
    import logging

    import discord
    import psutil  # type: ignore[import-untyped,unused-ignore]
    from discord.ext import commands

    from zoryx_core.discord_redirect import point_discord_at

    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    point_discord_at(args.api_url, args.gateway_url)
    me = psutil.Process()

    def emit(kind: str, payload: dict[str, Any]) -> None:
        print(f"{kind} {json.dumps(payload)}", flush=True)

    def stamp(name: str) -> None:
        emit(
            "STAMP", {"name": name, "t": time.time(), "cpu": time.process_time(), "rss": me.memory_info().rss}
        )

    reports: list[Any] = []  # called once setup_hook returned (the Zoryx bot names its plugins)

    def build() -> commands.Bot:
        if args.child == "zoryx":
            from bench_env import settings_in_force
            from message_cost_bot import EXTENSION_NAME, EXTENSION_SOURCE

            from zoryx_core.testing.zoryx_bots import make_zoryx_bot

            home = Path(args.home)
            extensions = home / "extensions"
            extensions.mkdir(parents=True, exist_ok=True)
            (extensions / f"{EXTENSION_NAME}.py").write_text(EXTENSION_SOURCE, encoding="utf-8")
            zoryx = make_zoryx_bot(
                home,
                extensions_dir=extensions,
                config={"startup.guild_ready_timeout": args.guild_ready_timeout, "logging.level": "ERROR"},
            )
            reports.append(
                lambda: emit(
                    "PLUGINS", {"loaded": list(zoryx.plugins.loaded), "settings": settings_in_force(zoryx)}
                )
            )
            return zoryx
        intents = discord.Intents.default()
        intents.members = True
        intents.message_content = True
        bare = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=args.guild_ready_timeout)

        @bare.command()
        async def ping(ctx: commands.Context[commands.Bot]) -> None:
            await ctx.send("pong")

        return bare

    async def run() -> int:
        bot = build()
        original_setup = bot.setup_hook

        async def timed_setup() -> None:
            await original_setup()
            stamp("setup_end")
            for report in reports:
                report()

        bot.setup_hook = timed_setup  # type: ignore[method-assign]
        received = 0

        async def on_socket_event_type(event: str) -> None:
            nonlocal received
            if event == "GUILD_CREATE":
                received += 1
                if received == args.expect_guilds:
                    stamp("guilds")
                    bot.remove_listener(on_socket_event_type, "on_socket_event_type")

        async def on_ready() -> None:
            stamp("ready")

        bot.add_listener(on_socket_event_type, "on_socket_event_type")
        bot.add_listener(on_ready, "on_ready")

        async def serve_stdin() -> None:
            """``CPU`` -> the process's CPU seconds so far; ``QUIT`` (or end of input) -> close."""
            loop = asyncio.get_running_loop()
            reader = asyncio.StreamReader()
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
            while line := (await reader.readline()).strip():
                if line == b"CPU":
                    emit("CPU", {"cpu": time.process_time()})
                elif line == b"QUIT":
                    break
            await bot.close()

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: loop.create_task(bot.close()))
        control = asyncio.create_task(serve_stdin())
        async with bot:
            stamp("start")
            await bot.start(args.token)
        control.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await control
        return 0

    if not args.profile:
        return asyncio.run(run())
    import cProfile

    profiler = cProfile.Profile()
    try:
        return profiler.runcall(asyncio.run, run())
    finally:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(str(Path(args.profile) / f"{args.child}-{os.getpid()}.prof"))


# -- the parent: one start of one bot ----------------------------------------------------------------
class ChildBot:
    """A child bot process: its stamps as they arrive, and its CPU on request."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.stamps: dict[str, dict[str, float]] = {}
        self.plugins: dict[str, Any] = {}
        self.changed = asyncio.Event()
        self.cpu_answers: asyncio.Queue[float] = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while line := (await self.proc.stdout.readline()).decode():
            kind, _, payload = line.strip().partition(" ")
            if kind == "STAMP":
                data = json.loads(payload)
                self.stamps[data.pop("name")] = data
            elif kind == "PLUGINS":
                self.plugins = json.loads(payload)
            elif kind == "CPU":
                self.cpu_answers.put_nowait(float(json.loads(payload)["cpu"]))
            self.changed.set()
        self.changed.set()

    async def wait_for(self, name: str, timeout: float) -> dict[str, float]:
        async with asyncio.timeout(timeout):
            while name not in self.stamps:
                if self.proc.stdout is not None and self.reader.done():
                    raise RuntimeError(f"the bot exited (code {self.proc.returncode}) before '{name}'")
                self.changed.clear()
                await self.changed.wait()
        return self.stamps[name]

    async def cpu(self) -> float:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"CPU\n")
        await self.proc.stdin.drain()
        async with asyncio.timeout(30):
            return await self.cpu_answers.get()

    async def stop(self) -> None:
        if self.proc.returncode is None and self.proc.stdin is not None:
            with contextlib.suppress(ConnectionError):
                self.proc.stdin.write(b"QUIT\n")
                await self.proc.stdin.drain()
        try:
            async with asyncio.timeout(20):
                await self.proc.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()
        await self.reader


async def spawn(emu: Any, kind: str, home: Path, expect_guilds: int, args: argparse.Namespace) -> ChildBot:
    env = dict(os.environ)
    env[TOKEN_ENV] = emu.token
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).resolve()),  # noqa: ASYNC240 (no I/O: __file__ is absolute)
        "--child",
        kind,
        "--api-url",
        emu.api_url,
        "--gateway-url",
        emu.gateway_url,
        "--home",
        str(home),
        "--expect-guilds",
        str(expect_guilds),
        "--guild-ready-timeout",
        str(args.guild_ready_timeout),
        *(("--profile", str(args.profile)) if args.profile else ()),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )
    return ChildBot(proc)


@dataclass
class Start:
    case: str
    bot: str
    round: int
    ready_s: float  # guilds: start -> every server received; members: start -> on_ready
    ready_cpu_s: float  # the bot's CPU over the same stretch
    memory_per_item: float  # bytes per guild (guilds) or per member (members)
    gateway_s: float  # the part of ready_s after setup_hook returned (what grows with the size)
    gateway_cpu_s: float
    full_ready_s: float | None = None  # guilds with --until-ready: start -> on_ready
    first_message_us: float | None = None  # guilds: bot CPU per first message of a server
    cached_message_us: float | None = None  # guilds: the same servers' second message
    idle_cpu_ms_per_s: float | None = None  # guilds: CPU while nothing was posted (background work)
    files_before_first: int | None = None  # zoryx: files under data/ before the first messages
    files_after_first: int | None = None  # ... and after them
    plugins: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def first_over_cached(self) -> float | None:
        if self.first_message_us is None or not self.cached_message_us:
            return None
        return self.first_message_us / self.cached_message_us


class Poster:
    """Posts chat lines and barrier pings; the pings rotate over several users (cooldown)."""

    def __init__(self, emu: Any, barrier_channel: Any, barrier_users: list[Any]) -> None:
        self.emu = emu
        self.channel = barrier_channel
        self.users = barrier_users
        self.pings = 0

    async def barrier(self, timeout: float = 120.0) -> None:
        user = self.users[self.pings % len(self.users)]
        self.pings += 1
        sent = await self.emu.send_message(self.channel, user, "!ping")
        reply = await self.emu.wait_for_message(self.channel, after=sent, timeout=timeout)
        if reply.content != "pong":
            raise RuntimeError(f"barrier ping answered {reply.content!r}")

    async def lines(self, targets: list[tuple[Any, Any]], rate: float) -> None:
        started = time.perf_counter()
        for index, (channel, user) in enumerate(targets):
            due = started + index / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.emu.send_message(channel, user, CHAT_LINE)


def count_files(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


async def idle_rate(bot: ChildBot, samples: int = 5, length: float = 0.2) -> float:
    """Bot CPU seconds per second with no traffic: the median of ``samples`` short windows, so a
    burst of discord.py's paced member requests in one of them does not count as the usual rate."""
    rates = []
    for _ in range(samples):
        c0, t0 = await bot.cpu(), time.perf_counter()
        await asyncio.sleep(length)
        rates.append((await bot.cpu() - c0) / (time.perf_counter() - t0))
    return statistics.median(rates)


async def first_messages(
    bot: ChildBot, poster: Poster, fresh: list[tuple[Any, Any]], rate: float, batches: int
) -> tuple[float, float, float]:
    """Bot CPU µs per first line of a never-seen server and per second line (medians over the
    batches), and idle CPU ms/s. The servers are taken in ``batches``: each batch's first lines,
    then at once its second lines, so a burst of background work lands in one pair of windows, and
    the medians leave it out."""
    idle = await idle_rate(bot)
    b0 = await bot.cpu()
    await poster.barrier()
    barrier = await bot.cpu() - b0
    size = max(1, len(fresh) // batches)
    groups = [fresh[i : i + size] for i in range(0, size * (len(fresh) // size), size)]
    first: list[float] = []
    cached: list[float] = []
    for group in groups:
        for figures in (first, cached):
            c0, w0 = await bot.cpu(), time.perf_counter()
            await poster.lines(group, rate)
            await poster.barrier()
            background = idle * (time.perf_counter() - w0)
            figures.append((await bot.cpu() - c0 - barrier - background) / len(group) * 1e6)
    return statistics.median(first), statistics.median(cached), idle * 1000


async def run_guilds(args: argparse.Namespace, root: Path, log: Any) -> list[Start]:
    from zoryx_core.testing import DiscordEmulator

    starts: list[Start] = []
    async with DiscordEmulator() as emu:
        shared = [emu.create_user(f"regular-{i}") for i in range(max(1, args.guild_members))]
        guilds = [
            emu.create_guild(f"scale-{i}", text_channels=["general"], members=shared)
            for i in range(args.guilds)
        ]
        channels = [emu.channel_named(g, "general") for g in guilds]
        # the barrier pings come from enough members of server 0 that none reaches the default
        # per-user cooldown (3 uses per 5 s): two per batch of never-seen servers
        pingers = [emu.create_user(f"pinger-{i}") for i in range(2 * args.fresh_batches + 4)]
        for pinger in pingers:
            emu.add_member(guilds[0], pinger)
        home_channel = channels[0]
        barrier_users = [*shared, emu.state.users[guilds[0].owner_id], *pingers]
        fresh = [
            (channels[i], shared[i % len(shared)]) for i in range(1, 1 + min(args.fresh, args.guilds - 1))
        ]
        for index in range(args.repeat):
            for kind in KINDS if index % 2 == 0 else KINDS[::-1]:
                home = root / f"guilds-{kind}-{index}"
                bot = await spawn(emu, kind, home, args.guilds, args)
                try:
                    begin = await bot.wait_for("start", args.ready_timeout)
                    setup = await bot.wait_for("setup_end", args.ready_timeout)
                    done = await bot.wait_for("guilds", args.ready_timeout)
                    start = Start(
                        case="guilds",
                        bot=kind,
                        round=index,
                        ready_s=done["t"] - begin["t"],
                        ready_cpu_s=done["cpu"] - begin["cpu"],
                        memory_per_item=(done["rss"] - setup["rss"]) / args.guilds,
                        gateway_s=done["t"] - setup["t"],
                        gateway_cpu_s=done["cpu"] - setup["cpu"],
                    )
                    if args.until_ready:
                        start.full_ready_s = (await bot.wait_for("ready", args.ready_timeout))["t"] - begin[
                            "t"
                        ]
                    poster = Poster(emu, home_channel, barrier_users)
                    if fresh:
                        for n in range(WARMUP_LINES):
                            await emu.send_message(home_channel, shared[n % len(shared)], CHAT_LINE)
                        await poster.barrier()
                        if kind == "zoryx":
                            start.files_before_first = count_files(home / "data")
                        first, cached, idle = await first_messages(
                            bot, poster, fresh, args.rate, args.fresh_batches
                        )
                        start.first_message_us, start.cached_message_us = round(first, 1), round(cached, 1)
                        start.idle_cpu_ms_per_s = round(idle, 2)
                        if kind == "zoryx":
                            start.files_after_first = count_files(home / "data")
                    start.plugins = list(bot.plugins.get("loaded", []))
                    start.settings = dict(bot.plugins.get("settings", {}))
                finally:
                    await bot.stop()
                starts.append(start)
                log(describe(start))
    return starts


async def run_members(args: argparse.Namespace, root: Path, log: Any) -> list[Start]:
    from zoryx_core.testing import DiscordEmulator
    from zoryx_core.testing.models import Member

    starts: list[Start] = []
    async with DiscordEmulator() as emu:
        guild = emu.create_guild("scale-members")
        for index in range(args.members):  # straight into the state: nobody is connected yet
            user = emu.create_user(f"member-{index:06d}")
            guild.members[user.id] = Member(user_id=user.id, guild_id=guild.id)
        for index in range(args.repeat):
            for kind in KINDS if index % 2 == 0 else KINDS[::-1]:
                home = root / f"members-{kind}-{index}"
                bot = await spawn(emu, kind, home, 1, args)
                try:
                    begin = await bot.wait_for("start", args.ready_timeout)
                    setup = await bot.wait_for("setup_end", args.ready_timeout)
                    done = await bot.wait_for("ready", args.ready_timeout)
                    start = Start(
                        case="members",
                        bot=kind,
                        round=index,
                        ready_s=done["t"] - begin["t"],
                        ready_cpu_s=done["cpu"] - begin["cpu"],
                        memory_per_item=(done["rss"] - setup["rss"]) / max(1, len(guild.members)),
                        gateway_s=done["t"] - setup["t"],
                        gateway_cpu_s=done["cpu"] - setup["cpu"],
                        plugins=list(bot.plugins.get("loaded", [])),
                        settings=dict(bot.plugins.get("settings", {})),
                    )
                finally:
                    await bot.stop()
                starts.append(start)
                log(describe(start))
    return starts


# -- output ------------------------------------------------------------------------------------------
def describe(s: Start) -> str:
    what = "every server received" if s.case == "guilds" else "on_ready"
    unit = "KB/guild" if s.case == "guilds" else "B/member"
    memory = s.memory_per_item / 1024 if s.case == "guilds" else s.memory_per_item
    text = (
        f"  {s.case:<7} round {s.round + 1} {s.bot:<5} start->{what} {s.ready_s * 1000:7.0f} ms "
        f"(CPU {s.ready_cpu_s * 1000:6.0f} ms; after setup_hook {s.gateway_s * 1000:5.0f} ms, "
        f"CPU {s.gateway_cpu_s * 1000:5.0f} ms)  memory {memory:6.1f} {unit}"
    )
    if s.full_ready_s is not None:
        text += f"  start->on_ready {s.full_ready_s:.1f} s"
    if s.first_message_us is not None:
        text += (
            f"  first message {s.first_message_us:7.1f} µs, cached {s.cached_message_us:6.1f} µs "
            f"(x{s.first_over_cached:.2f}), idle {s.idle_cpu_ms_per_s:.1f} ms/s"
        )
    if s.files_after_first is not None:
        text += f", files under data/ {s.files_before_first} -> {s.files_after_first}"
    return text


def spread(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


def ratios(starts: list[Start], case: str, attr: str) -> list[float]:
    rounds = sorted({s.round for s in starts if s.case == case})
    out = []
    for r in rounds:
        pair = {s.bot: s for s in starts if s.case == case and s.round == r}
        if "bare" in pair and "zoryx" in pair and getattr(pair["bare"], attr):
            out.append(getattr(pair["zoryx"], attr) / getattr(pair["bare"], attr))
    return out


def summary(starts: list[Start], args: argparse.Namespace) -> list[str]:
    lines = ["", "zoryx / bare per round, min / median / max:"]
    for case, label in (
        ("guilds", f"{args.guilds:,} guilds, start -> every server received"),
        ("members", f"1 guild of {args.members:,} members, start -> on_ready"),
    ):
        wall, cpu = ratios(starts, case, "ready_s"), ratios(starts, case, "ready_cpu_s")
        if not wall:
            continue
        met = "MET" if statistics.median(wall) <= READY_GOAL else "NOT MET"
        lines.append(f"  {label}: time {spread(wall)}  goal <= {READY_GOAL:.2f} {met};  CPU {spread(cpu)}")
        lines.append(
            f"    after setup_hook only: time {spread(ratios(starts, case, 'gateway_s'))};  "
            f"CPU {spread(ratios(starts, case, 'gateway_cpu_s'))}"
        )
        memory = ratios(starts, case, "memory_per_item")
        per = "guild" if case == "guilds" else "member"
        for kind in KINDS:
            values = [s.memory_per_item for s in starts if s.case == case and s.bot == kind]
            scale, unit = (1024, "KB") if case == "guilds" else (1, "B")
            lines.append(
                f"    memory per {per}, {kind}: median {statistics.median(values) / scale:.1f} {unit}"
            )
        if memory:
            lines.append(f"    memory per {per} zoryx / bare: {spread(memory)}")
    for kind in KINDS:
        firsts = [s for s in starts if s.bot == kind and s.first_over_cached is not None]
        if not firsts:
            continue
        first = statistics.median(s.first_message_us or 0.0 for s in firsts)
        cached = statistics.median(s.cached_message_us or 0.0 for s in firsts)
        over = [s.first_over_cached or 0.0 for s in firsts]
        text = (
            f"  first message of a server never seen, {kind}: {first:.1f} µs vs cached {cached:.1f} µs, "
            f"x{spread(over)}"
        )
        if kind == "zoryx":
            text += (
                f"  goal <= {FIRST_MESSAGE_GOAL:.1f}x {'MET' if statistics.median(over) <= 2 else 'NOT MET'}"
            )
        lines.append(text)
    return lines


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--case", choices=(*CASES, "both"), default="both", help="which case(s) (both)")
    parser.add_argument("--guilds", type=int, default=1000, help="servers in the guilds case (1000)")
    parser.add_argument(
        "--guild-members", type=int, default=3, help="members per server besides owner and bot"
    )
    parser.add_argument("--members", type=int, default=50_000, help="members of the one server (50000)")
    parser.add_argument("--fresh", type=int, default=500, help="never-seen servers messaged (500)")
    parser.add_argument(
        "--fresh-batches", type=int, default=10, help="batches the never-seen servers are messaged in (10)"
    )
    parser.add_argument("--rate", type=float, default=250.0, help="first/second messages per second (250)")
    parser.add_argument("--repeat", type=int, default=2, help="rounds of bare + zoryx per case (2)")
    parser.add_argument(
        "--until-ready", action="store_true", help="guilds case: also wait for on_ready (paced: ~N/110 min)"
    )
    parser.add_argument("--guild-ready-timeout", type=float, default=0.05, help="both bots (0.05)")
    parser.add_argument("--ready-timeout", type=float, default=300.0, help="seconds a start may take (300)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON only")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="run every bot under cProfile and write DIR/<bare|zoryx>-<pid>.prof (slows both down)",
    )
    parser.add_argument(
        "--no-bench-venv",
        action="store_true",
        help="fail when a framework plugin is missing instead of running in .bench-venv",
    )
    # Internal: the child process of one start.
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    parser.add_argument("--gateway-url", help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--expect-guilds", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--token", default=os.environ.get(TOKEN_ENV), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if (
        min(args.guilds, args.members, args.repeat, args.guild_members, args.fresh_batches) < 1
        or args.fresh < 0
        or args.rate <= 0
    ):
        parser.error(
            "--guilds, --members, --repeat, --guild-members and --fresh-batches must be >= 1, "
            "--fresh >= 0, --rate > 0"
        )
    if args.until_ready and args.guilds > 300:
        print(
            f"note: --until-ready with {args.guilds} guilds takes about "
            f"{args.guilds / 110:.0f} minutes per start",
            file=sys.stderr,
        )
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child(args)
    from bench_env import (
        bytecode_note,
        default_settings,
        describe_settings,
        ensure_framework_plugins,
        installed_zoryx_plugins,
    )

    raw_args = sys.argv[1:] if argv is None else argv
    ensure_framework_plugins(__file__, raw_args, use_bench_venv=not args.no_bench_venv)

    def log(text: str) -> None:
        if not args.json:
            print(text, flush=True)

    settings = default_settings()
    settings["startup.guild_ready_timeout"] = args.guild_ready_timeout
    log(
        f"scale: guilds case {args.guilds:,} servers of {args.guild_members + 2} members ({args.fresh} "
        f"messaged at {args.rate:g}/s), members case 1 server of {args.members:,}; {args.repeat} round(s), "
        "ABBA\n"
        f"zoryx plugins installed: {', '.join(installed_zoryx_plugins()) or 'none'} (+ the built-ins and a "
        "!ping extension), fresh home folder per start\n"
        f"zoryx settings: {describe_settings(settings)}; guild_ready_timeout {args.guild_ready_timeout:g} s\n"
        "bare discord.py: intents default + members + message_content, the same guild_ready_timeout\n"
        f"{bytecode_note()}"
    )
    if args.profile:
        log(f"cProfile is on in every bot (all figures are slowed down); stats in {args.profile}")
    starts: list[Start] = []

    async def run_all() -> None:
        with tempfile.TemporaryDirectory(prefix="zoryx-scale-bench-") as folder:
            if args.case in ("guilds", "both"):
                starts.extend(await run_guilds(args, Path(folder), log))
            if args.case in ("members", "both"):
                starts.extend(await run_members(args, Path(folder), log))

    asyncio.run(run_all())
    if args.json:
        options = {k: v for k, v in vars(args).items() if k not in ("json", "token", "child")}
        print(json.dumps({"options": options, "starts": [asdict(s) for s in starts]}, indent=2))
        return 0
    reported = next((s for s in starts if s.bot == "zoryx" and s.plugins), None)
    if reported is not None:
        log(
            f"zoryx reported: plugins loaded {', '.join(reported.plugins)}; "
            f"{describe_settings(reported.settings)}"
        )
    log("\n".join(summary(starts, args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
