"""The install journal: one small file in ``data_dir/marketplace`` saying which operation is under
way, written (atomically) before pip runs and removed when the operation ends, so that the next
start can finish or undo an operation a crash or a SIGKILL interrupted.

Each operation works in its own folder, ``data_dir/marketplace/work/<id>``: the downloaded
wheels, the backup of the files it replaces, the constraints file and pip's temporary folders.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

__all__ = ["JOURNAL_FILE", "WORK_DIR", "Journal", "JournalEntry", "Phase"]

JOURNAL_FILE = "install-journal.json"
WORK_DIR = "work"


class Phase(StrEnum):
    """How far the interrupted operation went."""

    INSTALLING = "installing"
    """pip may have run: the environment may be half changed; recovery undoes it."""
    INSTALLED = "installed"
    """pip finished and ``pip check`` passed; only the import check or activation was left:
    recovery finishes it (when the plugin imports) or undoes it."""


@dataclass
class JournalEntry:
    """What recovery needs to finish or undo one operation."""

    operation: str
    name: str
    version: str | None
    previous_version: str | None
    module: str
    phase: Phase
    work_dir: str
    before: dict[str, list[str]]
    """Canonical name -> [version, metadata folder] of every distribution before the operation."""
    backup_files: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    created_dirs: list[str] = field(default_factory=list)
    site_dirs: list[str] = field(default_factory=list)
    """Where pip may leave ``~``-prefixed copies of what it was replacing when it is killed."""
    stashes_before: list[str] = field(default_factory=list)
    """``~``-prefixed entries of ``site_dirs`` that existed before the operation (kept)."""
    pip_pid: int | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["phase"] = self.phase.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JournalEntry:
        values = dict(data)
        values["phase"] = Phase(values["phase"])
        return cls(**values)


class Journal:
    """The journal file of one marketplace folder. Blocking methods: call them off the loop."""

    def __init__(self, marketplace_dir: Path) -> None:
        self.folder = marketplace_dir
        self.path = marketplace_dir / JOURNAL_FILE

    @property
    def work_root(self) -> Path:
        return self.folder / WORK_DIR

    def new_work_dir(self, operation_id: str) -> Path:
        """A fresh private folder for one operation."""
        folder = self.work_root / operation_id
        folder.mkdir(parents=True, mode=0o700)
        for part in ("download", "backup", "tmp"):
            (folder / part).mkdir(mode=0o700)
        return folder

    def write(self, entry: JournalEntry) -> None:
        """Replace the journal with ``entry``: written to a temporary file, flushed to disk, then
        renamed over the journal, so a crash leaves the old journal or the new one, never half."""
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(entry.to_json(), handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        _sync_folder(self.folder)

    def read(self) -> JournalEntry | None:
        """The journal's entry; None when there is none. A journal that cannot be read raises
        :class:`ValueError` naming the file."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            return JournalEntry.from_json(json.loads(text))
        except (ValueError, TypeError, KeyError) as error:
            raise ValueError(f"the install journal {self.path} cannot be read: {error}") from None

    def has_leftovers(self) -> bool:
        """Whether a journal or an operation folder is there: recovery has something to do."""
        if self.path.exists():
            return True
        try:
            return any(self.work_root.iterdir())
        except (FileNotFoundError, NotADirectoryError):
            return False

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
        _sync_folder(self.folder)

    def remove_work(self, keep: Path | None = None) -> list[Path]:
        """Delete every operation folder (but ``keep``); returns those deleted."""
        removed: list[Path] = []
        if not self.work_root.is_dir():
            return removed
        for folder in sorted(self.work_root.iterdir()):
            if keep is not None and folder == keep:
                continue
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        return removed


def _sync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
