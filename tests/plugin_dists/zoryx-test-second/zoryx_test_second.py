"""Depends on zoryx-test-recorder; emits a custom event at set-up."""

from __future__ import annotations

import os

from zoryx_core import PluginContext, ZoryxBot, hookimpl


def journal(line: str) -> None:
    path = os.environ.get("ZORYX_TEST_JOURNAL")
    if path:
        with open(path, "a", encoding="utf-8") as file:
            file.write(line + "\n")


@hookimpl
async def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    journal("setup zoryx-test-second")
    await plugin.emit("second_ready", answer=42)


@hookimpl
async def zoryx_teardown() -> None:
    journal("teardown zoryx-test-second")


@hookimpl
def zoryx_delete_user_data(user_id: int) -> str:
    return f"forgot {user_id}"


@hookimpl
def zoryx_help_marker(command: object) -> str | None:
    return "🧪 marked by zoryx-test-second" if getattr(command, "name", None) == "recping" else None
