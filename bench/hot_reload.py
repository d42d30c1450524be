"""Hot reload latency: from an extension file saved to the new reply seen by a user on the emulator.

The emulator and a ZoryxBot (``make_zoryx_bot``, every installed plugin plus one extension, hot
reload on) run in this process, as in ``tests/test_hot_reload.py``. The extension
``bench_token.py`` adds a ``token`` command that answers a token baked into its source. For each
of ``--edits`` (20) edits the script

1. rewrites the file so that ``token`` answers a new token (``Path.write_text``: open, truncate,
   write, close; ``--atomic`` writes a temporary file and renames it over, as many editors do)
   and takes the time once the file is closed (or renamed): "saved";
2. acts as a user who sends ``!token`` every ``--poll-ms`` (10) ms without waiting for answers,
   while it reads every bot message in the channel in order; the first one carrying the new
   token ends the edit: "reply seen". (A ``!token`` that arrives while the old version is torn
   down and the new one not yet set up gets no answer; the next one does.)
3. waits for the watcher's ``HotReloadResult`` of this edit in ``bot.reloader.results`` and
   pauses ``--gap-ms`` (300) ms so the next save is a separate change.

Latency = reply seen - saved. It includes watchfiles noticing the change and its batching
(``hot_reload.debounce_ms`` is watchfiles' ``debounce``: the longest it groups changes; a batch is
yielded once no new change came for its 20 ms ``step``), the host's reload (discover, tear down,
purge, import from source, set up) and one ``!token`` round trip through the gateway, plus up to
one poll interval. It is measured per debounce setting (``--debounce``, default 300 then 50 ms),
each with a fresh emulator and bot. Goal: p95 <= 1 s.

    python bench/hot_reload.py                       # 20 edits at debounce 300 ms, then at 50 ms
    python bench/hot_reload.py --edits 50 --debounce 300 --atomic --json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType

from zoryx_core import ZoryxBot, hookimpl
from zoryx_core.discord_redirect import point_discord_at, restore_discord_defaults
from zoryx_core.events import HotReloadResult
from zoryx_core.testing import Channel, DiscordEmulator, User, start_bot, stop_bot
from zoryx_core.testing.zoryx_bots import make_zoryx_bot

EXTENSION = "bench_token"
GOAL_P95_S = 1.0
SOURCE = '''\
"""Hot-reload benchmark extension: ``!token`` answers the token of this version."""

from discord.ext import commands

TOKEN = "{token}"


class Token(commands.Cog):
    @commands.command(name="token")
    async def token(self, ctx):
        await ctx.send(TOKEN)


async def setup(bot):
    await bot.add_cog(Token())
'''


@dataclass
class Edit:
    index: int
    latency_s: float  # saved -> new reply seen; inf when it never came
    reload_seen_s: float | None  # saved -> this edit's (last) zoryx_hot_reload announcement
    reload_s: float | None  # HotReloadResult.duration: the host's own reload time
    results: int  # HotReloadResults this edit produced (1 unless the save was seen in parts)
    ok: bool  # every one of them succeeded
    polls: int  # !token messages sent until the new reply came


@dataclass
class Series:
    debounce_ms: int
    atomic: bool
    edits: list[Edit]

    @property
    def latencies(self) -> list[float]:
        return sorted(e.latency_s for e in self.edits)


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def finite(value: float | None) -> float | None:
    """JSON has no infinity: a reply that never came is ``null``."""
    return None if value is None or math.isinf(value) else round(value, 4)


def save(path: Path, text: str, atomic: bool) -> None:
    if atomic:
        temporary = path.with_name(f".{path.stem}.tmp")  # a dot file: the watcher's filter ignores it
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    else:
        path.write_text(text, encoding="utf-8")


class ReloadObserver:
    """A ``zoryx_hot_reload`` implementation registered on the bot's plugin manager (like a
    plugin's): it notes when each result for the extension was announced."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.changed = asyncio.Event()

    def module(self) -> ModuleType:
        module = ModuleType("bench_reload_observer")

        def zoryx_hot_reload(result: HotReloadResult) -> None:
            if result.plugin == EXTENSION:
                self.times.append(time.perf_counter())
                self.changed.set()

        module.zoryx_hot_reload = hookimpl(zoryx_hot_reload)  # type: ignore[attr-defined]
        return module

    async def wait_for(self, count: int, timeout: float) -> bool:
        """Whether ``count`` results were announced within ``timeout`` seconds."""
        deadline = time.perf_counter() + timeout
        while len(self.times) < count:
            self.changed.clear()
            left = deadline - time.perf_counter()
            if left <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)
        return True


@dataclass
class Session:
    emu: DiscordEmulator
    bot: ZoryxBot
    channel: Channel
    user: User
    path: Path
    observer: ReloadObserver


async def one_edit(
    session: Session, index: int, last_seen: int, args: argparse.Namespace
) -> tuple[Edit, int]:
    """One edit; returns it and the id of the last bot message read."""
    emu, bot, channel, user = session.emu, session.bot, session.channel, session.user
    observer = session.observer
    assert bot.reloader is not None
    token = f"v{index}-{secrets.token_hex(4)}"
    results_before = len(observer.times)
    await asyncio.to_thread(save, session.path, SOURCE.format(token=token), args.atomic)
    saved = time.perf_counter()
    polls = 0

    async def poll() -> None:
        nonlocal polls
        while True:
            await emu.send_message(channel, user, "!token")
            polls += 1
            await asyncio.sleep(args.poll_ms / 1000)

    poller = asyncio.create_task(poll())
    latency = math.inf
    try:
        deadline = saved + args.timeout
        while (left := deadline - time.perf_counter()) > 0:
            try:
                reply = await emu.wait_for_message(channel, after=last_seen, timeout=left)
            except TimeoutError:
                break
            last_seen = reply.id
            if reply.content == token:
                latency = time.perf_counter() - saved
                break
    finally:
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
    # This edit's reload result (normally already there), then a pause before the next save.
    await observer.wait_for(results_before + 1, args.timeout)
    await asyncio.sleep(args.gap_ms / 1000)
    announced = observer.times[results_before:]
    reload_seen = announced[-1] - saved if announced else None
    mine = [r for r in bot.reloader.results if r.plugin == EXTENSION][results_before:]
    # Replies to polls still in flight are read (and skipped) at the start of the next edit.
    edit = Edit(
        index=index,
        latency_s=latency,
        reload_seen_s=reload_seen,
        reload_s=mine[-1].duration if mine else None,
        results=len(mine),
        ok=bool(mine) and all(r.ok for r in mine),
        polls=polls,
    )
    return edit, last_seen


async def run_series(debounce_ms: int, args: argparse.Namespace, report: bool) -> Series:
    edits: list[Edit] = []
    with tempfile.TemporaryDirectory(prefix="zoryx-hot-reload-bench-") as folder:
        home = Path(folder)
        extensions = home / "extensions"
        extensions.mkdir()
        path = extensions / f"{EXTENSION}.py"
        path.write_text(SOURCE.format(token="v0"), encoding="utf-8")
        async with DiscordEmulator() as emu:
            point_discord_at(emu.api_url, emu.gateway_url)
            try:
                user = emu.create_user("editor")
                guild = emu.create_guild("Reload", members=[user])
                channel = emu.channel_named(guild, "general")
                bot = make_zoryx_bot(
                    home,
                    extensions_dir=extensions,
                    hot_reload=True,
                    config={"hot_reload.debounce_ms": debounce_ms},
                )
                await start_bot(emu, bot)
                observer = ReloadObserver()
                bot.plugins.manager.register(observer.module(), name="bench-reload-observer")
                session = Session(emu, bot, channel, user, path, observer)
                try:
                    first = await emu.converse(channel, user, "!token")
                    if first.content != "v0":
                        raise RuntimeError(f"the extension answered {first.content!r}, not 'v0'")
                    last_seen = first.id
                    await asyncio.sleep(args.gap_ms / 1000)
                    for index in range(1, args.edits + 1):
                        edit, last_seen = await one_edit(session, index, last_seen, args)
                        edits.append(edit)
                        if report:
                            print(describe(edit, debounce_ms), flush=True)
                finally:
                    await stop_bot(bot)
            finally:
                restore_discord_defaults()
    return Series(debounce_ms, args.atomic, edits)


def describe(edit: Edit, debounce_ms: int) -> str:
    def ms(value: float | None) -> str:
        return "   -" if value is None or math.isinf(value) else f"{value * 1000:4.0f}"

    flags = "" if edit.ok and edit.results == 1 else f"  ({edit.results} reloads, ok={edit.ok})"
    return (
        f"  debounce {debounce_ms:>3} ms  edit {edit.index:>2}  saved->reply {ms(edit.latency_s)} ms  "
        f"saved->reload done {ms(edit.reload_seen_s)} ms  reload itself {ms(edit.reload_s)} ms  "
        f"polls {edit.polls}{flags}"
    )


def table(series: list[Series]) -> str:
    lines = [
        "| debounce | edits | saved->reply p50 ms | p95 ms | max ms | saved->reload done p50 ms "
        "| reload itself p50 ms | missed | goal p95 <= 1 s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for s in series:
        values = s.latencies
        missed = sum(1 for v in values if math.isinf(v))
        seen = [e.reload_seen_s for e in s.edits if e.reload_seen_s is not None]
        own = [e.reload_s for e in s.edits if e.reload_s is not None]
        p95 = percentile(values, 95)
        met = "MET" if p95 <= GOAL_P95_S and missed == 0 else "NOT MET"
        lines.append(
            f"| {s.debounce_ms} ms | {len(values)} | {percentile(values, 50) * 1000:.0f} | {p95 * 1000:.0f} "
            f"| {values[-1] * 1000:.0f} | {statistics.median(seen) * 1000 if seen else math.nan:.0f} "
            f"| {statistics.median(own) * 1000 if own else math.nan:.0f} | {missed} | {met} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--edits", type=int, default=20, help="edits per debounce setting (default 20)")
    parser.add_argument(
        "--debounce",
        type=int,
        nargs="+",
        default=[300, 50],
        metavar="MS",
        help="hot_reload.debounce_ms values to measure (default: 300 50)",
    )
    parser.add_argument("--poll-ms", type=float, default=10.0, help="interval of the user's !token (10)")
    parser.add_argument("--gap-ms", type=float, default=300.0, help="pause between edits (default 300)")
    parser.add_argument("--atomic", action="store_true", help="save via a temporary file and a rename")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for one new reply")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON only")
    args = parser.parse_args(argv)
    if args.edits < 1 or args.poll_ms <= 0 or args.gap_ms < 0 or any(d < 10 for d in args.debounce):
        parser.error("--edits >= 1, --poll-ms > 0, --gap-ms >= 0, --debounce values >= 10")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.json:
        print(
            f"hot reload: {args.edits} edits per setting, {'atomic rename' if args.atomic else 'in-place'} "
            f"saves, !token every {args.poll_ms:g} ms, {args.gap_ms:g} ms between edits",
            flush=True,
        )
    series = [asyncio.run(run_series(d, args, not args.json)) for d in args.debounce]
    if args.json:
        payload = [
            {
                "debounce_ms": s.debounce_ms,
                "atomic": s.atomic,
                "p50_s": finite(percentile(s.latencies, 50)),
                "p95_s": finite(percentile(s.latencies, 95)),
                "max_s": finite(s.latencies[-1]),
                "goal_p95_s": GOAL_P95_S,
                "met": percentile(s.latencies, 95) <= GOAL_P95_S,
                "edits": [{**asdict(e), "latency_s": finite(e.latency_s)} for e in s.edits],
            }
            for s in series
        ]
        print(json.dumps(payload, indent=2))
        return 0
    print()
    print(table(series))
    return 0


if __name__ == "__main__":
    sys.exit(main())
