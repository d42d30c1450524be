"""The marketplace's terms: asked of each user once per terms version, stored in the bot's
storage, asked again when the catalog's terms version changes; declining keeps it closed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conftest import INFO, title
from zoryx_marketplace import TERMS_KEY_PREFIX

if TYPE_CHECKING:
    from conftest import World

TERMS = "⚠️ Terms of Zoryx test marketplace"
HOME = "🛒 Zoryx test marketplace"


async def test_terms_are_asked_once_per_user_and_again_when_their_version_changes(
    world: World, catalog: Any
) -> None:
    emu, boss, member, general = world.emu, world.boss, world.member, world.general
    bot = await world.start(catalog)
    key = TERMS_KEY_PREFIX + world.catalog_url

    asked = await emu.converse(general, member, "!marketplace")
    assert title(asked) == TERMS
    declined = await emu.click(asked, user=member, label="Decline")
    assert title(declined.message) == f"{INFO} Terms declined"  # type: ignore[arg-type]
    assert await bot.storage.get("zoryx-marketplace", key, user_id=member.id) is None

    asked = await emu.converse(general, member, "!marketplace browse")  # still not accepted
    assert title(asked) == TERMS
    await emu.click(asked, user=member, label="Accept")
    assert title(await world.reply_after(asked)) == "🛒 All plugins"
    stored = await bot.storage.get("zoryx-marketplace", key, user_id=member.id)
    assert stored["version"] == "1"

    assert title(await emu.converse(general, boss, "!marketplace")) == TERMS  # each user answers
    home = await emu.converse(general, member, "!marketplace")
    assert title(home) == HOME  # not asked again

    catalog["terms"] = {"version": "2", "text": "New terms: plugins may now collect statistics."}
    world.server.replace(world.catalog_url, catalog)
    await emu.click(home, user=member, label="Refresh")  # the open menu fetches the new catalog
    asked = await world.reply_after(home)
    assert title(asked) == TERMS and "collect statistics" in asked.embeds[0]["description"]
    await emu.click(asked, user=member, label="Accept")
    stored = await bot.storage.get("zoryx-marketplace", key, user_id=member.id)
    assert stored["version"] == "2"
    assert "version `2`" in str(world.current(home).embeds[0]["fields"])  # the menu shows the new catalog
    assert title(await emu.converse(general, member, "!marketplace")) == HOME

    catalog["terms"]["version"] = "3"
    world.server.replace(world.catalog_url, catalog)
    refreshed = await emu.converse(general, member, "!marketplace refresh")
    assert "terms version `3`" in refreshed.embeds[0]["description"]
    assert title(await emu.converse(general, member, "!marketplace")) == TERMS
