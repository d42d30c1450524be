"""The marketplace's options, built from the bot's settings (``marketplace.*``) or the command line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from zoryx_core.redact import redact_url
from zoryx_core.settings import CORE_SETTINGS, Setting

__all__ = [
    "DEFAULT_INDEX_URL",
    "SETTINGS_PREFIX",
    "MarketplaceOptions",
    "SettingsSource",
    "marketplace_settings",
]

DEFAULT_INDEX_URL = "https://pypi.org/simple"
SETTINGS_PREFIX = "marketplace."

# key (without the prefix) -> (default, kind, description, limits): zoryx-core's ``marketplace.*``
# settings, the one table both the options and the settings reference use.
_SETTINGS: dict[str, tuple[Any, str, str, dict[str, Any]]] = {
    spec.key.removeprefix(SETTINGS_PREFIX): (
        spec.default,
        spec.kind,
        spec.description,
        {
            name: getattr(spec, name)
            for name in ("minimum", "maximum", "min_length")
            if getattr(spec, name) is not None
        },
    )
    for spec in CORE_SETTINGS
    if spec.key.startswith(SETTINGS_PREFIX)
}


class SettingsSource(Protocol):
    """Read access to flat dotted settings: a ``dict`` or zoryx-core's ``Settings``."""

    def get(self, key: str, default: Any = None, /) -> Any: ...


@dataclass(frozen=True)
class MarketplaceOptions:
    """Everything the client and installer need to know; both the CLI and the Discord plugin build
    it (see :meth:`from_settings`). Values are checked on creation (:class:`ValueError`)."""

    catalog_url: str = ""
    index_url: str = DEFAULT_INDEX_URL
    data_dir: Path = field(default_factory=lambda: Path("data"))
    """The bot's data folder; the marketplace keeps its files in ``data_dir/marketplace``."""
    cache_seconds: float = 300.0
    timeout: float = 30.0
    send_instance_id: bool = True
    max_retries: int = 3
    max_retry_wait: float = 30.0
    pip_timeout: float = 600.0
    allow_insecure_http: bool = False
    """Accept plain ``http://`` locations (whoever sits in the middle could change the catalog's
    sha256 along with the wheel); off, only https and local files are used."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        for key, (_, kind, _, limits) in _SETTINGS.items():
            value = getattr(self, key)
            problem = _check(value, kind, limits)
            if problem:
                raise ValueError(f"marketplace option {key}={value!r}: {problem}")
        if self.catalog_url and not _is_location(self.catalog_url):
            raise ValueError(
                f"marketplace option catalog_url={redact_url(self.catalog_url)!r}: use an http(s) or "
                "file URL, or a path"
            )
        if urlparse(self.index_url).scheme not in ("http", "https", "file"):
            raise ValueError(
                f"marketplace option index_url={redact_url(self.index_url)!r}: use an http(s) or file URL"
            )

    def insecure(self, url: str, what: str) -> str | None:
        """Why ``url`` (``what``: "the catalog", "the package index"...) may not be used, or None:
        plain ``http://`` is refused unless :attr:`allow_insecure_http` is set."""
        if self.allow_insecure_http or urlparse(url).scheme.lower() != "http":
            return None
        return (
            f"{what} at {redact_url(url)} is plain http://, which anyone on the way can alter (the "
            "sha256 included); use https, or set marketplace.allow_insecure_http to true to accept it"
        )

    @property
    def marketplace_dir(self) -> Path:
        """``data_dir/marketplace``: instance id, catalog cache, downloaded wheels."""
        return self.data_dir / "marketplace"

    @classmethod
    def from_settings(
        cls, settings: SettingsSource, *, base_dir: Path | None = None, **overrides: Any
    ) -> MarketplaceOptions:
        """Options from the bot's flat settings (``marketplace.catalog_url``... and ``data_dir``,
        each falling back to its default when absent); a relative ``data_dir`` is taken relative to
        ``base_dir``. Keyword ``overrides`` (e.g. from command-line options) win when not None."""
        values: dict[str, Any] = {}
        for key, (default, _, _, _) in _SETTINGS.items():
            full = SETTINGS_PREFIX + key
            values[key] = settings.get(full, default)
        data_dir = Path(str(settings.get("data_dir", "data")))
        if base_dir is not None and not data_dir.is_absolute():
            data_dir = base_dir / data_dir
        values["data_dir"] = data_dir
        names = {f.name for f in fields(cls)}
        for key, value in overrides.items():
            if key not in names:
                raise TypeError(f"unknown marketplace option {key!r}; known: {', '.join(sorted(names))}")
            if value is not None:
                values[key] = value
        return cls(**values)

    def with_changes(self, **changes: Any) -> MarketplaceOptions:
        """A copy with some options changed (checked again)."""
        return replace(self, **changes)


def marketplace_settings() -> list[Setting]:
    """The ``marketplace.*`` settings (part of zoryx-core's settings table)."""
    return [spec for spec in CORE_SETTINGS if spec.key.startswith(SETTINGS_PREFIX)]


def _is_location(text: str) -> bool:
    scheme = urlparse(text).scheme
    return scheme in ("http", "https", "file") or scheme == "" or len(scheme) == 1  # a path (or C:\...)


def _check(value: Any, kind: str, limits: Mapping[str, Any]) -> str | None:
    if kind == "bool":
        return None if isinstance(value, bool) else "must be true or false"
    if kind == "str":
        if not isinstance(value, str):
            return "must be a string"
        if len(value) < limits.get("min_length", 0):
            return "must not be empty"
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (kind == "int" and isinstance(value, float))
    ):
        return f"must be {'an integer' if kind == 'int' else 'a number'}"
    low, high = limits.get("minimum"), limits.get("maximum")
    if (low is not None and value < low) or (high is not None and value > high):
        return f"must be from {low} to {high}"
    return None
