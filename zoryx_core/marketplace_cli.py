"""The marketplace on the ``zoryx`` command line: search, install, uninstall, update, and
``marketplace info | build-catalog | fixdeps | terms | id``.

Options come from ``config.json`` and the environment (``marketplace.*`` settings,
``ZORYX_MARKETPLACE__*``), overridden by ``--catalog-url``, ``--index-url``, ``--data-dir`` and
``--no-instance-id``. Installs change the environment of the interpreter running ``zoryx``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .redact import redact_text
from .ui.text import plural

if TYPE_CHECKING:
    from rich.console import Console

    from marketplace_client import (
        Catalog,
        CatalogPlugin,
        Installer,
        InstallError,
        InstallResult,
        MarketplaceClient,
        MarketplaceOptions,
        Progress,
    )

__all__ = ["COMMANDS", "add_marketplace_commands", "run_marketplace_command"]

COMMANDS = frozenset({"search", "install", "uninstall", "update", "marketplace"})
"""Top-level ``zoryx`` sub-commands this module adds."""

TERMS_FILE = "terms-accepted.json"
"""Under ``data_dir/marketplace``: catalog URL (without credentials or query string) -> the terms
version accepted on the command line."""


class _Exit(Exception):
    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


# --- the parsers ---------------------------------------------------------------------------------


def _source_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("marketplace options (default: marketplace.* settings)")
    group.add_argument(
        "--config", type=Path, default=Path("config.json"), help="settings file (default config.json)"
    )
    group.add_argument("--env-file", type=Path, default=Path(".env"), help="dotenv file (default .env)")
    group.add_argument("--catalog-url", help="catalog URL or path (marketplace.catalog_url)")
    group.add_argument("--index-url", help="package index for dependencies (marketplace.index_url)")
    group.add_argument("--data-dir", type=Path, help="the bot's data folder (data_dir)")
    group.add_argument(
        "--no-instance-id",
        action="store_true",
        help="do not send the instance id (marketplace.send_instance_id)",
    )
    return parent


def add_marketplace_commands(sub: Any) -> None:
    """Add the marketplace sub-commands to ``zoryx``'s sub-parser action."""
    source = _source_options()

    search = sub.add_parser("search", parents=[source], help="search the marketplace (name, summary, tags)")
    search.add_argument("query", nargs="*", help="words that must all match (none: list everything)")
    search.add_argument("--status", help="only plugins with this status: working, beta or broken")
    search.add_argument("--page", type=_positive, default=1, help="page number (default 1)")
    search.add_argument("--per-page", type=_positive, default=10, help="results a page (default 10)")
    search.add_argument("--refresh", action="store_true", help="fetch the catalog now, not from the cache")
    search.add_argument("--json", action="store_true", help="print JSON")
    search.set_defaults(_marketplace=_search)

    install = sub.add_parser("install", parents=[source], help="install a plugin: NAME or NAME==VERSION")
    install.add_argument("plugin", metavar="NAME[==VERSION]")
    install.add_argument("--accept-terms", action="store_true", help="accept the marketplace's terms")
    install.set_defaults(_marketplace=_install)

    uninstall = sub.add_parser("uninstall", parents=[source], help="uninstall a plugin")
    uninstall.add_argument("plugin", metavar="NAME")
    uninstall.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    data = uninstall.add_mutually_exclusive_group()
    data.add_argument("--delete-data", action="store_true", help="also delete the plugin's data folder")
    data.add_argument("--keep-data", action="store_true", help="keep the plugin's data folder (no question)")
    uninstall.set_defaults(_marketplace=_uninstall)

    update = sub.add_parser("update", parents=[source], help="upgrade one plugin, or every outdated one")
    update.add_argument("plugin", metavar="NAME", nargs="?")
    update.add_argument("--accept-terms", action="store_true", help="accept the marketplace's terms")
    update.set_defaults(_marketplace=_update)

    market = sub.add_parser(
        "marketplace", help="marketplace details and tools: info, build-catalog, fixdeps..."
    )
    actions = market.add_subparsers(dest="marketplace_command", metavar="ACTION", required=True)
    info = actions.add_parser("info", parents=[source], help="a plugin's catalog entry and versions")
    info.add_argument("plugin", metavar="NAME")
    info.add_argument("--refresh", action="store_true", help="fetch the catalog now, not from the cache")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(_marketplace=_info)

    build = actions.add_parser("build-catalog", help="write a catalog from a folder of wheels")
    build.add_argument("wheel_dir", type=Path, metavar="WHEEL_DIR")
    build.add_argument("-o", "--output", type=Path, help="catalog file (default WHEEL_DIR/catalog.json)")
    build.add_argument(
        "--base-url", help="URL the wheels will be served under (default: next to the catalog)"
    )
    build.add_argument(
        "--sidecar", type=Path, help="status, tags and terms (default WHEEL_DIR/marketplace.toml)"
    )
    build.set_defaults(_marketplace=_build_catalog)

    fixdeps = actions.add_parser(
        "fixdeps", parents=[source], help="install what installed plugins declare but lack (one resolution)"
    )
    fixdeps.set_defaults(_marketplace=_fixdeps)
    terms = actions.add_parser("terms", parents=[source], help="show the marketplace's terms")
    terms.add_argument("--accept", action="store_true", help="accept them")
    terms.set_defaults(_marketplace=_terms)
    ident = actions.add_parser("id", parents=[source], help="print this bot's marketplace instance id")
    ident.set_defaults(_marketplace=_instance_id)


def run_marketplace_command(args: argparse.Namespace) -> int:
    """Run a parsed marketplace command; returns the exit code (0 done, 1 failed, 2 bad input)."""
    from rich.console import Console

    from marketplace_client import MarketplaceError
    from zoryx_core.redact import redact_urls

    console = Console(highlight=False, soft_wrap=True)
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    handler: Callable[[argparse.Namespace, Console, Console], Coroutine[Any, Any, int]] = args._marketplace
    try:
        return asyncio.run(handler(args, console, errors))
    except _Exit as stop:
        errors.print(f"[red]error:[/] {redact_urls(str(stop))}")
        return stop.code
    except (MarketplaceError, ValueError, OSError) as error:
        errors.print(f"[red]error:[/] {redact_urls(str(error))}")
        return 1
    except KeyboardInterrupt:
        return 130


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


# --- options -------------------------------------------------------------------------------------


def options_from_args(args: argparse.Namespace, environ: dict[str, str] | None = None) -> MarketplaceOptions:
    """Options from ``config.json`` and the environment (never written), then the command line."""
    from marketplace_client import MarketplaceOptions
    from zoryx_core.settings import ConfigFileError, Settings, SettingsError, merged_environ

    env = merged_environ(args.env_file, dict(os.environ if environ is None else environ))
    try:
        settings = Settings.load(args.config, env, write=False)
    except (ConfigFileError, SettingsError) as error:
        raise _Exit(str(error)) from None
    try:
        return MarketplaceOptions.from_settings(
            settings,
            catalog_url=args.catalog_url,
            index_url=args.index_url,
            data_dir=args.data_dir,
            send_instance_id=False if args.no_instance_id else None,
        )
    except ValueError as error:
        raise _Exit(str(error)) from None


@contextmanager
def _status(errors: Console) -> Iterator[Callable[[Progress], None]]:
    """A progress reporter: a Rich bar on a terminal, one line per step otherwise."""
    from rich.progress import BarColumn, SpinnerColumn, TextColumn
    from rich.progress import Progress as Bar

    if not errors.is_terminal:
        shown: set[str] = set()

        def plain(progress: Progress) -> None:
            if progress.step.value not in shown:
                shown.add(progress.step.value)
                errors.print(f"[dim]{progress.step.value}:[/] {progress.message}")

        yield plain
        return
    with Bar(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[size]}"),
        console=errors,
        transient=True,
    ) as bar:
        current: dict[str, Any] = {}

        def rich(progress: Progress) -> None:
            task = current.get(progress.step.value)
            if task is None:  # a new step: its own line, the previous one hidden
                for previous in current.values():
                    bar.update(previous, visible=False)
                current.clear()
                task = current[progress.step.value] = bar.add_task(
                    progress.message, total=progress.total, size=""
                )
            size = f"{progress.done / 1024:.1f}/{progress.total / 1024:.1f} KiB" if progress.total else ""
            bar.update(
                task, description=progress.message, total=progress.total, completed=progress.done, size=size
            )

        yield rich


def _client(options: MarketplaceOptions) -> MarketplaceClient:
    from marketplace_client import MarketplaceClient, RetryEvent

    errors_console = _stderr()

    def on_retry(event: RetryEvent) -> None:
        errors_console.print(f"[yellow]{event.reason} from the marketplace; retrying in {event.delay:g} s[/]")

    return MarketplaceClient(options, on_retry=on_retry)


def _stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


# --- read-only commands --------------------------------------------------------------------------


async def _search(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from rich.table import Table

    options = options_from_args(args)
    async with _client(options) as client:
        page = await client.search(
            " ".join(args.query),
            status=args.status,
            page=args.page,
            per_page=args.per_page,
            refresh=args.refresh,
        )
    if args.json:
        console.print_json(
            json.dumps(
                {
                    "page": page.page,
                    "pages": page.pages,
                    "total": page.total,
                    "plugins": [_plugin_json(plugin) for plugin in page.items],
                }
            )
        )
        return 0
    if not page.items:
        console.print("no plugin matches" + (f" {' '.join(args.query)!r}" if args.query else ""))
        return 0
    table = Table(title=f"Marketplace: page {page.page} of {page.pages}, {plural(page.total, 'plugin')}")
    for column in ("name", "version", "status", "tags", "summary"):
        table.add_column(column)
    for plugin in page.items:
        table.add_row(
            plugin.name,
            plugin.latest.version,
            _status_text(plugin.status.value),
            ", ".join(plugin.tags),
            plugin.summary,
        )
    console.print(table)
    return 0


async def _info(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from rich.table import Table

    from marketplace_client import Installer

    options = options_from_args(args)
    async with _client(options) as client:
        catalog = await client.catalog(refresh=args.refresh)
        plugin = catalog.get(args.plugin)
        installed = {p.name: p.version for p in await Installer(client).installed_plugins()}
    core = _core_version()
    if args.json:
        console.print_json(json.dumps(dict(_plugin_json(plugin), installed=installed.get(plugin.name))))
        return 0
    console.print(f"[bold]{plugin.name}[/] ({_status_text(plugin.status.value)}): {plugin.summary}")
    tags = ", ".join(plugin.tags) or "-"
    console.print(f"author: {plugin.author or '-'}   licence: {plugin.license or '-'}   tags: {tags}")
    if plugin.homepage:
        console.print(f"homepage: {plugin.homepage}")
    where = f"{catalog.name} (terms {catalog.terms.version})"
    console.print(f"installed: {installed.get(plugin.name, 'no')}   marketplace: {where}")
    table = Table()
    for column in ("version", "zoryx-core", f"works with {core}", "size", "dependencies"):
        table.add_column(column)
    for entry in plugin.versions:
        table.add_row(
            entry.version,
            entry.requires_core or "any",
            "yes" if entry.supports_core(core) else "[red]no[/]",
            f"{entry.size:,} B" if entry.size is not None else "?",
            ", ".join(dep for dep in entry.dependencies if not dep.startswith("zoryx-core")) or "-",
        )
    console.print(table)
    return 0


async def _terms(args: argparse.Namespace, console: Console, errors: Console) -> int:
    options = options_from_args(args)
    async with _client(options) as client:
        catalog = await client.catalog()
    console.print(f"[bold]{catalog.name}[/]: terms version {catalog.terms.version}")
    console.print(catalog.terms.text or "(no terms)")
    if args.accept:
        await asyncio.to_thread(_record_terms, options, catalog)
        console.print("accepted")
    return 0


async def _instance_id(args: argparse.Namespace, console: Console, errors: Console) -> int:
    options = options_from_args(args)
    async with _client(options) as client:
        console.print(await client.instance_id())
    return 0


async def _build_catalog(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from marketplace_client import build_catalog, write_catalog

    report = await asyncio.to_thread(
        build_catalog, args.wheel_dir, base_url=args.base_url, sidecar=args.sidecar
    )
    output = args.output or args.wheel_dir / "catalog.json"
    await asyncio.to_thread(write_catalog, report.document, output)
    console.print(f"wrote {output}: {plural(report.plugins, 'plugin')}, {plural(report.versions, 'version')}")
    for filename, reason in report.skipped:
        errors.print(f"[yellow]skipped[/] {filename}: {reason}")
    return 0


# --- commands that change the environment --------------------------------------------------------


async def _install(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from marketplace_client import Installer, InstallError

    options = options_from_args(args)
    async with _client(options) as client:
        catalog = await client.catalog()
        await _ensure_terms(options, catalog, args.accept_terms, console)
        installer = Installer(client)
        await _recover(installer, errors)
        with _status(errors) as progress:
            try:
                result = await installer.install(args.plugin, progress=progress)
            except InstallError as error:
                return _failed(error, errors)
    _print_result(result, console)
    return 0


async def _update(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from marketplace_client import InstallAction, Installer, InstallError

    options = options_from_args(args)
    async with _client(options) as client:
        catalog = await client.catalog()
        installer = Installer(client)
        await _recover(installer, errors)
        if args.plugin:
            names = [args.plugin]
        else:
            names = [update.name for update in await installer.outdated()]
            if not names:
                console.print("every installed plugin is up to date")
                return 0
        await _ensure_terms(options, catalog, args.accept_terms, console)
        failures = 0
        for name in names:
            with _status(errors) as progress:
                try:
                    result = await installer.upgrade(name, progress=progress)
                except InstallError as error:
                    failures += _failed(error, errors)
                    continue
            if result.action is InstallAction.UNCHANGED:
                console.print(f"{result.name} {result.version} is the newest version for this zoryx-core")
            else:
                _print_result(result, console)
    return 1 if failures else 0


async def _uninstall(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from marketplace_client import Installer, InstallError

    options = options_from_args(args)
    interactive = sys.stdin.isatty()
    if interactive and not args.yes and not _ask(console, f"Uninstall {args.plugin}?"):
        return 1
    async with _client(options) as client:
        installer = Installer(client)
        await _recover(installer, errors)
        try:
            result = await installer.uninstall(args.plugin)
        except InstallError as error:
            return _failed(error, errors)
    console.print(f"uninstalled {result.name} {result.version} (its dependencies stay installed)")
    if not result.data_dir_exists:
        return 0
    delete = args.delete_data or (
        interactive and not args.keep_data and _ask(console, f"Delete its data folder {result.data_dir}?")
    )
    if delete:
        await asyncio.to_thread(shutil.rmtree, result.data_dir)
        console.print(f"deleted {result.data_dir}")
    else:
        console.print(f"its data folder stays: {result.data_dir}")
    return 0


async def _fixdeps(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from marketplace_client import Installer, InstallError

    options = options_from_args(args)
    async with _client(options) as client:
        installer = Installer(client)
        await _recover(installer, errors)
        with _status(errors) as progress:
            try:
                result = await installer.fixdeps(progress=progress)
            except InstallError as error:
                return _failed(error, errors)
    if not result.missing:
        console.print("every installed plugin has what it declares")
    for item in result.missing:
        console.print(f"{item.plugin}: {item.requirement} (needed by {item.required_by}) was {item.problem}")
    for change in result.changes:
        console.print(change.describe())
    for item in result.remaining:
        errors.print(f"[red]still unmet:[/] {item.plugin}: {item.requirement}: {item.problem}")
    for line in result.pip_check:
        errors.print(f"[yellow]pip check:[/] {line}")
    return 1 if result.remaining else 0


# --- helpers -------------------------------------------------------------------------------------


async def _recover(installer: Installer, errors: Console) -> None:
    """Finish or undo an operation a crash interrupted, and say which, before doing anything."""
    from marketplace_client import InstallError

    try:
        recovered = await installer.recover()
    except InstallError as error:
        raise _Exit(str(error), code=1) from None
    if recovered is not None:
        errors.print(f"[yellow]recovery:[/] {recovered.describe()}")


def _failed(error: InstallError, errors: Console) -> int:
    errors.print(f"[red]error:[/] {redact_text(str(error))}", markup=True)
    if error.restored:
        errors.print("the environment was left as it was")
    return 1


def _print_result(result: InstallResult, console: Console) -> None:
    from marketplace_client import InstallAction

    if result.action is InstallAction.UNCHANGED:
        console.print(f"{result.name} {result.version} is already installed")
        return
    before = f" (was {result.previous_version})" if result.previous_version else ""
    console.print(f"{result.action.value} {result.name} {result.version}{before} in {result.seconds:.1f} s")
    for change in result.changes:
        console.print(f"  {change.describe()}")
    console.print(f"a running bot loads it with: load {result.name}" + (" (or reload)" if before else ""))


def _ask(console: Console, question: str) -> bool:
    answer = console.input(f"{question} [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _terms_path(options: MarketplaceOptions) -> Path:
    return options.marketplace_dir / TERMS_FILE


def _accepted_terms(options: MarketplaceOptions) -> dict[str, str]:
    try:
        data = json.loads(_terms_path(options).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _terms_key(catalog: Catalog) -> str:
    """The catalog's URL without credentials or query string: no secret is written to the file."""
    from zoryx_core.redact import redact_url

    return redact_url(catalog.source_url)


def _record_terms(options: MarketplaceOptions, catalog: Catalog) -> None:
    accepted = _accepted_terms(options)
    accepted[_terms_key(catalog)] = catalog.terms.version
    path = _terms_path(options)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(accepted, indent=2), encoding="utf-8")
    os.replace(temporary, path)


async def _ensure_terms(
    options: MarketplaceOptions, catalog: Catalog, accept: bool, console: Console
) -> None:
    """The marketplace's terms must be accepted (once per terms version) before installing."""
    if not catalog.terms.text.strip():
        return
    accepted = await asyncio.to_thread(_accepted_terms, options)
    if accepted.get(_terms_key(catalog)) == catalog.terms.version:
        return
    if not accept:
        if not sys.stdin.isatty():
            raise _Exit(
                f"the terms of {catalog.name} (version {catalog.terms.version}) have not been accepted: "
                "read them with `zoryx marketplace terms`, then pass --accept-terms"
            )
        console.print(f"[bold]{catalog.name}[/]: terms version {catalog.terms.version}\n{catalog.terms.text}")
        if not _ask(console, "Accept these terms?"):
            raise _Exit("the terms were not accepted; nothing was installed", code=1)
    await asyncio.to_thread(_record_terms, options, catalog)


def _status_text(status: str) -> str:
    colour = {"working": "green", "beta": "yellow", "broken": "red"}.get(status, "white")
    return f"[{colour}]{status}[/]"


def _plugin_json(plugin: CatalogPlugin) -> dict[str, Any]:
    return {
        "name": plugin.name,
        "summary": plugin.summary,
        "author": plugin.author,
        "status": plugin.status.value,
        "tags": list(plugin.tags),
        "homepage": plugin.homepage,
        "license": plugin.license,
        "versions": [
            {
                "version": entry.version,
                "requires_core": entry.requires_core,
                "size": entry.size,
                "dependencies": list(entry.dependencies),
            }
            for entry in plugin.versions
        ],
    }


def _core_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("zoryx-core")
    except metadata.PackageNotFoundError:
        return "0"
