"""The report history: one JSON file in the plugin's data folder, written atomically through the
core's storage (temporary file, fsync, rename) in a worker thread, capped at ``size`` reports.

The file's shape::

    {"format": 1, "updated_at": 1718000000.0, "history_size": 48,
     "reports": [<oldest report>, ..., <newest report>]}
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from zoryx_core.storage import AtomicJsonFiles, CorruptJsonError

from .figures import REPORT_FORMAT, DiagnosticsReport

__all__ = ["REPORT_FILE", "ReportHistory"]

REPORT_FILE = "reports.json"

log = logging.getLogger("zoryx.plugin.zoryx-diagnostics")


def _entries(document: Any) -> list[dict[str, Any]]:
    reports = document.get("reports") if isinstance(document, Mapping) else None
    if not isinstance(reports, list):
        return []
    return [entry for entry in reports if isinstance(entry, dict)]


def _moment(entry: Mapping[str, Any]) -> float:
    value = entry.get("generated_at")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


class ReportHistory:
    """Appends reports to the history file and reads them back."""

    def __init__(self, files: AtomicJsonFiles, path: Path, size: int) -> None:
        if size < 1:
            raise ValueError(f"the history must keep at least 1 report, got {size}")
        self.files = files
        self.path = path
        self.size = size

    async def append(self, report: DiagnosticsReport) -> int:
        """Add ``report``, dropping the oldest beyond ``size``; returns how many the file holds.

        A history file that does not parse is moved aside by the storage (its bytes kept as
        ``reports.json.corrupt-<time>``) and a new history starts."""
        entry = report.to_dict()
        size = self.size

        def add(document: Any) -> dict[str, Any]:
            reports = _entries(document)
            reports.append(entry)
            reports.sort(key=_moment)
            del reports[:-size]
            return {
                "format": REPORT_FORMAT,
                "updated_at": max(_moment(entry), _moment(reports[-1])),
                "history_size": size,
                "reports": reports,
            }

        try:
            document = await self.files.update(self.path, add, default=None)
        except CorruptJsonError as error:
            log.error("the diagnostics history was not valid JSON; starting a new one (%s)", error)
            document = await self.files.update(self.path, add, default=None)
        return len(document["reports"])

    async def read(self) -> list[DiagnosticsReport]:
        """The reports in the file, oldest first (none when there is no file yet)."""
        document = await self.files.read(self.path, default=None)
        return [DiagnosticsReport.from_dict(entry) for entry in _entries(document)]
