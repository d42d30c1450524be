"""Parsing and validating catalog documents (schema version 1).

``catalog-v1.schema.json`` (shipped in this package) is the one definition of a valid document: it is
checked with jsonschema, and its errors are told as the offending place (e.g.
``plugins[2].versions[0].sha256``) and what is allowed there. This module adds only what JSON Schema
cannot say: versions are valid PEP 440 and unique, plugin names are unique, wheel file names match
the plugin and version, ``requires_core`` is a valid specifier.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from .errors import CatalogError
from .models import Catalog, CatalogPlugin, CatalogVersion, ListingStatus, Terms

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, ValidationError

__all__ = ["SCHEMA_VERSION", "catalog_schema", "parse_catalog", "parse_catalog_bytes"]

SCHEMA_VERSION = 1
"""The catalog schema version this client reads."""

# What the schema's patterns allow, in words (a test checks that every pattern has an entry).
_PATTERN_MEANINGS = {
    "^[0-9a-f]{64}$": "64 lower-case hexadecimal characters",
    "^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$": (
        "a distribution name: letters, digits, '.', '_' and '-', starting and ending with a letter or digit"
    ),
    "^[^/\\\\]+\\.whl$": "a wheel file name ending in .whl, without '/' or '\\'",
}

_TYPE_NOUNS = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
}


def catalog_schema() -> dict[str, Any]:
    """The JSON Schema of catalog documents (``catalog-v1.schema.json``)."""
    text = resources.files(__package__).joinpath("catalog-v1.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator  # imported when the first catalog is read, not at start-up

    return Draft202012Validator(catalog_schema())


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
    try:
        _check_schema(data)
        return _Builder(source_url).catalog(data, fetched_at)
    except _Invalid as error:
        where = f" from {source_url}" if source_url else ""
        raise CatalogError(f"the catalog{where} is invalid: {error}", url=source_url) from None


class _Invalid(Exception):
    pass


def _fail(path: str, problem: str) -> _Invalid:
    return _Invalid(f"{path}: {problem}" if path else problem)


# --- the schema, and its errors in words ---------------------------------------------------------


def _check_schema(data: Any) -> None:
    """Raise :class:`_Invalid` for the first problem the schema finds (the shallowest, then the earliest)."""
    version = data.get("schema_version") if isinstance(data, dict) else None
    if isinstance(version, int) and not isinstance(version, bool) and version != SCHEMA_VERSION:
        # Another version's document is not judged by this version's schema.
        raise _fail(
            "schema_version",
            f"{version} is not supported; this client reads schema version {SCHEMA_VERSION} "
            "(a newer zoryx-core may read it)",
        )
    errors = list(_validator().iter_errors(data))
    if not errors:
        return
    first = min(errors, key=lambda error: (len(error.absolute_path), _order(error.absolute_path)))
    more = len(errors) - 1
    also = f" ({more} more problem{'s' if more != 1 else ''} in the document)" if more else ""
    raise _Invalid(_describe(first) + also)


def _order(path: Iterable[str | int]) -> list[tuple[int, str | int]]:
    return [(0, part) if isinstance(part, int) else (1, part) for part in path]


def _location(path: Iterable[str | int]) -> str:
    """``plugins[2].versions[0].sha256`` for the path ``plugins, 2, versions, 0, sha256``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _describe(error: ValidationError) -> str:
    """One line naming where ``error`` is and what is allowed there."""
    where = _location(error.absolute_path)
    value: Any = error.validator_value
    instance: Any = error.instance
    match error.validator:
        case "type":
            allowed = " or ".join(_TYPE_NOUNS.get(kind, kind) for kind in _as_list(value))
            return _at(where, f"must be {allowed}, got {_kind(instance)}")
        case "required":
            missing = [key for key in value if key not in instance]
            return _at(where or "(document)", f"the required key {missing[0]!r} is missing")
        case "additionalProperties":
            return _unknown_key(error, where)
        case "enum":
            allowed = ", ".join(str(option) for option in value)
            return _at(where, f"{_short(instance)} is not one of {allowed}")
        case "const":
            return _at(where, f"must be {value!r}, got {_short(instance)}")
        case "minLength":
            return _at(where, "must not be empty" if value == 1 else f"needs at least {value} characters")
        case "maxLength":
            return _at(where, f"is {len(instance)} characters long; at most {value} are allowed")
        case "minItems":
            return _at(where, f"must list at least {_count(value, error.absolute_path)}")
        case "maxItems":
            return _at(
                where, f"has {_count(len(instance), error.absolute_path)}; at most {value} are allowed"
            )
        case "minimum":
            return _at(where, f"must be at least {value}, got {_short(instance)}")
        case "pattern":
            meaning = _PATTERN_MEANINGS.get(value, f"text matching {value}")
            return _at(where, f"must be {meaning}, got {_short(instance)}")
        case "oneOf" | "anyOf" if all(set(option) == {"required"} for option in value):
            keys = " or ".join(repr(option["required"][0]) for option in value)
            how_many = "exactly one" if error.validator == "oneOf" else "at least one"
            return _at(where, f"must give {how_many} of {keys}")
    return _at(where, error.message)


def _unknown_key(error: ValidationError, where: str) -> str:
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    instance: Any = error.instance
    known = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    extra = sorted(
        key for key in instance if key not in known and not any(re.search(p, key) for p in patterns)
    )
    allowed = ", ".join(sorted(known))
    for pattern in patterns:
        prefix = pattern.removeprefix("^")
        plain = pattern.startswith("^") and not any(char in prefix for char in ".^$*+?{}[]\\|()")
        allowed += f", or any key starting with {prefix!r}" if plain else f", or any key matching {pattern}"
    inner = f"{where}.{extra[0]}" if where else extra[0]
    return _at(inner, f"unknown key (allowed: {allowed})")


def _at(where: str, problem: str) -> str:
    return f"{where}: {problem}" if where else problem


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _count(number: int, path: Sequence[str | int]) -> str:
    """``one version`` / ``21 tags``, the noun taken from the array's key."""
    plural = path[-1] if path and isinstance(path[-1], str) else "items"
    if number != 1:
        return f"{number} {plural}"
    singular = plural[:-3] + "y" if plural.endswith("ies") else plural.removesuffix("s")
    return f"one {singular}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


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


# --- what JSON Schema cannot say ------------------------------------------------------------------


class _Builder:
    """Builds the models from a document the schema accepted, checking versions, names and files."""

    def __init__(self, source_url: str) -> None:
        self.source_url = source_url

    def catalog(self, data: dict[str, Any], fetched_at: float) -> Catalog:
        plugins: list[CatalogPlugin] = []
        seen: dict[str, str] = {}
        for position, raw in enumerate(data["plugins"]):
            path = f"plugins[{position}]"
            plugin = self.plugin(raw, path)
            if plugin.name in seen:
                raise _fail(f"{path}.name", f"{plugin.name!r} is listed twice (also at {seen[plugin.name]})")
            seen[plugin.name] = path
            plugins.append(plugin)
        terms = data["terms"]
        return Catalog(
            schema_version=data["schema_version"],
            name=data["name"],
            terms=Terms(version=terms["version"], text=terms["text"]),
            plugins=tuple(plugins),
            source_url=self.source_url,
            generated=data.get("generated"),
            fetched_at=fetched_at,
        )

    def plugin(self, raw: dict[str, Any], path: str) -> CatalogPlugin:
        canonical = canonicalize_name(raw["name"])
        versions = [
            self.version(entry, f"{path}.versions[{i}]", canonical) for i, entry in enumerate(raw["versions"])
        ]
        seen: set[Version] = set()
        for i, entry in enumerate(versions):
            if entry.parsed in seen:
                raise _fail(f"{path}.versions[{i}].version", f"{entry.version} is listed twice")
            seen.add(entry.parsed)
        versions.sort(key=lambda entry: entry.parsed, reverse=True)
        return CatalogPlugin(
            name=canonical,
            summary=raw["summary"],
            author=raw["author"],
            status=ListingStatus(raw["status"]),
            versions=tuple(versions),
            tags=tuple(raw.get("tags", ())),
            homepage=raw.get("homepage"),
            license=raw.get("license"),
        )

    def version(self, raw: dict[str, Any], path: str, plugin: str) -> CatalogVersion:
        text: str = raw["version"]
        try:
            version = Version(text)
        except InvalidVersion:
            raise _fail(f"{path}.version", f"{text!r} is not a PEP 440 version") from None
        filename: str = raw["filename"]
        try:
            wheel_name, wheel_version, _, _ = parse_wheel_filename(filename)
        except InvalidWheelFilename as error:
            raise _fail(f"{path}.filename", f"{filename!r} is not a wheel file name: {error}") from None
        if wheel_name != plugin or wheel_version != version:
            raise _fail(
                f"{path}.filename",
                f"{filename!r} is {wheel_name} {wheel_version}, not {plugin} {version}",
            )
        requires_core: str = raw.get("requires_core", "")
        if requires_core:
            try:
                SpecifierSet(requires_core)
            except InvalidSpecifier:
                raise _fail(
                    f"{path}.requires_core",
                    f"{requires_core!r} is not a version specifier such as '>=0.1,<0.2'",
                ) from None
        url: str | None = raw.get("url")
        size = raw.get("size")
        return CatalogVersion(
            version=text,
            filename=filename,
            sha256=raw["sha256"],
            url=urljoin(self.source_url, url) if url is not None and self.source_url else url,
            index=raw.get("index"),
            requires_core=requires_core,
            requires_python=raw.get("requires_python"),
            size=int(size) if size is not None else None,  # JSON Schema counts 3.0 as an integer
            dependencies=tuple(raw.get("dependencies", ())),
        )
