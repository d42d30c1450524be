"""zoryx-diagnostics: the bot's health in one place.

CPU, memory and threads, event-loop lag, command and error rates over a sliding window, gateway
latency, plugin load times, database health, plugin health checks; a status (healthy or
degraded, with reasons), a report kept as history every few minutes, and alerts to a channel.

Other plugins read it through :func:`diagnostics`::

    report = await diagnostics(bot).report()
"""

from __future__ import annotations

from zoryx_core import CommandEvent, HealthResult, PluginContext, Setting, ZoryxBot, hookimpl

from .cog import DiagnosticsCog
from .error_log import CommandErrorRecord
from .figures import (
    BotFigures,
    DatabaseHealth,
    DiagnosticsReport,
    HealthEntry,
    LagFigures,
    LatencyFigures,
    PluginLoad,
    RateFigures,
    ShardLatency,
    Status,
    SystemFigures,
)
from .history import REPORT_FILE
from .service import Diagnostics, diagnostics, find_diagnostics
from .settings import SETTINGS, DiagnosticsSettings
from .status import Verdict

__all__ = [
    "REPORT_FILE",
    "BotFigures",
    "CommandErrorRecord",
    "DatabaseHealth",
    "Diagnostics",
    "DiagnosticsCog",
    "DiagnosticsReport",
    "DiagnosticsSettings",
    "HealthEntry",
    "LagFigures",
    "LatencyFigures",
    "PluginLoad",
    "RateFigures",
    "ShardLatency",
    "Status",
    "SystemFigures",
    "Verdict",
    "diagnostics",
    "find_diagnostics",
]


@hookimpl
def zoryx_settings() -> list[Setting]:
    return list(SETTINGS)


@hookimpl
async def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    settings = DiagnosticsSettings.from_mapping(plugin.settings)
    service = Diagnostics(bot, settings, plugin.storage.json_path(REPORT_FILE))
    await bot.add_cog(DiagnosticsCog(service))
    service.start(plugin)


@hookimpl
async def zoryx_bot_ready(bot: ZoryxBot) -> None:
    service = find_diagnostics(bot)
    if service is not None:
        await service.prepare()  # before the core freezes what READY's hooks made


@hookimpl
def zoryx_command_error(bot: ZoryxBot, event: CommandEvent, error: BaseException) -> None:
    service = find_diagnostics(bot)
    if service is not None:
        service.command_failed(event, error)


@hookimpl
def zoryx_health_check(bot: ZoryxBot) -> list[HealthResult]:
    service = find_diagnostics(bot)
    if service is None:
        return [HealthResult("diagnostics", "unhealthy", "the Diagnostics cog is not registered")]
    return service.own_health()
