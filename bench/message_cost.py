"""Bot CPU per non-command message and per command: a ZoryxBot as users run it vs bare discord.py.

Each bot runs in a child process against a ``DiscordEmulator`` in this process; only the child's
CPU (psutil user + system) is counted, so the emulator's own gateway and REST work is left out.

- bare: ``bench/ping_bot.py``, a ``commands.Bot`` (prefix ``!``, message_content intent) with one
  ``ping`` command;
- zoryx: ``bench/message_cost_bot.py``, a ``ZoryxBot`` with every discovered plugin (built-ins
  included; every framework plugin of ``plugins/`` is required, see ``bench/bench_env.py``), real
  storage in a temporary folder, Zoryx's default settings (default per-user cooldown on, members
  intent on); its ``ping`` comes from a single-file extension in its extensions folder.

Both bots have the same intents (default + members + message_content; ``--no-members-intent``
drops members for both). The pings are posted in turn by enough distinct guild members that none
sends more than two in a run, so the default cooldown (3 uses per 5 s per user) is never reached.
The plugins and settings in force are printed first.

Per run, after a warm-up (chat messages and pings, not measured):

1. non-command messages: ``--messages`` ordinary chat lines from several users in several channels,
   posted at ``--rate`` messages/s (0: as fast as the emulator can), then one ``!ping`` whose
   ``pong`` proves the bot has processed every earlier message (one gateway connection, in order);
   bot CPU over that window / messages = CPU µs per message;
2. commands: ``--commands`` ``!ping`` -> ``pong`` round trips, closed loop (``--concurrency``
   users, each in its own channel, as in ``bench/zoryx_ping.py``); bot CPU / commands.

Bare and zoryx alternate for ``--repeat`` rounds in ABBA order, each run with a fresh emulator and
bot process. Figures are medians per bot; the ratios zoryx / bare are taken per round (the two runs
of a round are adjacent in time), with min / median / max over the rounds; their median over the
clean rounds decides the goals: a non-command message may cost Zoryx at most 1.05 x the bare bot's
CPU, a command at most 1.10 x. A run is marked ``*``
(noisy) when other processes on the machine used more than ``--noise-cores`` cores during one of
its measured windows, or when its bot used under 85% of a core during the closed command loop
(where it should be the bottleneck); a round with a noisy run is left out of the paired medians
(all rounds count if none is clean).

    python bench/message_cost.py                      # 4 rounds, 20,000 messages + 2,000 commands
    python bench/message_cost.py --messages 2000 --commands 200 --repeat 1   # quick smoke run
    python bench/message_cost.py --rate 0 --json      # messages flooded, machine-readable
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import aiohttp.web_app
import psutil  # type: ignore[import-untyped,unused-ignore]
from bench_env import (
    bytecode_note,
    default_settings,
    describe_settings,
    ensure_framework_plugins,
    installed_zoryx_plugins,
    senders_needed,
)
from ping_roundtrip import Load, cpu_seconds, percentile
from zoryx_ping import start_child, stop_child

from zoryx_core.testing import Channel, DiscordEmulator, User

HERE = Path(__file__).resolve().parent
BARE_SCRIPT = HERE / "ping_bot.py"
ZORYX_SCRIPT = HERE / "message_cost_bot.py"
KINDS = ("bare", "zoryx")
GOAL_RATIO = 1.05  # zoryx / bare CPU per non-command message, at most
GOAL_COMMAND_RATIO = 1.10  # zoryx / bare CPU per command, at most
SATURATED = 0.85  # below this share of a core the bot was not the bottleneck of the command loop
NOISE_CORES = 0.30  # CPU (in cores) used by other processes during a window that marks it noisy
CHAT_USERS = 8
CHAT_CHANNELS = 4
CHAT_LINES = (
    "hello there, just chatting",
    "did anyone catch the match last night? that last minute goal was unreal",
    "lol",
    "brb, getting coffee",
    "I think the new patch broke something in my build, the launcher keeps crashing on start",
    "good morning everyone :)",
    "has anyone tried the new map yet? looking for people to play with tonight",
    "ok",
)
TICK_S = 0.001  # a paced sender wakes up this often and posts what is due
MAX_BURST = 50  # ... but never more than this many at once (after a pause of this process)
FLOOD_CHUNK = 64  # with --rate 0, messages posted per event-loop iteration


# -- measuring --------------------------------------------------------------------------------------
def busy_cpu_seconds() -> float:
    """CPU seconds all processes on the machine ran (user + nice + system over all cores; interrupt
    time, which no process is charged for, and steal are left out)."""
    t = psutil.cpu_times()
    return float(t.user + t.nice + t.system)


@dataclass
class Window:
    """CPU of the bot, this process (emulator + driver) and everything else over one measured stretch."""

    count: int  # messages or commands in the window
    wall_s: float
    bot_cpu_us: float  # bot CPU per message / command, µs
    emulator_cpu_us: float  # this process per message / command, µs (emulator and load driver)
    bot_cores: float  # bot CPU seconds / wall seconds (1.0 = one full core)
    others_cores: float  # every other process on the machine, in cores

    @property
    def per_second(self) -> float:
        return self.count / self.wall_s if self.wall_s else 0.0


class Stopwatch:
    def __init__(self, child: psutil.Process) -> None:
        # A full collection of this process now rather than inside the window, where it would stall
        # the traffic (the emulator holds tens of thousands of stored messages).
        gc.collect()
        self.child = child
        self.me = psutil.Process()
        self.bot0 = cpu_seconds(child)
        self.emu0 = cpu_seconds(self.me)
        self.busy0 = busy_cpu_seconds()
        self.wall0 = time.perf_counter()

    def stop(self, count: int) -> Window:
        wall = time.perf_counter() - self.wall0
        bot = cpu_seconds(self.child) - self.bot0
        emu = cpu_seconds(self.me) - self.emu0
        others = max(0.0, busy_cpu_seconds() - self.busy0 - bot - emu)
        per = 1e6 / max(count, 1)
        return Window(
            count=count,
            wall_s=round(wall, 4),
            bot_cpu_us=round(bot * per, 2),
            emulator_cpu_us=round(emu * per, 2),
            bot_cores=round(bot / wall, 3),
            others_cores=round(others / wall, 3),
        )


# -- traffic ----------------------------------------------------------------------------------------
@dataclass
class Traffic:
    emu: DiscordEmulator
    chatters: list[tuple[Channel, User]]  # every (channel, user) pair of the chat, cycled through
    pingers: list[tuple[User, Channel]]  # (user, own channel) per closed-loop worker; [0] also barriers
    timeout: float
    senders: list[User] = field(default_factory=list)  # who posts the closed loop's pings, in turn
    posted: int = 0  # every user message posted (chat and pings), for the Zoryx bot's own count
    pongs: int = 0

    async def chat(self, count: int, rate: float) -> float:
        """Posts ``count`` chat lines at ``rate`` per second (0: flooded); returns the achieved rate."""
        emu, chatters, lines = self.emu, self.chatters, CHAT_LINES
        started = time.perf_counter()
        sent = 0
        while sent < count:
            if rate > 0:
                due = min(count, sent + MAX_BURST, int((time.perf_counter() - started) * rate) + 1)
            else:
                due = min(count, sent + FLOOD_CHUNK)
            while sent < due:
                channel, user = chatters[sent % len(chatters)]
                await emu.send_message(channel, user, lines[sent % len(lines)])
                sent += 1
            await asyncio.sleep(TICK_S if rate > 0 else 0)
        self.posted += count
        elapsed = time.perf_counter() - started
        return count / elapsed if elapsed else 0.0

    async def barrier(self) -> float:
        """``!ping`` and wait for ``pong``: the bot has processed every earlier message. Returns the
        seconds it took (how far behind the bot was)."""
        user, channel = self.pingers[0]
        started = time.perf_counter()
        sent = await self.emu.send_message(channel, user, "!ping")
        self.posted += 1
        reply = await self.emu.wait_for_message(channel, after=sent, timeout=self.timeout)
        self.pongs += 1
        if reply.content != "pong":
            raise RuntimeError(f"barrier ping answered {reply.content!r}")
        return time.perf_counter() - started

    def __post_init__(self) -> None:
        # One driver for the whole run, so the rotation over the senders carries on between calls.
        self.load = Load(self.emu, self.pingers, self.timeout, self.senders)

    async def pings(self, count: int) -> tuple[list[float], int]:
        latencies, errors = await self.load.run(count)
        self.posted += count
        self.pongs += len(latencies)  # answered, pong or not
        return latencies, errors


# -- one run ----------------------------------------------------------------------------------------
@dataclass
class Run:
    bot: str
    round: int
    messages: Window
    commands: Window
    chat_rate: float  # messages/s actually posted in the measured window
    barrier_ms: float  # last chat line posted -> its barrier pong seen (the bot's backlog)
    command_latency_ms: dict[str, float]
    errors: int
    noise: list[str] = field(default_factory=list)  # why the run is marked noisy (empty: clean)
    plugins: list[str] = field(default_factory=list)  # zoryx: loaded plugins
    settings: dict[str, object] = field(default_factory=dict)  # zoryx: as the bot reported them
    counted: dict[str, int] = field(default_factory=dict)  # zoryx: bot.metrics vs what was sent

    @property
    def noisy(self) -> bool:
        return bool(self.noise)


def release_emulator() -> None:
    """Lets the finished run's emulator be freed. aiohttp caches the middleware chain of every
    handler it served (``aiohttp.web_app._cached_build_middleware``, an lru_cache of 1024 entries)
    and those chains hold the emulator's bound methods, so each run's emulator, with every message
    it stored, would stay alive: by the 4th round a full collection of this process took ~0.9 s and
    stalled the traffic in the middle of a measured window."""
    cache = getattr(aiohttp.web_app, "_cached_build_middleware", None)
    if cache is not None and hasattr(cache, "cache_clear"):
        cache.cache_clear()
    gc.collect()


async def run_once(kind: str, index: int, args: argparse.Namespace) -> Run:
    async with DiscordEmulator() as emu:
        emu.gateway.compression_enabled = not args.no_compress
        chat_users = [emu.create_user(f"chatter-{i}") for i in range(CHAT_USERS)]
        ping_users = [emu.create_user(f"pinger-{i}") for i in range(args.concurrency)]
        senders = [
            emu.create_user(f"sender-{i}")
            for i in range(senders_needed(args.warmup_commands + args.commands))
        ]
        chat_names = [f"chat-{i}" for i in range(CHAT_CHANNELS)]
        ping_names = [f"ping-{i}" for i in range(args.concurrency)]
        guild = emu.create_guild(
            "Bench", text_channels=chat_names + ping_names, members=chat_users + ping_users + senders
        )
        chat_channels = [emu.channel_named(guild, name) for name in chat_names]
        traffic = Traffic(
            emu,
            chatters=[(c, u) for u, c in itertools.product(chat_users, chat_channels)],
            pingers=[(u, emu.channel_named(guild, n)) for u, n in zip(ping_users, ping_names, strict=True)],
            timeout=args.timeout,
            senders=senders,
        )

        extra = ["--guild-ready-timeout", str(args.guild_ready_timeout)]
        if kind == "zoryx":
            script = ZORYX_SCRIPT
            extra.append("--members-intent" if args.members_intent else "--no-members-intent")
        else:
            script = BARE_SCRIPT
            if args.members_intent:
                extra.append("--members-intent")
        proc, after_ready = await start_child(emu, script, extra, args.ready_timeout)
        plugins: list[str] = []
        settings: dict[str, object] = {}
        for line in after_ready:
            if line.startswith("PLUGINS"):
                plugins = line.split()[1:]
            elif line.startswith("SETTINGS "):
                settings = json.loads(line.split(" ", 1)[1])
        try:
            child = psutil.Process(proc.pid)

            # Warm-up: chat and pings, unmeasured (first-use caches, guild config, imports).
            await traffic.chat(args.warmup_messages, args.rate)
            await traffic.barrier()
            if args.warmup_commands:
                _, warm_errors = await traffic.pings(args.warmup_commands)
                if warm_errors:
                    raise RuntimeError(
                        f"{kind}: {warm_errors} of {args.warmup_commands} warm-up pings got no pong"
                    )

            # 1. Non-command messages; the barrier's pong closes the window.
            watch = Stopwatch(child)
            chat_rate = await traffic.chat(args.messages, args.rate)
            barrier = await traffic.barrier()
            messages = watch.stop(args.messages)

            # 2. Commands, closed loop.
            watch = Stopwatch(child)
            latencies, errors = await traffic.pings(args.commands)
            commands = watch.stop(len(latencies))
        finally:
            tail = await stop_child(proc)

    latencies.sort()
    run = Run(
        bot=kind,
        round=index,
        messages=messages,
        commands=commands,
        chat_rate=round(chat_rate, 1),
        barrier_ms=round(barrier * 1000, 2),
        command_latency_ms={
            "p50": round(percentile(latencies, 50) * 1000, 3),
            "p99": round(percentile(latencies, 99) * 1000, 3),
        },
        errors=errors,
        plugins=plugins,
        settings=settings,
    )
    for name, window in (("messages", messages), ("commands", commands)):
        if window.others_cores > args.noise_cores:
            run.noise.append(f"other processes used {window.others_cores:.2f} cores during {name}")
    if commands.bot_cores < SATURATED:
        run.noise.append(f"bot used {commands.bot_cores:.0%} of a core in the command loop")
    if kind == "zoryx":
        counts = next((line.split() for line in reversed(tail) if line.startswith("COUNTS ")), None)
        run.counted = {
            "messages_seen": int(counts[1]) if counts else -1,
            "messages_expected": traffic.posted + traffic.pongs,
            "commands_seen": int(counts[2]) if counts else -1,
            "commands_expected": traffic.pongs,
        }
    return run


# -- summaries --------------------------------------------------------------------------------------
@dataclass
class Summary:
    bot: str
    runs: int
    errors: int
    message_cpu_us: float  # medians over the runs
    command_cpu_us: float
    message_emulator_cpu_us: float
    command_emulator_cpu_us: float
    chat_rate: float
    barrier_ms: float
    commands_per_s: float
    command_latency_ms: dict[str, float]


def med(values: Sequence[float], digits: int = 2) -> float:
    return round(statistics.median(values), digits)


def summarise(kind: str, runs: list[Run]) -> Summary:
    return Summary(
        bot=kind,
        runs=len(runs),
        errors=sum(r.errors for r in runs),
        message_cpu_us=med([r.messages.bot_cpu_us for r in runs]),
        command_cpu_us=med([r.commands.bot_cpu_us for r in runs]),
        message_emulator_cpu_us=med([r.messages.emulator_cpu_us for r in runs]),
        command_emulator_cpu_us=med([r.commands.emulator_cpu_us for r in runs]),
        chat_rate=med([r.chat_rate for r in runs], 1),
        barrier_ms=med([r.barrier_ms for r in runs]),
        commands_per_s=med([r.commands.per_second for r in runs], 1),
        command_latency_ms={k: med([r.command_latency_ms[k] for r in runs], 3) for k in ("p50", "p99")},
    )


@dataclass
class Ratio:
    per_round: list[float]  # zoryx / bare of each round
    paired: float  # median of per_round over the clean rounds (all rounds when none is clean)
    of_medians: float  # median zoryx / median bare
    spread: dict[str, float]  # min / median / max of per_round (all rounds)


@dataclass
class Verdict:
    clean_rounds: list[int]  # 1-based
    messages: Ratio
    commands: Ratio
    counts_ok: bool  # the Zoryx bot's metrics saw every message and command sent
    goal: float
    met: bool
    command_goal: float = GOAL_COMMAND_RATIO
    command_met: bool = False


def ratio(runs: dict[str, list[Run]], clean: list[int], bare: float, zoryx: float, attr: str) -> Ratio:
    per_round = [
        round(getattr(z, attr).bot_cpu_us / getattr(b, attr).bot_cpu_us, 3)
        for b, z in zip(runs["bare"], runs["zoryx"], strict=True)
    ]
    chosen = [per_round[i] for i in clean] if clean else per_round
    return Ratio(
        per_round=per_round,
        paired=med(chosen, 3),
        of_medians=round(zoryx / bare, 3),
        spread={"min": min(per_round), "median": med(per_round, 3), "max": max(per_round)},
    )


def judge(runs: dict[str, list[Run]], bare: Summary, zoryx: Summary) -> Verdict:
    clean = [
        i
        for i, (b, z) in enumerate(zip(runs["bare"], runs["zoryx"], strict=True))
        if not b.noisy and not z.noisy
    ]
    messages = ratio(runs, clean, bare.message_cpu_us, zoryx.message_cpu_us, "messages")
    commands = ratio(runs, clean, bare.command_cpu_us, zoryx.command_cpu_us, "commands")
    counts_ok = all(
        r.counted.get("messages_seen") == r.counted.get("messages_expected")
        and r.counted.get("commands_seen") == r.counted.get("commands_expected")
        for r in runs["zoryx"]
    )
    return Verdict(
        clean_rounds=[i + 1 for i in clean],
        messages=messages,
        commands=commands,
        counts_ok=counts_ok,
        goal=GOAL_RATIO,
        met=messages.paired <= GOAL_RATIO and bare.errors + zoryx.errors == 0 and counts_ok,
        command_met=commands.paired <= GOAL_COMMAND_RATIO and bare.errors + zoryx.errors == 0,
    )


# -- output -----------------------------------------------------------------------------------------
def describe_run(run: Run) -> str:
    m, c = run.messages, run.commands
    text = (
        f"  round {run.round + 1} {run.bot:<5}  message {m.bot_cpu_us:7.2f} µs "
        f"({m.bot_cores:4.0%} of a core, {run.chat_rate:,.0f}/s, backlog {run.barrier_ms:.0f} ms)  "
        f"command {c.bot_cpu_us:7.1f} µs ({c.per_second:,.0f}/s, {c.bot_cores:.0%})  "
        f"others {max(m.others_cores, c.others_cores):.2f} cores  errors {run.errors}"
    )
    if run.counted:
        text += (
            f"  seen {run.counted['messages_seen']}/{run.counted['messages_expected']} msgs, "
            f"{run.counted['commands_seen']}/{run.counted['commands_expected']} cmds"
        )
    if run.noisy:
        text += "  * " + "; ".join(run.noise)
    return text


def table(bare: Summary, zoryx: Summary, verdict: Verdict, rounds: int) -> str:
    rows = [
        "| bot   | CPU µs / message | CPU µs / command | commands/s | command p50 ms | p99 ms | errors |",
        "|-------|-----------------:|-----------------:|-----------:|---------------:|-------:|-------:|",
    ]
    for s in (bare, zoryx):
        rows.append(
            f"| {s.bot:<5} | {s.message_cpu_us:>16.2f} | {s.command_cpu_us:>16.1f} "
            f"| {s.commands_per_s:>10,.0f} | {s.command_latency_ms['p50']:>14.2f} "
            f"| {s.command_latency_ms['p99']:>6.2f} | {s.errors:>6} |"
        )
    clean = verdict.clean_rounds
    over = f"{len(clean)} clean of {rounds} rounds" if clean else f"all {rounds} rounds (none clean)"
    rows.append("")
    for name, r, goal, met in (
        ("non-command message", verdict.messages, verdict.goal, verdict.met),
        ("command", verdict.commands, verdict.command_goal, verdict.command_met),
    ):
        sp = r.spread
        rows += [
            f"zoryx / bare CPU per {name}",
            f"  per round: {', '.join(f'{x:.3f}' for x in r.per_round)}",
            f"  min / median / max over the rounds: {sp['min']:.3f} / {sp['median']:.3f} / {sp['max']:.3f}",
            f"  median over {over}: {r.paired:.3f}   goal <= {goal:.2f}   {'MET' if met else 'NOT MET'}",
            f"  ratio of the medians: {r.of_medians:.3f}",
        ]
    if not verdict.counts_ok:
        rows.append("WARNING: the Zoryx bot's metrics did not count every message / command sent (see runs)")
    return "\n".join(rows)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=20_000, help="measured chat messages per run (20000)")
    parser.add_argument(
        "--commands", type=int, default=2000, help="measured !ping round trips per run (2000)"
    )
    parser.add_argument("--repeat", type=int, default=4, help="rounds of bare + zoryx, ABBA (default 4)")
    parser.add_argument(
        "--rate", type=float, default=5000.0, help="chat messages posted per second; 0 = flood (default 5000)"
    )
    parser.add_argument("--warmup-messages", type=int, default=2000, help="unmeasured chat lines (2000)")
    parser.add_argument("--warmup-commands", type=int, default=300, help="unmeasured pings (300)")
    parser.add_argument("--concurrency", type=int, default=32, help="pings in flight (default 32)")
    parser.add_argument("--no-compress", action="store_true", help="gateway sends plain text frames")
    parser.add_argument(
        "--members-intent",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="both bots request the members intent (default: on, Zoryx's default)",
    )
    parser.add_argument(
        "--no-bench-venv",
        action="store_true",
        help="fail when a framework plugin is missing instead of running in .bench-venv",
    )
    parser.add_argument("--guild-ready-timeout", type=float, default=0.05, help="both bots (default 0.05)")
    parser.add_argument(
        "--noise-cores",
        type=float,
        default=NOISE_CORES,
        help=f"other processes' CPU (cores) during a window that marks a run noisy (default {NOISE_CORES})",
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for one pong (60)")
    parser.add_argument("--ready-timeout", type=float, default=60.0, help="seconds for a bot to be ready")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON only")
    args = parser.parse_args(argv)
    if args.messages < 1 or args.commands < 1 or args.repeat < 1 or args.concurrency < 1:
        parser.error("--messages, --commands, --repeat and --concurrency must be >= 1")
    if args.warmup_messages < 0 or args.warmup_commands < 0 or args.rate < 0:
        parser.error("--warmup-messages, --warmup-commands and --rate must be >= 0")
    return args


def run_as_json(run: Run) -> dict[str, object]:
    payload = asdict(run)
    payload["noisy"] = run.noisy
    return payload


def header(args: argparse.Namespace) -> str:
    """What the run is about to measure: sizes, plugins, settings (printed before any figure)."""
    pace = f"{args.rate:,.0f} messages/s" if args.rate else "flooded"
    settings = default_settings()
    settings["intents.members"] = args.members_intent
    senders = senders_needed(args.warmup_commands + args.commands)
    return "\n".join(
        [
            f"per run: {args.messages} chat messages ({pace}) + {args.commands} !ping round trips "
            f"({args.concurrency} in flight), after {args.warmup_messages} + {args.warmup_commands} "
            f"warm-up; {'plain' if args.no_compress else 'zlib-stream'} gateway; {args.repeat} round(s) "
            "of bare and zoryx, ABBA",
            f"zoryx plugins installed: {', '.join(installed_zoryx_plugins()) or 'none'} "
            "(+ the built-ins and the benchmark's extension)",
            f"zoryx settings: {describe_settings(settings)}; "
            f"guild_ready_timeout {args.guild_ready_timeout:g} s",
            "bare discord.py: intents default + message_content"
            + (" + members" if args.members_intent else ""),
            f"{senders} distinct users post the pings in turn (at most 2 each per run)",
            bytecode_note(),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raw_args = sys.argv[1:] if argv is None else argv
    ensure_framework_plugins(__file__, raw_args, use_bench_venv=not args.no_bench_venv)
    runs: dict[str, list[Run]] = {kind: [] for kind in KINDS}
    if not args.json:
        print(header(args), flush=True)
    for index in range(args.repeat):
        # ABBA (bare, zoryx, zoryx, bare, ...): a drift of the machine's speed favours neither bot.
        for kind in KINDS if index % 2 == 0 else KINDS[::-1]:
            run = asyncio.run(run_once(kind, index, args))
            release_emulator()
            runs[kind].append(run)
            if not args.json:
                if kind == "zoryx" and len(runs["zoryx"]) == 1:
                    print(
                        f"  zoryx reported: plugins loaded {', '.join(run.plugins) or 'none'}; "
                        f"{describe_settings(run.settings) if run.settings else 'no settings line'}",
                        flush=True,
                    )
                print(describe_run(run), flush=True)
    bare, zoryx = summarise("bare", runs["bare"]), summarise("zoryx", runs["zoryx"])
    verdict = judge(runs, bare, zoryx)
    if args.json:
        options = {k: v for k, v in vars(args).items() if k != "json"}
        document = {
            "options": options,
            "bare": asdict(bare),
            "zoryx": asdict(zoryx),
            "verdict": asdict(verdict),
            "runs": [run_as_json(r) for kind in KINDS for r in runs[kind]],
        }
        print(json.dumps(document, indent=2))
        return 0
    print(f"\nmedians over {args.repeat} runs each (bot process CPU only):\n")
    print(table(bare, zoryx, verdict, args.repeat))
    print(
        f"emulator + driver CPU (this process, not counted above): {bare.message_emulator_cpu_us:.1f} / "
        f"{zoryx.message_emulator_cpu_us:.1f} µs per message, {bare.command_emulator_cpu_us:.1f} / "
        f"{zoryx.command_emulator_cpu_us:.1f} µs per command (bare / zoryx runs)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
