"""Start-up time to READY against the emulator: a ZoryxBot with every plugin, with none, and bare discord.py.

Every start is a fresh child process (this script with ``--child``) connecting to one emulator
run by this process. Four cases run in the same session, interleaved round by round:

- ``discord.py``: a bare ``commands.Bot`` with one command;
- ``discord.py + N ext``: the same bot loading the N extension files with ``load_extension``
  in its ``setup_hook`` (the cost of the cogs themselves, without Zoryx);
- ``zoryx, built-ins only``: a ZoryxBot with plugins switched off (``--no-plugins``: only the
  core's built-in plugins load);
- ``zoryx, all + N ext``: a ZoryxBot as deployed, the plugin selection left open: the built-ins,
  every installed framework plugin (all of ``plugins/`` are required, see ``bench/bench_env.py``)
  and the N extension files.

The N (``--plugins``, 20) extensions are single files written once to a temporary folder, each
with a cog holding one prefix command and an ``async def setup(bot)`` adding it; Zoryx loads them
through its plugin host (discovery of installed distributions and extension files, resolution,
import from source, set-up, hook registration), discord.py through ``load_extension``.

Zoryx runs with its default settings (default per-user cooldown on, members intent on) except
``startup.guild_ready_timeout``; the plugins installed and the settings are printed first.
All bots use Zoryx's default intents (default + members + message_content), so discord.py
requests the members of each guild (GUILD_MEMBERS_CHUNK) before READY. discord.py's
``guild_ready_timeout`` (the idle wait for more GUILD_CREATEs before it dispatches ``on_ready``)
is **excluded**: every bot runs with ``--guild-ready-timeout`` (0.05 s) and that time is
subtracted from the ``on_ready`` time. It cannot simply be set to 0: with 0, discord.py stops
waiting before it has taken the guild off its queue, so it never requests the members and the
guild is never chunked (``on_ready`` comes right after READY, with 1 of 12 members cached);
that is not a complete start. ``--guild-ready-timeout 0`` is accepted and then READY is the plain
``on_ready`` time, flagged in the output. As a cross-check the child also records when the last
GUILD_CREATE / GUILD_MEMBERS_CHUNK arrived (``enable_debug_events``), the moment the bot had
everything it needed.

Timestamps (wall clock, shared by both processes):

- ``spawn``: this process, just before starting the child;
- ``main``: the child's first line (after interpreter start-up);
- ``imported``: discord.py and zoryx_core imported;
- ``start``: the bot object built, ``bot.start()`` called. Zoryx's bot is built as ``zoryx run``
  builds it (config.json read and validated, plugin selection, ``ZoryxBot(...)``) without its
  logging set-up and start-up panel;
- ``setup_end``: ``setup_hook`` returned. ``start -> setup_end`` is login (``GET /users/@me``)
  plus ``setup_hook``: for Zoryx, storage opened and every plugin loaded;
- ``ready``: ``on_ready`` minus ``guild_ready_timeout``. ``setup_end -> ready`` is the gateway:
  ``GET /gateway/bot``, WebSocket connect, HELLO, IDENTIFY, READY, GUILD_CREATE, member chunks.

The goal is ``bot.start() -> READY`` <= 2 s with every plugin and 20 extensions; ``spawn ->
READY`` (what a user waits from launching the process, imports included) is reported against the
same 2 s. One
unmeasured round runs first (file cache, bytecode of discord.py, first-start config and database
writes); each case keeps its bot folder across rounds, as a deployed bot does across restarts.

    python bench/startup.py                    # 20 plugins, 10 measured rounds of the 4 cases
    python bench/startup.py --repeat 20 --json
"""

from __future__ import annotations

import time

STARTED = time.time()  # the child's "main" stamp: taken before any heavy import

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

TOKEN_ENV = "ZORYX_BENCH_TOKEN"
RESULT_PREFIX = "STARTUP "
GOAL_S = 2.0
CASES = ("bare", "bare-ext", "zoryx-0", "zoryx-n")
EXTENSION_SOURCE = '''\
"""Start-up benchmark extension {index}: a cog with one command."""

from discord.ext import commands


class Bench{index:02d}(commands.Cog):
    """Cog {index}."""

    @commands.command(name="bench{index:02d}")
    async def run(self, ctx):
        await ctx.send("bench {index}")


async def setup(bot):
    await bot.add_cog(Bench{index:02d}())
'''


def case_label(case: str, plugins: int) -> str:
    return {
        "bare": "discord.py",
        "bare-ext": f"discord.py + {plugins} ext",
        "zoryx-0": "zoryx, built-ins only",
        "zoryx-n": f"zoryx, all + {plugins} ext",
    }[case]


def extension_names(count: int) -> list[str]:
    return [f"bench_plugin_{i:02d}" for i in range(count)]


# -- the child: one start --------------------------------------------------------------------------
def child(args: argparse.Namespace) -> int:
    import logging

    import discord
    from bench_env import settings_in_force
    from discord.ext import commands

    from zoryx_core.discord_redirect import point_discord_at

    if args.child.startswith("zoryx"):
        # What ``zoryx run`` imports to build its bot (not the emulator: zoryx_core.testing and
        # its make_zoryx_bot would pull in aiohttp's server side).
        from zoryx_core.bot import ZoryxBot
        from zoryx_core.plugins.resolution import Selection
        from zoryx_core.settings import Deployment, Settings

    imported = time.time()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    point_discord_at(args.api_url, args.gateway_url)
    stamps: dict[str, float] = {"main": STARTED, "imported": imported}
    extensions = Path(args.extensions_dir)
    names = extension_names(args.plugins)

    def build_bot() -> commands.Bot | commands.AutoShardedBot:
        bot: commands.Bot | commands.AutoShardedBot
        if args.child.startswith("zoryx"):
            # As ``zoryx run`` does: settings from config.json (written here on the first start;
            # the plugin selection left open: every discovered plugin), the selection, the
            # deployment, the bot.
            home = Path(args.home)
            home.mkdir(parents=True, exist_ok=True)
            config_path = home / "config.json"
            if not config_path.exists():
                document = {"startup": {"guild_ready_timeout": args.guild_ready_timeout}}
                config_path.write_text(json.dumps(document), encoding="utf-8")
            settings = Settings.load(config_path, {})
            selection = Selection.of(
                settings["plugins.enabled"], settings["plugins.disabled"], none=args.child == "zoryx-0"
            )
            bot = ZoryxBot(
                settings,
                Deployment.from_environ({}),
                selection=selection,
                base_dir=home,
                extensions_dir=extensions,
                enable_debug_events=True,
            )
        else:
            intents = discord.Intents.default()
            intents.members = True
            intents.message_content = True
            bot = commands.Bot(
                command_prefix="!",
                intents=intents,
                guild_ready_timeout=args.guild_ready_timeout,
                enable_debug_events=True,
            )

            @bot.command()
            async def ping(ctx: commands.Context[commands.Bot]) -> None:
                await ctx.send("pong")

            if args.child == "bare-ext":
                sys.path.insert(0, str(extensions))

                async def load_extensions() -> None:
                    for name in names:
                        await bot.load_extension(name)

                bot.setup_hook = load_extensions  # type: ignore[method-assign]
        return bot

    async def run() -> int:
        bot = build_bot()
        original_setup = bot.setup_hook

        async def timed_setup() -> None:
            stamps["setup_start"] = time.time()
            await original_setup()
            stamps["setup_end"] = time.time()

        bot.setup_hook = timed_setup  # type: ignore[method-assign]
        done = asyncio.Event()

        async def on_ready() -> None:
            if "on_ready" not in stamps:
                stamps["on_ready"] = time.time()
                stamps["ready"] = stamps["on_ready"] - args.guild_ready_timeout
                done.set()

        async def on_socket_event_type(event: str) -> None:
            if event in ("GUILD_CREATE", "GUILD_MEMBERS_CHUNK") and "on_ready" not in stamps:
                stamps["guild_data"] = time.time()

        bot.add_listener(on_ready, "on_ready")
        bot.add_listener(on_socket_event_type, "on_socket_event_type")

        async with bot:
            stamps["start"] = time.time()
            task = asyncio.create_task(bot.start(args.token))
            waiter = asyncio.create_task(done.wait())
            await asyncio.wait(
                {task, waiter}, timeout=args.ready_timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if not done.is_set():
                waiter.cancel()
                await bot.close()
                if task.done() and task.exception() is not None:
                    raise RuntimeError("the bot stopped before it was ready") from task.exception()
                raise TimeoutError(f"not ready within {args.ready_timeout} s (reached: {', '.join(stamps)})")
            info: dict[str, Any] = {
                "stamps": stamps,
                "commands": len(bot.commands),
                "cogs": len(bot.cogs),
                "guilds": len([g for g in bot.guilds if not g.unavailable]),
                "chunked": all(g.chunked for g in bot.guilds) and len(bot.guilds) >= args.guilds,
            }
            plugins = getattr(bot, "plugins", None)
            if plugins is not None:
                info["plugins_loaded"] = len(plugins.loaded)
                info["plugin_names"] = list(plugins.loaded)
                info["plugin_times"] = {n: o.load_time or 0.0 for n, o in plugins.outcomes.items()}
                info["settings"] = settings_in_force(bot)
                info["plugin_load_s"] = sum(o.load_time or 0.0 for o in plugins.outcomes.values())
            print(RESULT_PREFIX + json.dumps(info), flush=True)
            await bot.close()
            with contextlib.suppress(Exception):
                await task
        return 0

    return asyncio.run(run())


# -- the parent: emulator, rounds, table -------------------------------------------------------------
@dataclass
class Start:
    case: str
    round: int
    total_s: float  # spawn -> ready
    start_to_ready_s: float  # bot.start() -> ready
    interpreter_s: float  # spawn -> main
    imports_s: float  # main -> imported
    build_s: float  # imported -> start
    login_setup_s: float  # start -> setup_end
    setup_hook_s: float  # setup_start -> setup_end
    gateway_s: float  # setup_end -> ready
    guild_data_s: float | None  # start -> last GUILD_CREATE / GUILD_MEMBERS_CHUNK before on_ready
    chunked: bool  # every guild's members cached at on_ready
    commands: int
    cogs: int
    plugins_loaded: int | None
    plugin_load_s: float | None
    plugin_names: list[str] | None = None
    plugin_times: dict[str, float] | None = None  # seconds each plugin took to load
    settings: dict[str, Any] | None = None


def to_start(case: str, index: int, spawn: float, info: dict[str, Any]) -> Start:
    s = info["stamps"]
    return Start(
        case=case,
        round=index,
        total_s=s["ready"] - spawn,
        start_to_ready_s=s["ready"] - s["start"],
        interpreter_s=s["main"] - spawn,
        imports_s=s["imported"] - s["main"],
        build_s=s["start"] - s["imported"],
        login_setup_s=s["setup_end"] - s["start"],
        setup_hook_s=s["setup_end"] - s["setup_start"],
        gateway_s=s["ready"] - s["setup_end"],
        guild_data_s=s["guild_data"] - s["start"] if "guild_data" in s else None,
        chunked=bool(info["chunked"]),
        commands=int(info["commands"]),
        cogs=int(info["cogs"]),
        plugins_loaded=info.get("plugins_loaded"),
        plugin_load_s=info.get("plugin_load_s"),
        plugin_names=info.get("plugin_names"),
        plugin_times=info.get("plugin_times"),
        settings=info.get("settings"),
    )


async def start_once(
    emu: Any, case: str, index: int, root: Path, extensions: Path, args: argparse.Namespace
) -> Start:
    env = dict(os.environ)
    env[TOKEN_ENV] = emu.token
    home = root / case
    script = str(Path(__file__).resolve())  # noqa: ASYNC240 (no I/O: __file__ is absolute)
    spawn = time.time()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        script,
        "--child",
        case,
        "--api-url",
        emu.api_url,
        "--gateway-url",
        emu.gateway_url,
        "--home",
        str(home),
        "--extensions-dir",
        str(extensions),
        "--plugins",
        str(args.plugins),
        "--guilds",
        str(args.guilds),
        "--guild-ready-timeout",
        str(args.guild_ready_timeout),
        "--ready-timeout",
        str(args.ready_timeout),
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None
    info: dict[str, Any] | None = None
    try:
        async with asyncio.timeout(args.ready_timeout + 10):
            while info is None:
                line = (await proc.stdout.readline()).decode()
                if not line:
                    break
                if line.startswith(RESULT_PREFIX):
                    info = json.loads(line[len(RESULT_PREFIX) :])
            await proc.stdout.read()
            await proc.wait()
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGKILL)
            await proc.wait()
    if info is None:
        raise RuntimeError(f"{case}: the child exited (code {proc.returncode}) without a result")
    return to_start(case, index, spawn, info)


async def run_all(args: argparse.Namespace) -> list[Start]:
    from bench_env import describe_settings

    from zoryx_core.testing import DiscordEmulator

    starts: list[Start] = []
    with tempfile.TemporaryDirectory(prefix="zoryx-startup-bench-") as folder:
        root = Path(folder)
        extensions = root / "extensions"
        extensions.mkdir()
        for index in range(args.plugins):
            source = EXTENSION_SOURCE.format(index=index)
            (extensions / f"{extension_names(args.plugins)[index]}.py").write_text(source, encoding="utf-8")
        async with DiscordEmulator() as emu:
            members = [emu.create_user(f"member-{i}") for i in range(args.members)]
            for g in range(args.guilds):
                emu.create_guild(f"Startup {g}", text_channels=["general", "bots"], members=members)
            for index in range(-1, args.repeat):  # round -1 is the unmeasured warm-up
                order = CASES if index % 2 == 0 else tuple(reversed(CASES))
                for case in order:
                    start = await start_once(emu, case, index, root, extensions, args)
                    if index < 0:
                        if case == "zoryx-n" and not args.json and start.plugin_names is not None:
                            print(
                                f"  {case_label(case, args.plugins)} loads: {', '.join(start.plugin_names)}"
                                f"; {describe_settings(start.settings or {})}",
                                flush=True,
                            )
                        continue
                    starts.append(start)
                    if not args.json:
                        print(
                            f"  round {index + 1} {case_label(case, args.plugins):<22} "
                            f"start->READY {start.start_to_ready_s * 1000:6.0f} ms  "
                            f"spawn->READY {start.total_s * 1000:6.0f} ms  "
                            f"setup_hook {start.setup_hook_s * 1000:5.0f} ms  "
                            f"commands {start.commands}"
                            + ("" if start.chunked else "  (members NOT chunked at on_ready)"),
                            flush=True,
                        )
    return starts


def summary_table(starts: list[Start], plugins: int) -> str:
    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:.0f} / {max(values) * 1000:.0f}"

    lines = [
        "| case | start->READY ms (median / max) | spawn->READY ms (median / max) | interpreter + imports ms "
        "| build ms | login + setup_hook ms | of which setup_hook ms | gateway to READY ms "
        "| start->last guild data ms | commands |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case in CASES:
        rows = [s for s in starts if s.case == case]
        if not rows:
            continue
        med = statistics.median
        data = [r.guild_data_s for r in rows if r.guild_data_s is not None]
        guild_data = f"{med(data) * 1000:.0f}" if data else "-"
        lines.append(
            f"| {case_label(case, plugins)} | {ms([r.start_to_ready_s for r in rows])} "
            f"| {ms([r.total_s for r in rows])} "
            f"| {med([r.interpreter_s + r.imports_s for r in rows]) * 1000:.0f} "
            f"| {med([r.build_s for r in rows]) * 1000:.0f} "
            f"| {med([r.login_setup_s for r in rows]) * 1000:.0f} "
            f"| {med([r.setup_hook_s for r in rows]) * 1000:.0f} "
            f"| {med([r.gateway_s for r in rows]) * 1000:.0f} "
            f"| {guild_data} "
            f"| {rows[0].commands} |"
        )
    return "\n".join(lines)


def verdict(starts: list[Start], plugins: int) -> list[str]:
    rows = [s for s in starts if s.case == "zoryx-n"]
    lines = []
    for label, values in (
        ("bot.start() -> READY", [r.start_to_ready_s for r in rows]),
        ("spawn -> READY", [r.total_s for r in rows]),
    ):
        median, worst = statistics.median(values), max(values)
        met = "MET" if worst <= GOAL_S else "MET at the median only" if median <= GOAL_S else "NOT MET"
        lines.append(
            f"zoryx, all + {plugins} ext, {label:<21} median {median:.3f} s, max {worst:.3f} s; "
            f"goal <= {GOAL_S:g} s: {met}"
        )
    if not all(s.chunked for s in starts):
        lines.append("some starts had guilds without their members at on_ready (guild_ready_timeout 0?)")
    times: dict[str, list[float]] = {}
    for r in rows:
        for name, seconds in (r.plugin_times or {}).items():
            times.setdefault(name, []).append(seconds)
    slowest = sorted(times.items(), key=lambda item: -statistics.median(item[1]))[:6]
    if slowest:
        lines.append(
            "slowest plugins to load (median ms): "
            + ", ".join(f"{name} {statistics.median(v) * 1000:.0f}" for name, v in slowest)
        )
    loaded = {r.plugins_loaded for r in rows}
    lines.append(f"plugins loaded per start: {', '.join(str(n) for n in sorted(loaded, key=str))}")
    return lines


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--plugins", type=int, default=20, help="extension plugins to load (default 20)")
    parser.add_argument("--repeat", type=int, default=10, help="measured rounds of the 4 cases (default 10)")
    parser.add_argument("--guilds", type=int, default=1, help="guilds the bot is in (default 1)")
    parser.add_argument("--members", type=int, default=10, help="members per guild besides owner and bot")
    parser.add_argument(
        "--guild-ready-timeout",
        type=float,
        default=0.05,
        help="discord.py's guild_ready_timeout, subtracted from on_ready (default 0.05; see above for 0)",
    )
    parser.add_argument("--ready-timeout", type=float, default=30.0, help="seconds a start may take")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON only")
    parser.add_argument(
        "--no-bench-venv",
        action="store_true",
        help="fail when a framework plugin is missing instead of running in .bench-venv",
    )
    # Internal: the child process of one start.
    parser.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    parser.add_argument("--gateway-url", help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--extensions-dir", help=argparse.SUPPRESS)
    parser.add_argument("--token", default=os.environ.get(TOKEN_ENV), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.plugins < 1 or args.repeat < 1 or args.guilds < 1 or args.members < 0:
        parser.error("--plugins, --repeat and --guilds must be >= 1, --members >= 0")
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
    if not args.json:
        print(
            f"start-up to READY: {args.plugins} extension plugins, {args.guilds} guild(s) of "
            f"{args.members + 2} members, guild_ready_timeout {args.guild_ready_timeout:g} s "
            f"(subtracted), 1 warm-up round + {args.repeat} measured\n"
            f"zoryx plugins installed: {', '.join(installed_zoryx_plugins()) or 'none'}\n"
            f"zoryx settings: {describe_settings(default_settings())} (startup.guild_ready_timeout "
            f"{args.guild_ready_timeout:g} s); the discord.py bots use the same intents\n"
            f"{bytecode_note()}",
            flush=True,
        )
    starts = asyncio.run(run_all(args))
    if args.json:
        print(json.dumps([asdict(s) for s in starts], indent=2))
        return 0
    print(f"\nmedian (and max) over {args.repeat} starts per case:\n")
    print(summary_table(starts, args.plugins))
    print()
    print("\n".join(verdict(starts, args.plugins)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
