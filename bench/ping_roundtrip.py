"""Round trips of ``!ping`` -> ``pong`` through the Discord emulator, with CPU split by process.

The emulator and the load driver (the users who send ``!ping`` and wait for each ``pong``) run in
this process; an unmodified discord.py bot (``bench/ping_bot.py``) runs in a child process and
reaches the emulator over real sockets: gateway WebSocket for MESSAGE_CREATE, REST for its reply.

The load is a closed loop: ``--concurrency`` workers, each with its own user and text channel,
send ``!ping`` and wait for the bot's reply before sending the next, until ``--messages`` round
trips are done. A warm-up of ``--warmup`` round trips comes first and is not measured. Over the
measured window the script reads the bot process's CPU seconds (psutil on the child pid) and this
process's CPU seconds (``time.process_time()``: the emulator *and* the load driver).

    python bench/ping_roundtrip.py                  # 2000 messages, 32 in flight, compression on
    python bench/ping_roundtrip.py --both --json    # compressed and uncompressed, as JSON

The target is emulator CPU per message < 0.5 x bot CPU per message; PASS/FAIL is printed, and the
exit code is 0 either way unless ``--strict``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import math
import os
import pstats
import signal
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import discord
import psutil  # type: ignore[import-untyped,unused-ignore]

from zoryx_core.testing import Channel, DiscordEmulator, User
from zoryx_core.testing.compression import SUPPORTED
from zoryx_core.testing.jsoncodec import USING_ORJSON

BOT_SCRIPT = Path(__file__).with_name("ping_bot.py")
TOKEN_ENV = "ZORYX_BENCH_TOKEN"
READY_LINE = b"READY"
TARGET_RATIO = 0.5


@dataclass
class Options:
    messages: int = 2000
    concurrency: int = 32
    warmup: int = 500
    compress: bool = True
    timeout: float = 10.0
    ready_timeout: float = 30.0
    profile: str | None = None


@dataclass
class Result:
    compress: bool
    messages: int
    concurrency: int
    warmup: int
    errors: int
    wall_s: float
    round_trips_per_s: float
    latency_ms: dict[str, float]
    bot_cpu_ms_per_msg: float
    emulator_cpu_ms_per_msg: float
    ratio: float
    target_ratio: float
    passed: bool
    bot_cpu_utilisation: float  # CPU seconds / wall seconds over the window (1.0 = one core)
    emulator_cpu_utilisation: float
    notes: list[str] = field(default_factory=list)


# -- the load driver --------------------------------------------------------------------------------
class Load:
    """A closed loop of ``concurrency`` workers; each owns one (user, channel) pair.

    With ``senders``, each ping is posted by the next user of that list instead (round robin over
    all workers), so that a per-user cooldown sees each user only a few times."""

    def __init__(
        self,
        emu: DiscordEmulator,
        pairs: list[tuple[User, Channel]],
        timeout: float,
        senders: Sequence[User] = (),
    ) -> None:
        self.emu = emu
        self.pairs = pairs
        self.timeout = timeout
        self.senders = list(senders)
        self.next_sender = 0

    async def run(self, total: int) -> tuple[list[float], int]:
        """Sends ``total`` pings; returns each round trip's latency (seconds) and the error count."""
        latencies: list[float] = []
        errors = 0
        remaining = total

        async def worker(user: User, channel: Channel) -> None:
            nonlocal remaining, errors
            emu = self.emu
            while remaining > 0:
                remaining -= 1
                author = user
                if self.senders:
                    author = self.senders[self.next_sender % len(self.senders)]
                    self.next_sender += 1
                started = time.perf_counter()
                try:
                    sent = await emu.send_message(channel, author, "!ping")
                    # One channel per worker, one ping in flight per channel: the first bot message
                    # after ours is the answer to it.
                    reply = await emu.wait_for_message(channel, after=sent, timeout=self.timeout)
                except TimeoutError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - started)
                if reply.content != "pong":
                    errors += 1

        await asyncio.gather(*(worker(user, channel) for user, channel in self.pairs))
        return latencies, errors


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


# -- the bot process ----------------------------------------------------------------------------------
async def start_bot_process(
    emu: DiscordEmulator,
    ready_timeout: float,
    script: Path = BOT_SCRIPT,
    extra: Sequence[str] = (),
    launcher: Sequence[str] = (),
) -> asyncio.subprocess.Process:
    """Starts a bot script pointed at ``emu`` and returns once it printed the READY line.

    ``launcher`` goes before the interpreter on the command line (e.g. ``valgrind ...``)."""
    env = dict(os.environ)
    env[TOKEN_ENV] = emu.token
    proc = await asyncio.create_subprocess_exec(
        *launcher,
        sys.executable,
        str(script),
        "--api-url",
        emu.api_url,
        "--gateway-url",
        emu.gateway_url,
        *extra,
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(ready_timeout):
            while True:
                line = await proc.stdout.readline()
                if not line:
                    code = await proc.wait()
                    raise RuntimeError(f"{script.name} exited before it was ready (code {code})")
                if line.strip() == READY_LINE:
                    return proc
    except BaseException:
        await stop_bot_process(proc)
        raise


async def stop_bot_process(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()


# -- one run ------------------------------------------------------------------------------------------
async def run_once(opts: Options) -> Result:
    async with DiscordEmulator() as emu:
        emu.gateway.compression_enabled = opts.compress
        users = [emu.create_user(f"pinger-{i}") for i in range(opts.concurrency)]
        names = [f"bench-{i}" for i in range(opts.concurrency)]
        guild = emu.create_guild("Bench", text_channels=names, members=users)
        pairs = [(user, emu.channel_named(guild, name)) for user, name in zip(users, names, strict=True)]
        load = Load(emu, pairs, opts.timeout)

        proc = await start_bot_process(emu, opts.ready_timeout)
        try:
            bot = psutil.Process(proc.pid)
            if opts.warmup:
                _, warm_errors = await load.run(opts.warmup)
                if warm_errors:
                    raise RuntimeError(f"{warm_errors} of {opts.warmup} warm-up pings got no pong")

            profiler = cProfile.Profile() if opts.profile else None
            bot_cpu0, emu_cpu0, wall0 = cpu_seconds(bot), time.process_time(), time.perf_counter()
            if profiler is not None:
                profiler.enable()
            latencies, errors = await load.run(opts.messages)
            if profiler is not None:
                profiler.disable()
            wall = time.perf_counter() - wall0
            bot_cpu, emu_cpu = cpu_seconds(bot) - bot_cpu0, time.process_time() - emu_cpu0
        finally:
            await stop_bot_process(proc)

    if profiler is not None and opts.profile:
        profiler.dump_stats(opts.profile)
    done = len(latencies)
    latencies.sort()
    bot_ms = bot_cpu * 1000 / max(done, 1)
    emu_ms = emu_cpu * 1000 / max(done, 1)
    ratio = emu_ms / bot_ms if bot_ms else math.inf
    notes = ["emulator CPU includes the load driver (same process)"]
    if opts.profile:
        notes.append(f"cProfile was on in the emulator process (slows it down); stats in {opts.profile}")
    return Result(
        compress=opts.compress,
        messages=done,
        concurrency=opts.concurrency,
        warmup=opts.warmup,
        errors=errors,
        wall_s=round(wall, 4),
        round_trips_per_s=round(done / wall, 1),
        latency_ms={
            "p50": round(percentile(latencies, 50) * 1000, 3),
            "p95": round(percentile(latencies, 95) * 1000, 3),
            "p99": round(percentile(latencies, 99) * 1000, 3),
            "max": round(latencies[-1] * 1000, 3) if latencies else math.nan,
        },
        bot_cpu_ms_per_msg=round(bot_ms, 4),
        emulator_cpu_ms_per_msg=round(emu_ms, 4),
        ratio=round(ratio, 3),
        target_ratio=TARGET_RATIO,
        passed=ratio < TARGET_RATIO and errors == 0,
        bot_cpu_utilisation=round(bot_cpu / wall, 3),
        emulator_cpu_utilisation=round(emu_cpu / wall, 3),
        notes=notes,
    )


def report(result: Result) -> str:
    lat = result.latency_ms
    # discord.py asks for zstd-stream when a zstd library is installed, zlib-stream otherwise
    mode = (
        ("zstd-stream" if "zstd-stream" in SUPPORTED and discord.utils._ZSTD_SOURCE else "zlib-stream")
        if result.compress
        else "uncompressed"
    )
    codec = "orjson" if USING_ORJSON else "stdlib"  # both ends: emulator and discord.py
    verdict = "PASS" if result.passed else "FAIL"
    return "\n".join(
        [
            f"ping round trips ({mode} gateway, {codec} JSON), {result.messages} messages, "
            f"{result.concurrency} in flight, "
            f"warm-up {result.warmup}, errors {result.errors}",
            f"  throughput        {result.round_trips_per_s:>9.0f} round trips/s  ({result.wall_s:.2f} s)",
            f"  latency ms        p50 {lat['p50']:.2f}  p95 {lat['p95']:.2f}  p99 {lat['p99']:.2f}  "
            f"max {lat['max']:.2f}",
            f"  bot CPU           {result.bot_cpu_ms_per_msg:>9.3f} ms/message  "
            f"({result.bot_cpu_utilisation:.0%} of a core)",
            f"  emulator CPU      {result.emulator_cpu_ms_per_msg:>9.3f} ms/message  "
            f"({result.emulator_cpu_utilisation:.0%} of a core; includes the load driver)",
            f"  emulator / bot    {result.ratio:>9.3f}  target < {result.target_ratio}  {verdict}",
        ]
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=2000, help="measured round trips (default 2000)")
    parser.add_argument("--concurrency", type=int, default=32, help="pings in flight (default 32)")
    parser.add_argument("--warmup", type=int, default=500, help="unmeasured round trips first (default 500)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--no-compress", action="store_true", help="gateway sends plain text frames")
    mode.add_argument("--both", action="store_true", help="run with zlib-stream, then without")
    parser.add_argument("--repeat", type=int, default=1, help="runs per mode; figures are their median")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for one pong")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON only")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the ratio target is missed")
    parser.add_argument(
        "--profile", metavar="FILE", help="cProfile the emulator process (slows it), write pstats to FILE"
    )
    args = parser.parse_args(argv)
    if args.messages < 1 or args.concurrency < 1 or args.repeat < 1 or args.warmup < 0:
        parser.error("--messages, --concurrency and --repeat must be >= 1, --warmup >= 0")
    return args


def summarise(runs: list[Result]) -> Result:
    """The median of each figure over repeated runs (one run is returned as it is)."""
    if len(runs) == 1:
        return runs[0]

    def med(values: list[float]) -> float:
        return round(statistics.median(values), 4)

    ratio = med([r.ratio for r in runs])
    errors = sum(r.errors for r in runs)
    return Result(
        compress=runs[0].compress,
        messages=runs[0].messages,
        concurrency=runs[0].concurrency,
        warmup=runs[0].warmup,
        errors=errors,
        wall_s=med([r.wall_s for r in runs]),
        round_trips_per_s=round(statistics.median(r.round_trips_per_s for r in runs), 1),
        latency_ms={k: med([r.latency_ms[k] for r in runs]) for k in runs[0].latency_ms},
        bot_cpu_ms_per_msg=med([r.bot_cpu_ms_per_msg for r in runs]),
        emulator_cpu_ms_per_msg=med([r.emulator_cpu_ms_per_msg for r in runs]),
        ratio=ratio,
        target_ratio=TARGET_RATIO,
        passed=ratio < TARGET_RATIO and errors == 0,
        bot_cpu_utilisation=med([r.bot_cpu_utilisation for r in runs]),
        emulator_cpu_utilisation=med([r.emulator_cpu_utilisation for r in runs]),
        notes=[*runs[0].notes, f"median of {len(runs)} runs, each with a fresh emulator and bot process"],
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    modes = [True, False] if args.both else [not args.no_compress]
    summaries: list[Result] = []
    runs_by_mode: list[list[Result]] = []
    for compress in modes:
        runs: list[Result] = []
        for index in range(args.repeat):
            profile = args.profile
            if profile and (args.both or args.repeat > 1):
                profile = f"{profile}.{'zlib' if compress else 'plain'}.{index}"
            opts = Options(
                messages=args.messages,
                concurrency=args.concurrency,
                warmup=args.warmup,
                compress=compress,
                timeout=args.timeout,
                profile=profile,
            )
            result = asyncio.run(run_once(opts))
            runs.append(result)
            if not args.json:
                if args.repeat > 1:
                    print(f"[run {index + 1}/{args.repeat}]")
                print(report(result), flush=True)
                if profile:
                    print(f"\ntop of the emulator-side profile ({profile}):")
                    pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        summary = summarise(runs)
        summaries.append(summary)
        runs_by_mode.append(runs)
        if not args.json and args.repeat > 1:
            print(f"[median of {args.repeat} runs]")
            print(report(summary), flush=True)
    if args.json:
        payloads = []
        for summary, runs in zip(summaries, runs_by_mode, strict=True):
            payload = asdict(summary)
            if len(runs) > 1:
                payload["runs"] = [asdict(r) for r in runs]
            payloads.append(payload)
        print(json.dumps(payloads if args.both else payloads[0], indent=2))
    if args.strict and not all(r.passed for r in summaries):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
