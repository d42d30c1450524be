"""The deployment files in deploy/: what can be checked without a Docker daemon, checked for real.

The image itself is not built here. The commands its Dockerfile runs (deploy/build-wheels.sh, then
deploy/install.sh) run in a fresh virtual environment from this checkout, with dependencies from
the package index; the git-URL install the production guide shows runs against this repository;
the systemd unit passes ``systemd-analyze verify``; compose.yaml and the example env file are
parsed and checked against the settings they name.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from run_shared import shared_folder

from zoryx_core.settings import Settings, read_dotenv

ROOT = Path(__file__).parent.parent
DEPLOY = ROOT / "deploy"
DOCKERFILE = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
SECRET_NAMES = (
    "DISCORD_TOKEN",
    "POSTGRES_PASSWORD",
    "REDIS_PASSWORD",
    "ZORYX_DATABASE_URL",
    "ZORYX_REDIS_URL",
)


def image_plugins() -> list[str]:
    """The plugins the image installs by default (``ARG ZORYX_PLUGINS``, the same in both stages)."""
    values: set[str] = set(re.findall(r'^ARG ZORYX_PLUGINS="([^"]*)"$', DOCKERFILE, re.M))
    assert len(values) == 1, f"both stages must default to the same plugins, found {values}"
    return values.pop().split()


def run(command: list[str], **options: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, **options)  # type: ignore[call-overload]
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def image_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment made by the Dockerfile's two commands, from this checkout; built
    once per run (about a minute) and shared by the pytest-xdist workers, which only read it."""

    def build(work: Path) -> None:
        env = {**os.environ, "PYTHON": sys.executable}  # pip's own configuration and cache apply
        run([str(DEPLOY / "build-wheels.sh"), str(work / "wheels"), *image_plugins()], env=env)
        run([str(DEPLOY / "install.sh"), str(work / "wheels"), str(work / "venv"), *image_plugins()], env=env)

    return shared_folder(tmp_path_factory, "deploy-image", build) / "venv"


def test_dockerfile_runs_the_scripts_and_bakes_in_no_secret() -> None:
    assert "RUN deploy/build-wheels.sh /wheels $ZORYX_PLUGINS" in DOCKERFILE
    assert "zoryx-install /wheels /opt/zoryx/venv $ZORYX_PLUGINS" in DOCKERFILE
    assert "COPY deploy/install.sh /usr/local/bin/zoryx-install" in DOCKERFILE
    for source in re.findall(r"^COPY (?!--)(\S+)", DOCKERFILE, re.M):
        assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which is not in the repository"
    for name in SECRET_NAMES:
        assert not re.search(rf"^(ENV|ARG)\b.*\b{name}\b", DOCKERFILE, re.M), f"{name} would be built in"
    assert {p.name for p in (ROOT / "plugins").iterdir() if p.is_dir()} >= set(image_plugins())


def test_image_commands_install_zoryx_and_its_plugins(image_venv: Path, tmp_path: Path) -> None:
    version = run([str(image_venv / "bin" / "zoryx"), "version"]).stdout
    assert "0.1" in version
    listing = run([str(image_venv / "bin" / "zoryx"), "plugins", "--json"], cwd=tmp_path).stdout
    plugins = {entry["name"]: entry for entry in json.loads(listing)}
    for name in image_plugins():
        assert name in plugins, f"{name} is not found by the installed bot: {sorted(plugins)}"
    assert not (tmp_path / "config.json").exists()
    run([str(image_venv / "bin" / "python"), "-c", "import asyncpg, redis"])
    run([str(image_venv / "bin" / "zoryx"), "cluster", "run", "--help"])


def test_install_names_a_plugin_without_a_wheel(image_venv: Path, tmp_path: Path) -> None:
    wheels = image_venv.parent / "wheels"
    result = subprocess.run(
        [str(DEPLOY / "install.sh"), str(wheels), str(tmp_path / "venv"), "zoryx-backup", "zoryx-weather"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHON": sys.executable},
        timeout=60,
    )
    assert result.returncode == 2
    assert "need exactly one wheel of zoryx-weather" in result.stderr
    assert "zoryx_core-0.1.0-py3-none-any.whl" in result.stderr  # what there is
    assert not (tmp_path / "venv").exists()


def test_install_from_git_urls(tmp_path: Path) -> None:
    """The guide's install without wheels: pip straight from the repository, a plugin with
    ``#subdirectory=``. Dependencies are left out here (the image's install resolves them)."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the git-URL install needs the repository's history")
    commit = run(["git", "-C", str(ROOT), "rev-parse", "HEAD"]).stdout.strip()
    url = f"git+file://localhost{ROOT}@{commit}"
    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps"]
    run(
        [
            *pip,
            "--target",
            str(site),
            f"zoryx-core[postgresql] @ {url}",
            f"zoryx-backup @ {url}#subdirectory=plugins/zoryx-backup",
        ]
    )
    environ = {**os.environ, "PYTHONPATH": str(site)}
    where = run(
        [sys.executable, "-c", "import zoryx_core; print(zoryx_core.__file__)"], cwd=tmp_path, env=environ
    ).stdout
    assert where.startswith(str(site)), where
    listing = run(
        [sys.executable, "-m", "zoryx_core.cli", "plugins", "--json"], cwd=tmp_path, env=environ
    ).stdout
    assert "zoryx-backup" in {entry["name"] for entry in json.loads(listing)}


def test_systemd_unit_verifies(image_venv: Path, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    unit = (DEPLOY / "zoryx.service").read_text(encoding="utf-8")
    assert "ExecStart=/opt/zoryx/venv/bin/zoryx run" in unit
    # The one change: the unit points at the environment the image's commands just made.
    (tmp_path / "zoryx.service").write_text(
        unit.replace("/opt/zoryx/venv", str(image_venv)), encoding="utf-8"
    )
    result = subprocess.run(
        [analyze, "verify", str(tmp_path / "zoryx.service")], capture_output=True, text=True
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stdout + result.stderr
    assert re.search(r"^EnvironmentFile=/etc/zoryx/zoryx\.env$", unit, re.M)
    assert re.search(r"^WorkingDirectory=/var/lib/zoryx$", unit, re.M)


COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_services_and_environment() -> None:
    services = COMPOSE["services"]
    assert set(services) == {"db", "redis", "bot"}
    bot = services["bot"]
    assert bot["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert set(bot["depends_on"]) == {"db", "redis"}
    assert bot["env_file"] == ".env"
    env = bot["environment"]
    assert set(env) == {
        "DISCORD_TOKEN",
        "BOT_OWNER_ID",
        "ZORYX_STORAGE__BACKEND",
        "ZORYX_DATABASE_URL",
        "ZORYX_REDIS_URL",
    }
    assert env["ZORYX_STORAGE__BACKEND"] == "postgresql"
    assert env["ZORYX_DATABASE_URL"] == "postgresql://zoryx:${POSTGRES_PASSWORD}@db:5432/zoryx"
    assert env["ZORYX_REDIS_URL"] == "redis://:${REDIS_PASSWORD}@redis:6379/0"
    assert bot["command"][:2] == ["cluster", "run"]
    assert services["db"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert not any("ports" in service for service in services.values()), "nothing needs to be published"


def test_compose_variables_come_from_the_example_env_file_without_values() -> None:
    example = read_dotenv(DEPLOY / "zoryx.env.example")
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{(\w+)", text))
    assert used, "compose.yaml interpolates nothing"
    assert used <= set(example), f"not in zoryx.env.example: {sorted(used - set(example))}"
    for name in ("DISCORD_TOKEN", "BOT_OWNER_ID", "POSTGRES_PASSWORD", "REDIS_PASSWORD"):
        assert example[name] == "", f"zoryx.env.example must leave {name} empty"


def test_environment_names_are_real_settings(tmp_path: Path) -> None:
    """The ``ZORYX_*`` settings the files set are read by the bot as the guide says."""
    unit = (DEPLOY / "zoryx.service").read_text(encoding="utf-8")
    log_dir = re.search(r"^Environment=ZORYX_LOGGING__DIRECTORY=(\S+)$", unit, re.M)
    assert log_dir is not None
    environ = {
        "ZORYX_STORAGE__BACKEND": COMPOSE["services"]["bot"]["environment"]["ZORYX_STORAGE__BACKEND"],
        "ZORYX_LOGGING__DIRECTORY": log_dir.group(1),
    }
    settings = Settings.load(tmp_path / "config.json", environ, write=False)
    assert settings["storage.backend"] == "postgresql"
    assert settings["logging.directory"] == "/var/log/zoryx"
