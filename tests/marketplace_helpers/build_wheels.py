"""Build wheels of the example sources with setuptools, in one process, without network access.

``python build_wheels.py SOURCES WORK OUT``: each folder of SOURCES is copied into WORK (so the
repository stays clean of build output) and built with ``setuptools.build_meta`` into OUT.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path


def build_all(sources: Path, work: Path, out: Path) -> list[str]:
    from setuptools import build_meta

    out.mkdir(parents=True, exist_ok=True)
    built = []
    for source in sorted(p for p in sources.iterdir() if (p / "pyproject.toml").is_file()):
        copy = work / source.name
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
        previous = Path.cwd()
        os.chdir(copy)
        try:
            with contextlib.redirect_stdout(sys.stderr):
                built.append(build_meta.build_wheel(str(out)))
        finally:
            os.chdir(previous)
    return built


if __name__ == "__main__":
    names = build_all(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
    print("\n".join(names))
