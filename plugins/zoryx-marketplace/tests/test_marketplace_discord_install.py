"""Installing, updating and uninstalling from Discord, end to end: the bot on the emulator, the
catalog over HTTP, wheels from a real package index, pip in the running interpreter's
environment. The owner installs through the menu (terms, two-step confirmation, progress), the
plugin answers at once, an update reloads it, and an uninstall leaves ``pip freeze`` as it was."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from conftest import DICE, ECHO, INFO, confirm_twice, fields, labels, select_values, title, without_version

from zoryx_core import PluginStatus

if TYPE_CHECKING:
    from conftest import World


def _finished(prefix: str) -> Any:
    return lambda message: title(message).startswith(prefix)


async def test_the_owner_installs_from_the_menu_updates_and_uninstalls(world: World, catalog: Any) -> None:
    emu, boss, general = world.emu, world.boss, world.general
    bot = await world.start(without_version(catalog, ECHO, "0.2.0"))
    before = world.env.before

    # the terms first, then the menu
    terms = await emu.converse(general, boss, "!marketplace")
    assert title(terms) == "⚠️ Terms of Zoryx test marketplace"
    assert "without warranty" in terms.embeds[0]["description"] and fields(terms)["Version"] == "`1`"
    await emu.click(terms, user=boss, label="Accept")
    menu = await world.reply_after(terms)
    assert title(menu) == "🛒 Zoryx test marketplace"

    listing = (await emu.click(menu, user=boss, label="Browse")).message
    assert listing is not None and select_values(listing) == ["zoryx-mpt-dice", ECHO, "zoryx-mpt-faulty"]
    details = (await emu.choose(menu, [ECHO], user=boss)).message
    assert details is not None and title(details).endswith(ECHO)
    assert fields(details)["Installed"] == "no" and "Install" in labels(details)

    confirm = (await emu.click(menu, user=boss, label="Install")).message
    assert confirm is not None and title(confirm) == f"⚠️ Install {ECHO} 0.1.0?"
    await confirm_twice(world, confirm, boss)
    done = await world.until(confirm, _finished(f"✅ Installed {ECHO} 0.1.0"), "the install to finish")
    steps = fields(done)["Steps"]
    for step in ("catalog", "download", "hash", "metadata", "resolve", "install", "activate"):
        assert f"✅ **{step}**" in steps, steps
    assert f"+ {ECHO} 0.1.0" in fields(done)["Changes"]
    assert ECHO in bot.plugins.loaded
    assert (await emu.converse(general, boss, "!mptecho")).content == "echo 0.1.0"  # no restart
    again = await emu.converse(general, boss, f"!marketplace install {ECHO}==0.1.0")
    assert title(again) == f"{INFO} {ECHO} 0.1.0 is already installed"

    # a new version appears; update reloads it live
    world.server.replace(world.catalog_url, catalog)
    refreshed = await emu.converse(general, boss, "!marketplace refresh")
    assert title(refreshed) == "✅ Catalog refreshed"
    question = await emu.converse(general, boss, "!marketplace update", timeout=30)
    assert (
        title(question) == "⚠️ Update 1 plugin?"
        and f"`{ECHO}` 0.1.0 → **0.2.0**" in question.embeds[0]["description"]
    )
    await confirm_twice(world, question, boss)
    updated = await world.until(question, _finished(f"✅ Updated {ECHO} 0.2.0"), "the update to finish")
    assert f"~ {ECHO} 0.1.0 -> 0.2.0" in fields(updated)["Changes"]
    shown = world.shown_on(question)
    assert any("⏳ **install**" in text for text in shown), f"the progress was never shown: {shown}"
    assert (await emu.converse(general, boss, "!mptecho")).content == "echo 0.2.0"

    # uninstall: unloaded first, then the data folder question, then removed
    data = bot.data_dir / "plugins" / ECHO
    assert (data / "state.json").is_file()
    question = await emu.converse(general, boss, f"!marketplace uninstall {ECHO}")
    assert title(question) == f"⚠️ Uninstall {ECHO} 0.2.0?"
    await confirm_twice(world, question, boss)
    asked = await world.until(question, lambda m: "Delete data" in labels(m), "the data folder question")
    assert ECHO not in bot.plugins.loaded and bot.get_command("mptecho") is None  # unloaded before asking
    await emu.click(asked, user=boss, label="Delete data")
    removed = await world.until(
        question, _finished(f"✅ Uninstalled {ECHO} 0.2.0"), "the uninstall to finish"
    )
    assert fields(removed)["Data folder"] == "deleted" and not data.exists()
    assert await world.env.freeze() == before


async def test_fixdeps_installs_what_an_installed_plugin_declares(
    world: World, catalog: Any, market_wheels: Path
) -> None:
    emu, boss, member, general = world.emu, world.boss, world.member, world.general
    await world.env.pip_install("--no-deps", str(market_wheels / "zoryx_mpt_dice-0.1.0-py3-none-any.whl"))
    bot = await world.start(catalog)
    skipped = await bot.plugins.load(DICE)
    assert (
        skipped.status is PluginStatus.SKIPPED
        and "mpt-dicelib>=1.0, which is not installed" in skipped.reason
    )

    refused = await emu.converse(general, member, "!marketplace fixdeps")
    assert "is for the bot's owners only" in refused.embeds[0]["description"]
    question = await emu.converse(general, boss, "!marketplace fixdeps", timeout=30)
    assert title(question) == "⚠️ Install missing requirements?"
    assert (
        f"`mpt-dicelib>=1.0` for **{DICE}** (declared by {DICE}): not installed"
        in question.embeds[0]["description"]
    )
    await confirm_twice(world, question, boss)
    done = await world.until(question, _finished("✅ Requirements installed"), "fixdeps to finish")
    assert fields(done)["Installed"] == "`+ mpt-dicelib 1.0.0`"  # from the package index
    assert "mpt-dicelib==1.0.0" in await world.env.freeze()

    await emu.converse(general, boss, f"!load {DICE}")
    assert (await emu.converse(general, boss, "!mptdice")).content == "dice with 6 faces"
    again = await emu.converse(general, boss, "!marketplace fixdeps", timeout=30)
    assert title(again) == "✅ Nothing to fix"
