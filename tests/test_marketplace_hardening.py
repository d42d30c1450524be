"""Marketplace installs that must not damage the bot's environment, each reproduced with real
wheels built for the purpose, a real package index (pypiserver) and real pip, in a throwaway
environment standing for the bot's. Every refusal or rollback is checked with ``pip freeze`` and
the sha256 of every file of the environment, before and after."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from marketplace_helpers.crafted import PTH_MARKER_VARIABLE, catalog_of, rewrite_wheel, wheel_name
from marketplace_helpers.support import (
    EnvState,
    TargetEnv,
    Wheels,
    assert_unchanged,
    env_state,
    make_target_env,
    options_for,
    pip_env,
)

from marketplace_client import (
    Installer,
    InstallError,
    InstallStep,
    MarketplaceClient,
    MarketplaceOptions,
    RecoveryOutcome,
    RecoveryReport,
    audit_wheel,
    owned_files,
)
from zoryx_core.testing.package_index import PackageIndex, StaticServer

pytest_plugins = ["marketplace_helpers.fixtures", "marketplace_helpers.hostile"]


def preinstall(target: TargetEnv, wheels: Wheels, *requirements: str) -> None:
    """Install ``requirements`` into ``target`` from the test wheels only (no index)."""
    target.pip_install("--no-index", "--find-links", str(wheels.folder), *requirements)


async def refused(
    target: TargetEnv, options: MarketplaceOptions, request: str, **installer: Any
) -> InstallError:
    async with MarketplaceClient(options) as client:
        with pytest.raises(InstallError) as failure:
            await Installer(client, python=target.python, **installer).install(request)
    return failure.value


def work_left(data: Path) -> list[Path]:
    """Leftovers of an operation: working folders, journal, partial downloads."""
    market = data / "marketplace"
    found = list((market / "work").glob("*")) if (market / "work").is_dir() else []
    found += list(market.glob("install-journal.json")) + list(market.glob("**/*.part"))
    return found


# --- 1. files of other distributions -------------------------------------------------------------


@pytest.mark.parametrize(
    ("plugin", "culprit"),
    [
        ("zoryx-mkt-intruder", "zoryx-mkt-intruder: victimlib/__init__.py would replace"),
        ("zoryx-mkt-recordonly", "zoryx-mkt-recordonly: victimlib/__init__.py would replace"),
        ("zoryx-mkt-squatted", "mkt-squatter: victimlib/__init__.py would replace"),
    ],
    ids=["files-in-the-wheel", "rows-of-its-record", "files-of-a-dependency"],
)
async def test_a_wheel_overlapping_another_distribution_is_refused_before_pip_runs(
    hostile_server: StaticServer,
    hostile_index: PackageIndex,
    hostile_wheels: Wheels,
    target_env: TargetEnv,
    tmp_path: Path,
    plugin: str,
    culprit: str,
) -> None:
    preinstall(target_env, hostile_wheels, "victimlib==1.0.0")
    url = hostile_server.publish(catalog_of(hostile_server, hostile_wheels, (plugin, "0.1.0")))
    before = env_state(target_env)
    error = await refused(target_env, options_for(tmp_path / "data", url, hostile_index.simple_url), plugin)
    assert error.step is InstallStep.VERIFY and error.restored
    assert culprit in error.reason and "a file of victimlib (refused)" in error.reason
    assert_unchanged(target_env, before)
    assert target_env.run("-c", "import victimlib; print(victimlib.VALUE)").stdout.strip() == "victim"
    assert work_left(tmp_path / "data") == []


# --- 4. code that runs at install or start-up ------------------------------------------------------


async def test_a_wheel_with_a_pth_file_is_refused_and_nothing_runs(
    hostile_server: StaticServer,
    hostile_index: PackageIndex,
    hostile_wheels: Wheels,
    target_env: TargetEnv,
    tmp_path: Path,
) -> None:
    url = hostile_server.publish(catalog_of(hostile_server, hostile_wheels, ("zoryx-mkt-pth", "0.1.0")))
    before = env_state(target_env)
    error = await refused(
        target_env, options_for(tmp_path / "data", url, hostile_index.simple_url), "zoryx-mkt-pth"
    )
    assert error.step is InstallStep.VERIFY
    assert "it carries zoryx_mkt_pth_hook.pth: a .pth file runs code whenever Python starts" in error.reason
    assert_unchanged(target_env, before)
    marker = tmp_path / "pth-ran"
    env = {**os.environ, PTH_MARKER_VARIABLE: str(marker)}
    await asyncio.to_thread(
        subprocess.run, [str(target_env.python), "-c", "pass"], env=env, check=True, timeout=60
    )
    assert not marker.exists()


# --- 2. the core's dependencies, pip check, reserved names -----------------------------------------


async def test_a_plugin_cannot_downgrade_a_dependency_of_the_core(
    hostile_server: StaticServer,
    hostile_index: PackageIndex,
    hostile_wheels: Wheels,
    target_env: TargetEnv,
    tmp_path: Path,
) -> None:
    url = hostile_server.publish(
        catalog_of(hostile_server, hostile_wheels, ("zoryx-mkt-downgrader", "0.1.0"))
    )
    pluggy_before = target_env.installed()["pluggy"]
    before = env_state(target_env)
    error = await refused(
        target_env, options_for(tmp_path / "data", url, hostile_index.simple_url), "zoryx-mkt-downgrader"
    )
    assert error.step is InstallStep.RESOLVE and error.restored
    assert "pinned at their installed versions: a plugin cannot change them" in error.reason
    assert_unchanged(target_env, before)
    assert target_env.installed()["pluggy"] == pluggy_before != "1.0.0"


async def test_an_install_that_breaks_another_plugins_requirements_is_rolled_back(
    hostile_server: StaticServer,
    hostile_index: PackageIndex,
    hostile_wheels: Wheels,
    target_env: TargetEnv,
    tmp_path: Path,
) -> None:
    """pip's resolver ignores the requirements of installed distributions it is not asked about:
    installing the breaker upgrades mkt-shared under the installed zoryx-mkt-user. ``pip check``
    sees it; the install is undone."""
    preinstall(target_env, hostile_wheels, "zoryx-mkt-user==0.1.0", "mkt-shared==1.0.0", "--no-deps")
    url = hostile_server.publish(catalog_of(hostile_server, hostile_wheels, ("zoryx-mkt-breaker", "0.1.0")))
    before = env_state(target_env)
    error = await refused(
        target_env, options_for(tmp_path / "data", url, hostile_index.simple_url), "zoryx-mkt-breaker"
    )
    assert error.step is InstallStep.CHECK and error.restored and error.rollback_error is None
    assert "pip check finds the environment broken" in error.reason and "mkt-shared" in error.reason
    assert_unchanged(target_env, before)
    assert work_left(tmp_path / "data") == []


async def test_a_catalog_cannot_offer_the_core_or_its_tools_as_a_plugin(
    hostile_server: StaticServer,
    hostile_index: PackageIndex,
    hostile_wheels: Wheels,
    target_env: TargetEnv,
    tmp_path: Path,
) -> None:
    reserved = ["zoryx-core", "pip", "discord.py", "pluggy", "setuptools"]
    document = catalog_of(hostile_server, hostile_wheels, *[("zoryx-mkt-greeter", "0.2.0")] * len(reserved))
    for entry, name in zip(document["plugins"], reserved, strict=True):
        filename = wheel_name(name, "99.0.0")
        entry["name"] = name
        entry["versions"][0].update(
            filename=filename, version="99.0.0", url=hostile_server.file_url(filename)
        )
    url = hostile_server.publish(document)
    before = env_state(target_env)
    options = options_for(tmp_path / "data", url, hostile_index.simple_url)
    async with MarketplaceClient(options) as client:
        installer = Installer(client, python=target_env.python)
        for name in reserved:
            with pytest.raises(InstallError) as failure:
                await installer.install(name)
            assert failure.value.step is InstallStep.CATALOG
            assert f"{failure.value.name} is part of the bot itself" in failure.value.reason
    assert [r for r in hostile_server.requests if "99.0.0" in r.path] == []
    assert_unchanged(target_env, before)


# --- 3. only the configured index ----------------------------------------------------------------


@pytest.mark.long_running
async def test_pip_reads_no_other_index_than_the_configured_one(
    hostile_server: StaticServer,
    hostile_index: PackageIndex,
    evil_index: PackageIndex,
    hostile_wheels: Wheels,
    target_env: TargetEnv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An extra index in the environment and in the environment's own pip.conf offers
    mkt-tinylib 9.0.0; the installer (isolated by default) takes 1.0.0 from its index."""
    (target_env.root / "pip.conf").write_text(f"[global]\nextra-index-url = {evil_index.simple_url}\n")
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", evil_index.simple_url)
    monkeypatch.setenv("PIP_FIND_LINKS", evil_index.simple_url)
    url = hostile_server.publish(catalog_of(hostile_server, hostile_wheels, ("zoryx-mkt-greeter", "0.1.0")))
    async with MarketplaceClient(options_for(tmp_path / "data", url, hostile_index.simple_url)) as client:
        await Installer(client, python=target_env.python).install("zoryx-mkt-greeter")
    assert target_env.installed()["mkt-tinylib"] == "1.0.0"
    assert target_env.run("-c", "import mkt_tinylib; print(mkt_tinylib.WORD)").stdout.strip() == "tiny"

    cli_env = make_target_env(tmp_path / "cli-env")  # the same through `zoryx install`
    (cli_env.root / "pip.conf").write_text(f"[global]\nextra-index-url = {evil_index.simple_url}\n")
    temp = tmp_path / "cli-temp"
    temp.mkdir()
    process = start_cli_install(
        cli_env,
        tmp_path / "cli-data",
        url,
        hostile_index.simple_url,
        "zoryx-mkt-greeter",
        temp,
        PIP_EXTRA_INDEX_URL=evil_index.simple_url,
        PIP_INDEX_URL=evil_index.simple_url,
    )
    _, err = await asyncio.to_thread(process.communicate, None, 300)
    assert process.returncode == 0, err
    assert cli_env.installed()["mkt-tinylib"] == "1.0.0"


# --- 6. transport, sizes, failures named -----------------------------------------------------------


async def test_plain_http_is_refused_unless_allowed_and_urls_are_shown_without_secrets(
    hostile_server: StaticServer,
    hostile_index: PackageIndex,
    hostile_wheels: Wheels,
    target_env: TargetEnv,
    tmp_path: Path,
) -> None:
    published = hostile_server.publish(
        catalog_of(hostile_server, hostile_wheels, ("zoryx-mkt-greeter", "0.1.0"))
    )
    secret = published.replace("http://", "http://operator:hunter2@") + "?access_token=s3cr3t"
    data = tmp_path / "data"
    plain = options_for(data, secret, hostile_index.simple_url, allow_insecure_http=False)
    error = await refused(target_env, plain, "zoryx-mkt-greeter")
    assert error.step is InstallStep.CATALOG and "is plain http://" in error.reason
    assert "marketplace.allow_insecure_http" in error.reason

    missing = secret.replace("/catalog.json", "/missing.json")
    error = await refused(
        target_env, options_for(data, missing, hostile_index.simple_url), "zoryx-mkt-greeter"
    )
    assert error.step is InstallStep.CATALOG and "answered HTTP 404" in error.reason
    for text in (str(error), error.reason):
        assert "hunter2" not in text and "s3cr3t" not in text and "operator" not in text
        assert "http://***@127.0.0.1" in text and "missing.json?***" in text

    local = tmp_path / "catalog.json"
    local.write_text(json.dumps(catalog_of(hostile_server, hostile_wheels, ("zoryx-mkt-greeter", "0.1.0"))))
    wheel_over_http = options_for(data, str(local), hostile_index.simple_url, allow_insecure_http=False)
    error = await refused(target_env, wheel_over_http, "zoryx-mkt-greeter")
    assert error.step is InstallStep.DOWNLOAD and "the wheel zoryx_mkt_greeter-0.1.0" in error.reason


async def test_a_wheel_larger_than_declared_stops_at_the_declared_size(
    hostile_server: StaticServer,
    hostile_index: PackageIndex,
    hostile_wheels: Wheels,
    target_env: TargetEnv,
    tmp_path: Path,
) -> None:
    document = catalog_of(hostile_server, hostile_wheels, ("zoryx-mkt-greeter", "0.1.0"))
    entry = document["plugins"][0]["versions"][0]
    entry["size"] = 100
    url = hostile_server.publish(document)
    before = env_state(target_env)
    error = await refused(
        target_env, options_for(tmp_path / "data", url, hostile_index.simple_url), "zoryx-mkt-greeter"
    )
    assert error.step is InstallStep.DOWNLOAD and "more than the limit of 100" in error.reason
    assert_unchanged(target_env, before)
    assert work_left(tmp_path / "data") == []


async def test_file_system_and_network_failures_are_install_errors_naming_the_step(
    hostile_server: StaticServer,
    hostile_index: PackageIndex,
    hostile_wheels: Wheels,
    target_env: TargetEnv,
    tmp_path: Path,
) -> None:
    document = catalog_of(hostile_server, hostile_wheels, ("zoryx-mkt-greeter", "0.1.0"))
    local = tmp_path / "site" / "catalog.json"
    local.parent.mkdir()
    document["plugins"][0]["versions"][0]["url"] = "gone.whl"  # relative to the catalog: no such file
    local.write_text(json.dumps(document))
    error = await refused(
        target_env, options_for(tmp_path / "d1", str(local), hostile_index.simple_url), "zoryx-mkt-greeter"
    )
    assert error.step is InstallStep.DOWNLOAD and "cannot read" in error.reason and "gone.whl" in error.reason

    url = hostile_server.publish(catalog_of(hostile_server, hostile_wheels, ("zoryx-mkt-greeter", "0.1.0")))
    blocked = tmp_path / "d2"
    blocked.mkdir()
    (blocked / "marketplace").mkdir()
    (blocked / "marketplace" / "work").write_text("a file where the working folder goes")
    error = await refused(
        target_env, options_for(blocked, url, hostile_index.simple_url), "zoryx-mkt-greeter"
    )
    assert error.step is InstallStep.DOWNLOAD and "NotADirectoryError" in error.reason

    closed = "http://127.0.0.1:9/simple/"  # nothing listens on the discard port
    error = await refused(
        target_env, options_for(tmp_path / "d3", url, closed, max_retries=0), "zoryx-mkt-greeter"
    )
    assert error.step is InstallStep.RESOLVE and error.restored


# --- 5. an install killed half-way -----------------------------------------------------------------


def start_cli_install(
    target: TargetEnv,
    data: Path,
    catalog_url: str,
    index_url: str,
    request: str,
    temp: Path,
    *,
    command_name: str = "install",
    **env: str,
) -> subprocess.Popen[str]:
    """``zoryx install`` (or ``command_name``) as its own process, on the target environment's
    interpreter."""
    environ = pip_env()
    environ.update(
        {
            "ZORYX_MARKETPLACE__ALLOW_INSECURE_HTTP": "true",
            "NO_COLOR": "1",
            "TMPDIR": str(temp),
            **env,
        }
    )
    command = [str(target.python), "-m", "zoryx_core.cli", command_name, request]
    command += ["--accept-terms"] if command_name == "install" else []
    command += ["--catalog-url", catalog_url, "--index-url", index_url, "--data-dir", str(data)]
    return subprocess.Popen(
        command,
        env=environ,
        cwd=data.parent,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_when(process: subprocess.Popen[str], data: Path, ready: Any) -> dict[str, Any]:
    """SIGKILL ``process`` as soon as its journal satisfies ``ready``; returns that journal."""
    journal = data / "marketplace" / "install-journal.json"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        try:
            entry: dict[str, Any] = json.loads(journal.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            entry = {}
        if entry and ready(entry):
            process.kill()
            process.communicate(timeout=60)
            return entry
        time.sleep(0.01)
    _, err = process.communicate(timeout=60)
    raise AssertionError(f"the install never reached the awaited point (exit {process.returncode}): {err}")


def wait_gone(pid: int) -> None:
    deadline = time.monotonic() + 60
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{pid}").exists(), f"pip {pid} outlived the killed install"


async def recover_cleanly(
    target: TargetEnv, data: Path, temp: Path, catalog_url: str, index_url: str
) -> RecoveryReport:
    """What the next start does after a kill: recover, and leave no working files anywhere."""
    async with MarketplaceClient(options_for(data, catalog_url, index_url)) as client:
        recovered = await Installer(client, python=target.python).recover()
    assert recovered is not None
    assert_no_leftovers(data, temp)
    return recovered


def assert_no_leftovers(data: Path, temp: Path) -> None:
    assert work_left(data) == [] and list(temp.iterdir()) == []


def greeter_0_1_installed(
    server: StaticServer, wheels: Wheels, target: TargetEnv, tmp_path: Path, *, catalog_version: str
) -> tuple[str, Path, Path, EnvState]:
    """zoryx-mkt-greeter 0.1.0 installed, a catalog offering ``catalog_version``: the catalog's URL,
    the data and temporary folders, and the environment's state before anything else runs."""
    preinstall(target, wheels, "zoryx-mkt-greeter==0.1.0")
    url = server.publish(catalog_of(server, wheels, ("zoryx-mkt-greeter", catalog_version)))
    data, temp = tmp_path / "data", tmp_path / "temp"
    temp.mkdir()
    return url, data, temp, env_state(target)


@pytest.mark.parametrize("moment", ["pip-started", "files-written"])
async def test_an_upgrade_killed_while_pip_runs_is_undone_at_the_next_start(
    hostile_server: StaticServer,
    hostile_index: PackageIndex,
    hostile_wheels: Wheels,
    target_env: TargetEnv,
    tmp_path: Path,
    moment: str,
) -> None:
    """Killed as soon as pip starts, or once pip has written the new version's files: whatever
    pip had done, the next start puts the environment back byte for byte (when the kill came
    after pip had finished, it finishes the upgrade instead)."""
    url, data, temp, before = greeter_0_1_installed(
        hostile_server, hostile_wheels, target_env, tmp_path, catalog_version="0.2.0"
    )
    written = target_env.site / "zoryx_mkt_greeter-0.2.0.dist-info"

    def ready(entry: dict[str, Any]) -> bool:
        if moment == "pip-started":
            return entry["phase"] == "installing" and bool(entry["pip_pid"])
        return written.exists()

    process = start_cli_install(
        target_env, data, url, hostile_index.simple_url, "zoryx-mkt-greeter==0.2.0", temp
    )
    entry = await asyncio.to_thread(kill_when, process, data, ready)
    if entry["pip_pid"]:
        await asyncio.to_thread(wait_gone, int(entry["pip_pid"]))  # pip dies with its parent

    recovered = await recover_cleanly(target_env, data, temp, url, hostile_index.simple_url)
    code = "import zoryx_mkt_greeter; print(zoryx_mkt_greeter.VERSION)"
    if entry["phase"] == "installed":  # the kill came after pip and pip check: finished
        assert recovered.outcome is RecoveryOutcome.FINISHED
        assert target_env.run("-c", code).stdout.strip() == "0.2.0"
        return
    assert recovered.outcome is RecoveryOutcome.UNDONE
    assert recovered.describe() == (
        "an interrupted install of zoryx-mkt-greeter 0.2.0 was undone: the environment is as it was "
        "before (zoryx-mkt-greeter 0.1.0 is back)"
    )
    assert_unchanged(target_env, before)
    assert target_env.run("-c", code).stdout.strip() == "0.1.0"


async def test_an_uninstall_killed_while_pip_runs_is_undone_at_the_next_start(
    hostile_server: StaticServer,
    hostile_index: PackageIndex,
    hostile_wheels: Wheels,
    target_env: TargetEnv,
    tmp_path: Path,
) -> None:
    """``zoryx uninstall`` killed once pip is removing the plugin: the next start puts every file
    back (the plugin's files were backed up first), or, when pip had already finished, completes
    the removal; either way it says which."""
    url, data, temp, before = greeter_0_1_installed(
        hostile_server, hostile_wheels, target_env, tmp_path, catalog_version="0.1.0"
    )
    process = start_cli_install(
        target_env, data, url, hostile_index.simple_url, "zoryx-mkt-greeter", temp, command_name="uninstall"
    )
    entry = await asyncio.to_thread(
        kill_when, process, data, lambda e: e["operation"] == "uninstall" and bool(e["pip_pid"])
    )
    await asyncio.to_thread(wait_gone, int(entry["pip_pid"]))

    recovered = await recover_cleanly(target_env, data, temp, url, hostile_index.simple_url)
    if recovered.outcome is RecoveryOutcome.FINISHED:  # pip was done before the kill landed
        assert "zoryx-mkt-greeter" not in target_env.installed()
        assert recovered.describe() == (
            "an interrupted uninstall of zoryx-mkt-greeter 0.1.0 was finished: "
            "zoryx-mkt-greeter is no longer installed"
        )
        return
    assert recovered.outcome is RecoveryOutcome.UNDONE
    assert recovered.describe() == (
        "an interrupted uninstall of zoryx-mkt-greeter 0.1.0 was undone: the environment is as it was "
        "before (zoryx-mkt-greeter 0.1.0 is back)"
    )
    assert_unchanged(target_env, before)


async def test_an_install_killed_after_pip_is_finished_at_the_next_start(
    hostile_server: StaticServer,
    hostile_index: PackageIndex,
    hostile_wheels: Wheels,
    target_env: TargetEnv,
    tmp_path: Path,
) -> None:
    """Killed during the import check (the plugin's import waits on a file): pip had finished and
    ``pip check`` passed, so the next start finishes the install once the plugin imports. The
    next command of the CLI says what happened."""
    url = hostile_server.publish(
        catalog_of(hostile_server, hostile_wheels, ("zoryx-mkt-slowimport", "0.1.0"))
    )
    data, temp = tmp_path / "data", tmp_path / "temp"
    temp.mkdir()
    hold = tmp_path / "hold"
    hold.write_text("wait")
    process = start_cli_install(
        target_env,
        data,
        url,
        hostile_index.simple_url,
        "zoryx-mkt-slowimport",
        temp,
        ZORYX_TEST_HOLD=str(hold),
    )
    await asyncio.to_thread(kill_when, process, data, lambda e: e["phase"] == "installed")
    hold.unlink()

    environ = pip_env()
    environ.update({"ZORYX_MARKETPLACE__ALLOW_INSECURE_HTTP": "true", "NO_COLOR": "1", "TMPDIR": str(temp)})
    command = [str(target_env.python), "-m", "zoryx_core.cli", "marketplace", "fixdeps"]
    command += ["--catalog-url", url, "--index-url", hostile_index.simple_url, "--data-dir", str(data)]
    result = await asyncio.to_thread(
        subprocess.run, command, env=environ, capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert (
        "recovery: an interrupted install of zoryx-mkt-slowimport 0.1.0 was finished: "
        "zoryx-mkt-slowimport 0.1.0 stays installed" in " ".join(result.stderr.split())
    )
    assert target_env.installed()["zoryx-mkt-slowimport"] == "0.1.0"
    assert work_left(data) == [] and list(temp.iterdir()) == []


def test_paths_leaving_the_install_folders_and_start_up_modules_are_refused(
    hostile_wheels: Wheels, tmp_path: Path
) -> None:
    wheel = tmp_path / wheel_name("zoryx-mkt-greeter", "0.2.0")
    shutil.copy(hostile_wheels.folder / wheel.name, wheel)
    rewrite_wheel(
        wheel,
        add={"../escape.py": b"", "sitecustomize.py": b"", "zoryx_mkt_greeter-0.2.0.data/data/x.pth": b""},
    )
    scheme = {
        key: str(tmp_path / "env" / key) for key in ("purelib", "platlib", "scripts", "data", "headers")
    }
    audit = audit_wheel(wheel, scheme, owned_files([]))
    assert "'../escape.py' leaves the install folder (refused)" in audit.problems
    assert "it carries sitecustomize.py, which Python runs at every start (refused)" in audit.problems
    assert any("x.pth: a .pth file runs code" in problem for problem in audit.problems)
    assert audit.created and all(path.startswith(str(tmp_path / "env")) for path in audit.created)


def test_a_rollback_removes_what_an_interrupted_byte_compilation_left(tmp_path: Path) -> None:
    """pip compiles each module to ``NAME.pyc.NUMBER`` and renames it; killed in between, it leaves
    that file in a ``__pycache__`` folder that existed before, which the rollback must clear too
    (seen: an upgrade killed once its files were written came back with one such file)."""
    from marketplace_client.installer import _remove_bytecode_temporaries

    cache = tmp_path / "site-packages" / "greeter" / "__pycache__"
    cache.mkdir(parents=True)
    ours = cache / "__init__.cpython-311.pyc"
    ours.write_bytes(b"old bytecode")
    half_written = cache / "__init__.cpython-311.pyc.140226728794736"
    half_written.write_bytes(b"partial")
    others = [cache / "helpers.cpython-311.pyc", cache / "notes.txt", cache / "data.pyc.backup"]
    for path in others:
        path.write_bytes(b"not ours to delete")
    _remove_bytecode_temporaries([str(ours), str(tmp_path / "missing" / "__pycache__" / "x.pyc")])
    assert not half_written.exists()
    assert ours.exists() and all(path.exists() for path in others)
