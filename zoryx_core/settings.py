"""Layered, validated settings: defaults <- ``config.json`` <- environment.

Every setting is declared once as a :class:`Setting` (key, default, kind, description and limits).
:meth:`Settings.load` reads ``config.json`` strictly (values must already have the right JSON type),
applies ``ZORYX_*`` environment overrides (parsed from text), and fills in keys missing from the file
with their defaults using an atomic write. A file that cannot be parsed is reported with its line and
column and never rewritten.

Deployment values (token, owners, sharding) come only from the environment or ``.env``: see
:class:`Deployment`, :func:`read_dotenv` and :func:`merged_environ`.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import json
import logging
import math
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from dotenv.parser import parse_stream

from .private_files import PRIVATE_FILE_MODE, private_dir
from .redact import redact_text

__all__ = [
    "CORE_SETTINGS",
    "KINDS",
    "ConfigFileError",
    "Deployment",
    "DeploymentError",
    "PluginSettings",
    "Setting",
    "Settings",
    "SettingsError",
    "env_var_name",
    "merged_environ",
    "read_dotenv",
]

log = logging.getLogger(__name__)

KINDS: tuple[str, ...] = ("str", "int", "float", "bool", "list[str]", "list[int]")
"""The kinds a :class:`Setting` may have."""

ENV_PREFIX = "ZORYX_"
PLUGIN_SECTION = "plugin_settings"
DEFAULT_SOURCE = "default"

_SEGMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})
_KIND_NOUN = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "list[str]": "a list",
    "list[int]": "a list",
}


# ---------------------------------------------------------------------------------------------- errors


def _show(value: Any) -> str:
    """One-line, JSON-like rendering of a value for error messages."""
    try:
        text = json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    text = redact_text(text.replace("\r", "\\r").replace("\n", "\\n"))
    return text if len(text) <= 120 else text[:117] + "..."


_ASCII_INT = re.compile(r"[+-]?[0-9]{1,30}\Z")


def _ascii_int(text: str) -> int:
    """An integer written with the digits 0-9 (``int()`` also takes ``٣`` and ``1_000``)."""
    stripped = text.strip()
    if not _ASCII_INT.match(stripped):
        raise ValueError(f"not an integer in digits 0-9: {text!r}")
    return int(stripped)


def _json_kind(value: Any) -> str:
    """What a JSON value is, in words ("a string", "true/false", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a Python {type(value).__name__}"


class SettingsError(Exception):
    """A setting has a value that is not allowed; names the key, the value, its source and what is allowed.

    ``str(err)`` is one line, e.g. ``config.json: logging.max_bytes = -5 is not allowed; expected an
    integer from 1024 to 2147483647``. ``reason`` optionally says what exactly is wrong.
    """

    def __init__(self, key: str, value: Any, allowed: str, source: str, reason: str | None = None) -> None:
        super().__init__(key, value, allowed, source, reason)
        self.key = key
        self.value = value
        self.allowed = allowed
        self.source = source
        self.reason = reason

    def __str__(self) -> str:
        why = f": {self.reason}" if self.reason else ""
        return f"{self.source}: {self.key} = {_show(self.value)} is not allowed{why}; expected {self.allowed}"


class ConfigFileError(Exception):
    """``config.json`` could not be read or parsed. The file is never rewritten in that case.

    ``line`` and ``column`` (1-based) are set when the problem has a position. ``str(err)`` is one line,
    e.g. ``config.json line 3, column 7: Expecting ',' delimiter; fix the file (it was left untouched)``.
    """

    def __init__(self, path: Path, line: int | None, column: int | None, message: str) -> None:
        super().__init__(path, line, column, message)
        self.path = path
        self.line = line
        self.column = column
        self.message = message

    def __str__(self) -> str:
        where = str(self.path)
        if self.line is not None:
            where += f" line {self.line}"
            if self.column is not None:
                where += f", column {self.column}"
        return f"{where}: {self.message}; fix the file (it was left untouched)"


class DeploymentError(Exception):
    """A deployment value (``DISCORD_TOKEN``, ``BOT_OWNER_ID``, ``.env``, ...) is missing or invalid.

    The message is one line; ``variable`` and ``value`` are set when one variable is at fault.
    """

    def __init__(self, message: str, *, variable: str | None = None, value: str | None = None) -> None:
        super().__init__(message)
        self.variable = variable
        self.value = value


# --------------------------------------------------------------------------------------------- Setting


def _num(value: float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _chars(count: int) -> str:
    return f"{count} character" if count == 1 else f"{count} characters"


@dataclass(frozen=True)
class Setting:
    """One declared setting: dotted ``key``, ``default``, ``kind`` (see :data:`KINDS`) and limits.

    ``minimum``/``maximum`` apply to int and float (inclusive); ``choices`` (matched case-insensitively,
    stored as the canonical spelling), ``min_length`` and ``max_length`` apply to str. ``validator``
    gets the coerced value and returns an error text such as ``"must be ..."`` or None.
    """

    key: str
    default: Any
    kind: str
    description: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    min_length: int | None = None
    max_length: int | None = None
    validator: Callable[[Any], str | None] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not all(_SEGMENT.match(part) for part in self.key.split(".")):
            raise ValueError(
                f"setting key {self.key!r} must be dotted identifiers such as 'logging.max_bytes'"
            )
        if self.kind not in KINDS:
            raise ValueError(f"setting {self.key}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if (self.minimum is not None or self.maximum is not None) and self.kind not in ("int", "float"):
            raise ValueError(f"setting {self.key}: minimum/maximum only apply to int and float settings")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"setting {self.key}: minimum is greater than maximum")
        has_str_limits = self.min_length is not None or self.max_length is not None
        if (self.choices is not None or has_str_limits) and self.kind != "str":
            raise ValueError(f"setting {self.key}: choices/min_length/max_length only apply to str settings")
        if self.choices is not None:
            choices = tuple(self.choices)
            if not choices or not all(isinstance(choice, str) for choice in choices):
                raise ValueError(f"setting {self.key}: choices must be a non-empty sequence of strings")
            object.__setattr__(self, "choices", choices)

    @property
    def env_var(self) -> str:
        """The environment variable that overrides this (core) setting, e.g. ``ZORYX_LOGGING__LEVEL``."""
        return env_var_name(self.key)

    def describe_allowed(self) -> str:
        """What values are allowed, in words, e.g. ``"an integer from 1024 to 2147483647"``."""
        if self.kind == "bool":
            return "true or false"
        if self.kind == "list[str]":
            return "a list of strings"
        if self.kind == "list[int]":
            return "a list of integers"
        if self.kind == "str":
            if self.choices:
                return "one of " + ", ".join(self.choices)
            low = self.min_length or None
            high = self.max_length
            if low is not None and high is not None:
                if low == high:
                    return f"a string of exactly {_chars(low)}"
                return f"a string of {low} to {_chars(high)}"
            if high is not None:
                return f"a string of at most {_chars(high)}"
            if low == 1:
                return "a non-empty string"
            if low is not None:
                return f"a string of at least {_chars(low)}"
            return "a string"
        noun = _KIND_NOUN[self.kind]
        if self.minimum is not None and self.maximum is not None:
            return f"{noun} from {_num(self.minimum)} to {_num(self.maximum)}"
        if self.minimum is not None:
            return f"{noun} of at least {_num(self.minimum)}"
        if self.maximum is not None:
            return f"{noun} of at most {_num(self.maximum)}"
        return noun

    def _describe_env(self) -> str:
        if self.kind == "bool":
            return "true or false (or 1/0, yes/no, on/off)"
        if self.kind == "list[str]":
            return "a comma-separated list of strings"
        if self.kind == "list[int]":
            return "a comma-separated list of integers"
        return self.describe_allowed()

    def validate(self, value: Any, *, source: str) -> Any:
        """Check ``value`` and return it coerced (floats as float, choices canonical, lists as lists).

        A string from a source starting with ``"environment"`` is parsed from text (``"5"``, ``"yes"``,
        ``"a,b"``); anything else must already have the right JSON type. Raises :class:`SettingsError`.
        """
        return self._validate(value, source=source, shown_key=self.key)

    def _validate(self, value: Any, *, source: str, shown_key: str) -> Any:
        from_text = source.startswith("environment") and isinstance(value, str)
        allowed = self._describe_env() if from_text else self.describe_allowed()

        def fail(reason: str | None = None) -> SettingsError:
            return SettingsError(shown_key, value, allowed, source, reason)

        coerced = self._parse_text(value, fail) if from_text else self._check_type(value, fail)
        coerced = self._check_limits(coerced, fail)
        if self.validator is not None:
            problem = self.validator(coerced)
            if problem:
                raise fail(problem)
        return coerced

    def _parse_text(self, text: str, fail: Callable[..., SettingsError]) -> Any:
        kind = self.kind
        if kind == "str":
            return text
        if kind == "bool":
            word = text.strip().lower()
            if word in _TRUE:
                return True
            if word in _FALSE:
                return False
            raise fail()
        if kind in ("int", "float"):
            try:
                number: float = _ascii_int(text) if kind == "int" else float(text.strip())
            except ValueError:
                raise fail() from None
            if not math.isfinite(number):
                raise fail()
            return number
        items = [item.strip() for item in text.split(",")]
        items = [item for item in items if item]
        if kind == "list[str]":
            return items
        numbers: list[int] = []
        for item in items:
            try:
                numbers.append(_ascii_int(item))
            except ValueError:
                raise fail(f"{_show(item)} is not an integer") from None
        return numbers

    def _check_type(self, value: Any, fail: Callable[..., SettingsError]) -> Any:
        kind = self.kind

        def wrong(hint: str = "") -> SettingsError:
            return fail(f"it is {_json_kind(value)}, not {_KIND_NOUN[kind]}{hint}")

        if kind == "str":
            if not isinstance(value, str):
                raise wrong()
            return value
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in ("true", "false"):
                raise wrong(f" (write {value.strip().lower()} without quotes)")
            raise wrong()
        if kind in ("int", "float"):
            if isinstance(value, bool):
                raise wrong()
            if isinstance(value, str):
                hint = ""
                with contextlib.suppress(ValueError):
                    parsed = int(value) if kind == "int" else float(value)
                    if math.isfinite(parsed):
                        hint = f" (write {value.strip()} without quotes)"
                raise wrong(hint)
            if kind == "int":
                if isinstance(value, float):
                    raise fail("it has a decimal point, but an integer is expected")
                if not isinstance(value, int):
                    raise wrong()
                return value
            if not isinstance(value, int | float):
                raise wrong()
            try:
                number = float(value)
            except OverflowError:
                number = math.inf
            if not math.isfinite(number):
                raise fail("it is not a finite number")
            return number
        # Lists: a JSON array (a tuple is accepted for defaults written in Python).
        if not isinstance(value, list | tuple):
            raise wrong()
        item_kind = "int" if kind == "list[int]" else "str"
        result: list[Any] = []
        for index, item in enumerate(value, 1):
            ok = (
                isinstance(item, str)
                if item_kind == "str"
                else (isinstance(item, int) and not isinstance(item, bool))
            )
            if not ok:
                raise fail(f"item {index} ({_show(item)}) is {_json_kind(item)}, not {_KIND_NOUN[item_kind]}")
            result.append(item)
        return result

    def _check_limits(self, value: Any, fail: Callable[..., SettingsError]) -> Any:
        if self.kind in ("int", "float"):
            if (self.minimum is not None and value < self.minimum) or (
                self.maximum is not None and value > self.maximum
            ):
                raise fail()
            return value
        if self.kind == "str":
            if self.choices:
                wanted = value.strip().casefold()
                for choice in self.choices:
                    if choice.casefold() == wanted:
                        return choice
                raise fail()
            if (self.min_length is not None and len(value) < self.min_length) or (
                self.max_length is not None and len(value) > self.max_length
            ):
                raise fail()
        return value


def _env_part(text: str) -> str:
    return text.upper().replace("-", "_").replace(".", "_")


def env_var_name(key: str, plugin: str | None = None) -> str:
    """The environment variable overriding ``key``: ``ZORYX_A__B_C`` for ``a.b_c``.

    For a plugin's setting: ``ZORYX_PLUGIN_SETTINGS__<PLUGIN>__<KEY>``, the plugin name upper-cased
    with ``-`` and ``.`` turned into ``_``.
    """
    tail = key.upper().replace(".", "__")
    if plugin is None:
        return ENV_PREFIX + tail
    return f"{ENV_PREFIX}{PLUGIN_SECTION.upper()}__{_env_part(plugin)}__{tail}"


# ---------------------------------------------------------------------------------------- core settings


def _positive_ids(value: list[int]) -> str | None:
    bad = [item for item in value if item <= 0]
    return f"every owner id must be a positive integer (not {bad[0]})" if bad else None


def _no_empty_names(value: list[str]) -> str | None:
    return "plugin names must not be empty" if any(not item.strip() for item in value) else None


CORE_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "prefix",
        "!",
        "str",
        "Command prefix the bot answers to in text messages.",
        min_length=1,
        max_length=5,
    ),
    Setting(
        "owner_ids",
        [],
        "list[int]",
        "Discord user ids of extra bot owners besides BOT_OWNER_ID.",
        validator=_positive_ids,
    ),
    Setting(
        "intents.members",
        True,
        "bool",
        "Request the privileged Server Members intent (also enable it in the Developer Portal).",
    ),
    Setting(
        "intents.presences",
        False,
        "bool",
        "Request the privileged Presence intent (also enable it in the Developer Portal).",
    ),
    Setting(
        "intents.message_content",
        True,
        "bool",
        "Request the privileged Message Content intent that prefix commands need "
        "(also enable it in the Developer Portal).",
    ),
    Setting(
        "plugins.enabled",
        [],
        "list[str]",
        "When non-empty, only the plugins named here are loaded.",
        validator=_no_empty_names,
    ),
    Setting(
        "plugins.disabled",
        [],
        "list[str]",
        "Plugins that are never loaded, even when installed.",
        validator=_no_empty_names,
    ),
    Setting(
        "plugins.setup_timeout",
        30.0,
        "float",
        "Seconds a plugin's set-up may take before it is abandoned and reported as failed.",
        minimum=0.1,
        maximum=600,
    ),
    Setting(
        "plugins.hook_timeout",
        10.0,
        "float",
        "Seconds one async hook implementation may take before it is cancelled.",
        minimum=0.1,
        maximum=600,
    ),
    Setting(
        "plugins.teardown_timeout",
        10.0,
        "float",
        "Seconds a plugin's tear-down may take before shutdown moves on without it.",
        minimum=0.1,
        maximum=600,
    ),
    Setting(
        "plugins.extensions_dir",
        "extensions",
        "str",
        "Folder of single-file discord.py extensions; each .py file in it is loaded as an extension.",
        min_length=1,
    ),
    Setting(
        "hot_reload.enabled",
        False,
        "bool",
        "Watch extensions and editable plugins and reload them when their files change "
        "(the sandbox turns this on).",
    ),
    Setting(
        "hot_reload.debounce_ms",
        300,
        "int",
        "Milliseconds to wait after the last file change before reloading.",
        minimum=10,
        maximum=10000,
    ),
    Setting(
        "commands.auto_sync",
        True,
        "bool",
        "Sync application (slash) commands with Discord at start-up and after plugins are loaded, "
        "unloaded or reloaded, when they changed since the last sync.",
    ),
    Setting(
        "commands.sync_debounce_seconds",
        2.0,
        "float",
        "Seconds to wait after the last load, unload or reload before syncing, so a burst costs one sync.",
        minimum=0,
        maximum=60,
    ),
    Setting(
        "logging.level",
        "INFO",
        "str",
        "Lowest severity of log messages that are recorded.",
        choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
    ),
    Setting("logging.directory", "botlogs", "str", "Folder for the rotating log files.", min_length=1),
    Setting(
        "logging.max_bytes",
        10485760,
        "int",
        "Size in bytes at which a log file is rotated.",
        minimum=1024,
        maximum=2147483647,
    ),
    Setting(
        "logging.backup_count",
        5,
        "int",
        "Number of rotated log files kept next to the current one.",
        minimum=0,
        maximum=100,
    ),
    Setting(
        "logging.max_age_days",
        30,
        "int",
        "Days after which old log files are deleted.",
        minimum=1,
        maximum=3650,
    ),
    Setting("data_dir", "data", "str", "Folder for databases and plugin data.", min_length=1),
    Setting(
        "mention_prefix",
        True,
        "bool",
        "Whether mentioning the bot works as a prefix in servers that have not chosen with mentionprefix.",
    ),
    Setting(
        "cooldowns.default_rate",
        3,
        "int",
        "Uses per period allowed for each user of a command that declares no cooldown of its own "
        "(bot owners are exempt); 0 turns the default cooldown off.",
        minimum=0,
        maximum=1000,
    ),
    Setting(
        "cooldowns.default_per",
        5.0,
        "float",
        "Length in seconds of the default cooldown period.",
        minimum=0.1,
        maximum=86400,
    ),
    Setting(
        "errors.delete_after",
        10.0,
        "float",
        "Seconds after which an error reply to a text command deletes itself; 0 keeps it "
        "(replies to slash commands are ephemeral).",
        minimum=0,
        maximum=3600,
    ),
    Setting(
        "errors.suggest_commands",
        True,
        "bool",
        "Answer an unknown text command that is close to a command the member may use with "
        '"did you mean"; anything else stays unanswered.',
    ),
    Setting(
        "help.timeout",
        180.0,
        "float",
        "Seconds the help menu's controls stay usable before they are disabled.",
        minimum=1,
        maximum=3600,
    ),
    Setting(
        "status.type",
        "watching",
        "str",
        "Activity type shown as the bot's presence.",
        choices=("playing", "watching", "listening", "competing"),
    ),
    Setting(
        "status.text",
        "{guilds} servers",
        "str",
        "Presence text; {guilds}, {users} and {commands} are filled in.",
        min_length=1,
        max_length=128,
    ),
    Setting(
        "status.rotation",
        [],
        "list[str]",
        "More presence texts shown in turn with status.text (same placeholders); empty: no rotation.",
    ),
    Setting(
        "status.rotation_seconds",
        60.0,
        "float",
        "Seconds between presence changes when rotating (the counts are refreshed then too).",
        minimum=15,
        maximum=86400,
    ),
    Setting(
        "storage.backend",
        "sqlite",
        "str",
        "Where the bot keeps its data: sqlite (files in the data folder, nothing to install) or "
        "postgresql (one database several processes and machines share; the URL comes from the "
        "ZORYX_DATABASE_URL environment variable, never from config.json; needs zoryx-core[postgresql]).",
        choices=("sqlite", "postgresql"),
    ),
    Setting(
        "storage.pg_pool_size",
        10,
        "int",
        "Most PostgreSQL connections one process keeps open.",
        minimum=1,
        maximum=1000,
    ),
    Setting(
        "storage.pg_schema",
        "zoryx",
        "str",
        "PostgreSQL schema of the bot's global tables; each server's own tables go in <schema>_g<id>.",
        min_length=1,
        max_length=40,
    ),
    Setting(
        "storage.pg_retry_seconds",
        30.0,
        "float",
        "Seconds a PostgreSQL operation is retried while the server cannot be reached, before it fails.",
        minimum=0,
        maximum=3600,
    ),
    Setting(
        "storage.pool_size",
        64,
        "int",
        "Most SQLite connections open at once (global and per-server databases); the least "
        "recently used is closed first.",
        minimum=4,
        maximum=4096,
    ),
    Setting(
        "storage.busy_timeout_ms",
        5000,
        "int",
        "Milliseconds SQLite waits for another writer (another shard process) before giving up.",
        minimum=100,
        maximum=600000,
    ),
    Setting(
        "storage.json_cache_ttl",
        300.0,
        "float",
        "Seconds a JSON file read stays in the read cache.",
        minimum=0,
        maximum=86400,
    ),
    Setting(
        "storage.json_cache_size",
        1000,
        "int",
        "Most JSON files kept in the read cache (least recently used dropped first).",
        minimum=0,
        maximum=1000000,
    ),
    Setting(
        "storage.backup_count",
        5,
        "int",
        "Database backup sets kept in data/backups (oldest pruned first); 0 turns backups off.",
        minimum=0,
        maximum=1000,
    ),
    Setting(
        "storage.backup_on_shutdown",
        True,
        "bool",
        "Back the databases up with SQLite's online backup API when the bot shuts down.",
    ),
    Setting(
        "storage.departed_guild_grace_hours",
        168.0,
        "float",
        "Hours the data of a server the bot left is kept (in case it comes back) before it is deleted.",
        minimum=0,
        maximum=87600,
    ),
    Setting(
        "storage.maintenance_minutes",
        60.0,
        "float",
        "Minutes between maintenance runs: expired caches, idle connections, departed servers' data.",
        minimum=1,
        maximum=10080,
    ),
    Setting(
        "performance.freeze_heap",
        True,
        "bool",
        "Keep what is alive after start-up and READY out of the garbage collector's full passes "
        "(gc.freeze); plugin unloads and maintenance runs collect what was frozen.",
    ),
    Setting(
        "metrics.flush_seconds",
        30.0,
        "float",
        "Seconds between writes of the per-command usage counts to the database (also on shutdown).",
        minimum=1,
        maximum=3600,
    ),
    Setting(
        "marketplace.catalog_url",
        "",
        "str",
        "URL (http, https or file) or path of the marketplace catalog; empty: no marketplace configured.",
    ),
    Setting(
        "marketplace.index_url",
        "https://pypi.org/simple",
        "str",
        "PyPI-compatible package index (PEP 503 simple API) that plugins' dependencies are installed from.",
        min_length=1,
    ),
    Setting(
        "marketplace.cache_seconds",
        300.0,
        "float",
        "Seconds a fetched catalog is reused before it is fetched again (refresh fetches at once).",
        minimum=0,
        maximum=86400,
    ),
    Setting(
        "marketplace.timeout",
        30.0,
        "float",
        "Seconds one request to the marketplace may take (for wheel downloads: between two reads).",
        minimum=1,
        maximum=600,
    ),
    Setting(
        "marketplace.send_instance_id",
        True,
        "bool",
        "Send this bot's marketplace instance id (16 random characters) with each marketplace request.",
    ),
    Setting(
        "marketplace.max_retries",
        3,
        "int",
        "Retries of a marketplace request answered 429 or 5xx, or that failed to connect.",
        minimum=0,
        maximum=10,
    ),
    Setting(
        "marketplace.max_retry_wait",
        30.0,
        "float",
        "Longest wait in seconds before a retry; a Retry-After asking for longer fails the request.",
        minimum=0,
        maximum=600,
    ),
    Setting(
        "marketplace.pip_timeout",
        600.0,
        "float",
        "Seconds one pip run (resolution, install, uninstall) may take before it is stopped.",
        minimum=10,
        maximum=7200,
    ),
    Setting(
        "marketplace.allow_insecure_http",
        False,
        "bool",
        "Accept plain http:// for the catalog, the package index and wheels (loopback included); "
        "off: only https and local files.",
    ),
    Setting(
        "startup.guild_ready_timeout",
        2.0,
        "float",
        "Seconds discord.py waits for guilds to arrive before it dispatches READY.",
        minimum=0,
        maximum=60,
    ),
    Setting(
        "watchdog.blocked_loop_seconds",
        5.0,
        "float",
        "Seconds the event loop may stay blocked before the watchdog logs where it is stuck and "
        "whose code that is; 0 turns the watchdog off.",
        minimum=0,
        maximum=3600,
    ),
)
"""The settings of the core, in the order they are written to ``config.json``."""


# ------------------------------------------------------------------------------------- file handling

_Schema: TypeAlias = "dict[str, Setting | _Schema]"


def _spec_table(specs: Iterable[Setting], owner: str) -> dict[str, Setting]:
    """Index specs by key, refusing duplicates, keys nested under other keys and clashing env names."""
    table: dict[str, Setting] = {}
    env_names: dict[str, str] = {}
    for spec in specs:
        if not isinstance(spec, Setting):
            raise TypeError(f"{owner}: expected Setting objects, got {spec!r}")
        if spec.key in table:
            raise ValueError(f"{owner}: setting {spec.key!r} is declared twice")
        env = spec.key.upper().replace(".", "__")
        if env in env_names:
            other = env_names[env]
            raise ValueError(f"{owner}: settings {other!r} and {spec.key!r} share an environment name")
        table[spec.key] = spec
        env_names[env] = spec.key
    for key in table:
        parts = key.split(".")
        for end in range(1, len(parts)):
            parent = ".".join(parts[:end])
            if parent in table:
                raise ValueError(f"{owner}: setting {key!r} is nested under setting {parent!r}")
    return table


def _schema(table: Mapping[str, Setting]) -> _Schema:
    root: _Schema = {}
    for key, spec in table.items():
        node = root
        *groups, leaf = key.split(".")
        for group in groups:
            child = node.setdefault(group, {})
            assert isinstance(child, dict)
            node = child
        node[leaf] = spec
    return root


def _walk(
    node: Mapping[str, Any],
    schema: _Schema,
    *,
    prefix: str,
    shown_prefix: str,
    source: str,
    found: dict[str, Any],
    unknown: list[str],
    reserved: frozenset[str] = frozenset(),
) -> None:
    """Collect the file's values for known keys (into ``found``) and the keys nobody declared."""
    for name, value in node.items():
        item = schema.get(name)
        if item is None:
            if name not in reserved:
                unknown.append(prefix + name)
        elif isinstance(item, Setting):
            found[item.key] = value
        elif isinstance(value, dict):
            _walk(
                value,
                item,
                prefix=f"{prefix}{name}.",
                shown_prefix=shown_prefix,
                source=source,
                found=found,
                unknown=unknown,
            )
        else:
            raise SettingsError(
                f"{shown_prefix}{prefix}{name}",
                value,
                "an object with the keys " + ", ".join(item),
                source,
                f"it is {_json_kind(value)}, not an object",
            )


def _insert(tree: dict[str, Any], key: str, value: Any) -> None:
    *groups, leaf = key.split(".")
    node = tree
    for group in groups:
        node = node.setdefault(group, {})
    node[leaf] = value


def _insert_in_order(node: dict[str, Any], schema: _Schema, key: str, value: Any) -> None:
    """Add a missing ``key`` to a user's tree next to its declared neighbours, keeping all else in place."""
    name, _, rest = key.partition(".")
    if name not in node:
        order = list(schema)
        position = order.index(name)
        items = list(node.items())
        names = [item[0] for item in items]
        before = [other for other in order[:position] if other in node]
        after = [other for other in order[position + 1 :] if other in node]
        if before:
            index = names.index(before[-1]) + 1
        elif after:
            index = names.index(after[0])
        else:
            index = len(items)
        items.insert(index, (name, {} if rest else value))
        node.clear()
        node.update(items)
    if rest:
        child = schema[name]
        assert isinstance(child, dict)
        _insert_in_order(node[name], child, rest, value)


class _DuplicateKey(Exception):
    pass


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise _DuplicateKey(name)
        result[name] = value
    return result


def _read_config(path: Path) -> dict[str, Any] | None:
    """The parsed top-level object of ``path``, or None when the file does not exist."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigFileError(path, None, None, f"cannot be read ({exc.strerror or exc})") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise ConfigFileError(path, line, column, "the file is not valid UTF-8 text") from exc
    if not text.strip():
        raise ConfigFileError(
            path, None, None, "the file is empty (delete it to have one with the defaults written)"
        )
    try:
        data = json.loads(text, object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError as exc:
        raise ConfigFileError(path, exc.lineno, exc.colno, exc.msg) from exc
    except _DuplicateKey as exc:
        message = f"the key {_show(exc.args[0])} appears twice in one object"
        raise ConfigFileError(path, None, None, message) from exc
    except RecursionError as exc:
        raise ConfigFileError(path, None, None, "the JSON is nested too deeply") from exc
    except ValueError as exc:  # e.g. an integer literal with more digits than Python converts
        raise ConfigFileError(path, None, None, str(exc).split("\n")[0]) from exc
    if not isinstance(data, dict):
        message = f"the top level must be a JSON object {{...}}, not {_json_kind(data)}"
        raise ConfigFileError(path, None, None, message)
    return data


def _fsync_directory(directory: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # the rename already happened; durability of the folder entry is best effort
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _write_json_atomic(path: Path, data: Mapping[str, Any]) -> None:
    """Replace ``path`` with ``data`` as indented JSON: temp file, fsync, rename, fsync of the folder."""
    target = path.resolve() if path.is_symlink() else path
    directory = target.parent
    private_dir(directory)
    payload = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    temp = directory / f".{target.name}.{secrets.token_hex(6)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(temp, flags, PRIVATE_FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:  # keep the owner's bits of an existing file, never group or other access
            os.chmod(temp, mode & ~(stat.S_IRWXG | stat.S_IRWXO))
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_directory(directory)


# -------------------------------------------------------------------------------------------- Settings


def _copy_value(value: Any) -> Any:
    """A fresh list for list values (so callers cannot change stored state); other values as they are."""
    return list(value) if isinstance(value, list | tuple) else value


def _nest(values: Mapping[str, Any]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for key, value in values.items():
        _insert(tree, key, _copy_value(value))
    return tree


def _unknown_key_error(key: str, known: Iterable[str], what: str) -> KeyError:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return KeyError(f"unknown {what} {key!r}{hint}")


class PluginSettings(Mapping[str, Any]):
    """Read-only view of one plugin's settings: dotted key -> effective value."""

    def __init__(
        self,
        plugin: str,
        specs: Mapping[str, Setting],
        values: Mapping[str, Any],
        sources: Mapping[str, str],
        unknown_keys: Iterable[str] = (),
    ) -> None:
        self._plugin = plugin
        self._specs = dict(specs)
        self._values = dict(values)
        self._sources = dict(sources)
        self._unknown = list(unknown_keys)

    @property
    def plugin(self) -> str:
        """The plugin's name."""
        return self._plugin

    @property
    def specs(self) -> tuple[Setting, ...]:
        """The declared settings, in declaration order."""
        return tuple(self._specs.values())

    @property
    def unknown_keys(self) -> list[str]:
        """Keys in the plugin's section of ``config.json`` that the plugin did not declare."""
        return list(self._unknown)

    def __getitem__(self, key: str) -> Any:
        if key not in self._values:
            raise _unknown_key_error(key, self._values, f"setting of plugin {self._plugin!r}:")
        return _copy_value(self._values[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def source_of(self, key: str) -> str:
        """Where the value of ``key`` came from: ``"default"``, ``"config.json"`` or ``"environment ..."``."""
        if key not in self._sources:
            raise _unknown_key_error(key, self._sources, f"setting of plugin {self._plugin!r}:")
        return self._sources[key]

    def as_dict(self) -> dict[str, Any]:
        """The plugin's effective values as nested dicts."""
        return _nest(self._values)

    def __repr__(self) -> str:
        return f"PluginSettings({self._plugin!r}, {self._values!r})"


class Settings:
    """Effective settings: defaults <- ``config.json`` <- ``ZORYX_*`` environment; see :meth:`load`."""

    def __init__(
        self,
        *,
        path: Path | None,
        specs: Mapping[str, Setting],
        values: Mapping[str, Any],
        sources: Mapping[str, str],
        environ: Mapping[str, str],
        file_data: dict[str, Any] | None,
        write: bool,
        unknown_keys: Iterable[str] = (),
    ) -> None:
        self._path = path
        self._specs = dict(specs)
        self._values = dict(values)
        self._sources = dict(sources)
        self._environ = dict(environ)
        self._file_data = file_data
        self._write = write
        self._plugins: dict[str, PluginSettings] = {}
        self.unknown_keys: list[str] = list(unknown_keys)
        """Dotted keys found in ``config.json`` that no setting declares (kept in the file)."""
        self.created = False
        """True when this load created ``config.json``."""
        self.added_keys: list[str] = []
        """Dotted keys that were missing from ``config.json`` and were written with their defaults."""
        self.write_error: str | None = None
        """Why ``config.json`` could not be written, if a write failed (loading still succeeds)."""
        self._deferring = False
        self._pending_write = False

    @classmethod
    def load(
        cls,
        path: Path | None,
        environ: Mapping[str, str] | None = None,
        *,
        specs: Iterable[Setting] = CORE_SETTINGS,
        write: bool = True,
    ) -> Settings:
        """Load and validate settings from defaults, the JSON file at ``path`` and ``environ``.

        ``path`` None means no file; ``environ`` None means ``os.environ``. With ``write``, a missing file
        is created holding every default (environment values are not persisted) and keys missing from an
        existing file are added with their defaults, keeping the rest of the file's content. Raises
        :class:`ConfigFileError` for an unreadable file (never rewritten) and :class:`SettingsError` for a
        value that is not allowed.
        """
        table = _spec_table(specs, "settings")
        if any(key.split(".")[0] == PLUGIN_SECTION for key in table):
            raise ValueError(f"setting keys must not start with {PLUGIN_SECTION!r}; use declare_plugin")
        env = dict(os.environ if environ is None else environ)
        path = None if path is None else Path(path)
        label = path.name if path is not None else "config.json"
        data = _read_config(path) if path is not None else None

        found: dict[str, Any] = {}
        unknown: list[str] = []
        schema = _schema(table)
        if data is not None:
            _walk(
                data,
                schema,
                prefix="",
                shown_prefix="",
                source=label,
                found=found,
                unknown=unknown,
                reserved=frozenset({PLUGIN_SECTION}),
            )
            section = data.get(PLUGIN_SECTION, {})
            if not isinstance(section, dict):
                raise SettingsError(
                    PLUGIN_SECTION,
                    section,
                    "an object mapping plugin names to their settings",
                    label,
                    f"it is {_json_kind(section)}, not an object",
                )

        values, sources = _resolve(table, found, env, label, shown_prefix="", plugin=None)
        missing = [spec for key, spec in table.items() if key not in found]

        settings = cls(
            path=path,
            specs=table,
            values=values,
            sources=sources,
            environ=env,
            file_data=data,
            write=write,
            unknown_keys=unknown,
        )
        if path is not None and write:
            if data is None:
                tree: dict[str, Any] = {}
                for spec in table.values():
                    _insert(tree, spec.key, _copy_value(spec.default))
                settings._file_data = tree
                settings.created = settings._save()
            elif missing:
                for spec in missing:
                    _insert_in_order(data, schema, spec.key, _copy_value(spec.default))
                if settings._save():
                    settings.added_keys = [spec.key for spec in missing]
        return settings

    @contextlib.contextmanager
    def deferred_writes(self) -> Iterator[None]:
        """Inside, a plugin declaration that adds keys to ``config.json`` marks the file for
        writing instead of writing it at once; :meth:`flush` then writes it once (a first start
        declares every plugin's settings in a row, each write with two fsyncs)."""
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = False

    def flush(self) -> bool:
        """Write ``config.json`` if a deferred declaration changed it (blocking: call it off the
        event loop); True when it was written."""
        if not self._pending_write:
            return False
        self._pending_write = False
        return self._save()

    def _save(self) -> bool:
        """Write the file data back; on failure remember why, log it and stop writing."""
        if self._path is None or self._file_data is None or not self._write:
            return False
        try:
            _write_json_atomic(self._path, self._file_data)
        except OSError as exc:
            self.write_error = f"could not write {self._path}: {exc}"
            self._write = False
            log.warning("%s; continuing with the settings in memory", self.write_error)
            return False
        return True

    @property
    def path(self) -> Path | None:
        """The settings file, or None when loaded without one."""
        return self._path

    @property
    def specs(self) -> tuple[Setting, ...]:
        """The core settings' declarations, in order."""
        return tuple(self._specs.values())

    def __getitem__(self, key: str) -> Any:
        if key not in self._values:
            raise _unknown_key_error(key, self._values, "setting")
        return _copy_value(self._values[key])

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def get(self, key: str, default: Any = None) -> Any:
        """The effective value of ``key``, or ``default`` when no such setting exists."""
        return _copy_value(self._values[key]) if key in self._values else default

    def source_of(self, key: str) -> str:
        """Where the value came from: ``"default"``, ``"config.json"`` or ``"environment ZORYX_..."``."""
        if key not in self._sources:
            raise _unknown_key_error(key, self._sources, "setting")
        return self._sources[key]

    def as_dict(self) -> dict[str, Any]:
        """Effective values as nested dicts; declared plugins appear under ``"plugin_settings"``."""
        tree = _nest(self._values)
        if self._plugins:
            tree[PLUGIN_SECTION] = {name: view.as_dict() for name, view in self._plugins.items()}
        return tree

    def declare_plugin(self, plugin: str, specs: Iterable[Setting]) -> PluginSettings:
        """Declare a plugin's settings, validate them and return their read-only view.

        Values live in ``config.json`` under ``"plugin_settings" -> plugin`` and can be overridden by
        ``ZORYX_PLUGIN_SETTINGS__<PLUGIN>__<KEY>``. Missing keys are added to the file with defaults when
        it is writable. Declaring again (e.g. after a reload) replaces the earlier view.
        """
        if not isinstance(plugin, str) or not plugin.strip():
            raise ValueError(f"plugin name must be a non-empty string, not {plugin!r}")
        table = _spec_table(specs, f"plugin {plugin!r}")
        shown_prefix = f"{PLUGIN_SECTION}.{plugin}."
        label = self._path.name if self._path is not None else "config.json"

        section: Any = None
        if self._file_data is not None:
            section = self._file_data.get(PLUGIN_SECTION, {}).get(plugin)
        if section is not None and not isinstance(section, dict):
            raise SettingsError(
                f"{PLUGIN_SECTION}.{plugin}",
                section,
                "an object with the plugin's settings",
                label,
                f"it is {_json_kind(section)}, not an object",
            )
        found: dict[str, Any] = {}
        unknown: list[str] = []
        schema = _schema(table)
        _walk(
            section or {},
            schema,
            prefix="",
            shown_prefix=shown_prefix,
            source=label,
            found=found,
            unknown=unknown,
        )
        values, sources = _resolve(
            table, found, self._environ, label, shown_prefix=shown_prefix, plugin=plugin
        )
        view = PluginSettings(plugin, table, values, sources, unknown)
        missing = [spec for key, spec in table.items() if key not in found]

        self.unknown_keys = [key for key in self.unknown_keys if not key.startswith(shown_prefix)]
        self.unknown_keys.extend(shown_prefix + key for key in unknown)
        self._plugins[plugin] = view

        if missing and self._file_data is not None and self._path is not None and self._write:
            plugins_section = self._file_data.setdefault(PLUGIN_SECTION, {})
            stored = plugins_section.setdefault(plugin, {})
            for spec in missing:
                _insert_in_order(stored, schema, spec.key, _copy_value(spec.default))
            if self._deferring:
                self._pending_write = True
                self.added_keys.extend(shown_prefix + spec.key for spec in missing)
            elif self._save():
                self.added_keys.extend(shown_prefix + spec.key for spec in missing)
        return view

    @property
    def environ(self) -> dict[str, str]:
        """The environment the settings were loaded with (``.env`` included)."""
        return dict(self._environ)

    def plugin_names(self) -> list[str]:
        """Plugins that declared their settings, in declaration order."""
        return list(self._plugins)

    @property
    def source_label(self) -> str:
        """How messages name the settings file (``config.json`` when there is none)."""
        return self._path.name if self._path is not None else "config.json"

    def plugin(self, plugin: str) -> PluginSettings:
        """The view returned by the last :meth:`declare_plugin` for ``plugin``; KeyError if never declared."""
        if plugin not in self._plugins:
            raise KeyError(f"plugin {plugin!r} has not declared its settings")
        return self._plugins[plugin]

    def __repr__(self) -> str:
        return f"Settings(path={self._path!r}, {len(self._values)} settings, plugins={sorted(self._plugins)})"


def _resolve(
    table: Mapping[str, Setting],
    found: Mapping[str, Any],
    environ: Mapping[str, str],
    label: str,
    *,
    shown_prefix: str,
    plugin: str | None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Layer default <- file <- environment for every spec, validating each layer present."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key, spec in table.items():
        shown = shown_prefix + key
        value = spec._validate(spec.default, source=DEFAULT_SOURCE, shown_key=shown)
        source = DEFAULT_SOURCE
        if key in found:
            value = spec._validate(found[key], source=label, shown_key=shown)
            source = label
        variable = env_var_name(key, plugin)
        if variable in environ:
            source = f"environment {variable}"
            value = spec._validate(environ[variable], source=source, shown_key=shown)
        values[key] = value
        sources[key] = source
    return values, sources


# ------------------------------------------------------------------------------------------ Deployment

_TOKEN_MISSING = (
    "DISCORD_TOKEN is not set: put DISCORD_TOKEN=<your bot token> and BOT_OWNER_ID=<your user id> in .env "
    "or the environment, or run `zoryx sandbox` to try Zoryx without a token"
)
_OWNER_MISSING = (
    "BOT_OWNER_ID is not set: put BOT_OWNER_ID=<your user id> in .env or the environment "
    "(in Discord, enable Developer Mode and use Copy User ID on yourself), "
    "or run `zoryx sandbox` to try Zoryx without a token"
)


def _variable(environ: Mapping[str, str], name: str) -> str | None:
    raw = environ.get(name)
    if raw is None or not raw.strip():
        return None
    return raw.strip()


def _bad_variable(name: str, value: str, allowed: str, reason: str | None = None) -> DeploymentError:
    why = f": {reason}" if reason else ""
    return DeploymentError(
        f"{name} = {_show(value)} is not allowed{why}; expected {allowed}", variable=name, value=value
    )


def _items(text: str) -> list[str]:
    return [item for item in (part.strip() for part in text.split(",")) if item]


def _positive_int(name: str, text: str, allowed: str, item: str | None = None) -> int:
    """Parse one positive integer (``item`` of the list in ``text`` when given)."""
    candidate = text if item is None else item
    try:
        number = _ascii_int(candidate)
    except ValueError:
        number = 0
    if number <= 0:
        reason = None if item is None else f"{_show(item)} is not a positive integer"
        raise _bad_variable(name, text, allowed, reason)
    return number


@dataclass(frozen=True)
class Deployment:
    """Per-deployment values read only from the environment (or ``.env``), never from ``config.json``.

    ``owner_ids`` holds ``BOT_OWNER_IDS``; :attr:`all_owner_ids` adds ``owner_id``. The token is left
    out of ``repr``.
    """

    token: str | None = field(repr=False)
    owner_id: int | None
    owner_ids: frozenset[int]
    shard_count: int | None
    shard_ids: tuple[int, ...] | None
    database_url: str | None = field(default=None, repr=False)
    """``ZORYX_DATABASE_URL``: the PostgreSQL store when ``storage.backend`` is ``postgresql``."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Deployment:
        """Read ``DISCORD_TOKEN``, ``BOT_OWNER_ID``, ``BOT_OWNER_IDS``, ``SHARD_COUNT``, ``SHARD_IDS`` and
        ``ZORYX_DATABASE_URL``.

        Empty values count as unset. Raises :class:`DeploymentError` naming the variable, the value and
        what is allowed.
        """
        token = _variable(environ, "DISCORD_TOKEN")

        owner_id: int | None = None
        raw = _variable(environ, "BOT_OWNER_ID")
        if raw is not None:
            owner_id = _positive_int("BOT_OWNER_ID", raw, "a positive integer (your Discord user id)")

        owner_ids: set[int] = set()
        raw = _variable(environ, "BOT_OWNER_IDS")
        if raw is not None:
            allowed = "a comma-separated list of positive integers (Discord user ids)"
            owner_ids = {_positive_int("BOT_OWNER_IDS", raw, allowed, item) for item in _items(raw)}

        shard_count: int | None = None
        raw = _variable(environ, "SHARD_COUNT")
        if raw is not None:
            try:
                shard_count = _ascii_int(raw)
            except ValueError:
                shard_count = 0
            if shard_count < 1:
                raise _bad_variable("SHARD_COUNT", raw, "an integer of at least 1")

        shard_ids: tuple[int, ...] | None = None
        raw = _variable(environ, "SHARD_IDS")
        if raw is not None and _items(raw):
            if shard_count is None:
                raise _bad_variable(
                    "SHARD_IDS",
                    raw,
                    "a comma-separated list of shard ids below SHARD_COUNT",
                    "SHARD_COUNT must be set too",
                )
            allowed = f"a comma-separated list of distinct shard ids from 0 to {shard_count - 1}"
            parsed: list[int] = []
            for item in _items(raw):
                try:
                    shard = _ascii_int(item)
                except ValueError:
                    reason = f"{_show(item)} is not an integer"
                    raise _bad_variable("SHARD_IDS", raw, allowed, reason) from None
                if not 0 <= shard < shard_count:
                    reason = f"shard {shard} is outside 0 to {shard_count - 1} (SHARD_COUNT={shard_count})"
                    raise _bad_variable("SHARD_IDS", raw, allowed, reason)
                if shard in parsed:
                    raise _bad_variable("SHARD_IDS", raw, allowed, f"shard {shard} is listed twice")
                parsed.append(shard)
            shard_ids = tuple(parsed)

        return cls(
            token=token,
            owner_id=owner_id,
            owner_ids=frozenset(owner_ids),
            shard_count=shard_count,
            shard_ids=shard_ids,
            database_url=_variable(environ, "ZORYX_DATABASE_URL"),
        )

    @property
    def all_owner_ids(self) -> frozenset[int]:
        """``owner_id`` together with ``owner_ids``."""
        return self.owner_ids | ({self.owner_id} if self.owner_id is not None else set())

    def require_credentials(self) -> None:
        """Raise :class:`DeploymentError` (one line saying what to do) if the token or owner id is missing."""
        if not self.token:
            raise DeploymentError(_TOKEN_MISSING, variable="DISCORD_TOKEN")
        if self.owner_id is None:
            raise DeploymentError(_OWNER_MISSING, variable="BOT_OWNER_ID")


# ------------------------------------------------------------------------------------------------- .env

_DOTENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_EXPORT = re.compile(r"\Aexport[ \t]+")
# The quoted values python-dotenv accepts (a backslash escapes the next character; may span lines).
_QUOTED = {"'": re.compile(r"'(?:\\.|[^'\\])*'", re.DOTALL), '"': re.compile(r'"(?:\\.|[^"\\])*"', re.DOTALL)}
_QUOTE_NAMES = {"'": "single", '"': "double"}
# A line inside a multi-line value that looks like a variable of its own (a quote closed too late).
_ASSIGNMENT_LINE = re.compile(r"\n[ \t]*(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_]*[ \t]*=")


def _name_problem(name: str) -> str:
    """Why ``name`` is not a variable name, without repeating it (it may be part of a secret)."""
    if not name:
        return "the line starts with '=': the variable's name is missing"
    if name[0].isdigit():
        return "the name before '=' starts with a digit; names are letters, digits and _"
    if any(char.isspace() for char in name):
        return "the name before '=' contains a space; names are letters, digits and _"
    return "the name before '=' holds characters other than letters, digits and _"


def _statement_problem(statement: str) -> tuple[str | None, str]:
    """(the variable's name when valid, why python-dotenv rejected ``statement``), never quoting it."""
    first_line = _EXPORT.sub("", statement, count=1).split("\n", 1)[0]
    name, equals, _ = first_line.partition("=")
    name = name.strip()
    if not equals:
        return None, "expected KEY=VALUE; the line has no '=' (its text is not shown)"
    if not _DOTENV_NAME.match(name):
        return None, _name_problem(name)
    value = statement[statement.index("=") + 1 :].lstrip(" \t")
    quote = value[:1]
    if quote in _QUOTED:
        if _QUOTED[quote].match(value) is None:
            kind = _QUOTE_NAMES[quote]
            return (
                name,
                f"the {kind} quote is not closed (a quoted value may span lines but must end with {quote})",
            )
        return name, "there is text after the closing quote (only a # comment may follow it)"
    return name, "the line cannot be parsed as KEY=VALUE (its text is not shown)"


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a ``.env`` file with python-dotenv's parser.

    That is ``KEY=VALUE`` lines with an optional ``export`` prefix, ``#`` comments, single-quoted
    (literal) and double-quoted (``\\n``, ``\\t``, ``\\"``, ``\\\\`` ... escapes) values, which may span
    several lines. Values are taken as written: ``${OTHER}`` is not expanded. A line python-dotenv
    cannot parse, a line without ``=`` and a name that is not letters, digits and ``_`` raise
    :class:`DeploymentError` naming the file, the line number and the variable when its name is valid
    (rather than dropping the line, which may hold the token); no part of a value is ever repeated.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise DeploymentError(f"{path}: cannot be read ({reason})") from exc
    result: dict[str, str] = {}
    for binding in parse_stream(io.StringIO(text)):
        statement = binding.original.string.lstrip()
        # The binding's line is where its leading blank lines start; count them to reach the statement.
        number = binding.original.line + binding.original.string[: -len(statement) or None].count("\n")
        where = f"{path} line {number}"
        if binding.error:
            name, problem = _statement_problem(statement)
            raise DeploymentError(
                f"{where} ({name}): {problem}" if name else f"{where}: {problem}", variable=name
            )
        if binding.key is None:  # a blank line or a comment
            continue
        if binding.value is None:
            raise DeploymentError(f"{where}: expected KEY=VALUE; the line has no '=' (its text is not shown)")
        if not _DOTENV_NAME.match(binding.key):
            raise DeploymentError(f"{where}: {_name_problem(binding.key)}")
        if _ASSIGNMENT_LINE.search(statement):
            log.warning(
                "%s (%s): the quoted value spans lines that look like KEY=VALUE; if they are meant as "
                "variables, the quote opened on this line is closed too late",
                where,
                binding.key,
            )
        result[binding.key] = binding.value
    return result


def merged_environ(dotenv: Path | None, environ: Mapping[str, str]) -> dict[str, str]:
    """``.env`` values (when ``dotenv`` exists) overlaid by ``environ``: the real environment wins.

    An empty variable in ``environ`` does not hide a non-empty value from ``.env`` (empty counts as unset).
    """
    merged = read_dotenv(dotenv) if dotenv is not None and Path(dotenv).exists() else {}
    for name, value in environ.items():
        if value == "" and merged.get(name):
            continue
        merged[name] = value
    return merged
