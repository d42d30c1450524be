"""The diagnostics service of one bot: rates, errors, lag, reports, history and alerts.

Other plugins and tests reach it with :func:`diagnostics`::

    from zoryx_diagnostics import diagnostics

    report = await diagnostics(bot).report()
    if not report.healthy:
        print(report.reasons)
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any, cast

from discord.ext import commands

from zoryx_core import BlockedLoop, CommandEvent, HealthResult, PluginContext, ZoryxBot
from zoryx_core.error_handler import describe_error

from .alerts import AlertNotifier
from .collect import (
    ProcessSampler,
    bot_figures,
    database_health,
    health_entries,
    latency_figures,
    plugin_loads,
)
from .error_log import CommandErrorRecord, RecentErrors
from .figures import DatabaseHealth, DiagnosticsReport, HealthEntry, LagFigures, RateFigures
from .history import ReportHistory
from .lag import LagSampler
from .rates import CommandRates
from .settings import DiagnosticsSettings
from .status import Verdict, evaluate, format_duration

__all__ = ["COG_NAME", "Diagnostics", "diagnostics", "find_diagnostics"]

COG_NAME = "Diagnostics"

log = logging.getLogger("zoryx.plugin.zoryx-diagnostics")


def find_diagnostics(bot: commands.Bot | commands.AutoShardedBot) -> Diagnostics | None:
    """The bot's diagnostics service, or ``None`` when zoryx-diagnostics is not loaded."""
    cog = bot.get_cog(COG_NAME)
    service = getattr(cog, "diagnostics_service", None)
    return cast(Diagnostics, service) if service is not None else None


def diagnostics(bot: commands.Bot | commands.AutoShardedBot) -> Diagnostics:
    """The bot's diagnostics service; ``LookupError`` when zoryx-diagnostics is not loaded in it."""
    service = find_diagnostics(bot)
    if service is None:
        raise LookupError("zoryx-diagnostics is not loaded in this bot (no Diagnostics cog)")
    return service


class Diagnostics:
    """Everything the plugin measures for one bot, and the loops that sample, check and report."""

    def __init__(self, bot: ZoryxBot, settings: DiagnosticsSettings, history_path: Path) -> None:
        self.bot = bot
        self.settings = settings
        self.rates = CommandRates(settings.window_seconds)
        # Completed commands are read from the core's counter once a second (see _count_loop):
        # no hook call and no event object per command.
        self.rates.follow_completed(lambda: bot.metrics.commands)
        self.errors = RecentErrors(settings.recent_errors_size)
        self.lag = LagSampler(settings.lag_interval_seconds, settings.lag_window_seconds)
        self.history = ReportHistory(bot.storage.json, history_path, settings.history_size)
        self.alerts = AlertNotifier(bot, settings.alert_channel_id, settings.alert_cooldown_seconds)
        self.process = ProcessSampler()
        self.last_verdict = Verdict("healthy")
        """The verdict of the latest check or report."""
        self.last_report: DiagnosticsReport | None = None
        self.last_database: DatabaseHealth | None = None
        self.checks_run = 0
        self.reports_written = 0
        self.last_write_error: str | None = None
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self._primed = False

    # --- life ------------------------------------------------------------------------------------

    async def prepare(self) -> None:
        """Prime the CPU counters (off the event loop), once: in ``zoryx_bot_ready``, or when the
        status checks start if the plugin was loaded after READY."""
        if not self._primed:
            self._primed = True
            await asyncio.to_thread(self.process.prime)

    def start(self, plugin: PluginContext) -> None:
        """Start the lag sampler, the status checks and the periodic reports as the plugin's tasks
        (cancelled when it is unloaded). The CPU counters are primed once the bot is ready (in
        ``zoryx_bot_ready``, so the core freezes what psutil's import made), off the start-up
        path (reading them loads psutil, ~10 ms)."""
        self.tasks = {
            "lag sampler": plugin.create_task(self.lag.run(), name="zoryx-diagnostics:lag"),
            "command counter": plugin.create_task(self._count_loop(), name="zoryx-diagnostics:count"),
            "status checks": plugin.create_task(self._check_loop(), name="zoryx-diagnostics:checks"),
            "report loop": plugin.create_task(self._report_loop(), name="zoryx-diagnostics:reports"),
        }

    async def _count_loop(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self.rates.catch_up()

    async def _check_loop(self) -> None:
        await self.bot.wait_until_ready()
        await self.prepare()
        while True:
            try:
                await self.check()
            except Exception:
                log.exception("the diagnostics status check failed")
            await asyncio.sleep(self.settings.check_interval_seconds)

    async def _report_loop(self) -> None:
        await self.bot.wait_until_ready()
        while True:
            await asyncio.sleep(self.settings.report_interval_seconds)
            try:
                await self.write_report()
            except Exception as error:
                self.last_write_error = f"{type(error).__name__}: {error}"
                log.exception("writing the diagnostics report failed")

    # --- feeding ---------------------------------------------------------------------------------

    def command_failed(self, event: CommandEvent, error: BaseException) -> None:
        """A command raised (fed by ``zoryx_command_error``): counted, and kept in the error log."""
        _, unexpected = describe_error(error)
        self.rates.record("failure" if unexpected else "user_error")
        self.errors.add(
            CommandErrorRecord(
                at=time.time(),
                command=event.name,
                kind=event.kind,
                error_type=type(error).__name__,
                message=str(error),
                user_error=not unexpected,
                user_id=event.user_id,
                guild_id=event.guild_id,
                plugin=event.plugin,
            )
        )

    # --- reading ---------------------------------------------------------------------------------

    def rate_figures(self) -> RateFigures:
        settings = self.settings
        return self.rates.figures(
            min_commands=settings.min_commands,
            threshold=settings.error_rate_threshold,
            count_user_errors=settings.count_user_errors,
        )

    def lag_figures(self) -> LagFigures:
        return self.lag.figures(self.settings.lag_threshold_ms)

    def blocked_loops(self) -> list[BlockedLoop]:
        """The last times the event loop was blocked past the core watchdog's threshold
        (``watchdog.blocked_loop_seconds``), newest first; empty when the watchdog is off."""
        return list(reversed(self.bot.watchdog.incidents()))

    def recent_errors(self) -> list[CommandErrorRecord]:
        """The command errors kept in memory, newest first."""
        return self.errors.newest_first()

    async def health(self) -> tuple[HealthEntry, ...]:
        """Every plugin's health check (``bot.plugins.health_checks()``), this plugin's included."""
        return health_entries(await self.bot.plugins.health_checks())

    async def check(self) -> Verdict:
        """Evaluate the status now from the rates, the lag, the plugins' health checks and the last
        database check; alerts follow. Lighter than :meth:`report` (no system or database figures)."""
        health = await self.health()
        verdict = evaluate(self.rate_figures(), self.lag_figures(), health, self.last_database)
        self.checks_run += 1
        await self._observe(verdict)
        return verdict

    async def report(self) -> DiagnosticsReport:
        """A full report now (system figures and the database check run off the event loop)."""
        system = await asyncio.to_thread(self.process.sample)
        database = await database_health(self.bot, quick_check=self.settings.database_quick_check)
        self.last_database = database
        health = await self.health()
        rates, lag = self.rate_figures(), self.lag_figures()
        verdict = evaluate(rates, lag, health, database)
        report = DiagnosticsReport(
            generated_at=time.time(),
            status=verdict.status,
            reasons=verdict.reasons,
            system=system,
            bot=bot_figures(self.bot),
            rates=rates,
            lag=lag,
            latency=latency_figures(self.bot),
            plugins=plugin_loads(self.bot),
            database=database,
            health=health,
        )
        self.last_report = report
        await self._observe(verdict)
        return report

    async def write_report(self) -> DiagnosticsReport:
        """Make a report and add it to the history file (what the periodic loop does)."""
        report = await self.report()
        await self.history.append(report)
        self.reports_written += 1
        self.last_write_error = None
        return report

    async def read_history(self) -> list[DiagnosticsReport]:
        """The reports in the history file, oldest first."""
        return await self.history.read()

    async def _observe(self, verdict: Verdict) -> None:
        if verdict != self.last_verdict:
            if verdict.healthy:
                log.info("diagnostics status: healthy again")
            else:
                log.warning("diagnostics status: degraded (%s)", "; ".join(verdict.reasons))
        self.last_verdict = verdict
        await self.alerts.observe(verdict)

    # --- the plugin's own health -------------------------------------------------------------------

    def own_health(self) -> list[HealthResult]:
        """This plugin's health check: its loops running, the last report written."""
        results = []
        for name, task in self.tasks.items():
            if not task.done():
                results.append(HealthResult(name, "healthy", "running"))
                continue
            problem = "stopped"
            if not task.cancelled() and (error := task.exception()) is not None:
                problem = f"stopped by {type(error).__name__}: {error}"
            results.append(HealthResult(name, "unhealthy", problem))
        if self.last_write_error is not None:
            detail = f"the last report could not be written: {self.last_write_error}"
            results.append(HealthResult("report history", "degraded", detail))
        else:
            every = format_duration(self.settings.report_interval_seconds)
            detail = f"{self.reports_written} written, one every {every}"
            results.append(HealthResult("report history", "healthy", detail))
        return results

    def describe(self) -> dict[str, Any]:
        """Counters of the service itself (for logs and tests)."""
        return {
            "checks_run": self.checks_run,
            "reports_written": self.reports_written,
            "alerts_sent": self.alerts.sent,
            "alerts_suppressed": self.alerts.suppressed_total,
            "lag_samples": self.lag.samples_taken,
            "errors_logged": self.errors.total,
        }
