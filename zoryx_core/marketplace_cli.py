"""The marketplace on the ``zoryx`` command line: search, install, uninstall, update, and
``marketplace info | build-catalog | fixdeps | terms | id``.

Options come from ``config.json`` and the environment (``marketplace.*`` settings,
``ZORYX_MARKETPLACE__*``), overridden by ``--catalog-url``, ``--index-url``, ``--data-dir`` and
``--no-instance-id``. Installs change the environment of the interpreter running ``zoryx``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .cli_options import config_option, env_file_option, reject_together
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

__all__ = ["MARKETPLACE_COMMANDS", "options_from_args", "run_marketplace_command"]

TERMS_FILE = "terms-accepted.json"
"""Under ``data_dir/marketplace``: catalog URL (without credentials or query string) -> the terms
version accepted on the command line."""


class _Exit(Exception):
    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


# --- the commands --------------------------------------------------------------------------------

Handler = Callable[[SimpleNamespace, "Console", "Console"], Coroutine[Any, Any, int]]
F = TypeVar("F", bound=Callable[..., Any])


def _source_options(function: F) -> F:
    """Where the marketplace is and the bot's data folder (default: the ``marketplace.*`` settings)."""
    options = [
        config_option,
        env_file_option(Path(".env")),
        click.option("--catalog-url", help="catalog URL or path (marketplace.catalog_url)"),
        click.option("--index-url", help="package index for dependencies (marketplace.index_url)"),
        click.option(
            "--data-dir",
            type=click.Path(file_okay=False, path_type=Path),
            help="the bot's data folder (data_dir)",
        ),
        click.option(
            "--no-instance-id",
            is_flag=True,
            help="do not send the instance id (marketplace.send_instance_id)",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


_refresh = click.option("--refresh", is_flag=True, help="fetch the catalog now, not from the cache")
_json = click.option("--json", "as_json", is_flag=True, help="print JSON")
_accept_terms = click.option("--accept-terms", is_flag=True, help="accept the marketplace's terms")


@click.command(short_help="search the marketplace (name, summary, tags)")
@click.argument("query", nargs=-1)
@click.option("--status", help="only plugins with this status: working, beta or broken")
@click.option("--page", type=click.IntRange(min=1), default=1, help="page number (default 1)")
@click.option("--per-page", type=click.IntRange(min=1), default=10, help="results a page (default 10)")
@_refresh
@_json
@_source_options
def search(**params: Any) -> int:
    """Search the marketplace: plugins whose name, summary or tags match every word of QUERY
    (none: list everything)."""
    return run_marketplace_command(_search, params)


@click.command(short_help="install a plugin: NAME or NAME==VERSION")
@click.argument("plugin", metavar="NAME[==VERSION]")
@_accept_terms
@_source_options
def install(**params: Any) -> int:
    """Install a plugin from the marketplace: NAME, or NAME==VERSION for one version."""
    return run_marketplace_command(_install, params)


@click.command(short_help="uninstall a plugin")
@click.argument("plugin", metavar="NAME")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@click.option("--delete-data", is_flag=True, help="also delete the plugin's data folder")
@click.option("--keep-data", is_flag=True, help="keep the plugin's data folder (no question)")
@_source_options
def uninstall(**params: Any) -> int:
    """Uninstall the plugin NAME (its dependencies stay installed)."""
    reject_together(params, "--delete-data", "--keep-data")
    return run_marketplace_command(_uninstall, params)


@click.command(short_help="upgrade one plugin, or every outdated one")
@click.argument("plugin", metavar="[NAME]", required=False)
@_accept_terms
@_source_options
def update(**params: Any) -> int:
    """Upgrade the plugin NAME, or every outdated plugin, to the newest version for this zoryx-core."""
    return run_marketplace_command(_update, params)


@click.group(short_help="marketplace details and tools: info, build-catalog, fixdeps...")
def marketplace() -> None:
    """Marketplace details and tools: a plugin's entry, building a catalog, missing dependencies,
    the terms and this bot's instance id."""


@marketplace.command(short_help="a plugin's catalog entry and versions")
@click.argument("plugin", metavar="NAME")
@_refresh
@_json
@_source_options
def info(**params: Any) -> int:
    """The catalog entry of the plugin NAME and its versions."""
    return run_marketplace_command(_info, params)


@marketplace.command("build-catalog", short_help="write a catalog from a folder of wheels")
@click.argument("wheel_dir", metavar="WHEEL_DIR", type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="catalog file (default WHEEL_DIR/catalog.json)"
)
@click.option("--base-url", help="URL the wheels will be served under (default: next to the catalog)")
@click.option(
    "--sidecar",
    type=click.Path(path_type=Path),
    help="status, tags and terms (default WHEEL_DIR/marketplace.toml)",
)
def build_catalog_command(**params: Any) -> int:
    """Write a catalog from the wheels in WHEEL_DIR."""
    return run_marketplace_command(_build_catalog, params)


@marketplace.command(short_help="install what installed plugins declare but lack (one resolution)")
@_source_options
def fixdeps(**params: Any) -> int:
    """Install what installed plugins declare but lack, in one resolution."""
    return run_marketplace_command(_fixdeps, params)


@marketplace.command(short_help="show the marketplace's terms")
@click.option("--accept", is_flag=True, help="accept them")
@_source_options
def terms(**params: Any) -> int:
    """Show the marketplace's terms (and accept them with --accept)."""
    return run_marketplace_command(_terms, params)


@marketplace.command("id", short_help="print this bot's marketplace instance id")
@_source_options
def instance_id(**params: Any) -> int:
    """Print this bot's marketplace instance id."""
    return run_marketplace_command(_instance_id, params)


MARKETPLACE_COMMANDS: tuple[click.Command, ...] = (search, install, uninstall, update, marketplace)
"""The top-level ``zoryx`` commands this module adds."""


def run_marketplace_command(handler: Handler, params: dict[str, Any]) -> int:
    """Run a marketplace command's ``handler`` on its parameters; returns the exit code (0 done,
    1 failed, 2 bad input, 130 interrupted)."""
    from rich.console import Console

    from marketplace_client import MarketplaceError
    from zoryx_core.redact import redact_urls

    console = Console(highlight=False, soft_wrap=True)
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        return asyncio.run(handler(SimpleNamespace(**params), console, errors))
    except _Exit as stop:
        errors.print(f"[red]error:[/] {redact_urls(str(stop))}")
        return stop.code
    except (MarketplaceError, ValueError, OSError) as error:
        errors.print(f"[red]error:[/] {redact_urls(str(error))}")
        return 1
    except KeyboardInterrupt:
        return 130


# --- options -------------------------------------------------------------------------------------


def options_from_args(args: SimpleNamespace, environ: dict[str, str] | None = None) -> MarketplaceOptions:
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


async def _search(args: SimpleNamespace, console: Console, errors: Console) -> int:
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
    if args.as_json:
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


async def _info(args: SimpleNamespace, console: Console, errors: Console) -> int:
    from rich.table import Table

    from marketplace_client import Installer

    options = options_from_args(args)
    async with _client(options) as client:
        catalog = await client.catalog(refresh=args.refresh)
        plugin = catalog.get(args.plugin)
        installed = {p.name: p.version for p in await Installer(client).installed_plugins()}
    core = _core_version()
    if args.as_json:
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


async def _terms(args: SimpleNamespace, console: Console, errors: Console) -> int:
    options = options_from_args(args)
    async with _client(options) as client:
        catalog = await client.catalog()
    console.print(f"[bold]{catalog.name}[/]: terms version {catalog.terms.version}")
    console.print(catalog.terms.text or "(no terms)")
    if args.accept:
        await asyncio.to_thread(_record_terms, options, catalog)
        console.print("accepted")
    return 0


async def _instance_id(args: SimpleNamespace, console: Console, errors: Console) -> int:
    options = options_from_args(args)
    async with _client(options) as client:
        console.print(await client.instance_id())
    return 0


async def _build_catalog(args: SimpleNamespace, console: Console, errors: Console) -> int:
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


async def _install(args: SimpleNamespace, console: Console, errors: Console) -> int:
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


async def _update(args: SimpleNamespace, console: Console, errors: Console) -> int:
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


async def _uninstall(args: SimpleNamespace, console: Console, errors: Console) -> int:
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


async def _fixdeps(args: SimpleNamespace, console: Console, errors: Console) -> int:
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
