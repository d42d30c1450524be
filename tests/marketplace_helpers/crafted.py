"""Crafting hostile wheels and catalogs for the hardening tests (see ``hostile.py``)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

from zoryx_core.testing.package_index import StaticServer

from .support import Wheels, sha256_of

__all__ = ["PTH_MARKER_VARIABLE", "catalog_of", "rewrite_wheel", "wheel_name"]

PTH_MARKER_VARIABLE = "ZORYX_TEST_PTH_MARKER"
"""The crafted ``.pth`` file writes a file at this variable's path whenever Python starts."""


def wheel_name(name: str, version: str) -> str:
    return f"{name.replace('-', '_')}-{version}-py3-none-any.whl"


def rewrite_wheel(
    path: Path, *, add: dict[str, bytes] | None = None, record_rows: list[str] | None = None
) -> None:
    """Rewrite the wheel at ``path`` with files added (listed in RECORD with their hashes) and
    extra RECORD rows that name no file of the archive."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    record_name = next(name for name in members if name.endswith(".dist-info/RECORD"))
    rows = list(csv.reader(io.StringIO(members[record_name].decode("utf-8"))))
    for name, body in (add or {}).items():
        members[name] = body
        digest = base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()
        rows.insert(0, [name, f"sha256={digest}", str(len(body))])
    for row in record_rows or []:
        rows.insert(0, [row, "", ""])
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    members[record_name] = text.getvalue().encode("utf-8")
    path.unlink()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            archive.writestr(name, body)


def catalog_of(server: StaticServer, wheels: Wheels, *plugins: tuple[str, str]) -> dict[str, Any]:
    """A catalog listing each (name, version) with its wheel served by ``server``."""
    entries = []
    for name, version in plugins:
        wheel = wheels.folder / wheel_name(name, version)
        entries.append(
            {
                "name": name,
                "summary": f"{name} for the hardening tests",
                "author": "Zoryx test authors",
                "status": "beta",
                "versions": [
                    {
                        "version": version,
                        "filename": wheel.name,
                        "url": server.file_url(wheel.name),
                        "sha256": sha256_of(wheel),
                        "size": wheel.stat().st_size,
                        "requires_core": ">=0.1,<0.2",
                    }
                ],
            }
        )
    return {
        "schema_version": 1,
        "name": "Hardening test marketplace",
        "terms": {"version": "1", "text": "Test terms."},
        "plugins": entries,
    }
