"""Every framework plugin in ``plugins/`` is its own distribution: it installs alone with pip next
to zoryx-core, its requirements are met (``pip check``), and its own test suite passes there with
no other plugin installed.

One base environment holds zoryx-core (editable, with the ``testing`` extra) and nothing else;
each plugin gets a fresh environment layered on it (a ``.pth`` file adds the base's
site-packages), into which pip installs the plugin from its folder, as a user would.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from run_shared import shared_folder

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_DIRS = sorted(path.parent for path in (ROOT / "plugins").glob("*/pyproject.toml"))
PLUGIN_DISTRIBUTIONS = [path.name for path in PLUGIN_DIRS]
FRAMEWORK_PLUGINS = {
    "zoryx-event-hooks",
    "zoryx-diagnostics",
    "zoryx-slash-limiter",
    "zoryx-backup",
    "zoryx-marketplace",
    "zoryx-shard-monitor",
    "zoryx-cluster",
}


def _python(env: Path) -> Path:
    return env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _run(command: list[str | Path], *, cwd: Path = ROOT, timeout: float = 600) -> str:
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{' '.join(map(str, command))} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _pytest(python: Path, folder: Path, *arguments: str, timeout: float = 900) -> tuple[int, str, str]:
    """pytest run by ``python`` in ``folder``: exit code, stdout, stderr. Past ``timeout`` seconds its
    whole process group (bots, servers it started) is killed and the test fails with the output so far."""
    command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *arguments]
    process = subprocess.Popen(
        command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(
            f"the tests in {folder.name} were still running after {timeout:.0f} s; their output so far:\n"
            f"{stdout[-20000:]}\n{stderr[-5000:]}"
        )
    return process.returncode, stdout, stderr


def _site_packages(python: Path) -> str:
    return _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip()


@pytest.fixture(scope="session")
def core_environment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with zoryx-core[testing] (editable) and no plugin at all; one per run,
    shared by the pytest-xdist workers (the plugins' environments only read it)."""

    def create(root: Path) -> None:
        env = root / "env"
        venv.EnvBuilder(with_pip=True).create(env)
        _run(
            [_python(env), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e",
             f"{ROOT}[testing]", "setuptools>=77"],
        )  # fmt: skip

    return shared_folder(tmp_path_factory, "core-only", create) / "env"


def _layered_environment(base: Path, where: Path) -> Path:
    """A fresh environment that sees the base's packages behind its own."""
    env = where / "env"
    venv.EnvBuilder(with_pip=False).create(env)
    site = Path(_site_packages(_python(env)))
    base_site = _site_packages(_python(base))
    # An "import" line runs at start-up: addsitedir also reads the base's own .pth files (the
    # editable zoryx-core install lives in one).
    (site / "zoryx-core-base.pth").write_text(f"import site; site.addsitedir({base_site!r})\n")
    return env


def test_the_framework_plugins_are_all_here() -> None:
    assert set(PLUGIN_DISTRIBUTIONS) >= FRAMEWORK_PLUGINS


@pytest.mark.long_running
@pytest.mark.parametrize("plugin_dir", PLUGIN_DIRS, ids=PLUGIN_DISTRIBUTIONS)
def test_plugin_installs_alone_and_its_tests_pass(
    plugin_dir: Path, core_environment: Path, tmp_path: Path
) -> None:
    env = _layered_environment(core_environment, tmp_path)
    python = _python(env)
    # A copy, so that the build leaves nothing in the repository and the tests cannot lean on it.
    source = tmp_path / plugin_dir.name
    shutil.copytree(plugin_dir, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    _run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-build-isolation",
         f"{source}[test]"],
    )  # fmt: skip
    _run([python, "-m", "pip", "check"])

    listing = _run([python, "-m", "pip", "list", "--format", "json"])
    installed = {entry["name"].lower() for entry in json.loads(listing)}
    plugins_present = {name for name in installed if name.startswith("zoryx-") and name != "zoryx-core"}
    assert plugins_present == {plugin_dir.name}, f"other plugins are visible: {plugins_present}"
    discovered = _run(
        [python, "-c",
         "from importlib.metadata import entry_points;"
         "print(sorted(ep.name for ep in entry_points(group='zoryx.plugins')))"],
    )  # fmt: skip
    assert discovered.strip() == repr([plugin_dir.name])

    returncode, stdout, stderr = _pytest(python, source, "tests")
    summary = stdout.strip().splitlines()[-1:] or ["(no output)"]
    assert returncode == 0, (
        f"{plugin_dir.name}'s tests failed in an environment with only zoryx-core:\n"
        f"{stdout[-20000:]}\n{stderr[-5000:]}"
    )
    print(f"{plugin_dir.name}: {summary[0]}", file=sys.stderr)


@pytest.mark.long_running
def test_a_new_plugin_from_the_scaffold_installs_and_passes_its_own_tests(
    core_environment: Path, tmp_path: Path
) -> None:
    """``zoryx new-plugin`` writes a distribution that a user installs and tests unchanged."""
    base_python = _python(core_environment)
    target = tmp_path / "zoryx-weather-alerts"
    created = _run(
        [base_python, "-m", "zoryx_core.cli", "new-plugin", "Zoryx_Weather.Alerts", "--dir", target,
         "--description", "Weather alerts for a server", "--author", "Ada Lovelace"],
    )  # fmt: skip
    assert "created zoryx-weather-alerts" in created and "command: weather-alerts" in created
    env = _layered_environment(core_environment, tmp_path)
    python = _python(env)
    _run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-build-isolation",
         f"{target}[test]"],
    )  # fmt: skip
    _run([python, "-m", "pip", "check"])
    metadata = _run(
        [python, "-c",
         "from importlib.metadata import metadata, entry_points;"
         "m = metadata('zoryx-weather-alerts');"
         "print(m['Summary']); print(m['Author-email'] or m['Author']); print(m.get_all('Requires-Dist'));"
         "print([(ep.name, ep.value) for ep in entry_points(group='zoryx.plugins')])"],
    )  # fmt: skip
    summary, author, requires, entry = metadata.strip().splitlines()
    assert summary == "Weather alerts for a server"
    assert "Ada Lovelace" in author
    assert "zoryx-core<0.2,>=0.1" in requires.replace(" ", "") or "zoryx-core>=0.1,<0.2" in requires
    assert entry == "[('zoryx-weather-alerts', 'zoryx_weather_alerts')]"
    returncode, stdout, stderr = _pytest(python, target)
    assert returncode == 0, f"the new plugin's tests failed:\n{stdout[-10000:]}\n{stderr[-3000:]}"
    assert "3 passed" in stdout.strip().splitlines()[-1]
