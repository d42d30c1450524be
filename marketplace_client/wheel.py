"""Reading a wheel's own metadata (``METADATA`` and ``entry_points.txt``) from the zip file."""

from __future__ import annotations

import configparser
import email.message
import email.parser
import email.policy
import zipfile
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from .errors import WheelError

__all__ = ["CORE_DISTRIBUTION", "ENTRY_POINT_GROUP", "WheelInfo", "read_wheel"]

ENTRY_POINT_GROUP = "zoryx.plugins"
CORE_DISTRIBUTION = "zoryx-core"


@dataclass(frozen=True)
class WheelInfo:
    """What a wheel says about itself."""

    path: Path
    name: str
    """Canonical distribution name."""
    display_name: str
    """``Name`` as written in METADATA."""
    version: str
    summary: str
    author: str
    license: str | None
    homepage: str | None
    requires_dist: tuple[str, ...]
    requires_python: str | None
    plugin_entry_points: tuple[tuple[str, str], ...]
    """``(name, value)`` of each entry point in the ``zoryx.plugins`` group."""

    @property
    def filename(self) -> str:
        return self.path.name

    @property
    def core_requirement(self) -> Requirement | None:
        """The ``Requires-Dist`` on zoryx-core, if any."""
        for line in self.requires_dist:
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                continue
            if canonicalize_name(requirement.name) == CORE_DISTRIBUTION:
                return requirement
        return None

    def plugin_problem(self) -> str | None:
        """Why this wheel is not a Zoryx plugin distribution, or None: it needs exactly one
        ``zoryx.plugins`` entry point, named after the distribution and naming a module."""
        points = self.plugin_entry_points
        if not points:
            return f"it declares no entry point in the {ENTRY_POINT_GROUP!r} group (not a Zoryx plugin)"
        if len(points) > 1:
            return f"it declares {len(points)} entry points in {ENTRY_POINT_GROUP!r}; one is allowed"
        name, value = points[0]
        if canonicalize_name(name) != self.name:
            return f"its {ENTRY_POINT_GROUP!r} entry point is named {name!r}, not {self.name!r}"
        if ":" in value:
            return f"its {ENTRY_POINT_GROUP!r} entry point {value!r} names an attribute, not a module"
        return None

    @property
    def plugin_module(self) -> str | None:
        """The module the entry point names (for an import check)."""
        if len(self.plugin_entry_points) != 1:
            return None
        return self.plugin_entry_points[0][1].split(":")[0].strip()


def read_wheel(path: Path) -> WheelInfo:
    """Read ``path``'s METADATA and entry points; raises :class:`WheelError` saying what is wrong.
    Blocking: call it through ``asyncio.to_thread`` from async code."""
    try:
        file_name, file_version, _, _ = parse_wheel_filename(path.name)
    except InvalidWheelFilename as error:
        raise WheelError(f"{path.name} is not a wheel file name: {error}") from None
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            dist_infos = {name.split("/")[0] for name in names if name.split("/")[0].endswith(".dist-info")}
            if len(dist_infos) != 1:
                raise WheelError(f"{path.name} holds {len(dist_infos)} .dist-info folders; a wheel has one")
            dist_info = dist_infos.pop()
            try:
                metadata_bytes = archive.read(f"{dist_info}/METADATA")
            except KeyError:
                raise WheelError(f"{path.name} has no {dist_info}/METADATA") from None
            entry_text = ""
            if f"{dist_info}/entry_points.txt" in names:
                entry_text = archive.read(f"{dist_info}/entry_points.txt").decode("utf-8")
    except (zipfile.BadZipFile, OSError) as error:
        raise WheelError(f"{path.name} cannot be read as a zip archive: {error}") from None
    except UnicodeDecodeError:
        raise WheelError(f"{path.name}: entry_points.txt is not UTF-8 text") from None
    meta = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(metadata_bytes)
    raw_name = meta.get("Name")
    version = meta.get("Version")
    if not raw_name or not version:
        raise WheelError(f"{path.name}: METADATA lacks Name or Version")
    if canonicalize_name(raw_name) != file_name or str(file_version) != _normal(version):
        raise WheelError(
            f"{path.name}: METADATA says {raw_name} {version}, the file name says {file_name} {file_version}"
        )
    return WheelInfo(
        path=path,
        name=canonicalize_name(raw_name),
        display_name=str(raw_name),
        version=str(version),
        summary=str(meta.get("Summary") or ""),
        author=_author(meta),
        license=_license(meta),
        homepage=_homepage(meta),
        requires_dist=tuple(str(line) for line in meta.get_all("Requires-Dist") or ()),
        requires_python=str(meta["Requires-Python"]) if meta.get("Requires-Python") else None,
        plugin_entry_points=_entry_points(entry_text, path.name),
    )


def _normal(version: str) -> str:
    from packaging.version import InvalidVersion, Version

    try:
        return str(Version(version))
    except InvalidVersion:
        return version


def _author(meta: email.message.Message) -> str:
    author = meta.get("Author")
    if author:
        return str(author)
    email_field = str(meta.get("Author-email") or "")
    if "<" in email_field:  # "Name <mail>, Other <mail>" -> the names
        return ", ".join(part.split("<")[0].strip().strip('"') for part in email_field.split(","))
    return email_field


def _license(meta: email.message.Message) -> str | None:
    value = meta.get("License-Expression") or meta.get("License")
    return str(value) if value and "\n" not in str(value) else None


def _homepage(meta: email.message.Message) -> str | None:
    if meta.get("Home-page"):
        return str(meta["Home-page"])
    for line in meta.get_all("Project-URL") or ():
        label, _, url = str(line).partition(",")
        if label.strip().lower() in ("homepage", "home", "source", "repository") and url.strip():
            return url.strip()
    return None


def _entry_points(text: str, filename: str) -> tuple[tuple[str, str], ...]:
    if not text.strip():
        return ()
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text)
    except configparser.Error as error:
        raise WheelError(f"{filename}: entry_points.txt does not parse: {error}") from None
    if not parser.has_section(ENTRY_POINT_GROUP):
        return ()
    return tuple((name.strip(), value.strip()) for name, value in parser.items(ENTRY_POINT_GROUP))
