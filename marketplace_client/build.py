"""``zoryx marketplace build-catalog``: a catalog written from a folder of wheels.

Name, version, summary, author, licence, homepage, requirements and the ``zoryx.plugins`` entry
point come from each wheel's own metadata; what metadata cannot say (the marketplace's name and
terms, each plugin's status and tags) comes from an optional sidecar file, ``marketplace.toml``
in the wheel folder (see ``docs/marketplace-catalog.md``). Wheels without a ``zoryx.plugins``
entry point (libraries) are skipped and reported.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from .catalog import SCHEMA_VERSION, parse_catalog
from .errors import CatalogError, MarketplaceError, WheelError
from .models import ListingStatus
from .wheel import WheelInfo, read_wheel

__all__ = ["SIDECAR_FILE", "BuildReport", "Sidecar", "build_catalog", "read_sidecar", "write_catalog"]

SIDECAR_FILE = "marketplace.toml"
DEFAULT_NAME = "Zoryx marketplace"


@dataclass(frozen=True)
class Sidecar:
    """The parts of a catalog that wheels cannot describe."""

    name: str = DEFAULT_NAME
    terms_version: str = "none"
    terms_text: str = ""
    default_status: ListingStatus = ListingStatus.WORKING
    statuses: Mapping[str, ListingStatus] | None = None
    tags: Mapping[str, tuple[str, ...]] | None = None


@dataclass(frozen=True)
class BuildReport:
    """The written document and what went into it."""

    document: dict[str, Any]
    plugins: int
    versions: int
    skipped: tuple[tuple[str, str], ...]
    """``(file name, reason)`` of wheels left out."""


def read_sidecar(path: Path) -> Sidecar:
    """Parse ``marketplace.toml``; raises :class:`MarketplaceError` naming the bad key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise MarketplaceError(f"cannot read {path}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise MarketplaceError(f"{path} is not valid TOML: {error}") from None
    _only(data, {"name", "default_status", "terms", "plugins"}, path, "")
    name = _text(data.get("name", DEFAULT_NAME), path, "name")
    default_status = _status(data.get("default_status", "working"), path, "default_status")
    terms = data.get("terms", {})
    if not isinstance(terms, dict):
        raise MarketplaceError(f"{path}: [terms] must be a table")
    _only(terms, {"version", "text", "file"}, path, "terms.")
    if "text" in terms and "file" in terms:
        raise MarketplaceError(f"{path}: give terms.text or terms.file, not both")
    terms_text = _text(terms.get("text", ""), path, "terms.text")
    if "file" in terms:
        terms_file = path.parent / _text(terms["file"], path, "terms.file")
        try:
            terms_text = terms_file.read_text(encoding="utf-8")
        except OSError as error:
            raise MarketplaceError(f"{path}: terms.file {terms_file}: {error.strerror or error}") from None
    if terms_text and "version" not in terms:
        raise MarketplaceError(f"{path}: terms.version is required with terms (change it when they change)")
    terms_version = _text(terms.get("version", "none"), path, "terms.version")
    statuses: dict[str, ListingStatus] = {}
    tags: dict[str, tuple[str, ...]] = {}
    plugins = data.get("plugins", {})
    if not isinstance(plugins, dict):
        raise MarketplaceError(f"{path}: [plugins] must be a table of tables, e.g. [plugins.zoryx-weather]")
    for raw_name, entry in plugins.items():
        key = f"plugins.{raw_name}"
        if not isinstance(entry, dict):
            raise MarketplaceError(f"{path}: [{key}] must be a table")
        _only(entry, {"status", "tags"}, path, key + ".")
        plugin = canonicalize_name(raw_name)
        if "status" in entry:
            statuses[plugin] = _status(entry["status"], path, key + ".status")
        raw_tags = entry.get("tags", [])
        if not isinstance(raw_tags, list) or not all(isinstance(t, str) and t.strip() for t in raw_tags):
            raise MarketplaceError(f"{path}: {key}.tags must be a list of non-empty strings")
        tags[plugin] = tuple(t.strip() for t in raw_tags)
    return Sidecar(name, terms_version, terms_text, default_status, statuses, tags)


def build_catalog(
    wheel_dir: Path,
    *,
    base_url: str | None = None,
    sidecar: Path | None = None,
    generated: datetime.datetime | None = None,
) -> BuildReport:
    """Read every ``*.whl`` in ``wheel_dir`` and return the catalog document (validated).

    Wheel URLs are ``base_url/<file name>``, or the bare file name (relative to the catalog, so
    the folder can be served as it is) without ``base_url``. ``sidecar`` defaults to
    ``wheel_dir/marketplace.toml`` when that exists. Blocking (reads and hashes files).
    """
    if not wheel_dir.is_dir():
        raise MarketplaceError(f"{wheel_dir} is not a folder")
    sidecar_path = sidecar if sidecar is not None else wheel_dir / SIDECAR_FILE
    if sidecar is not None and not sidecar.is_file():
        raise MarketplaceError(f"sidecar file {sidecar} does not exist")
    side = read_sidecar(sidecar_path) if sidecar_path.is_file() else Sidecar()
    skipped: list[tuple[str, str]] = []
    by_plugin: dict[str, list[tuple[WheelInfo, str]]] = {}
    for path in sorted(wheel_dir.glob("*.whl")):
        try:
            info = read_wheel(path)
        except WheelError as error:
            skipped.append((path.name, str(error)))
            continue
        problem = info.plugin_problem()
        if problem:
            skipped.append((path.name, problem))
            continue
        by_plugin.setdefault(info.name, []).append((info, _sha256(path)))
    for name in side.statuses or {}:
        if name not in by_plugin:
            raise MarketplaceError(
                f"{sidecar_path} describes {name}, but no plugin wheel in {wheel_dir} has it"
            )
    for name in side.tags or {}:
        if name not in by_plugin:
            raise MarketplaceError(
                f"{sidecar_path} describes {name}, but no plugin wheel in {wheel_dir} has it"
            )
    plugins = [_plugin_entry(name, wheels, side, base_url) for name, wheels in sorted(by_plugin.items())]
    when = generated or datetime.datetime.now(datetime.UTC)
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "name": side.name,
        "generated": when.replace(microsecond=0).isoformat(),
        "terms": {"version": side.terms_version, "text": side.terms_text},
        "plugins": plugins,
    }
    try:
        parse_catalog(document)
    except CatalogError as error:
        raise MarketplaceError(f"the wheels in {wheel_dir} do not make a valid catalog: {error}") from None
    versions = sum(len(plugin["versions"]) for plugin in plugins)
    return BuildReport(document, len(plugins), versions, tuple(skipped))


def write_catalog(document: Mapping[str, Any], path: Path) -> None:
    """Write ``document`` to ``path`` atomically (temporary file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _plugin_entry(
    name: str, wheels: list[tuple[WheelInfo, str]], side: Sidecar, base_url: str | None
) -> dict[str, Any]:
    wheels.sort(key=lambda item: Version(item[0].version), reverse=True)
    seen: dict[Version, str] = {}
    for info, _ in wheels:
        version = Version(info.version)
        if version in seen:
            raise MarketplaceError(
                f"two wheels of {name} {info.version}: {seen[version]} and {info.filename}; keep one"
            )
        seen[version] = info.filename
    newest = wheels[0][0]
    entry: dict[str, Any] = {
        "name": newest.display_name,
        "summary": newest.summary[:512],
        "author": newest.author[:256],
        "status": (side.statuses or {}).get(name, side.default_status).value,
        "tags": list((side.tags or {}).get(name, ())),
    }
    if newest.homepage:
        entry["homepage"] = newest.homepage
    if newest.license:
        entry["license"] = newest.license
    entry["versions"] = [_version_entry(info, digest, base_url) for info, digest in wheels]
    return entry


def _version_entry(info: WheelInfo, digest: str, base_url: str | None) -> dict[str, Any]:
    file_part = quote(info.filename)
    core = info.core_requirement
    entry: dict[str, Any] = {
        "version": info.version,
        "filename": info.filename,
        "url": f"{base_url.rstrip('/')}/{file_part}" if base_url else file_part,
        "sha256": digest,
        "requires_core": _specifier_text(core.specifier) if core is not None else "",
        "size": info.path.stat().st_size,
        "dependencies": list(info.requires_dist),
    }
    if info.requires_python:
        entry["requires_python"] = info.requires_python
    return entry


def _specifier_text(specifier: SpecifierSet) -> str:
    """Lower bounds first: ``>=0.1,<0.2`` rather than packaging's ``<0.2,>=0.1``."""
    lower = (">=", ">", "~=", "==", "===")
    parts = sorted(specifier, key=lambda spec: (spec.operator not in lower, spec.version))
    return ",".join(str(spec) for spec in parts)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _only(table: Mapping[str, Any], allowed: set[str], path: Path, prefix: str) -> None:
    for key in table:
        if key not in allowed:
            known = ", ".join(prefix + k for k in sorted(allowed))
            raise MarketplaceError(f"{path}: unknown key {prefix}{key} (allowed: {known})")


def _text(value: Any, path: Path, key: str) -> str:
    if not isinstance(value, str):
        raise MarketplaceError(f"{path}: {key} must be a string")
    return value


def _status(value: Any, path: Path, key: str) -> ListingStatus:
    try:
        return ListingStatus(str(value).lower())
    except ValueError:
        allowed = ", ".join(status.value for status in ListingStatus)
        raise MarketplaceError(f"{path}: {key} is {value!r}; use one of {allowed}") from None
