"""The bot's logging: a permanent, rotated log, a per-run log and an optional Rich console.

Layout (all under :attr:`LogConfig.directory`, ``botlogs/`` by default):

* ``permanent.log`` - appended across runs, rotated by size *and* age by one
  :class:`SizeAndAgeRotatingFileHandler` (backups ``permanent.log.1`` newest ... ``.N`` oldest), with a small
  sidecar ``permanent.log.start`` recording when the current file was started;
* ``current_run.log`` - truncated by every :func:`setup_logging`.

No file I/O happens on the thread that logs (the asyncio event loop): the root logger gets only a
:class:`logging.handlers.QueueHandler`, and a :class:`logging.handlers.QueueListener` thread owns the real
file and console handlers. :func:`setup_logging` itself does a little I/O (creates the directory, truncates
``current_run.log``, reads the sidecar), so call it at start-up, before the event loop runs.

discord.py's loggers propagate to the root logger, so do not let discord.py install its own handler too:
start the bot with ``bot.start(...)`` or ``bot.run(..., log_handler=None)``.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import logging
import logging.handlers
import math
import os
import queue
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.logging import RichHandler

from .disk_full import is_disk_full
from .private_files import open_private, private_dir, tighten_and_report
from .redact import RedactingFilter

__all__ = [
    "FILE_FORMAT",
    "FILE_ONLY",
    "LISTENER_THREAD_NAME",
    "LogConfig",
    "LoggingRuntime",
    "SizeAndAgeRotatingFileHandler",
    "log_file_paths",
    "setup_logging",
]

FILE_FORMAT = "%(asctime)s %(levelname)-8s %(name)s: %(message)s"
"""Line format of both log files; ``asctime`` is local ISO 8601 with milliseconds and UTC offset."""

FILE_ONLY = "zoryx_file_only"
"""Log with ``extra={FILE_ONLY: True}`` to keep a record (a traceback) out of the console."""

LISTENER_THREAD_NAME = "zoryx-log-writer"
"""Name of the thread that writes the log files and the console."""

PERMANENT_LOG_NAME = "permanent.log"
CURRENT_RUN_LOG_NAME = "current_run.log"

_DAY = 86_400.0
# How often (at most) the rotating handler looks for expired backups between rollovers.
_PURGE_INTERVAL = 3_600.0
# How much of the start of a log file the sidecar fingerprints.
_HEAD_BYTES = 256
_ERRORS = "backslashreplace"
_DISCORD_LOGGERS = ("discord", "discord.http", "discord.gateway")


def _parse_level(value: str) -> int:
    """A level name (any case) or a number as a string, as a logging level number."""
    text = value.strip()
    if text.isdigit():
        return int(text)
    level = logging.getLevelNamesMapping().get(text.upper())
    if level is None:
        raise ValueError(f"unknown log level {value!r}")
    return level


@dataclass(frozen=True)
class LogConfig:
    """What :func:`setup_logging` installs; ``max_age_days``/``max_bytes`` <= 0 turn that rotation off."""

    directory: Path = Path("botlogs")
    level: str = "INFO"
    max_bytes: int = 10 * 1024 * 1024
    backup_count: int = 5
    max_age_days: int = 30
    console: bool = True
    console_level: str | None = None  # defaults to level

    def __post_init__(self) -> None:
        _parse_level(self.level)
        if self.console_level is not None:
            _parse_level(self.console_level)
        if self.backup_count < 0:
            raise ValueError("backup_count must be >= 0")


def log_file_paths(directory: Path) -> tuple[Path, Path]:
    """The ``(permanent, current_run)`` log files inside ``directory``."""
    directory = Path(directory)
    return directory / PERMANENT_LOG_NAME, directory / CURRENT_RUN_LOG_NAME


class _PrivateFile(logging.FileHandler):
    """Creates its file readable by the bot's user only (0600), and reports a full disk once, in
    one line on stderr, instead of a traceback for every record it cannot write."""

    _disk_full_reported = False

    def _open(self) -> Any:
        return open_private(self.baseFilename, self.mode, encoding=self.encoding, errors=self.errors)

    def handleError(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        if error is not None and is_disk_full(error):
            if not self._disk_full_reported:
                self._disk_full_reported = True
                sys.stderr.write(
                    f"zoryx: the disk is full: cannot write {self.baseFilename}; "
                    "log records are dropped until there is space\n"
                )
            return
        super().handleError(record)


class _CurrentRunFileHandler(_PrivateFile):
    """``current_run.log``: truncated when opened."""


class SizeAndAgeRotatingFileHandler(_PrivateFile, logging.handlers.BaseRotatingHandler):
    """A file handler rotating by size and by age, with one set of numbered backups.

    Rolls over when the next record would make the file larger than ``max_bytes``, or when the current file
    was started more than ``max_age`` seconds ago (by ``clock``); an empty file never rolls over, so a single
    record larger than ``max_bytes`` gets a file of its own. Keeps ``backup_count`` backups (``name.1`` newest
    ... ``name.N``); ``backup_count=0`` truncates the file instead. Backups whose modification time is older
    than ``max_age``, and numbered backups beyond ``backup_count``, are deleted at construction, after each
    rollover and at most hourly while logging. ``max_bytes <= 0`` / ``max_age <= 0`` disable that rule.
    ``namer``/``rotator`` work as for :class:`logging.handlers.RotatingFileHandler`.

    Start time across restarts: the start of a file is the time its first record was written. It is kept in
    a sidecar ``<name>.start`` (JSON, replaced atomically) together with a SHA-256 fingerprint of the file's
    first bytes. On construction the sidecar is believed only if the fingerprint still matches the file, so
    a stale sidecar (file rotated, replaced or deleted by something else) is never applied to the wrong
    file, while copies and moves of the file with its sidecar keep working (unlike inode numbers). File
    timestamps alone cannot do this portably: on Linux ``st_ctime`` is the last metadata change, not the
    creation. Without a valid sidecar, a non-empty file is dated by its birth time where the platform has
    one, otherwise its modification time (the latest possible start, so it never rotates early), and that
    date is written to the sidecar at once so later restarts do not keep moving it forward. A start time in
    the future (clock set back) is clamped to now.
    """

    def __init__(
        self,
        filename: Path | str,
        *,
        max_bytes: int,
        backup_count: int,
        max_age: float,
        encoding: str = "utf-8",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if backup_count < 0:
            raise ValueError("backup_count must be >= 0")
        super().__init__(filename, "a", encoding=encoding, delay=False, errors=_ERRORS)
        self.max_bytes = max_bytes
        self.backup_count = backup_count
        self.max_age = max_age
        self._clock = clock
        self.sidecar = Path(self.baseFilename + ".start")
        self._next_purge = -math.inf
        now = clock()
        self._started: float | None = self._load_started(now)
        self._purge(now)

    @property
    def started(self) -> float | None:
        """When the current file got its first record (``clock`` time), or None while it is empty."""
        return self._started

    # -- rollover --------------------------------------------------------------------------------------

    def shouldRollover(self, record: logging.LogRecord) -> bool:
        """Whether writing ``record`` now would first roll the file over."""
        return self._rollover_due(self._disk_size(self.format(record) + self.terminator), self._clock())

    def doRollover(self) -> None:
        """Close the file, shift the backups (truncate if ``backup_count`` is 0) and purge old backups."""
        if self.stream is not None:
            self.stream.close()
            self.stream = None
        if self.backup_count > 0:
            for index in range(self.backup_count - 1, 0, -1):
                source = self.rotation_filename(f"{self.baseFilename}.{index}")
                target = self.rotation_filename(f"{self.baseFilename}.{index + 1}")
                if os.path.exists(source):
                    if os.path.exists(target):
                        os.remove(target)
                    os.rename(source, target)
            newest = self.rotation_filename(f"{self.baseFilename}.1")
            if os.path.exists(newest):
                os.remove(newest)
            if os.path.exists(self.baseFilename):
                self.rotate(self.baseFilename, newest)
        else:
            # Truncate in place: works even where another process holds the file open.
            with open(self.baseFilename, "w", encoding=self.encoding, errors=self.errors):
                pass
        self._started = None
        self._purge(self._clock())
        if not self.delay:
            self.stream = self._open()

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record``, rolling over first when it is due."""
        try:
            message = self.format(record) + self.terminator
            now = self._clock()
            if now >= self._next_purge:
                self._purge(now)
            if self._rollover_due(self._disk_size(message), now):
                self.doRollover()
            if self.stream is None:
                self.stream = self._open()
            was_empty = self._current_size() == 0
            self.stream.write(message)
            self.stream.flush()
            if was_empty or self._started is None:
                self._mark_started(now)
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)

    def _rollover_due(self, size: int, now: float) -> bool:
        current = self._current_size()
        if current == 0:
            return False
        if self.max_bytes > 0 and current + size > self.max_bytes:
            return True
        return self.max_age > 0 and self._started is not None and now - self._started > self.max_age

    def _disk_size(self, message: str) -> int:
        """Bytes ``message`` takes in the file (text mode writes ``os.linesep`` for each newline)."""
        size = len(message.encode(self.encoding or "utf-8", self.errors or "strict"))
        return size + message.count("\n") * (len(os.linesep) - 1)

    def _current_size(self) -> int:
        if self.stream is not None:
            return os.fstat(self.stream.fileno()).st_size
        try:
            return os.stat(self.baseFilename).st_size
        except FileNotFoundError:
            return 0

    # -- start time ------------------------------------------------------------------------------------

    def _head(self, size: int) -> bytes:
        try:
            with open(self.baseFilename, "rb") as file:
                return file.read(size)
        except OSError:
            return b""

    def _load_started(self, now: float) -> float | None:
        try:
            stat = os.stat(self.baseFilename)
        except FileNotFoundError:
            return None
        if stat.st_size == 0:
            return None
        remembered = self._read_sidecar()
        if remembered is not None:
            started, head_size, digest = remembered
            head = self._head(head_size)
            if len(head) == head_size and hashlib.sha256(head).hexdigest() == digest:
                return min(started, now)
        started = min(float(getattr(stat, "st_birthtime", stat.st_mtime)), now)
        self._write_sidecar(started)
        return started

    def _mark_started(self, now: float) -> None:
        self._started = now
        self._write_sidecar(now)

    def _read_sidecar(self) -> tuple[float, int, str] | None:
        try:
            data = json.loads(self.sidecar.read_text(encoding="utf-8"))
            started, head_size, digest = data["started"], data["head_bytes"], data["head_sha256"]
        except (OSError, ValueError, TypeError, KeyError):
            return None
        if (
            isinstance(started, int | float)
            and isinstance(head_size, int)
            and head_size > 0
            and isinstance(digest, str)
        ):
            return float(started), head_size, digest
        return None

    def _write_sidecar(self, started: float) -> None:
        head = self._head(_HEAD_BYTES)
        if not head:
            return
        payload = {
            "started": started,
            "head_bytes": len(head),
            "head_sha256": hashlib.sha256(head).hexdigest(),
        }
        temporary = self.sidecar.with_name(self.sidecar.name + ".tmp")
        try:
            with open_private(temporary, "w", encoding="utf-8") as file:
                file.write(json.dumps(payload))
            os.replace(temporary, self.sidecar)
        except OSError:
            # Losing the sidecar only means the next start dates the file by its timestamps.
            with contextlib.suppress(OSError):
                temporary.unlink()

    # -- backups ---------------------------------------------------------------------------------------

    def _purge(self, now: float) -> None:
        """Delete backups older than ``max_age`` and numbered backups beyond ``backup_count``."""
        self._next_purge = now + min(self.max_age, _PURGE_INTERVAL) if self.max_age > 0 else math.inf
        directory, name = os.path.split(self.baseFilename)
        pattern = re.compile(re.escape(name) + r"\.(\d+)(?:\..*)?")
        try:
            with os.scandir(directory) as entries:
                candidates = [
                    (entry, int(match[1])) for entry in entries if (match := pattern.fullmatch(entry.name))
                ]
            for entry, index in candidates:
                if not entry.is_file():
                    continue
                expired = self.max_age > 0 and now - entry.stat().st_mtime > self.max_age
                if index > self.backup_count or expired:
                    with contextlib.suppress(FileNotFoundError):
                        os.remove(entry.path)
        except OSError:
            pass


class _IsoFormatter(logging.Formatter):
    """``asctime`` as local ISO 8601 with milliseconds and offset, e.g. ``2025-01-31T18:04:05.123+01:00``."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt:
            return super().formatTime(record, datefmt)
        return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")


class LoggingRuntime:
    """What :func:`setup_logging` installed.

    :meth:`stop` flushes the queue, stops the listener thread, closes the files and restores the previous
    root logger handlers and level and the discord.py loggers, so several runs in one process (and tests)
    work. Usable as a context manager; also stopped at interpreter exit.
    """

    directory: Path
    permanent_log: Path
    current_run_log: Path

    def __init__(
        self,
        *,
        directory: Path,
        handlers: tuple[logging.Handler, ...],
        queue_handler: logging.handlers.QueueHandler,
        listener: logging.handlers.QueueListener,
        previous_root_handlers: list[logging.Handler],
        previous_root_level: int,
        previous_discord: dict[str, tuple[int, bool]],
    ) -> None:
        self.directory = directory
        self.permanent_log, self.current_run_log = log_file_paths(directory)
        self.handlers = handlers
        self.queue_handler = queue_handler
        self.listener_thread = listener._thread
        self._listener = listener
        self._previous_root_handlers = previous_root_handlers
        self._previous_root_level = previous_root_level
        self._previous_discord = previous_discord
        self._lock = threading.Lock()
        self._stopped = False

    @property
    def stopped(self) -> bool:
        """Whether :meth:`stop` has run."""
        return self._stopped

    def stop(self) -> None:
        """Flush and close everything and restore the previous logging setup; later calls do nothing."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        atexit.unregister(self.stop)
        root = logging.getLogger()
        # Detach first, so nothing is queued after the listener's sentinel and lost.
        root.removeHandler(self.queue_handler)
        for handler in self._previous_root_handlers:
            root.addHandler(handler)
        root.setLevel(self._previous_root_level)
        for name, (level, propagate) in self._previous_discord.items():
            logger = logging.getLogger(name)
            logger.setLevel(level)
            logger.propagate = propagate
        try:
            self._listener.stop()
        finally:
            for handler in (*self.handlers, self.queue_handler):
                with contextlib.suppress(Exception):
                    handler.close()

    def __enter__(self) -> LoggingRuntime:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else "running"
        return f"<LoggingRuntime {state} directory={str(self.directory)!r}>"


def setup_logging(config: LogConfig) -> LoggingRuntime:
    """Install the bot's logging as described in the module docstring and return how to undo it.

    The root logger's level is the lower of ``level`` and (with a console) ``console_level``; each handler
    filters at its own level. The root logger's previous handlers are detached until
    :meth:`LoggingRuntime.stop`. ``discord.http`` is set to WARNING unless DEBUG output is asked for.
    """
    level = _parse_level(config.level)
    console_level = _parse_level(config.console_level) if config.console_level is not None else level
    root_level = min(level, console_level) if config.console else level
    directory = private_dir(config.directory)
    permanent_path, current_run_path = log_file_paths(directory)

    formatter = _IsoFormatter(FILE_FORMAT)
    handlers: list[logging.Handler] = []
    try:
        permanent = SizeAndAgeRotatingFileHandler(
            permanent_path,
            max_bytes=config.max_bytes,
            backup_count=config.backup_count,
            max_age=config.max_age_days * _DAY,
        )
        handlers.append(permanent)
        current_run = _CurrentRunFileHandler(current_run_path, mode="w", encoding="utf-8", errors=_ERRORS)
        handlers.append(current_run)
        for handler in handlers:
            handler.setLevel(level)
            handler.setFormatter(formatter)
        if config.console:
            console = RichHandler(
                level=console_level, console=Console(stderr=True), show_path=False, log_time_format="[%X]"
            )
            console.setFormatter(logging.Formatter("%(name)s: %(message)s"))
            console.addFilter(lambda record: not getattr(record, FILE_ONLY, False))
            handlers.append(console)
    except BaseException:
        for handler in handlers:
            handler.close()
        raise

    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    queue_handler = logging.handlers.QueueHandler(records)
    queue_handler.addFilter(RedactingFilter())  # no URL credentials or DSN passwords in any log
    listener = logging.handlers.QueueListener(records, *handlers, respect_handler_level=True)
    listener.start()
    if listener._thread is not None:
        listener._thread.name = LISTENER_THREAD_NAME

    root = logging.getLogger()
    previous_handlers = list(root.handlers)
    previous_level = root.level
    for handler in previous_handlers:
        root.removeHandler(handler)
    root.addHandler(queue_handler)
    root.setLevel(root_level)

    previous_discord: dict[str, tuple[int, bool]] = {}
    for name in _DISCORD_LOGGERS:
        logger = logging.getLogger(name)
        previous_discord[name] = (logger.level, logger.propagate)
        logger.propagate = True
    if root_level > logging.DEBUG:
        logging.getLogger("discord.http").setLevel(logging.WARNING)

    runtime = LoggingRuntime(
        directory=directory,
        handlers=tuple(handlers),
        queue_handler=queue_handler,
        listener=listener,
        previous_root_handlers=previous_handlers,
        previous_root_level=previous_level,
        previous_discord=previous_discord,
    )
    atexit.register(runtime.stop)
    tighten_and_report([directory], logging.getLogger("zoryx.files"))  # logs of earlier versions
    return runtime
