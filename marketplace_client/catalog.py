"""Parsing and validating catalog documents (schema version 1).

The checks mirror ``catalog-v1.schema.json`` (shipped in this package) and add what JSON Schema
cannot say: versions are valid PEP 440 and unique, wheel file names match the plugin and version,
``requires_core`` is a valid specifier. Errors name the offending place, e.g.
``plugins[2].versions[0].sha256``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any
from urllib.parse import urljoin

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from .errors import CatalogError
from .models import Catalog, CatalogPlugin, CatalogVersion, ListingStatus, Terms

__all__ = ["SCHEMA_VERSION", "catalog_schema", "parse_catalog", "parse_catalog_bytes"]

SCHEMA_VERSION = 1
"""The catalog schema version this client reads."""

_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_TOP = {"schema_version", "name", "generated", "terms", "plugins"}
_TERMS = {"version", "text"}
_PLUGIN = {"name", "summary", "author", "status", "tags", "homepage", "license", "versions"}
_VERSION = {
    "version",
    "filename",
    "sha256",
    "url",
    "index",
    "requires_core",
    "requires_python",
    "size",
    "dependencies",
}


def catalog_schema() -> dict[str, Any]:
    """The JSON Schema of catalog documents (``catalog-v1.schema.json``)."""
    text = resources.files(__package__).joinpath("catalog-v1.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def parse_catalog_bytes(body: bytes, source_url: str = "", *, fetched_at: float = 0.0) -> Catalog:
    """Decode and validate a catalog document; raises :class:`CatalogError` saying what is wrong."""
    where = f" from {source_url}" if source_url else ""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise CatalogError(f"the catalog{where} is not UTF-8 text: {error}", url=source_url) from None
    except json.JSONDecodeError as error:
        raise CatalogError(
            f"the catalog{where} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}",
            url=source_url,
        ) from None
    return parse_catalog(data, source_url, fetched_at=fetched_at)


def parse_catalog(data: Any, source_url: str = "", *, fetched_at: float = 0.0) -> Catalog:
    """Validate an already decoded catalog document; relative wheel URLs are resolved against
    ``source_url``."""
    parser = _Parser(source_url)
    try:
        return parser.catalog(data, fetched_at)
    except _Invalid as error:
        where = f" from {source_url}" if source_url else ""
        raise CatalogError(f"the catalog{where} is invalid: {error}", url=source_url) from None


class _Invalid(Exception):
    pass


def _fail(path: str, problem: str) -> _Invalid:
    return _Invalid(f"{path}: {problem}" if path else problem)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


class _Parser:
    def __init__(self, source_url: str) -> None:
        self.source_url = source_url

    def catalog(self, data: Any, fetched_at: float) -> Catalog:
        obj = self.object(data, "", _TOP, required=("schema_version",))
        version = obj["schema_version"]
        if isinstance(version, bool) or not isinstance(version, int):
            raise _fail("schema_version", f"must be an integer, got {_kind(version)}")
        if version != SCHEMA_VERSION:
            raise _fail(
                "schema_version",
                f"{version} is not supported; this client reads schema version {SCHEMA_VERSION} "
                "(a newer zoryx-core may read it)",
            )
        self.object(data, "", _TOP, required=("name", "terms", "plugins"))
        name = self.string(obj["name"], "name", min_length=1, max_length=100)
        generated = self.optional_string(obj, "generated", "generated", min_length=0)
        terms_obj = self.object(obj["terms"], "terms", _TERMS, required=("version", "text"))
        terms = Terms(
            version=self.string(terms_obj["version"], "terms.version", min_length=1, max_length=64),
            text=self.string(terms_obj["text"], "terms.text", max_length=20000),
        )
        plugins_raw = self.array(obj["plugins"], "plugins")
        plugins: list[CatalogPlugin] = []
        seen: dict[str, str] = {}
        for position, raw in enumerate(plugins_raw):
            path = f"plugins[{position}]"
            plugin = self.plugin(raw, path)
            if plugin.name in seen:
                raise _fail(f"{path}.name", f"{plugin.name!r} is listed twice (also at {seen[plugin.name]})")
            seen[plugin.name] = path
            plugins.append(plugin)
        return Catalog(
            schema_version=version,
            name=name,
            terms=terms,
            plugins=tuple(plugins),
            source_url=self.source_url,
            generated=generated,
            fetched_at=fetched_at,
        )

    def plugin(self, raw: Any, path: str) -> CatalogPlugin:
        obj = self.object(raw, path, _PLUGIN, required=("name", "summary", "author", "status", "versions"))
        name = self.string(obj["name"], f"{path}.name", max_length=100)
        if not _NAME.match(name):
            raise _fail(f"{path}.name", f"{name!r} is not a valid distribution name (letters, digits, . _ -)")
        canonical = canonicalize_name(name)
        status_text = self.string(obj["status"], f"{path}.status")
        try:
            status = ListingStatus(status_text.lower())
        except ValueError:
            allowed = ", ".join(s.value for s in ListingStatus)
            raise _fail(f"{path}.status", f"{status_text!r} is not one of {allowed}") from None
        tags_raw = self.array(obj.get("tags", []), f"{path}.tags")
        if len(tags_raw) > 20:
            raise _fail(f"{path}.tags", f"has {len(tags_raw)} tags; at most 20 are allowed")
        tags = tuple(
            self.string(tag, f"{path}.tags[{i}]", min_length=1, max_length=32)
            for i, tag in enumerate(tags_raw)
        )
        versions_raw = self.array(obj["versions"], f"{path}.versions")
        if not versions_raw:
            raise _fail(f"{path}.versions", "must list at least one version")
        versions = [self.version(v, f"{path}.versions[{i}]", canonical) for i, v in enumerate(versions_raw)]
        seen: set[Version] = set()
        for i, entry in enumerate(versions):
            if entry.parsed in seen:
                raise _fail(f"{path}.versions[{i}].version", f"{entry.version} is listed twice")
            seen.add(entry.parsed)
        versions.sort(key=lambda entry: entry.parsed, reverse=True)
        return CatalogPlugin(
            name=canonical,
            summary=self.string(obj["summary"], f"{path}.summary", max_length=512),
            author=self.string(obj["author"], f"{path}.author", max_length=256),
            status=status,
            versions=tuple(versions),
            tags=tags,
            homepage=self.optional_string(obj, "homepage", f"{path}.homepage"),
            license=self.optional_string(obj, "license", f"{path}.license"),
        )

    def version(self, raw: Any, path: str, plugin: str) -> CatalogVersion:
        obj = self.object(raw, path, _VERSION, required=("version", "filename", "sha256"))
        text = self.string(obj["version"], f"{path}.version", min_length=1, max_length=64)
        try:
            version = Version(text)
        except InvalidVersion:
            raise _fail(f"{path}.version", f"{text!r} is not a PEP 440 version") from None
        filename = self.string(obj["filename"], f"{path}.filename")
        try:
            wheel_name, wheel_version, _, _ = parse_wheel_filename(filename)
        except InvalidWheelFilename as error:
            raise _fail(f"{path}.filename", f"{filename!r} is not a wheel file name: {error}") from None
        if wheel_name != plugin or wheel_version != version:
            raise _fail(
                f"{path}.filename",
                f"{filename!r} is {wheel_name} {wheel_version}, not {plugin} {version}",
            )
        sha256 = self.string(obj["sha256"], f"{path}.sha256")
        if not _SHA256.match(sha256):
            raise _fail(f"{path}.sha256", f"must be 64 lower-case hexadecimal characters, got {sha256!r}")
        url = self.optional_string(obj, "url", f"{path}.url")
        index = self.optional_string(obj, "index", f"{path}.index")
        if (url is None) == (index is None):
            raise _fail(path, "must give exactly one of 'url' (the wheel) or 'index' (a simple index)")
        requires_core = (
            self.optional_string(obj, "requires_core", f"{path}.requires_core", min_length=0) or ""
        )
        if requires_core:
            try:
                SpecifierSet(requires_core)
            except InvalidSpecifier:
                raise _fail(
                    f"{path}.requires_core",
                    f"{requires_core!r} is not a version specifier such as '>=0.1,<0.2'",
                ) from None
        size = obj.get("size")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
            raise _fail(f"{path}.size", f"must be a non-negative integer, got {size!r}")
        deps_raw = self.array(obj.get("dependencies", []), f"{path}.dependencies")
        dependencies = tuple(self.string(d, f"{path}.dependencies[{i}]") for i, d in enumerate(deps_raw))
        return CatalogVersion(
            version=text,
            filename=filename,
            sha256=sha256,
            url=urljoin(self.source_url, url) if url is not None and self.source_url else url,
            index=index,
            requires_core=requires_core,
            requires_python=self.optional_string(
                obj, "requires_python", f"{path}.requires_python", min_length=0
            ),
            size=size,
            dependencies=dependencies,
        )

    # --- primitives ------------------------------------------------------------------------------

    def object(
        self, raw: Any, path: str, allowed: set[str], *, required: tuple[str, ...]
    ) -> Mapping[str, Any]:
        if not isinstance(raw, dict):
            raise _fail(path, f"must be an object, got {_kind(raw)}")
        for key in raw:
            if key not in allowed and not key.startswith("x-"):
                known = ", ".join(sorted(allowed))
                inner = f"{path}.{key}" if path else key
                raise _fail(inner, f"unknown key (allowed: {known}, or any key starting with 'x-')")
        for key in required:
            if key not in raw:
                raise _fail(path or "(document)", f"the required key {key!r} is missing")
        return raw

    def array(self, raw: Any, path: str) -> list[Any]:
        if not isinstance(raw, list):
            raise _fail(path, f"must be an array, got {_kind(raw)}")
        return raw

    def string(self, raw: Any, path: str, *, min_length: int = 0, max_length: int | None = None) -> str:
        if not isinstance(raw, str):
            raise _fail(path, f"must be a string, got {_kind(raw)}")
        if len(raw) < min_length:
            raise _fail(path, "must not be empty" if min_length == 1 else f"needs {min_length}+ characters")
        if max_length is not None and len(raw) > max_length:
            raise _fail(path, f"is {len(raw)} characters long; at most {max_length} are allowed")
        return raw

    def optional_string(
        self, obj: Mapping[str, Any], key: str, path: str, *, min_length: int = 1
    ) -> str | None:
        if key not in obj:
            return None
        return self.string(obj[key], path, min_length=min_length)
