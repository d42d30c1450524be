"""zoryx_core.logs: the permanent and per-run log files, rotation by size and age, and the queue listener."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from zoryx_core.logs import (
    LISTENER_THREAD_NAME,
    LogConfig,
    LoggingRuntime,
    SizeAndAgeRotatingFileHandler,
    log_file_paths,
    setup_logging,
)

DAY = 86_400.0
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d (?P<level>[A-Z]+) +(?P<rest>.*)$")


class FakeClock:
    """A settable clock for the rotating handler."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def record(message: str, level: int = logging.INFO) -> logging.LogRecord:
    return logging.makeLogRecord(
        {"msg": message, "levelno": level, "levelname": logging.getLevelName(level), "name": "test"}
    )


def make_handler(
    path: Path,
    *,
    max_bytes: int = 0,
    backup_count: int = 3,
    max_age: float = 0.0,
    clock: FakeClock | None = None,
) -> SizeAndAgeRotatingFileHandler:
    handler = SizeAndAgeRotatingFileHandler(
        path,
        max_bytes=max_bytes,
        backup_count=backup_count,
        max_age=max_age,
        clock=clock if clock is not None else time.time,
    )
    handler.setFormatter(logging.Formatter("%(message)s"))
    return handler


def backups(path: Path) -> list[str]:
    return sorted(
        p.name for p in path.parent.iterdir() if re.fullmatch(re.escape(path.name) + r"\.\d+", p.name)
    )


def set_mtime(path: Path, when: float) -> None:
    os.utime(path, (when, when))


@pytest.fixture
def runtimes() -> Iterator[list[LoggingRuntime]]:
    """Runtimes a test starts; stopped at teardown should the test fail before stopping them."""
    started: list[LoggingRuntime] = []
    yield started
    for runtime in reversed(started):
        runtime.stop()


def start(runtimes: list[LoggingRuntime], config: LogConfig) -> LoggingRuntime:
    runtime = setup_logging(config)
    runtimes.append(runtime)
    return runtime


# -- setup_logging --------------------------------------------------------------------------------------


def test_log_file_paths(tmp_path: Path) -> None:
    assert log_file_paths(tmp_path) == (tmp_path / "permanent.log", tmp_path / "current_run.log")


def test_records_reach_both_files_current_run_truncated_permanent_appended(
    tmp_path: Path, runtimes: list[LoggingRuntime]
) -> None:
    directory = tmp_path / "botlogs"
    log = logging.getLogger("zoryx.test")

    first = start(runtimes, LogConfig(directory=directory, console=False))
    assert directory.is_dir()
    assert (first.permanent_log, first.current_run_log) == log_file_paths(directory)
    log.info("first run %d", 1)
    log.debug("not at INFO")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("it failed")
    first.stop()

    for path in (first.permanent_log, first.current_run_log):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        match = LINE.match(lines[0])
        assert match, lines[0]
        assert match["level"] == "INFO" and match["rest"] == "zoryx.test: first run 1"
        assert "not at INFO" not in text
        assert " ERROR    zoryx.test: it failed" in text
        assert text.count("Traceback (most recent call last)") == 1
        assert "RuntimeError: boom" in text

    second = start(runtimes, LogConfig(directory=directory, console=False))
    log.warning("second run")
    second.stop()

    current = second.current_run_log.read_text(encoding="utf-8")
    assert "second run" in current and "first run" not in current
    permanent = second.permanent_log.read_text(encoding="utf-8")
    assert permanent.index("first run 1") < permanent.index("second run")


def test_console_is_rich_on_stderr_with_its_own_level(
    tmp_path: Path, runtimes: list[LoggingRuntime], capsys: pytest.CaptureFixture[str]
) -> None:
    runtime = start(
        runtimes, LogConfig(directory=tmp_path, level="WARNING", console=True, console_level="DEBUG")
    )
    assert logging.getLogger().level == logging.DEBUG
    log = logging.getLogger("zoryx.console")
    log.debug("debug for the console")
    log.warning("warning for all")
    runtime.stop()

    captured = capsys.readouterr()
    assert "debug for the console" in captured.err and "warning for all" in captured.err
    assert captured.out == ""
    permanent = runtime.permanent_log.read_text(encoding="utf-8")
    assert "warning for all" in permanent and "debug for the console" not in permanent


def test_console_level_defaults_to_level(
    tmp_path: Path, runtimes: list[LoggingRuntime], capsys: pytest.CaptureFixture[str]
) -> None:
    runtime = start(runtimes, LogConfig(directory=tmp_path, level="warning"))
    logging.getLogger("zoryx.console").info("quiet")
    logging.getLogger("zoryx.console").error("loud")
    runtime.stop()
    err = capsys.readouterr().err
    assert "loud" in err and "quiet" not in err


def test_discord_loggers(tmp_path: Path, runtimes: list[LoggingRuntime]) -> None:
    http = logging.getLogger("discord.http")
    gateway = logging.getLogger("discord.gateway")
    before = (http.level, gateway.level, logging.getLogger("discord").propagate)

    runtime = start(runtimes, LogConfig(directory=tmp_path, console=False))
    assert http.level == logging.WARNING
    assert gateway.getEffectiveLevel() == logging.INFO
    assert all(logging.getLogger(name).propagate for name in ("discord", "discord.http", "discord.gateway"))
    http.info("request chatter")
    gateway.info("shard connected")
    runtime.stop()
    assert (http.level, gateway.level, logging.getLogger("discord").propagate) == before
    text = runtime.permanent_log.read_text(encoding="utf-8")
    assert "discord.gateway: shard connected" in text and "request chatter" not in text

    debug = start(runtimes, LogConfig(directory=tmp_path, level="DEBUG", console=False))
    assert http.level == before[0]
    http.debug("request detail")
    debug.stop()
    assert "discord.http: request detail" in debug.current_run_log.read_text(encoding="utf-8")


async def test_emit_inside_running_loop_writes_on_listener_thread(
    tmp_path: Path, runtimes: list[LoggingRuntime], monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = start(runtimes, LogConfig(directory=tmp_path, console=False))
    assert logging.getLogger().handlers == [runtime.queue_handler]
    writers: list[threading.Thread] = []
    file_handlers = [h for h in runtime.handlers if isinstance(h, logging.FileHandler)]
    assert len(file_handlers) == 2
    for handler in file_handlers:

        def spy(rec: logging.LogRecord, original: Callable[[logging.LogRecord], None] = handler.emit) -> None:
            writers.append(threading.current_thread())
            original(rec)

        monkeypatch.setattr(handler, "emit", spy)

    loop_thread = threading.current_thread()
    asyncio.get_running_loop()
    logging.getLogger("zoryx.loop").info("logged on the loop")
    await asyncio.sleep(0)
    runtime.stop()

    assert len(writers) == 2
    assert runtime.listener_thread is not None and runtime.listener_thread.name == LISTENER_THREAD_NAME
    assert all(thread is runtime.listener_thread for thread in writers)
    assert all(thread is not loop_thread and thread is not threading.main_thread() for thread in writers)
    assert "logged on the loop" in runtime.permanent_log.read_text(encoding="utf-8")
    assert "logged on the loop" in runtime.current_run_log.read_text(encoding="utf-8")


def test_stop_restores_root_and_is_idempotent(tmp_path: Path, runtimes: list[LoggingRuntime]) -> None:
    root = logging.getLogger()
    sentinel = logging.NullHandler()
    old_level = root.level
    root.addHandler(sentinel)
    root.setLevel(logging.ERROR)
    try:
        before = list(root.handlers)
        runtime = start(runtimes, LogConfig(directory=tmp_path, level="DEBUG", console=False))
        assert root.handlers == [runtime.queue_handler]
        assert root.level == logging.DEBUG
        assert runtime.listener_thread is not None and runtime.listener_thread.is_alive()

        runtime.stop()
        runtime.stop()
        assert runtime.stopped
        assert root.handlers == before
        assert root.level == logging.ERROR
        assert not runtime.listener_thread.is_alive()
        logging.getLogger("zoryx.after").error("after stop")
        assert "after stop" not in runtime.permanent_log.read_text(encoding="utf-8")

        with setup_logging(LogConfig(directory=tmp_path, console=False)) as again:
            assert root.handlers == [again.queue_handler]
        assert again.stopped and root.handlers == before
    finally:
        root.removeHandler(sentinel)
        root.setLevel(old_level)


def test_config_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="log level"):
        LogConfig(level="LOUD")
    with pytest.raises(ValueError, match="log level"):
        LogConfig(console_level="nope")
    with pytest.raises(ValueError, match="backup_count"):
        LogConfig(backup_count=-1)


# -- rotation by size -----------------------------------------------------------------------------------


def test_size_rotation_keeps_backup_count_bounded_files(tmp_path: Path) -> None:
    path = tmp_path / "permanent.log"
    handler = make_handler(path, max_bytes=200, backup_count=3)
    for index in range(100):
        handler.handle(record(f"record {index:03d} " + "x" * 30))
    handler.close()

    assert backups(path) == ["permanent.log.1", "permanent.log.2", "permanent.log.3"]
    files = [path.with_name(f"permanent.log.{n}") for n in (3, 2, 1)] + [path]
    for file in files:
        assert 0 < file.stat().st_size <= 200
    # Oldest to newest, the files hold consecutive records ending with the last one.
    numbers = [
        int(line.split()[1]) for file in files for line in file.read_text(encoding="utf-8").splitlines()
    ]
    assert numbers == list(range(numbers[0], 100))


def test_size_rotation_oversized_record_gets_its_own_file(tmp_path: Path) -> None:
    path = tmp_path / "permanent.log"
    handler = make_handler(path, max_bytes=100, backup_count=2)
    handler.handle(record("small"))
    handler.handle(record("y" * 300))
    handler.handle(record("after"))
    handler.close()
    assert path.read_text(encoding="utf-8") == "after\n"
    assert path.with_name("permanent.log.1").read_text(encoding="utf-8") == "y" * 300 + "\n"
    assert path.with_name("permanent.log.2").read_text(encoding="utf-8") == "small\n"


def test_backup_count_zero_truncates(tmp_path: Path) -> None:
    path = tmp_path / "permanent.log"
    handler = make_handler(path, max_bytes=200, backup_count=0)
    for index in range(50):
        handler.handle(record(f"record {index:03d} " + "x" * 30))
    handler.close()
    assert backups(path) == []
    text = path.read_text(encoding="utf-8")
    assert 0 < path.stat().st_size <= 200
    assert "record 049" in text and "record 000" not in text


# -- rotation by age ------------------------------------------------------------------------------------


def test_file_started_31_days_ago_rolls_over_and_start_survives_restart(tmp_path: Path) -> None:
    path = tmp_path / "permanent.log"
    clock = FakeClock(time.time() - 31 * DAY)
    handler = make_handler(path, max_age=30 * DAY, clock=clock)
    assert handler.started is None
    handler.handle(record("old"))
    started = clock.now
    assert handler.started == started
    handler.close()
    sidecar = json.loads(path.with_name("permanent.log.start").read_text(encoding="utf-8"))
    assert sidecar["started"] == started

    clock.now = time.time()
    restarted = make_handler(path, max_age=30 * DAY, clock=clock)  # a new process on the same file
    assert restarted.started == started
    restarted.handle(record("new"))
    restarted.close()

    assert path.with_name("permanent.log.1").read_text(encoding="utf-8") == "old\n"
    assert path.read_text(encoding="utf-8") == "new\n"
    assert restarted.started == clock.now
    again = make_handler(path, max_age=30 * DAY, clock=clock)
    assert again.started == clock.now
    again.close()


def test_age_rollover_while_running_and_after_restart(tmp_path: Path) -> None:
    path = tmp_path / "permanent.log"
    clock = FakeClock(time.time() - 40 * DAY)
    handler = make_handler(path, max_age=30 * DAY, clock=clock)
    handler.handle(record("a"))
    clock.now += 10 * DAY
    handler.handle(record("b"))
    handler.close()

    restarted = make_handler(path, max_age=30 * DAY, clock=clock)
    clock.now += 19 * DAY  # 29 days after "a"
    restarted.handle(record("c"))
    assert backups(path) == []
    clock.now += 2 * DAY  # 31 days after "a"
    restarted.handle(record("d"))
    restarted.close()
    assert path.with_name("permanent.log.1").read_text(encoding="utf-8") == "a\nb\nc\n"
    assert path.read_text(encoding="utf-8") == "d\n"


def test_stale_sidecar_is_not_applied_to_another_file(tmp_path: Path) -> None:
    path = tmp_path / "permanent.log"
    now = time.time()
    clock = FakeClock(now - 31 * DAY)
    handler = make_handler(path, max_age=30 * DAY, clock=clock)
    handler.handle(record("first file"))
    handler.close()
    path.write_text("a different file\n", encoding="utf-8")  # replaced behind the handler's back
    set_mtime(path, now - DAY)

    clock.now = now
    restarted = make_handler(path, max_age=30 * DAY, clock=clock)
    assert restarted.started == pytest.approx(now - DAY)  # dated by the file itself, and remembered
    restarted.handle(record("more"))
    restarted.close()
    assert backups(path) == []
    again = make_handler(path, max_age=30 * DAY, clock=clock)
    assert again.started == pytest.approx(now - DAY)
    again.close()


def test_backups_older_than_max_age_are_deleted(tmp_path: Path) -> None:
    path = tmp_path / "permanent.log"
    now = time.time()
    clock = FakeClock(now)
    path.write_text("current\n", encoding="utf-8")
    for number, age_days in ((1, 1), (2, 40), (3, 50), (9, 1)):
        backup = path.with_name(f"permanent.log.{number}")
        backup.write_text(f"backup {number}\n", encoding="utf-8")
        set_mtime(backup, now - age_days * DAY)
    unrelated = path.with_name("permanent.log.notes")
    unrelated.write_text("keep me\n", encoding="utf-8")

    handler = make_handler(path, backup_count=5, max_age=30 * DAY, clock=clock)
    # .2 and .3 are too old, .9 is beyond backup_count.
    assert backups(path) == ["permanent.log.1"]
    assert unrelated.exists()

    # While running, expired backups are found again without waiting for a rollover.
    set_mtime(path.with_name("permanent.log.1"), now - 29 * DAY)
    clock.now += 2 * DAY
    handler.handle(record("later"))
    handler.close()
    assert backups(path) == []
    assert path.read_text(encoding="utf-8") == "current\nlater\n"


def test_age_rollover_deletes_expired_backups(tmp_path: Path) -> None:
    path = tmp_path / "permanent.log"
    start_time = time.time() - 61 * DAY
    clock = FakeClock(start_time)
    handler = make_handler(path, backup_count=5, max_age=30 * DAY, clock=clock)
    handler.handle(record("month 1"))
    clock.now += 31 * DAY
    handler.handle(record("month 2"))
    assert backups(path) == ["permanent.log.1"]
    # The fake clock is in the past: give the files the modification times they would have by it.
    set_mtime(path.with_name("permanent.log.1"), start_time)
    clock.now += 29 * DAY
    handler.handle(record("month 2, later"))
    set_mtime(path, clock.now)
    clock.now += 2 * DAY
    handler.handle(record("month 3"))
    handler.close()
    # The "month 1" backup (last written 62 days ago) is gone; "month 2" (2 days ago) is the newest backup.
    assert backups(path) == ["permanent.log.1"]
    assert path.with_name("permanent.log.1").read_text(encoding="utf-8") == "month 2\nmonth 2, later\n"
    assert path.read_text(encoding="utf-8") == "month 3\n"
