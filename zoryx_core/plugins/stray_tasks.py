"""Finding the tasks a plugin's code started outside its set-up, when the plugin goes away.

Tasks made during set-up or with ``plugin.create_task`` are recorded as they are made. A task a
command or a listener starts with a bare ``asyncio.create_task(coro)`` is not: nothing on the
message path watches task creation (a task factory would cost every event discord.py dispatches).
Instead, at unload, every pending task is attributed by the coroutine it was created with: when
that coroutine's code lives in one of the plugin's modules, the plugin started it, and it is
cancelled with the plugin. A task created with another library's coroutine that is running the
plugin's code at that moment (``create_task(asyncio.wait_for(plugin_coro(), None))``, or a command
still in flight) cannot be told apart from work that is not the plugin's; it is named in a warning
instead. ``discord.ext.tasks`` loops kept in the plugin's module globals are stopped too.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable
from types import FrameType
from typing import Any

from discord.ext import tasks

__all__ = ["describe_task", "module_loops", "started_by", "still_running_code_of"]


def _within(module: object, root: str) -> bool:
    return isinstance(module, str) and (module == root or module.startswith(root + "."))


def _coroutine_frame(task: asyncio.Task[Any]) -> FrameType | None:
    coro = task.get_coro()
    frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
    return frame if isinstance(frame, FrameType) else None


def describe_task(task: asyncio.Task[Any]) -> str:
    """``name (coroutine)``, for logs."""
    coro = task.get_coro()
    what = getattr(coro, "__qualname__", None) or type(coro).__name__
    return f"{task.get_name()} ({what})"


def _pending_others(exclude: Iterable[asyncio.Task[Any]]) -> list[asyncio.Task[Any]]:
    skip = set(exclude)
    current = asyncio.current_task()
    return [t for t in asyncio.all_tasks() if not t.done() and t is not current and t not in skip]


def started_by(root: str, *, exclude: Iterable[asyncio.Task[Any]] = ()) -> list[asyncio.Task[Any]]:
    """Pending tasks (other than the current one and ``exclude``) whose coroutine is defined in
    the module ``root`` or its submodules."""
    found = []
    for task in _pending_others(exclude):
        frame = _coroutine_frame(task)
        if frame is not None and _within(frame.f_globals.get("__name__"), root):
            found.append(task)
    return found


def still_running_code_of(root: str, *, exclude: Iterable[asyncio.Task[Any]] = ()) -> list[asyncio.Task[Any]]:
    """Pending tasks (other than the current one and ``exclude``) whose await chain is inside
    the module ``root`` or its submodules right now."""
    found = []
    for task in _pending_others(exclude):
        if any(_within(frame.f_globals.get("__name__"), root) for frame in _await_chain(task)):
            found.append(task)
    return found


def _await_chain(task: asyncio.Task[Any]) -> list[FrameType]:
    """The frames of the coroutines the task is suspended in, outermost first (``get_stack``
    gives only the task's own coroutine)."""
    frames: list[FrameType] = []
    awaited: object = task.get_coro()
    while awaited is not None and len(frames) < 200:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if not isinstance(frame, FrameType):
            break
        frames.append(frame)
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    return frames


def module_loops(root: str) -> list[tasks.Loop[Any]]:
    """Running ``discord.ext.tasks`` loops held in the globals of ``root``'s loaded modules."""
    loops: list[tasks.Loop[Any]] = []
    for name, module in list(sys.modules.items()):
        if not _within(name, root):
            continue
        for value in list(vars(module).values()):
            if isinstance(value, tasks.Loop) and value.is_running() and value not in loops:
                loops.append(value)
    return loops
