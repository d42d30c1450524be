"""Browsing (five a page, a dropdown to a plugin's details), searching through the modal and the
slash command, plugins by status, the menu's owner-only clicks, and ``myid`` by direct message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conftest import ECHO, INFO, accept_terms, fields, select_values, title

from zoryx_core.testing import Message

if TYPE_CHECKING:
    from conftest import World

FAKES = {
    "zoryx-mpt-weather-now": ("working", ["weather"], "Current weather for your server"),
    "zoryx-mpt-forecast": ("beta", ["weather", "forecast"], "Five-day forecasts"),
    "zoryx-mpt-quotes": ("working", ["fun"], "Quotes from members"),
    "zoryx-mpt-polls": ("working", [], "Polls with buttons"),
    "zoryx-mpt-tickets": ("beta", ["support"], "Support tickets"),
    "zoryx-mpt-music": ("broken", ["audio"], "Plays music in voice channels"),
    "zoryx-mpt-levels": ("working", [], "Experience points and levels"),
    "zoryx-mpt-reminders": ("beta", [], "Reminders at a time you choose"),
    "zoryx-mpt-trivia": ("working", ["games"], "Trivia games"),
}


def with_fakes(document: Any) -> Any:
    """Nine more listed plugins (never installed: browsing only reads the catalog)."""
    for name, (status, tags, summary) in FAKES.items():
        filename = f"{name.replace('-', '_')}-1.0.0-py3-none-any.whl"
        document["plugins"].append(
            {
                "name": name,
                "summary": summary,
                "author": "Zoryx test authors",
                "status": status,
                "tags": tags,
                "versions": [{"version": "1.0.0", "filename": filename, "url": filename, "sha256": "0" * 64}],
            }
        )
    return document


def disabled(message: Message, label: str) -> bool:
    for row in message.components:
        for component in row.get("components", []):
            if component.get("label") == label:
                return bool(component.get("disabled"))
    raise LookupError(label)


async def test_browse_pages_the_dropdown_search_modal_statuses_and_slash(world: World, catalog: Any) -> None:
    emu, boss, member, general = world.emu, world.boss, world.member, world.general
    bot = await world.start(with_fakes(catalog))
    menu = await accept_terms(world, member)
    assert menu.embeds[0]["description"].startswith("12 plugins to browse.")

    pages = []
    shown = (await emu.click(menu, user=member, label="Browse")).message
    assert shown is not None
    pages.append(select_values(shown))
    assert shown.embeds[0]["footer"]["text"].endswith("Page 1/3") and disabled(shown, "Previous")
    assert len(shown.embeds[0]["fields"]) == 5
    for _ in range(2):
        shown = (await emu.click(menu, user=member, label="Next")).message
        assert shown is not None
        pages.append(select_values(shown))
    assert pages == [
        ["zoryx-mpt-dice", ECHO, "zoryx-mpt-faulty", "zoryx-mpt-forecast", "zoryx-mpt-levels"],
        [
            "zoryx-mpt-music",
            "zoryx-mpt-polls",
            "zoryx-mpt-quotes",
            "zoryx-mpt-reminders",
            "zoryx-mpt-tickets",
        ],
        ["zoryx-mpt-trivia", "zoryx-mpt-weather-now"],
    ]
    assert shown.embeds[0]["footer"]["text"].endswith("Page 3/3") and disabled(shown, "Next")

    refused = await emu.click(menu, user=boss, label="Previous")  # the menu is the member's
    assert refused.ephemeral and "Only member can use these controls" in refused.content

    details = (await emu.choose(menu, ["zoryx-mpt-trivia"], user=member)).message
    assert details is not None and title(details) == f"{INFO} zoryx-mpt-trivia"
    assert fields(details)["Status"] == "✅ working" and fields(details)["Installed"] == "no"
    back = (await emu.click(menu, user=member, label="Back")).message
    assert back is not None and select_values(back) == pages[2]

    await emu.click(menu, user=member, label="Back")  # home
    opened = await emu.click(menu, user=member, label="Search")
    assert opened.modal is not None
    found = (await emu.submit_modal(opened, {"marketplace-search-words": "weather"})).message
    assert found is not None and title(found) == "🛒 Search: weather"
    assert select_values(found) == ["zoryx-mpt-weather-now", "zoryx-mpt-forecast"]  # name before tag

    await emu.click(menu, user=member, label="Back")
    beta = (await emu.click(menu, user=member, label="Beta")).message
    assert beta is not None and title(beta) == "🛒 Beta plugins"
    assert select_values(beta) == [
        "zoryx-mpt-dice",
        "zoryx-mpt-forecast",
        "zoryx-mpt-reminders",
        "zoryx-mpt-tickets",
    ]

    await bot.tree.sync()
    slashed = await emu.run_slash(
        "marketplace search", channel=general, user=member, options={"query": "trivia games"}
    )
    answer = (await slashed.wait_for_followup())[-1]
    assert select_values(answer) == ["zoryx-mpt-trivia"]

    unknown = await emu.converse(general, member, "!marketplace browse stable")
    assert "unknown status 'stable'; use one of working, beta, broken" in unknown.embeds[0]["description"]


async def test_myid_goes_to_the_owner_by_direct_message_only(world: World, catalog: Any) -> None:
    emu, boss, member, general = world.emu, world.boss, world.member, world.general
    bot = await world.start(catalog)

    answer = await emu.converse(general, boss, "!marketplace myid")
    assert title(answer) == "✅ Sent"
    ident = (bot.data_dir / "marketplace" / "instance_id").read_text(encoding="utf-8").strip()
    assert len(ident) == 16
    direct = await emu.wait_for_message(emu.state.dm_channel(emu.bot_user.id, boss.id))
    assert f"`{ident}`" in direct.embeds[0]["description"]

    refused = await emu.converse(general, member, "!marketplace myid")
    assert "is for the bot's owners only" in refused.embeds[0]["description"]
    assert frozenset({emu.bot_user.id, member.id}) not in emu.state.dm_channels
    assert not [m for m in emu.messages_in(general) if ident in m.content + str(m.embeds)]


async def test_without_a_catalog_the_marketplace_names_the_setting(world: World, catalog: Any) -> None:
    await world.start(catalog, **{"marketplace.catalog_url": ""})
    answer = await world.emu.converse(world.general, world.member, "!marketplace")
    assert title(answer) == "❌ The marketplace is unavailable"
    assert "set marketplace.catalog_url in config.json" in answer.embeds[0]["description"]
