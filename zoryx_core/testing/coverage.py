"""How much of Discord the emulator covers, measured against discord.py and Discord's OpenAPI document.

Nothing here is a hand-kept list. discord.py's REST routes are read from its own source
(every ``Route(METHOD, PATH)`` in ``discord/http.py`` and ``discord/webhook/async_.py``, parsed with
:mod:`ast`), the gateway events it understands from the ``parse_*`` methods of
``discord/state.py``, and the events the emulator sends from its own source (event names passed to a
call). ``python -m zoryx_core.testing coverage`` prints the report.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CoverageReport",
    "discordpy_events",
    "discordpy_routes",
    "emitted_events",
    "find_openapi_document",
    "measure",
    "normalise",
    "openapi_operations",
    "route_template_for",
]

_METHODS = ("get", "put", "post", "patch", "delete")
_EVENT_NAME = re.compile(r"^[A-Z][A-Z_]+$")


def normalise(route: str) -> str:
    """``"METHOD /path/{name}"`` with parameter names erased, so differently named templates compare."""
    return re.sub(r"\{[^}/]+\}", "{}", route)


def _discord_dir() -> Path:
    import discord

    return Path(discord.__file__).parent


def _route_calls(source: str) -> Iterable[tuple[str, str]]:
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and len(node.args) >= 2):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name != "Route":
            continue
        method, path = node.args[0], node.args[1]
        if not (isinstance(method, ast.Constant) and isinstance(method.value, str)):
            continue
        if isinstance(path, ast.Constant) and isinstance(path.value, str):
            yield method.value, path.value
        elif isinstance(path, ast.JoinedStr):  # f'/guilds/{guild_id}/onboarding'
            parts = []
            for value in path.values:
                if isinstance(value, ast.Constant):
                    parts.append(str(value.value))
                elif isinstance(value, ast.FormattedValue):
                    parts.append("{" + ast.unparse(value.value) + "}")
            yield method.value, "".join(parts)


@functools.cache
def discordpy_routes() -> tuple[str, ...]:
    """Every ``"METHOD /template"`` the installed discord.py can request, sorted."""
    base = _discord_dir()
    found: dict[str, str] = {}
    for relative in ("http.py", "webhook/async_.py"):
        source = (base / relative).read_text(encoding="utf-8")
        for method, path in _route_calls(source):
            route = f"{method} {path}"
            found.setdefault(normalise(route), route)
    return tuple(sorted(found.values(), key=lambda r: (r.split(" ", 1)[1], r)))


@functools.cache
def discordpy_events() -> tuple[str, ...]:
    """Gateway events the installed discord.py parses (its ``parse_*`` methods), sorted."""
    tree = ast.parse((_discord_dir() / "state.py").read_text(encoding="utf-8"))
    names = {
        node.name.removeprefix("parse_").upper()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("parse_")
    }
    return tuple(sorted(names))


def emitted_events(package_dir: Path | None = None) -> set[str]:
    """Event names the emulator's source passes to a call (``dispatch("X", ...)``, ``push("X", ...)``...)
    that discord.py knows: what the emulator can send."""
    known = set(discordpy_events())
    root = package_dir or Path(__file__).parent
    found: set[str] = set()
    for file in root.rglob("*.py"):
        if file.name == "coverage.py":
            continue
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value in known:
                    found.add(arg.value)
    return found


def find_openapi_document() -> Path | None:
    """Discord's OpenAPI document: ``$ZORYX_DISCORD_OPENAPI``, else the copy vendored in the repository."""
    candidates = []
    if os.environ.get("ZORYX_DISCORD_OPENAPI"):
        candidates.append(Path(os.environ["ZORYX_DISCORD_OPENAPI"]))
    repo = Path(__file__).resolve().parents[2]
    candidates += [
        repo / "tests" / "data" / "discord-openapi.json",
        Path.cwd() / "tests" / "data" / "discord-openapi.json",
    ]
    return next((c for c in candidates if c.is_file()), None)


def openapi_operations(document: Path) -> tuple[str, ...]:
    """Every ``"METHOD /template"`` operation of an OpenAPI document."""
    spec = json.loads(document.read_text(encoding="utf-8"))
    return tuple(
        sorted(
            f"{method.upper()} {path}"
            for path, item in spec["paths"].items()
            for method in item
            if method in _METHODS
        )
    )


def route_template_for(method: str, path: str) -> str | None:
    """The discord.py route template a concrete request matches (``PUT /guilds/1/bans/2`` ->
    ``PUT /guilds/{guild_id}/bans/{user_id}``), or None when discord.py has no such route."""
    segments = path.strip("/").split("/")
    for route in _routes_by_method().get(method.upper(), ()):
        template = route.split(" ", 1)[1].strip("/").split("/")
        if len(template) == len(segments) and all(
            t == s or (t.startswith("{") and t.endswith("}") and s)
            for t, s in zip(template, segments, strict=True)
        ):
            return route
    return None


@functools.cache
def _routes_by_method() -> dict[str, list[str]]:
    by_method: dict[str, list[str]] = {}
    # literal segments before parameters: /guilds/{id}/members/@me before /guilds/{id}/members/{user}
    for route in sorted(discordpy_routes(), key=lambda r: r.count("{")):
        by_method.setdefault(route.split(" ", 1)[0], []).append(route)
    return by_method


@dataclass
class CoverageReport:
    """Served and missing routes and events; ``render()`` is what the command prints."""

    discordpy_routes: list[str]
    served_discordpy: list[str]
    openapi_total: int | None
    served_openapi: int
    discordpy_events: list[str]
    emitted: list[str]

    @property
    def missing_routes(self) -> list[str]:
        served = {normalise(r) for r in self.served_discordpy}
        return [r for r in self.discordpy_routes if normalise(r) not in served]

    @property
    def missing_events(self) -> list[str]:
        return [e for e in self.discordpy_events if e not in set(self.emitted)]

    def render(self, *, list_missing: bool = True) -> str:
        served, known = len(self.served_discordpy), len(self.discordpy_routes)
        lines = [f"REST routes: {served} of {known} that discord.py can call"]
        if self.openapi_total is None:
            lines.append("REST routes: Discord's OpenAPI document not found (set ZORYX_DISCORD_OPENAPI)")
        else:
            operations = f"{self.served_openapi} of {self.openapi_total}"
            lines.append(f"REST routes: {operations} operations in Discord's OpenAPI document")
        lines.append(
            f"Gateway events: {len(self.emitted)} of {len(self.discordpy_events)} that discord.py parses"
        )
        if list_missing:
            lines.append("")
            lines.append(f"Routes not emulated ({len(self.missing_routes)}):")
            lines += [f"  {r}" for r in self.missing_routes]
            lines.append(f"Events not emitted ({len(self.missing_events)}):")
            lines += [f"  {e}" for e in self.missing_events]
        return "\n".join(lines)


def measure(openapi: Path | None = None) -> CoverageReport:
    """Measures the emulator's route table and source against discord.py and the OpenAPI document."""
    from .routes import ALL_ROUTES

    served = {normalise(r.name) for r in ALL_ROUTES.routes}
    routes = list(discordpy_routes())
    document = openapi or find_openapi_document()
    operations = openapi_operations(document) if document is not None else None
    events = list(discordpy_events())
    return CoverageReport(
        discordpy_routes=routes,
        served_discordpy=[r for r in routes if normalise(r) in served],
        openapi_total=len(operations) if operations is not None else None,
        served_openapi=sum(1 for o in operations or () if normalise(o) in served),
        discordpy_events=events,
        emitted=sorted(emitted_events() & set(events)),
    )
