"""Installs from the marketplace into a throwaway environment standing for the bot's: dependencies
resolved from a real local index (pypiserver), refusals and failed activations leaving
``pip freeze`` unchanged, upgrade, uninstall, fixdeps, and live loading into a running bot."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from marketplace_helpers.servers import CatalogServer
from marketplace_helpers.support import (
    TargetEnv,
    Wheels,
    assert_unchanged,
    env_state,
    options_for,
    version_entry,
)

from marketplace_client import (
    INSTANCE_ID_HEADER,
    ActivationRequest,
    DistChange,
    InstallAction,
    Installer,
    InstallError,
    InstallStep,
    MarketplaceClient,
    MissingRequirement,
    Progress,
    plugin_host_activator,
)

pytest_plugins = ["marketplace_helpers.fixtures"]

GREETER = "zoryx-mkt-greeter"


def installer_for(client: MarketplaceClient, target: TargetEnv) -> Installer:
    return Installer(client, python=target.python, pip_isolated=True)


def greeter_version(target: TargetEnv) -> str:
    """The installed greeter's own idea of its version, asked from a fresh target interpreter."""
    code = "import zoryx_mkt_greeter, mkt_tinylib; print(zoryx_mkt_greeter.VERSION, mkt_tinylib.WORD)"
    return target.run("-c", code).stdout.strip()


def plugin(document: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in document["plugins"] if p["name"] == name)
    return found


@pytest.mark.long_running
async def test_install_resolves_the_dependency_from_the_local_index_then_upgrade_and_uninstall(
    mkt_server: CatalogServer,
    mkt_catalog: dict[str, Any],
    mkt_index: str,
    target_env: TargetEnv,
    tmp_path: Path,
) -> None:
    url = mkt_server.publish(mkt_catalog)
    data = tmp_path / "data"
    assert "mkt-tinylib" not in target_env.installed()
    async with MarketplaceClient(options_for(data, url, mkt_index)) as client:
        installer = installer_for(client, target_env)
        steps: list[Progress] = []
        result = await installer.install(f"{GREETER}==0.1.0", progress=steps.append)
        assert (result.name, result.version, result.action) == (GREETER, "0.1.0", InstallAction.INSTALLED)
        assert set(result.changes) == {
            DistChange(GREETER, None, "0.1.0"),
            DistChange("mkt-tinylib", None, "1.0.0"),
        }
        assert greeter_version(target_env) == "0.1.0 tiny"
        order = list(dict.fromkeys(p.step for p in steps))
        assert order == [
            InstallStep.CATALOG,
            InstallStep.DOWNLOAD,
            InstallStep.HASH,
            InstallStep.METADATA,
            InstallStep.RESOLVE,
            InstallStep.VERIFY,
            InstallStep.INSTALL,
            InstallStep.CHECK,
            InstallStep.IMPORT,
        ]
        downloads = [p for p in steps if p.step is InstallStep.DOWNLOAD]
        assert downloads[-1].done == downloads[-1].total and downloads[-1].total is not None
        assert downloads[-1].total > 1000

        upgraded = await installer.upgrade(GREETER)
        assert (upgraded.action, upgraded.previous_version, upgraded.version) == (
            InstallAction.UPGRADED,
            "0.1.0",
            "0.2.0",
        )
        assert upgraded.changes == (DistChange(GREETER, "0.1.0", "0.2.0"),)
        assert greeter_version(target_env) == "0.2.0 tiny"
        wheel = mkt_server.wheel_url("zoryx_mkt_greeter-0.2.0-py3-none-any.whl")
        assert [h.get(INSTANCE_ID_HEADER) for h in mkt_server.requests_to(wheel)] == [
            await client.instance_id()
        ]
        assert (await installer.upgrade(GREETER)).action is InstallAction.UNCHANGED
        assert await installer.outdated() == []
        assert [p.name for p in await installer.installed_plugins() if p.name.startswith("zoryx-mkt-")] == [
            GREETER
        ]

        (data / "plugins" / GREETER).mkdir(parents=True)
        removed = await installer.uninstall("Zoryx_Mkt_Greeter")
        assert (removed.name, removed.version) == (GREETER, "0.2.0")
        assert removed.data_dir == data / "plugins" / GREETER and removed.data_dir_exists
        installed = target_env.installed()
        assert GREETER not in installed and installed["mkt-tinylib"] == "1.0.0"  # dependencies stay
        assert list((data / "marketplace" / "wheels").glob("*.whl")) == []
        with pytest.raises(InstallError, match="not a Zoryx plugin") as library:
            await installer.uninstall("mkt-tinylib")
        assert library.value.step is InstallStep.UNINSTALL
        with pytest.raises(
            InstallError, match="zoryx-mkt-greeter: failed at step 'uninstall': it is not installed"
        ):
            await installer.uninstall(GREETER)


def _tampered(doc: dict[str, Any], server: CatalogServer, wheels: Wheels) -> str:
    entry = plugin(doc, GREETER)["versions"][0]
    entry["url"] = server.tampered_url(entry["filename"])
    return GREETER


def _core_by_catalog(doc: dict[str, Any], server: CatalogServer, wheels: Wheels) -> str:
    return "zoryx-mkt-future"


def _core_by_wheel(doc: dict[str, Any], server: CatalogServer, wheels: Wheels) -> str:
    plugin(doc, "zoryx-mkt-future")["versions"][0]["requires_core"] = ""  # the catalog claims any core
    return "zoryx-mkt-future"


def _no_entry_point(doc: dict[str, Any], server: CatalogServer, wheels: Wheels) -> str:
    wheel = wheels.path("zoryx-mkt-noentry", "0.1.0")
    entry = version_entry(wheel, server.wheel_url(wheel.name))
    doc["plugins"].append(
        {"name": "zoryx-mkt-noentry", "summary": "", "author": "", "status": "beta", "versions": [entry]}
    )
    return "zoryx-mkt-noentry"


@pytest.mark.parametrize(
    ("change", "step", "message"),
    [
        (
            _tampered,
            InstallStep.HASH,
            r"the sha256 of zoryx_mkt_greeter-0.2.0-py3-none-any.whl is [0-9a-f]{64}; ",
        ),
        (
            _core_by_catalog,
            InstallStep.COMPATIBILITY,
            r"no version supports zoryx-core 0.1.0 \(the newest, 0.1.0, ",
        ),
        (
            _core_by_wheel,
            InstallStep.COMPATIBILITY,
            r"the wheel requires zoryx-core<2,>=1; this bot runs zoryx-core",
        ),
        (_no_entry_point, InstallStep.METADATA, r"declares no entry point in the 'zoryx.plugins' group"),
    ],
    ids=["bad-sha256", "core-major-in-catalog", "core-major-in-wheel", "no-entry-point"],
)
async def test_refused_wheels_leave_the_environment_unchanged(
    mkt_server: CatalogServer,
    mkt_catalog: dict[str, Any],
    mkt_index: str,
    mkt_wheels: Wheels,
    target_env: TargetEnv,
    tmp_path: Path,
    change: Any,
    step: InstallStep,
    message: str,
) -> None:
    name = change(mkt_catalog, mkt_server, mkt_wheels)
    url = mkt_server.publish(mkt_catalog)
    before = target_env.freeze()
    async with MarketplaceClient(options_for(tmp_path / "data", url, mkt_index)) as client:
        with pytest.raises(InstallError, match=message) as refused:
            await installer_for(client, target_env).install(name)
    assert refused.value.step is step and refused.value.restored and refused.value.name == name
    assert target_env.freeze() == before
    assert list((tmp_path / "data" / "marketplace" / "wheels").glob("*")) == []


async def _fail_activation(request: ActivationRequest) -> None:
    raise RuntimeError(f"the bot could not load {request.name} {request.version}")


async def test_a_failed_activation_rolls_back_an_upgrade(
    mkt_server: CatalogServer,
    mkt_catalog: dict[str, Any],
    mkt_index: str,
    mkt_wheels: Wheels,
    target_env: TargetEnv,
    tmp_path: Path,
) -> None:
    """A fresh install whose activation fails is in the live-bot test below; here the failure
    comes after pip replaced version 0.1.0, whose files must come back."""
    url = mkt_server.publish(mkt_catalog)
    target_env.pip_install("--no-index", "--find-links", str(mkt_wheels.folder), f"{GREETER}==0.1.0")
    before = env_state(target_env)
    async with MarketplaceClient(options_for(tmp_path / "data", url, mkt_index)) as client:
        with pytest.raises(InstallError) as failed:
            await installer_for(client, target_env).upgrade(GREETER, activate=_fail_activation)
    assert failed.value.step is InstallStep.ACTIVATE and failed.value.restored
    assert "failed at step 'activate': RuntimeError: the bot could not load zoryx-mkt-greeter 0.2.0" in str(
        failed.value
    )
    assert_unchanged(target_env, before)  # pip freeze and every file, byte for byte
    assert greeter_version(target_env) == "0.1.0 tiny"  # the old files are back, not just the metadata


async def test_fixdeps_installs_a_missing_declared_dependency(
    mkt_server: CatalogServer,
    mkt_catalog: dict[str, Any],
    mkt_index: str,
    mkt_wheels: Wheels,
    target_env: TargetEnv,
    tmp_path: Path,
) -> None:
    target_env.pip_install("--no-deps", str(mkt_wheels.path(GREETER, "0.1.0")))
    assert "mkt-tinylib" not in target_env.installed()
    url = mkt_server.publish(mkt_catalog)
    async with MarketplaceClient(options_for(tmp_path / "data", url, mkt_index)) as client:
        installer = installer_for(client, target_env)
        missing = MissingRequirement(GREETER, GREETER, "mkt-tinylib>=1.0", "not installed")
        assert ours(await installer.check_requirements()) == [missing]
        result = await installer.fixdeps()
    assert ours(result.missing) == [missing] and ours(result.remaining) == []
    assert not [line for line in result.pip_check if "mkt" in line]
    assert result.changes == (DistChange("mkt-tinylib", None, "1.0.0"),)
    assert greeter_version(target_env) == "0.1.0 tiny"


def ours(items: Any) -> list[MissingRequirement]:
    """Findings about the test plugins (the environment this suite runs in may hold other plugins)."""
    return [item for item in items if item.plugin.startswith("zoryx-mkt-")]


@pytest.fixture
def bot_sees_target(target_env: TargetEnv, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make the running interpreter see the throwaway environment, as a bot sees its own."""
    monkeypatch.syspath_prepend(str(target_env.site))
    yield
    for name in [n for n in sys.modules if n.startswith(("zoryx_mkt_", "mkt_tinylib"))]:
        del sys.modules[name]


@pytest.mark.long_running
async def test_plugins_are_loaded_live_reloaded_on_upgrade_and_a_failing_set_up_is_rolled_back(
    discord_emulator: Any,
    zoryx_bot: Any,
    mkt_server: CatalogServer,
    mkt_catalog: dict[str, Any],
    mkt_index: str,
    target_env: TargetEnv,
    bot_sees_target: None,
) -> None:
    alice = discord_emulator.create_user("alice")
    guild = discord_emulator.create_guild("Market", members=[alice])
    general = discord_emulator.channel_named(guild, "general")
    bot = await zoryx_bot(no_plugins=True)
    url = mkt_server.publish(mkt_catalog)
    async with MarketplaceClient(options_for(bot.data_dir, url, mkt_index)) as client:
        installer = installer_for(client, target_env)
        activate = plugin_host_activator(bot.plugins)
        installed = await installer.install(f"{GREETER}==0.1.0", activate=activate)
        assert installed.activated and GREETER in bot.plugins.loaded
        assert (
            await discord_emulator.converse(general, alice, "!greet")
        ).content == "greeter 0.1.0 says tiny"

        await installer.upgrade(GREETER, activate=activate)
        assert (
            await discord_emulator.converse(general, alice, "!greet")
        ).content == "greeter 0.2.0 says tiny"

        before = target_env.freeze()
        with pytest.raises(InstallError) as failed:
            await installer.install("zoryx-mkt-faulty", activate=activate)
        assert failed.value.step is InstallStep.ACTIVATE and failed.value.restored
        assert "its set-up always fails" in failed.value.reason
        assert target_env.freeze() == before and "zoryx-mkt-faulty" not in bot.plugins.loaded
        assert (
            await discord_emulator.converse(general, alice, "!greet")
        ).content == "greeter 0.2.0 says tiny"

        await bot.plugins.unload(GREETER)
        removed = await installer.uninstall(GREETER)
        assert removed.data_dir == bot.data_dir / "plugins" / GREETER


async def test_a_server_sending_more_than_the_declared_size_is_cut_off(
    mkt_server: CatalogServer,
    mkt_catalog: dict[str, Any],
    mkt_index: str,
    target_env: TargetEnv,
    tmp_path: Path,
) -> None:
    """The wheel streams to disk and the download stops at the catalog's size, even from a
    server that sends without a Content-Length and never stops."""
    entry = plugin(mkt_catalog, GREETER)["versions"][0]
    entry["url"] = mkt_server.endless_url(entry["filename"])
    url = mkt_server.publish(mkt_catalog)
    before = target_env.freeze()
    async with MarketplaceClient(options_for(tmp_path / "data", url, mkt_index)) as client:
        with pytest.raises(InstallError) as failed:
            await installer_for(client, target_env).install(GREETER)
    assert failed.value.step is InstallStep.DOWNLOAD
    assert f"sent more than the limit of {entry['size']} bytes" in failed.value.reason
    assert mkt_server.endless_sent < 64 * 1024 * 1024  # stopped early, not at the server's 1 GiB
    assert target_env.freeze() == before
    assert list((tmp_path / "data" / "marketplace").rglob("*.whl")) == []
