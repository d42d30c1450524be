"""Instructions per ``!ping`` round trip: the emulator (with the load driver) vs the bot, under callgrind.

``ping_roundtrip.py`` compares CPU seconds, and on a shared 2-core machine that ratio moves from
0.35 to over 1.0 between identical runs: when something else slows the bot, it reads more messages
per wake-up and its CPU per message falls, while the emulator's rises. This benchmark counts the
instructions each side retires instead, which the machine's other load does not change: the
emulator and the driver run in this process, the unmodified discord.py bot (``ping_bot.py``) in a
child, both under ``valgrind --tool=callgrind`` with collection off until the warm-up is done, then
on for ``--messages`` round trips with ``--concurrency`` pings in flight (``callgrind_control``).
Both sides run ~50x slower, so the load keeps its shape. What instructions leave out is the time
spent in the kernel (socket system calls: about 15 % of the emulator's CPU time, 6 % of the bot's)
and how fast each instruction runs.

The script starts itself again under valgrind when it is not already running under it.

    python bench/emulator_instructions.py                     # 1000 round trips, 32 in flight, zstd
    python bench/emulator_instructions.py --no-compress --concurrency 1
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import callgrind
from ping_roundtrip import Load, start_bot_process, stop_bot_process

from zoryx_core.testing import DiscordEmulator

UNDER_VALGRIND = "ZORYX_BENCH_UNDER_CALLGRIND"
TARGET_RATIO = 0.5


async def measure(args: argparse.Namespace, folder: Path) -> tuple[int, int]:
    async with DiscordEmulator() as emu:
        emu.gateway.compression_enabled = not args.no_compress
        users = [emu.create_user(f"pinger-{i}") for i in range(args.concurrency)]
        names = [f"bench-{i}" for i in range(args.concurrency)]
        guild = emu.create_guild("Bench", text_channels=names, members=users)
        pairs = [(user, emu.channel_named(guild, name)) for user, name in zip(users, names, strict=True)]
        load = Load(emu, pairs, timeout=120.0)
        bot = await start_bot_process(emu, 600.0, launcher=callgrind.launcher(folder, "bot"))
        try:
            await load.run(args.warmup)
            me = os.getpid()
            await callgrind.control(bot.pid, "--instr=on")
            await callgrind.control(me, "--instr=on")
            _, errors = await load.run(args.messages)
            await callgrind.control(me, "--instr=off")
            await callgrind.control(bot.pid, "--instr=off")
            if errors:
                raise RuntimeError(f"{errors} of {args.messages} pings unanswered")
            emulator = await callgrind.dumped_total(me, folder, "emulator")
            return emulator, await callgrind.dumped_total(bot.pid, folder, "bot")
        finally:
            await stop_bot_process(bot)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=1000, help="counted round trips (1000)")
    parser.add_argument("--warmup", type=int, default=100, help="uncounted round trips first (100)")
    parser.add_argument("--concurrency", type=int, default=32, help="pings in flight (32)")
    parser.add_argument("--no-compress", action="store_true", help="gateway sends plain text frames")
    args = parser.parse_args()
    if not callgrind.available():
        print("emulator_instructions: needs valgrind and callgrind_control on PATH (apt install valgrind)")
        return 2
    folder = Path(os.environ.get(UNDER_VALGRIND, ""))
    if not os.environ.get(UNDER_VALGRIND):
        with tempfile.TemporaryDirectory(prefix="zoryx-callgrind-") as temporary:
            env = {**os.environ, UNDER_VALGRIND: temporary}
            command = [*callgrind.launcher(Path(temporary), "emulator"), sys.executable, *sys.argv]
            return subprocess.run(command, env=env, check=False).returncode
    emulator, bot = asyncio.run(measure(args, folder))
    ratio = emulator / bot
    verdict = "PASS" if ratio < TARGET_RATIO else "FAIL"
    mode = "uncompressed" if args.no_compress else "compressed (zstd-stream when installed)"
    print(
        f"{args.messages} round trips, {args.concurrency} in flight, gateway {mode}\n"
        f"  emulator + driver   {emulator / args.messages:>12,.0f} instructions per round trip\n"
        f"  bot                 {bot / args.messages:>12,.0f} instructions per round trip\n"
        f"  emulator / bot      {ratio:.3f}  target < {TARGET_RATIO}  {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
