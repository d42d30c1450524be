"""Cost of dispatching one event to the plugins' hook implementations.

A real :class:`ZoryxBot` is built (``make_zoryx_bot`` in a temporary folder, no plugins
discovered) but never connected: its :class:`PluginHost` and pluggy manager work without a gateway.
``--plugins`` (10) modules made with ``types.ModuleType``, each holding one ``@hookimpl``
``zoryx_command_executed(bot, event)`` whose body counts the call, are registered on the host's
manager under their own names, as the host does for a loaded plugin. With ``--via extensions``
they are real single-file extensions instead, loaded by ``PluginHost.load`` on the unconnected
bot (the host needs no gateway connection); the calls cost the same. The event is a
:class:`CommandEvent` built once. Then, inside a running event loop, each way of calling the
hook is timed over ``--events`` events, ``--repeat`` times, and the median is reported:

sync implementations
- direct calls: a Python loop calling the 10 functions (the floor);
- pluggy ``pm.hook.zoryx_command_executed(bot=..., event=...)``: pluggy's plain call
  (no isolation: the first exception would stop the others);
- ``HookRunner.call``: Zoryx's runner (in order, each call isolated, timed and counted);
- ``PluginHost.notify``: the same plus ``bot`` filled in; what ``ZoryxBot`` calls per command.

async implementations (pluggy cannot await them, so there is no pluggy row)
- direct ``await f(...)`` on each;
- direct ``await asyncio.wait_for(f(...), timeout)`` on each: what the runner does to apply
  ``plugins.hook_timeout``, shown to separate its cost (on Python 3.11 ``wait_for`` wraps the
  coroutine in a new Task and arms a timer);
- direct ``async with asyncio.timeout(timeout): await f(...)``: the same limit without a Task,
  for comparison;
- ``HookRunner.call`` and ``PluginHost.notify``.

``PluginHost.notify`` with no implementation at all gives the fixed cost of a hook nobody
implements. Per-impl figures are per-event figures divided by the number of implementations.

    python bench/hook_dispatch.py
    python bench/hook_dispatch.py --plugins 10 --events 20000 --repeat 7 --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from zoryx_core import ZoryxBot, hookimpl
from zoryx_core.events import CommandEvent
from zoryx_core.plugins import PluginHost
from zoryx_core.testing.zoryx_bots import make_zoryx_bot

HOOK = "zoryx_command_executed"


@dataclass
class Row:
    impl_kind: str  # "sync", "async" or "-"
    method: str
    impls: int
    us_per_event: float
    us_per_impl: float
    vs_direct: float | None  # us_per_event / direct call's us_per_event


class Counter:
    def __init__(self) -> None:
        self.calls = 0


def make_plugin(index: int, style: str, counter: Counter) -> ModuleType:
    """A plugin module with one hook implementation of ``zoryx_command_executed``."""
    module = ModuleType(f"bench_hook_plugin_{index}")
    if style == "sync":

        def zoryx_command_executed(bot: ZoryxBot, event: CommandEvent) -> None:
            counter.calls += 1

        module.zoryx_command_executed = hookimpl(zoryx_command_executed)  # type: ignore[attr-defined]
    else:

        async def zoryx_command_executed_async(bot: ZoryxBot, event: CommandEvent) -> None:
            counter.calls += 1

        zoryx_command_executed_async.__name__ = HOOK
        module.zoryx_command_executed = hookimpl(zoryx_command_executed_async)  # type: ignore[attr-defined]
    return module


EXTENSION_SOURCE = """\
from zoryx_core import hookimpl

CALLS = 0


@hookimpl
{keyword} zoryx_command_executed(bot, event):
    global CALLS
    CALLS += 1


def setup(bot):
    pass
"""


@dataclass
class Installed:
    """Hook implementations in place on the host: their functions, their call count, their removal."""

    functions: list[Callable[..., Any]]
    calls: Callable[[], int]
    remove: Callable[[], Awaitable[None]]


async def install(bot: ZoryxBot, style: str, count: int, via: str) -> Installed:
    host: PluginHost = bot.plugins
    if via == "modules":
        counter = Counter()
        modules = [make_plugin(i, style, counter) for i in range(count)]
        for index, module in enumerate(modules):
            host.manager.register(module, name=f"bench-{style}-{index}")

        async def unregister() -> None:
            for module in modules:
                host.manager.unregister(module)

        return Installed([m.zoryx_command_executed for m in modules], lambda: counter.calls, unregister)

    # Real single-file extensions, loaded by the host as it loads any plugin (no connection needed).
    folder = host.options.extensions_dir
    assert folder is not None
    names = [f"bench_{style}_{i:02d}" for i in range(count)]
    keyword = "async def" if style == "async" else "def"
    for name in names:
        await asyncio.to_thread((folder / f"{name}.py").write_text, EXTENSION_SOURCE.format(keyword=keyword))
    for name in names:
        outcome = await host.load(name)
        if outcome.status.value != "loaded":
            raise RuntimeError(f"extension {name} did not load: {outcome.reason}")
    contexts = [host.context(name) for name in names]

    async def unload() -> None:
        for name in names:
            await host.unload(name)

    return Installed(
        [getattr(ctx.module, HOOK) for ctx in contexts],
        lambda: sum(int(getattr(ctx.module, "CALLS", 0)) for ctx in contexts),
        unload,
    )


async def time_async(body: Callable[[], Awaitable[Any]], events: int, repeat: int) -> float:
    """Median microseconds per event of ``await body()``."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(events):
            await body()
        samples.append((time.perf_counter() - started) / events * 1e6)
    return statistics.median(samples)


def time_sync(body: Callable[[], Any], events: int, repeat: int) -> float:
    """Median microseconds per event of ``body()``."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(events):
            body()
        samples.append((time.perf_counter() - started) / events * 1e6)
    return statistics.median(samples)


async def measure(plugins: int, events: int, repeat: int, via: str) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="zoryx-hook-bench-") as folder:
        extensions = Path(folder) / "extensions"
        extensions.mkdir()
        bot = make_zoryx_bot(Path(folder), no_plugins=True, extensions_dir=extensions)
        host = bot.plugins
        manager = host.manager
        event = CommandEvent(name="ping", kind="prefix", user_id=1, guild_id=2, channel_id=3, plugin="bench")
        timeout = host.options.hook_timeout
        warm = max(events // 10, 100)

        # The fixed cost: nobody implements the hook.
        async def notify() -> None:
            await host.notify(HOOK, event=event)

        await time_async(notify, warm, 1)
        empty = await time_async(notify, events, repeat)
        rows.append(Row("-", "PluginHost.notify, no implementations", 0, empty, 0.0, None))

        installed = await install(bot, "sync", plugins, via)
        functions = installed.functions

        def direct() -> None:
            for function in functions:
                function(bot, event)

        def plain_pluggy() -> None:
            manager.hook.zoryx_command_executed(bot=bot, event=event)

        async def runner() -> None:
            await host.hooks.call(HOOK, bot=bot, event=event)

        sync_cases: list[tuple[str, float]] = []
        for name, plain in (
            ("direct function calls", direct),
            ("pluggy pm.hook.zoryx_command_executed()", plain_pluggy),
        ):
            time_sync(plain, warm, 1)
            sync_cases.append((name, time_sync(plain, events, repeat)))
        await time_async(runner, warm, 1)
        sync_cases.append(("HookRunner.call", await time_async(runner, events, repeat)))
        await time_async(notify, warm, 1)
        sync_cases.append(("PluginHost.notify", await time_async(notify, events, repeat)))
        expected = plugins * (warm + events * repeat) * len(sync_cases)
        if installed.calls() != expected:
            raise RuntimeError(f"sync: {installed.calls()} implementation calls, expected {expected}")
        base = sync_cases[0][1]
        rows += [Row("sync", name, plugins, us, us / plugins, us / base) for name, us in sync_cases]
        await installed.remove()

        installed = await install(bot, "async", plugins, via)
        coroutine_functions: list[Callable[..., Awaitable[None]]] = installed.functions

        async def direct_await() -> None:
            for function in coroutine_functions:
                await function(bot, event)

        async def direct_wait_for() -> None:
            for function in coroutine_functions:
                await asyncio.wait_for(function(bot, event), timeout)

        async def direct_timeout_block() -> None:
            for function in coroutine_functions:
                async with asyncio.timeout(timeout):
                    await function(bot, event)

        async_cases: list[tuple[str, float]] = []
        for name, body in (
            ("direct await f()", direct_await),
            ("direct await asyncio.wait_for(f(), timeout)", direct_wait_for),
            ("direct async with asyncio.timeout(timeout): await f()", direct_timeout_block),
            ("HookRunner.call", runner),
            ("PluginHost.notify", notify),
        ):
            await time_async(body, warm, 1)
            async_cases.append((name, await time_async(body, events, repeat)))
        expected = plugins * (warm + events * repeat) * len(async_cases)
        if installed.calls() != expected:
            raise RuntimeError(f"async: {installed.calls()} implementation calls, expected {expected}")
        base = async_cases[0][1]
        rows += [Row("async", name, plugins, us, us / plugins, us / base) for name, us in async_cases]
        await installed.remove()
    return rows


def table(rows: list[Row]) -> str:
    lines = [
        "| impls | how the hook is called | µs/event | µs/impl | x direct |",
        "|-------|------------------------|---------:|--------:|---------:|",
    ]
    for row in rows:
        kind = f"{row.impls} {row.impl_kind}" if row.impls else "0"
        versus = f"{row.vs_direct:.1f}" if row.vs_direct is not None else "-"
        per_impl = f"{row.us_per_impl:.2f}" if row.impls else "-"
        lines.append(f"| {kind} | {row.method} | {row.us_per_event:.2f} | {per_impl} | {versus} |")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--plugins", type=int, default=10, help="plugins implementing the hook (10)")
    parser.add_argument("--events", type=int, default=5000, help="events per timed sample (5000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed samples per case; median kept (5)")
    parser.add_argument(
        "--via",
        choices=("modules", "extensions"),
        default="modules",
        help="plugins as ModuleType objects registered on the manager (default), or as extension "
        "files loaded by the host (PluginHost.load)",
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON only")
    args = parser.parse_args(argv)
    if args.plugins < 1 or args.events < 1 or args.repeat < 1:
        parser.error("--plugins, --events and --repeat must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rows = asyncio.run(measure(args.plugins, args.events, args.repeat, args.via))
    if args.json:
        print(json.dumps([asdict(row) for row in rows], indent=2))
        return 0
    print(
        f"{HOOK} dispatched to {args.plugins} plugins ({args.via}), median of {args.repeat} samples "
        f"of {args.events} events, Python {sys.version.split()[0]}\n"
    )
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
