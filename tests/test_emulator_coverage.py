"""``python -m zoryx_core.testing coverage`` measures the emulator against discord.py's own source."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import discord

from zoryx_core.testing.coverage import (
    discordpy_events,
    discordpy_routes,
    emitted_events,
    measure,
    normalise,
)
from zoryx_core.testing.routes import ALL_ROUTES


def test_routes_and_events_are_read_from_discordpy_source() -> None:
    routes = discordpy_routes()
    assert "PUT /guilds/{guild_id}/bans/{user_id}" in routes
    assert "POST /webhooks/{webhook_id}/{webhook_token}" in routes  # from discord/webhook/async_.py
    assert "PUT /guilds/{guild_id}/onboarding" in routes  # built with an f-string
    assert len(routes) == len({normalise(r) for r in routes})
    events = discordpy_events()
    state = ast.parse((Path(discord.__file__).parent / "state.py").read_text(encoding="utf-8"))
    parsers = {
        n.name for n in ast.walk(state) if isinstance(n, ast.FunctionDef) and n.name.startswith("parse_")
    }
    assert set(events) == {p.removeprefix("parse_").upper() for p in parsers}
    assert {"MESSAGE_CREATE", "THREAD_LIST_SYNC", "GUILD_AUDIT_LOG_ENTRY_CREATE"} <= set(events)


def test_report_counts_what_the_route_table_serves() -> None:
    report = measure()
    served = {normalise(r.name) for r in ALL_ROUTES.routes}
    assert len(report.served_discordpy) == sum(1 for r in discordpy_routes() if normalise(r) in served)
    assert not {normalise(r) for r in report.missing_routes} & served
    assert len(report.served_discordpy) + len(report.missing_routes) == len(report.discordpy_routes)
    assert set(report.emitted) == emitted_events() & set(discordpy_events())
    assert report.openapi_total is not None and report.served_openapi <= report.openapi_total
    assert len(report.served_discordpy) >= 170 and len(report.emitted) >= 65  # issue 17's goal


def test_coverage_command_prints_the_figures() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "zoryx_core.testing", "coverage"], capture_output=True, text=True, check=True
    )
    report = measure()
    lines = run.stdout.splitlines()
    routes = f"{len(report.served_discordpy)} of {len(report.discordpy_routes)}"
    assert lines[0] == f"REST routes: {routes} that discord.py can call"
    assert (
        lines[2]
        == f"Gateway events: {len(report.emitted)} of {len(report.discordpy_events)} that discord.py parses"
    )
    assert f"Routes not emulated ({len(report.missing_routes)}):" in lines
    bad = subprocess.run(
        [sys.executable, "-m", "zoryx_core.testing", "coverage", "--openapi", "/no/such/file.json"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "--openapi /no/such/file.json: no such file" in bad.stderr
