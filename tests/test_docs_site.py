"""The documentation site builds without a broken link, and the code it shows runs.

Code blocks preceded by ``<!-- example: PROJECT/PATH -->`` in docs/*.md are written to PROJECT/PATH
in a temporary folder; a project with a ``pyproject.toml`` is installed with pip, and each
project's tests run in a pytest of their own against the emulator.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
EXAMPLE = re.compile(r"^<!-- example: (?P<path>[\w./-]+) -->\n```[\w-]*\n(?P<code>.*?)^```$", re.M | re.S)
# The projects the pages promise to run; a marker lost in an edit fails here instead of going quiet.
EXPECTED_PROJECTS = {"zoryx-greeter", "discordpy-bot"}


def docs_examples() -> dict[str, dict[str, str]]:
    """``{project: {relative path: code}}`` from every marked block of the documentation."""
    projects: dict[str, dict[str, str]] = defaultdict(dict)
    for page in sorted(DOCS.rglob("*.md")):
        for match in EXAMPLE.finditer(page.read_text(encoding="utf-8")):
            project, _, path = match["path"].partition("/")
            assert path, f"{page.name}: example path {match['path']!r} needs PROJECT/FILE"
            assert path not in projects[project], f"{page.name}: {match['path']} is shown twice"
            projects[project][path] = match["code"]
    return dict(projects)


def test_site_builds_strictly(tmp_path: Path) -> None:
    """``mkdocs build --strict``: a link to a missing page or anchor, or a page left out of the
    navigation, fails the build."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(ROOT / "mkdocs.yml"),
            "--site-dir",
            str(tmp_path / "site"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "production" / "index.html").is_file()
    assert (tmp_path / "site" / "configuration" / "index.html").is_file()


def test_every_example_project_is_found() -> None:
    assert set(docs_examples()) == EXPECTED_PROJECTS


@pytest.mark.parametrize("project", sorted(EXPECTED_PROJECTS))
def test_documented_example_runs(project: str, tmp_path: Path) -> None:
    files = docs_examples()[project]
    home = tmp_path / project
    for path, code in files.items():
        target = home / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code, encoding="utf-8")
    site = tmp_path / "site"
    site.mkdir()
    if "pyproject.toml" in files:
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps"]
        pip += ["--no-build-isolation", "--target", str(site), str(home)]
        subprocess.run(pip, check=True, capture_output=True, timeout=300)
    tests = sum(code.count("\nasync def test_") + code.count("\ndef test_") for code in files.values())
    assert tests, f"{project}: the documentation shows no test to run"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=auto",
            "-o",
            "asyncio_default_fixture_loop_scope=function",
            "tests",
        ],
        cwd=home,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{tests} passed" in result.stdout, result.stdout


REPO_PATH = re.compile(
    r"`((?:zoryx_core|marketplace_client|plugins|examples|bench|tests|deploy|\.ci)/[\w./-]*)`"
)


def test_repository_paths_named_in_the_docs_exist() -> None:
    """Files of the repository are named in code spans (links out of docs/ would break the site)."""
    missing = []
    for page in [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]:
        for path in REPO_PATH.findall(page.read_text(encoding="utf-8")):
            if not (ROOT / path.rstrip("/")).exists():
                missing.append(f"{page.relative_to(ROOT)}: {path}")
    assert not missing, "\n".join(missing)


def test_readme_links_resolve() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#]+?)(?:#[^)]*)?\)", readme)
    local = [link for link in links if "://" not in link]
    assert any(link.startswith("docs/") for link in local)
    broken = [link for link in local if not (ROOT / link).exists()]
    assert not broken, f"README.md links to missing files: {broken}"
