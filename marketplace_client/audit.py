"""What a wheel would write, checked before pip runs: every file it holds, every row of its RECORD
and every script pip would generate for it, mapped to where they land in the target environment.

A wheel is refused when it would overwrite a file another distribution owns (or any file that
exists and belongs to no distribution it replaces), when it carries a ``.pth`` file or a
``sitecustomize``/``usercustomize`` module (code Python runs at start-up, before anything is
verified), or when one of its paths leaves the install folders.
"""

from __future__ import annotations

import configparser
import csv
import email.parser
import email.policy
import importlib.util
import io
import os
import posixpath
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name, parse_wheel_filename

from .environment import DistRecord

__all__ = ["OwnedFiles", "WheelAudit", "audit_wheel", "owned_files"]

_STARTUP_MODULES = frozenset({"sitecustomize.py", "usercustomize.py"})
_SCRIPT_GROUPS = ("console_scripts", "gui_scripts")


@dataclass(frozen=True)
class OwnedFiles:
    """Absolute, normalised path -> canonical name of the distribution whose RECORD lists it."""

    owners: Mapping[str, str]

    def owner(self, path: str) -> str | None:
        return self.owners.get(os.path.normcase(path))


def owned_files(records: Iterable[DistRecord]) -> OwnedFiles:
    """The files every given distribution's RECORD lists. Blocking (reads the RECORD files)."""
    owners: dict[str, str] = {}
    for record in records:
        if not record.metadata_dir:
            continue
        try:
            with open(os.path.join(record.metadata_dir, "RECORD"), encoding="utf-8", newline="") as handle:
                rows = list(csv.reader(handle))
        except (OSError, UnicodeDecodeError, csv.Error):
            continue
        for row in rows:
            if row and row[0]:
                path = os.path.normcase(os.path.normpath(os.path.join(record.site, row[0])))
                owners.setdefault(path, record.name)
    return OwnedFiles(owners)


@dataclass
class WheelAudit:
    """Where a wheel's files go and what is wrong with them (``problems`` empty: acceptable)."""

    name: str
    targets: list[str] = field(default_factory=list)
    """Every path the install writes (files, RECORD rows, generated scripts, byte-code)."""
    existing: list[str] = field(default_factory=list)
    """Targets that exist already (files of the distribution being replaced): back them up."""
    created: list[str] = field(default_factory=list)
    """Targets that do not exist yet: a rollback deletes them, and only them."""
    created_dirs: list[str] = field(default_factory=list)
    """Folders the install creates (deepest first)."""
    problems: list[str] = field(default_factory=list)


def audit_wheel(
    path: Path, scheme: Mapping[str, str], owned: OwnedFiles, *, replaces: str | None = None
) -> WheelAudit:
    """Check the wheel at ``path`` against the target's install ``scheme`` (``purelib``,
    ``platlib``, ``scripts``, ``data``, ``headers``) and the files ``owned`` by installed
    distributions; ``replaces`` is the canonical name whose installed files it may replace (its
    own). Blocking."""
    name = canonicalize_name(parse_wheel_filename(path.name)[0])
    audit = WheelAudit(name)
    with zipfile.ZipFile(path) as archive:
        members = [member for member in archive.namelist() if not member.endswith("/")]
        dist_info = next((m.split("/")[0] for m in members if m.split("/")[0].endswith(".dist-info")), "")
        purelib = _root_is_purelib(archive, dist_info)
        record_rows = _record_rows(archive, dist_info)
        scripts = _script_names(archive, dist_info)
    root = scheme["purelib"] if purelib else scheme["platlib"]
    archive_paths = list(dict.fromkeys([*members, *record_rows]))
    targets: dict[str, str] = {}
    for member in archive_paths:
        problem = _unsafe(member)
        if problem:
            audit.problems.append(problem)
            continue
        leaf = posixpath.basename(member)
        if leaf.endswith(".pth"):
            audit.problems.append(
                f"it carries {member}: a .pth file runs code whenever Python starts (refused)"
            )
        if leaf in _STARTUP_MODULES:
            audit.problems.append(f"it carries {member}, which Python runs at every start (refused)")
        target = _target(member, root, scheme, name)
        if target is None:
            audit.problems.append(f"{member} goes to no known install folder")
            continue
        targets.setdefault(target, member)
        if member.endswith(".py"):
            targets.setdefault(os.path.normpath(importlib.util.cache_from_source(target)), member)
    for script in scripts:
        targets.setdefault(os.path.normpath(os.path.join(scheme["scripts"], script)), f"script {script}")
    allowed_owner = replaces
    for target, member in targets.items():
        owner = owned.owner(target)
        exists = os.path.lexists(target)
        if owner is not None and owner != allowed_owner:
            audit.problems.append(f"{member} would replace {target}, a file of {owner} (refused)")
        elif exists and owner is None and not _is_bytecode(target):
            audit.problems.append(f"{member} would replace {target}, which exists already (refused)")
        elif exists:
            audit.existing.append(target)
        else:
            audit.created.append(target)
    audit.targets = list(targets)
    audit.created_dirs = _new_folders(audit.created, scheme)
    return audit


def _unsafe(member: str) -> str | None:
    if member.startswith("/") or "\\" in member or (len(member) > 1 and member[1] == ":"):
        return f"{member!r} is not a relative archive path (refused)"
    if ".." in member.split("/"):
        return f"{member!r} leaves the install folder (refused)"
    return None


def _is_bytecode(path: str) -> bool:
    return path.endswith(".pyc") and os.path.basename(os.path.dirname(path)) == "__pycache__"


def _target(member: str, root: str, scheme: Mapping[str, str], name: str) -> str | None:
    first, _, rest = member.partition("/")
    if first.endswith(".data") and rest:
        key, _, inner = rest.partition("/")
        base = scheme.get(key)
        if base is None or not inner:
            return None
        if key == "headers":
            base = os.path.join(base, name)
        return os.path.normpath(os.path.join(base, inner))
    return os.path.normpath(os.path.join(root, member))


def _record_rows(archive: zipfile.ZipFile, dist_info: str) -> list[str]:
    try:
        text = archive.read(f"{dist_info}/RECORD").decode("utf-8")
    except (KeyError, UnicodeDecodeError):
        return []
    return [row[0] for row in csv.reader(io.StringIO(text)) if row and row[0]]


def _root_is_purelib(archive: zipfile.ZipFile, dist_info: str) -> bool:
    try:
        text = archive.read(f"{dist_info}/WHEEL").decode("utf-8")
    except (KeyError, UnicodeDecodeError):
        return True
    message = email.parser.Parser(policy=email.policy.compat32).parsestr(text)
    return str(message.get("Root-Is-Purelib", "true")).strip().lower() == "true"


def _script_names(archive: zipfile.ZipFile, dist_info: str) -> list[str]:
    try:
        text = archive.read(f"{dist_info}/entry_points.txt").decode("utf-8")
    except (KeyError, UnicodeDecodeError):
        return []
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text)
    except configparser.Error:
        return []
    return [
        script.strip()
        for group in _SCRIPT_GROUPS
        if parser.has_section(group)
        for script, _ in parser.items(group)
    ]


def _new_folders(created: Iterable[str], scheme: Mapping[str, str]) -> list[str]:
    roots = {os.path.normpath(path) for path in scheme.values()}
    folders: set[str] = set()
    for path in created:
        folder = os.path.dirname(path)
        while folder and folder not in roots and folder not in folders and not os.path.exists(folder):
            folders.add(folder)
            parent = os.path.dirname(folder)
            if parent == folder:
                break
            folder = parent
    return sorted(folders, key=lambda item: item.count(os.sep), reverse=True)
