"""``!ping`` throughput on the emulator: a ZoryxBot with its plugins vs a bare discord.py bot, same run.

Both bots run in a child process against an emulator in this process, under the closed-loop load
of ``bench/ping_roundtrip.py`` (its ``Load`` driver is reused): ``--concurrency`` users, each in
its own channel, post ``!ping`` and wait for ``pong`` before posting again.

- bare: ``bench/ping_bot.py``, a ``commands.Bot`` with one ``ping`` command;
- zoryx: ``bench/zoryx_ping_bot.py``, a ``ZoryxBot`` (an ``AutoShardedBot``) with Zoryx's default
  settings (default per-user cooldown on, members intent on) loading every installed plugin
  (every framework plugin of ``plugins/`` is required: see ``bench/bench_env.py``) plus a
  single-file extension that adds ``ping`` in a cog and implements ``zoryx_command_executed`` (so
  every command also goes through the hook fan-out).

Both bots have the same intents (default + members + message_content; ``--no-members-intent``
drops members for both). Each ping is posted by the next of enough distinct guild members that no
user sends more than two pings in a run, so the default cooldown (3 uses per 5 s per user) is never
reached. The plugins and settings in force are printed first.

The two alternate for ``--repeat`` rounds in ABBA order (bare, zoryx, zoryx, bare, ...); each run
has a fresh emulator and bot process, a warm-up, then ``--messages`` measured round trips. Figures
are medians over the runs of each bot. The primary figure is the ratio zoryx / bare of bot CPU
per command, per round (the two runs of a round are adjacent in time), reported as min / median /
max over the rounds: it is the steadiest figure on a shared machine (goal <= 1.10). The
throughput goal, zoryx / bare >= 0.90, is judged on the median of the per-round ratios over the
rounds where **both** bots were CPU-bound (used >= 85% of a core; a run below that was slowed by
something else on the machine, since the bot is the bottleneck otherwise, and is marked ``*``);
with no such round it is not judged.

    python bench/zoryx_ping.py                 # 10 rounds of bare + zoryx, 3000 messages each
    python bench/zoryx_ping.py --repeat 20 --json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil  # type: ignore[import-untyped,unused-ignore]
from bench_env import (
    bytecode_note,
    default_settings,
    describe_settings,
    ensure_framework_plugins,
    installed_zoryx_plugins,
    senders_needed,
)
from ping_roundtrip import Load, cpu_seconds, percentile, start_bot_process

from zoryx_core.testing import DiscordEmulator

HERE = Path(__file__).resolve().parent
BARE_SCRIPT = HERE / "ping_bot.py"
ZORYX_SCRIPT = HERE / "zoryx_ping_bot.py"
ZORYX_SCRIPTS = (ZORYX_SCRIPT, HERE / "message_cost_bot.py")  # both print PLUGINS and SETTINGS
TOKEN_ENV = "ZORYX_BENCH_TOKEN"
READY_LINE = b"READY"
GOAL_RATIO = 0.90  # zoryx / bare throughput, at least
GOAL_CPU_RATIO = 1.10  # zoryx / bare bot CPU per command, at most
SATURATED = 0.85  # below this share of a core the bot was not the bottleneck of its run


@dataclass
class Run:
    bot: str  # "bare" or "zoryx"
    round: int
    messages: int
    errors: int
    wall_s: float
    round_trips_per_s: float
    latency_ms: dict[str, float]
    bot_cpu_ms_per_msg: float
    bot_cpu_utilisation: float
    hook_events: int | None = None  # zoryx only: zoryx_command_executed calls the extension saw
    expected_hook_events: int | None = None
    plugins: list[str] = field(default_factory=list)
    settings: dict[str, object] = field(default_factory=dict)  # zoryx: as the bot reported them
    senders: int = 0  # distinct users who posted the pings


@dataclass
class Summary:
    bot: str
    runs: int
    errors: int
    round_trips_per_s: float
    latency_ms: dict[str, float]
    bot_cpu_ms_per_msg: float


# -- child processes ------------------------------------------------------------------------------
async def start_child(
    emu: DiscordEmulator,
    script: Path,
    extra: list[str],
    ready_timeout: float,
    launcher: Sequence[str] = (),
) -> tuple[asyncio.subprocess.Process, list[str]]:
    """Starts a bot script; returns it once it printed READY, with the lines a Zoryx bot prints
    right after READY (``PLUGINS ...``, ``SETTINGS ...``)."""
    proc = await start_bot_process(emu, ready_timeout, script, extra, launcher)
    assert proc.stdout is not None
    try:
        after: list[str] = []
        if script in ZORYX_SCRIPTS:
            async with asyncio.timeout(ready_timeout):
                while not after or not after[-1].startswith("SETTINGS"):
                    line = (await proc.stdout.readline()).decode()
                    if not line:
                        break
                    after.append(line.strip())
        return proc, after
    except BaseException:
        await stop_child(proc)
        raise


async def stop_child(proc: asyncio.subprocess.Process) -> list[str]:
    """SIGTERM, then everything the child printed until it exited."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
    lines: list[str] = []
    try:
        async with asyncio.timeout(15):
            if proc.stdout is not None:
                lines = (await proc.stdout.read()).decode().splitlines()
            await proc.wait()
    except TimeoutError:
        proc.kill()
        await proc.wait()
    return lines


# -- one run --------------------------------------------------------------------------------------
async def run_once(bot_kind: str, index: int, args: argparse.Namespace) -> Run:
    async with DiscordEmulator() as emu:
        emu.gateway.compression_enabled = not args.no_compress
        users = [emu.create_user(f"pinger-{i}") for i in range(args.concurrency)]
        senders = [emu.create_user(f"sender-{i}") for i in range(senders_needed(args.warmup + args.messages))]
        names = [f"bench-{i}" for i in range(args.concurrency)]
        guild = emu.create_guild("Bench", text_channels=names, members=users + senders)
        pairs = [(user, emu.channel_named(guild, name)) for user, name in zip(users, names, strict=True)]
        load = Load(emu, pairs, args.timeout, senders)

        extra = ["--guild-ready-timeout", str(args.guild_ready_timeout)]
        if bot_kind == "zoryx":
            script = ZORYX_SCRIPT
            extra += ["--hook-style", args.hook_style]
            extra.append("--members-intent" if args.members_intent else "--no-members-intent")
        else:
            script = BARE_SCRIPT
            if args.members_intent:
                extra.append("--members-intent")
        proc, after_ready = await start_child(emu, script, extra, args.ready_timeout)
        try:
            child = psutil.Process(proc.pid)
            if args.warmup:
                _, warm_errors = await load.run(args.warmup)
                if warm_errors:
                    raise RuntimeError(f"{bot_kind}: {warm_errors} of {args.warmup} warm-up pings unanswered")
            cpu0, wall0 = cpu_seconds(child), time.perf_counter()
            latencies, errors = await load.run(args.messages)
            wall = time.perf_counter() - wall0
            cpu = cpu_seconds(child) - cpu0
        finally:
            tail = await stop_child(proc)

    done = len(latencies)
    latencies.sort()
    run = Run(
        bot=bot_kind,
        round=index,
        messages=done,
        errors=errors,
        wall_s=round(wall, 4),
        round_trips_per_s=round(done / wall, 1),
        latency_ms={
            "p50": round(percentile(latencies, 50) * 1000, 3),
            "p99": round(percentile(latencies, 99) * 1000, 3),
        },
        bot_cpu_ms_per_msg=round(cpu * 1000 / max(done, 1), 4),
        bot_cpu_utilisation=round(cpu / wall, 3),
        senders=len(senders),
    )
    if bot_kind == "zoryx":
        plugins_line = next((line for line in after_ready if line.startswith("PLUGINS")), "PLUGINS")
        run.plugins = plugins_line.split()[1:]
        settings_line = next((line for line in after_ready if line.startswith("SETTINGS ")), "SETTINGS {}")
        run.settings = json.loads(settings_line.split(" ", 1)[1])
        counted = [line for line in tail if line.startswith("HOOK_EVENTS ")]
        run.hook_events = int(counted[-1].split()[1]) if counted else None
        run.expected_hook_events = args.warmup + done
    return run


def summarise(bot_kind: str, runs: list[Run]) -> Summary:
    def med(values: list[float]) -> float:
        return round(statistics.median(values), 3)

    return Summary(
        bot=bot_kind,
        runs=len(runs),
        errors=sum(r.errors for r in runs),
        round_trips_per_s=round(statistics.median(r.round_trips_per_s for r in runs), 1),
        latency_ms={k: med([r.latency_ms[k] for r in runs]) for k in runs[0].latency_ms},
        bot_cpu_ms_per_msg=med([r.bot_cpu_ms_per_msg for r in runs]),
    )


def describe_run(run: Run) -> str:
    text = (
        f"  round {run.round + 1} {run.bot:<5} {run.round_trips_per_s:>7.0f} round trips/s  "
        f"p50 {run.latency_ms['p50']:6.2f} ms  p99 {run.latency_ms['p99']:6.2f} ms  "
        f"bot CPU {run.bot_cpu_ms_per_msg:.3f} ms/msg ({run.bot_cpu_utilisation:.0%} of a core)  "
        f"errors {run.errors}"
    )
    if run.bot_cpu_utilisation < SATURATED:
        text += "  *"
    if run.bot == "zoryx":
        text += f"  hook events {run.hook_events}/{run.expected_hook_events}"
    return text


@dataclass
class Verdict:
    cpu_ratio_per_round: list[float]  # zoryx / bare bot CPU per command, each round
    cpu_ratio: dict[str, float]  # min / median / max of cpu_ratio_per_round: the primary figure
    cpu_met: bool
    ratio_of_medians: float  # median zoryx throughput / median bare throughput
    ratio_per_round: list[float]  # zoryx / bare throughput of each round
    clean_rounds: list[int]  # rounds in which both bots used >= SATURATED of a core (1-based)
    paired_ratio: float | None  # median of ratio_per_round over the clean rounds; None: none clean
    met: bool | None  # throughput goal; None when no round was clean (not judged)


def spread(values: list[float]) -> dict[str, float]:
    return {
        "min": round(min(values), 3),
        "median": round(statistics.median(values), 3),
        "max": round(max(values), 3),
    }


def judge(runs: dict[str, list[Run]], bare: Summary, zoryx: Summary) -> Verdict:
    """Ratios are taken per round (the two runs of a round are next to each other in time, so a slow
    patch of the shared machine hits both). CPU per command counts every round; the throughput
    verdict only the rounds where both bots were CPU-bound, as throughput means nothing otherwise."""
    pairs = list(zip(runs["bare"], runs["zoryx"], strict=True))
    cpu_per_round = [round(z.bot_cpu_ms_per_msg / b.bot_cpu_ms_per_msg, 3) for b, z in pairs]
    per_round = [round(z.round_trips_per_s / b.round_trips_per_s, 3) for b, z in pairs]
    clean = [
        i for i, (b, z) in enumerate(pairs) if min(b.bot_cpu_utilisation, z.bot_cpu_utilisation) >= SATURATED
    ]
    errors = bare.errors + zoryx.errors
    paired = round(statistics.median(per_round[i] for i in clean), 3) if clean else None
    cpu = spread(cpu_per_round)
    return Verdict(
        cpu_ratio_per_round=cpu_per_round,
        cpu_ratio=cpu,
        cpu_met=cpu["median"] <= GOAL_CPU_RATIO and errors == 0,
        ratio_of_medians=round(zoryx.round_trips_per_s / bare.round_trips_per_s, 3),
        ratio_per_round=per_round,
        clean_rounds=[i + 1 for i in clean],
        paired_ratio=paired,
        met=None if paired is None else paired >= GOAL_RATIO and errors == 0,
    )


def table(bare: Summary, zoryx: Summary, verdict: Verdict) -> str:
    rows = [
        "| bot   | round trips/s | p50 ms | p99 ms | bot CPU ms/cmd | errors |",
        "|-------|--------------:|-------:|-------:|---------------:|-------:|",
    ]
    for s in (bare, zoryx):
        rows.append(
            f"| {s.bot:<5} | {s.round_trips_per_s:>13,.0f} | {s.latency_ms['p50']:>6.2f} | "
            f"{s.latency_ms['p99']:>6.2f} | {s.bot_cpu_ms_per_msg:>14.3f} | {s.errors:>6} |"
        )
    rounds = len(verdict.ratio_per_round)
    cpu = verdict.cpu_ratio
    if verdict.met is None:
        throughput = f"not judged: no round of {rounds} had both bots CPU-bound (>= {SATURATED:.0%})"
    else:
        throughput = (
            f"{verdict.paired_ratio:.3f} (median of the {len(verdict.clean_rounds)} rounds of {rounds} with "
            f"both bots CPU-bound: {', '.join(map(str, verdict.clean_rounds))})   goal >= {GOAL_RATIO:.2f}   "
            f"{'MET' if verdict.met else 'NOT MET'}"
        )
    rows += [
        "",
        f"{'zoryx / bare bot CPU per command (primary)':<48}"
        f"min {cpu['min']:.3f}  median {cpu['median']:.3f}  max {cpu['max']:.3f}   "
        f"goal <= {GOAL_CPU_RATIO:.2f}   {'MET' if verdict.cpu_met else 'NOT MET'}",
        f"{'  per round':<48}{', '.join(f'{r:.3f}' for r in verdict.cpu_ratio_per_round)}",
        f"{'zoryx / bare throughput':<48}{throughput}",
        f"{'  per round':<48}{', '.join(f'{r:.3f}' for r in verdict.ratio_per_round)}",
        f"{'  ratio of the medians (all rounds)':<48}{verdict.ratio_of_medians:.3f}",
    ]
    return "\n".join(rows)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=3000, help="measured round trips per run (3000)")
    parser.add_argument("--concurrency", type=int, default=32, help="pings in flight (default 32)")
    parser.add_argument("--warmup", type=int, default=500, help="unmeasured round trips per run (500)")
    parser.add_argument("--repeat", type=int, default=10, help="rounds of bare + zoryx (default 10)")
    parser.add_argument("--no-compress", action="store_true", help="gateway sends plain text frames")
    parser.add_argument(
        "--hook-style",
        choices=("sync", "async"),
        default="sync",
        help="the Zoryx extension's zoryx_command_executed implementation (default sync)",
    )
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
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for one pong")
    parser.add_argument("--ready-timeout", type=float, default=60.0, help="seconds for a bot to be ready")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON only")
    args = parser.parse_args(argv)
    if args.messages < 1 or args.concurrency < 1 or args.repeat < 1 or args.warmup < 0:
        parser.error("--messages, --concurrency and --repeat must be >= 1, --warmup >= 0")
    return args


def header(args: argparse.Namespace) -> str:
    """What the run is about to measure: plugins, settings, users (printed before any figure)."""
    settings = default_settings()
    settings["intents.members"] = args.members_intent
    settings["startup.guild_ready_timeout"] = args.guild_ready_timeout
    senders = senders_needed(args.warmup + args.messages)
    return "\n".join(
        [
            f"!ping closed loop: {args.messages} measured + {args.warmup} warm-up round trips per run, "
            f"{args.concurrency} in flight, {'plain' if args.no_compress else 'zlib-stream'} gateway, "
            f"{args.repeat} rounds of bare and zoryx, ABBA",
            f"zoryx plugins installed: {', '.join(installed_zoryx_plugins()) or 'none'} "
            f"(+ the built-ins and the benchmark's extension, hook {args.hook_style})",
            f"zoryx settings: {describe_settings(settings)}; "
            f"guild_ready_timeout {args.guild_ready_timeout:g} s",
            f"bare discord.py: intents default + message_content"
            f"{' + members' if args.members_intent else ''}, no cooldown",
            f"{senders} distinct users post the pings in turn (at most 2 each per run)",
            bytecode_note(),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raw_args = sys.argv[1:] if argv is None else argv
    ensure_framework_plugins(__file__, raw_args, use_bench_venv=not args.no_bench_venv)
    runs: dict[str, list[Run]] = {"bare": [], "zoryx": []}
    if not args.json:
        print(header(args), flush=True)
    for index in range(args.repeat):
        # ABBA order (bare, zoryx, zoryx, bare, ...) so a drift in the machine's speed over the
        # run does not always favour the same bot.
        for kind in ("bare", "zoryx") if index % 2 == 0 else ("zoryx", "bare"):
            run = asyncio.run(run_once(kind, index, args))
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
    hooks_ok = all(r.hook_events == r.expected_hook_events for r in runs["zoryx"])
    if args.json:
        print(
            json.dumps(
                {
                    "bare": asdict(bare),
                    "zoryx": asdict(zoryx),
                    "verdict": asdict(verdict),
                    "goal": GOAL_RATIO,
                    "hook_events_ok": hooks_ok,
                    "runs": [asdict(r) for r in runs["bare"] + runs["zoryx"]],
                },
                indent=2,
            )
        )
        return 0
    print(f"\nmedians over {args.repeat} runs each:\n")
    print(table(bare, zoryx, verdict))
    print(
        f"{'zoryx_command_executed once per command':<48}"
        + ("yes (extension counted every ping)" if hooks_ok else "NO: counts differ, see the runs above")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
