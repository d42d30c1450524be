"""Machine instructions per ``!ping``: a ZoryxBot with every plugin vs bare discord.py, under callgrind.

CPU seconds on a shared 2-core machine move by +-20 % between rounds, which is more than the
10 % a per-command goal is about. Instructions retired do not depend on the machine's other load,
so this benchmark counts them: each bot runs in a child process under ``valgrind --tool=callgrind``
with collection switched off, against an emulator in this process (the bots and their settings are
those of ``bench/zoryx_ping.py``: Zoryx's defaults, every framework plugin installed, a ``!ping``
extension implementing ``zoryx_command_executed``; bare discord.py with one ``ping`` command).

For each bot: start and warm up (``--warmup`` pings), then two windows with collection on
(``callgrind_control -i on/off``, totals read from a dump after each):

- idle: ``--idle`` seconds with no traffic (heartbeats, the plugins' timers);
- load: ``--messages`` pings, one at a time (a closed loop of one user: no batching of reads, so
  the count per command does not depend on how busy the bot was).

- chat: ``--chat`` lines that are no command (posted by the senders in turn without waiting), then
  one ping whose ``pong`` proves every line was handled.

Instructions per command = (load - idle rate x load window's length) / messages: under valgrind
the bot runs ~50x slower, so its timers fire ~50x more often per command than natively, and that
share is taken out. Instructions per chat line = (chat - idle share - one command) / lines. The
ratios zoryx / bare are printed beside the goals of ``bench/zoryx_ping.py`` (bot CPU per command
<= 1.10x bare) and ``bench/message_cost.py`` (per message that is no command <= 1.05x).
``--repeat`` runs both bots several times (ABBA); the counts move by well under 1 % between runs.

Needs valgrind (``apt install valgrind``). Slow: ~2 minutes per round.

    python bench/command_instructions.py                 # 1 round, 300 pings per bot
    python bench/command_instructions.py --repeat 2 --messages 500 --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import callgrind
from bench_env import (
    bytecode_note,
    default_settings,
    describe_settings,
    ensure_framework_plugins,
    installed_zoryx_plugins,
    senders_needed,
)
from ping_roundtrip import Load
from zoryx_ping import BARE_SCRIPT, GOAL_CPU_RATIO, ZORYX_SCRIPT, start_child, stop_child

from zoryx_core.testing import DiscordEmulator

CHAT_LINE = "hello there, just chatting"
GOAL_CHAT_RATIO = 1.05  # message_cost.py's goal for a message that is no command


@dataclass
class Count:
    bot: str
    round: int
    messages: int
    instructions_per_command: float
    idle_instructions_per_s: float
    load_window_s: float
    idle_share: float  # the part of the load window's count taken out as idle
    chat_lines: int = 0
    instructions_per_chat_line: float = 0.0  # a message that is no command


async def count_once(kind: str, index: int, args: argparse.Namespace) -> Count:
    folder = Path(tempfile.mkdtemp(prefix="zoryx-callgrind-"))
    try:
        async with DiscordEmulator() as emu:
            user = emu.create_user("pinger")
            senders = [
                emu.create_user(f"sender-{i}") for i in range(senders_needed(args.warmup + args.messages))
            ]
            guild = emu.create_guild("Bench", text_channels=["bench"], members=[user, *senders])
            load = Load(emu, [(user, emu.channel_named(guild, "bench"))], args.timeout, senders)
            script = ZORYX_SCRIPT if kind == "zoryx" else BARE_SCRIPT
            extra = ["--guild-ready-timeout", "0.05"]
            extra += ["--members-intent"] if kind == "bare" else ["--hook-style", "sync", "--members-intent"]
            proc, _ = await start_child(
                emu, script, extra, args.ready_timeout, callgrind.launcher(folder, "bot")
            )
            try:
                _, errors = await load.run(args.warmup)
                if errors:
                    raise RuntimeError(f"{kind}: {errors} of {args.warmup} warm-up pings unanswered")
                await callgrind.dumped_total(
                    proc.pid, folder, "bot"
                )  # start-up and warm-up were not collected: empty
                await callgrind.control(proc.pid, "--instr=on")
                started = time.perf_counter()
                await asyncio.sleep(args.idle)
                await callgrind.control(proc.pid, "--instr=off")
                idle_window = time.perf_counter() - started
                idle = await callgrind.dumped_total(proc.pid, folder, "bot")
                await callgrind.control(proc.pid, "--instr=on")
                started = time.perf_counter()
                _, errors = await load.run(args.messages)
                await callgrind.control(proc.pid, "--instr=off")
                window = time.perf_counter() - started
                loaded = await callgrind.dumped_total(proc.pid, folder, "bot")
                if errors:
                    raise RuntimeError(f"{kind}: {errors} of {args.messages} pings unanswered")
                chat, chat_window = 0, 0.0
                if args.chat:
                    # chat lines from the senders in turn, then one ping whose pong proves the bot
                    # has handled every line (one channel: the gateway keeps the order)
                    channel = emu.channel_named(guild, "bench")
                    await callgrind.control(proc.pid, "--instr=on")
                    started = time.perf_counter()
                    for number in range(args.chat):
                        await emu.send_message(channel, senders[number % len(senders)], CHAT_LINE)
                    _, errors = await load.run(1)
                    await callgrind.control(proc.pid, "--instr=off")
                    chat_window = time.perf_counter() - started
                    chat = await callgrind.dumped_total(proc.pid, folder, "bot")
                    if errors:
                        raise RuntimeError(f"{kind}: the ping after the chat lines went unanswered")
            finally:
                await stop_child(proc)
        idle_rate = idle / idle_window
        idle_part = idle_rate * window
        per_command = (loaded - idle_part) / args.messages
        per_line = (chat - idle_rate * chat_window - per_command) / args.chat if args.chat else 0.0
        return Count(
            bot=kind,
            round=index,
            messages=args.messages,
            instructions_per_command=round(per_command),
            idle_instructions_per_s=round(idle_rate),
            load_window_s=round(window, 2),
            idle_share=round(idle_part / loaded, 4),
            chat_lines=args.chat,
            instructions_per_chat_line=round(per_line),
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=300, help="measured pings per bot (300)")
    parser.add_argument("--warmup", type=int, default=100, help="unmeasured pings first (100)")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of the idle window (10)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of bare + zoryx, ABBA (1)")
    parser.add_argument(
        "--chat", type=int, default=300, help="chat lines counted after the pings, 0: none (300)"
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for one pong (60)")
    parser.add_argument("--ready-timeout", type=float, default=600.0, help="seconds to wait for READY (600)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--no-bench-venv",
        action="store_true",
        help="fail when a framework plugin is missing instead of running in .bench-venv",
    )
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> list[Count]:
    counts: list[Count] = []
    for index in range(args.repeat):
        order = ("bare", "zoryx") if index % 2 == 0 else ("zoryx", "bare")
        for kind in order:
            count = await count_once(kind, index, args)
            counts.append(count)
            if not args.json:
                print(
                    f"  round {index + 1} {kind:<5} {count.instructions_per_command:>12,.0f} "
                    "instructions/command"
                    f"  (idle {count.idle_instructions_per_s:,.0f}/s, {count.idle_share:.1%} of the window"
                    f" taken out, {count.load_window_s:.1f} s for {count.messages} pings)"
                    + (
                        f"; {count.instructions_per_chat_line:,.0f} instructions/chat line"
                        if count.chat_lines
                        else ""
                    ),
                    flush=True,
                )
    return counts


def main(argv: list[str] | None = None) -> int:
    raw_args = sys.argv[1:] if argv is None else argv
    args = parse_args(raw_args)
    ensure_framework_plugins(__file__, raw_args, use_bench_venv=not args.no_bench_venv)
    if not callgrind.available():
        print("command_instructions: needs valgrind and callgrind_control on PATH (apt install valgrind)")
        return 2
    if not args.json:
        plugins = ", ".join(installed_zoryx_plugins())
        print(f"zoryx plugins installed: {plugins} (+ the built-ins and a !ping extension)")
        print(f"zoryx settings: {describe_settings(default_settings())}")
        print(bytecode_note())
        print(
            f"one user pinging at a time; {args.warmup} warm-up pings, {args.messages} counted, "
            f"idle window {args.idle:g} s"
        )
    counts = asyncio.run(run(args))
    ratios = per_round(counts, args.repeat, "instructions_per_command")
    chat_ratios = per_round(counts, args.repeat, "instructions_per_chat_line") if args.chat else []
    if args.json:
        document = {
            "counts": [asdict(c) for c in counts],
            "ratios": ratios,
            "goal": GOAL_CPU_RATIO,
            "chat_ratios": chat_ratios,
            "chat_goal": GOAL_CHAT_RATIO,
        }
        print(json.dumps(document, indent=2))
        return 0
    print(verdict_line("command", ratios, GOAL_CPU_RATIO))
    if chat_ratios:
        print(verdict_line("chat line (no command)", chat_ratios, GOAL_CHAT_RATIO))
    return 0


def per_round(counts: list[Count], rounds: int, figure: str) -> list[float]:
    """zoryx / bare of ``figure`` in each round."""
    ratios = []
    for index in range(rounds):
        per_bot = {c.bot: getattr(c, figure) for c in counts if c.round == index}
        ratios.append(round(per_bot["zoryx"] / per_bot["bare"], 3))
    return ratios


def verdict_line(what: str, ratios: list[float], goal: float) -> str:
    median = statistics.median(ratios)
    verdict = "MET" if median <= goal else "NOT MET"
    return (
        f"zoryx / bare instructions per {what}: {', '.join(f'{r:.3f}' for r in ratios)}"
        f" (median {median:.3f})   goal <= {goal:.2f}   {verdict}"
    )


if __name__ == "__main__":
    sys.exit(main())
