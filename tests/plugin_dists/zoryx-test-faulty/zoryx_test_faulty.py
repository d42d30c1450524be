"""Loads fine, then misbehaves in hooks: raises, hangs, fails its health check."""

from __future__ import annotations

import asyncio

from zoryx_core import HealthResult, ZoryxBot, hookimpl


@hookimpl
def zoryx_setup(bot: ZoryxBot) -> None:
    pass


@hookimpl
def zoryx_command_executed() -> None:
    raise RuntimeError("faulty plugin broke in command_executed")


@hookimpl
async def zoryx_custom_event() -> None:
    await asyncio.sleep(3600)


@hookimpl
def zoryx_health_check() -> list[HealthResult]:
    raise ValueError("health probe exploded")


@hookimpl
def zoryx_delete_user_data(user_id: int) -> None:
    raise PermissionError("cannot delete")
