"""Each kind of refusal has its own title (not one "Not now" for all), and an unknown command close
to one the member may use is answered with "did you mean"."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from zoryx_core import ZoryxBot
from zoryx_core.testing import DiscordEmulator

BotFactory = Callable[..., Awaitable[ZoryxBot]]


async def test_refusals_are_titled_by_kind_and_typos_get_did_you_mean(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory
) -> None:
    emu = discord_emulator
    boss, owner, plain = emu.create_user("boss"), emu.create_user("gowner"), emu.create_user("plain")
    guild = emu.create_guild("Titles", owner=owner, members=[boss, plain])
    general = emu.channel_named(guild, "general")
    await zoryx_bot(
        no_plugins=True,
        owner_id=boss.id,
        config={"cooldowns.default_rate": 1, "cooldowns.default_per": 60, "errors.delete_after": 0},
    )

    async def title(user: object, text: str) -> tuple[str, str]:
        reply = await emu.converse(general, user, text)  # type: ignore[arg-type]
        embed = reply.embeds[0]
        return embed["title"], embed.get("description", "")

    cases = {
        "Owners only": (plain, "!load zoryx-hello", "for the bot's owners only"),
        "Permission needed": (plain, "!setprefix ?", "needs the Manage Server permission"),
        "Missing argument": (owner, "!setprefix", "Missing the `prefix` argument"),
        "Unknown command": (plain, "!abuot", "Did you mean `!about`?"),
    }
    for expected, (user, text, words) in cases.items():
        shown, description = await title(user, text)
        assert shown.endswith(expected), (text, shown)
        assert words in description, (text, description)
    await emu.converse(general, plain, "!about")
    shown, description = await title(plain, "!about")
    assert shown.endswith("Slow down") and "try again in" in description

    # Quiet: nothing close, or close only to a command the member may not use.
    for text in ("!xyzzy", "!laod zoryx-hello"):
        sent = await emu.send_message(general, plain, text)
        with pytest.raises(TimeoutError):
            await emu.wait_for_message(general, after=sent, timeout=0.6)


async def test_suggestions_can_be_switched_off(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory
) -> None:
    emu = discord_emulator
    plain = emu.create_user("plain")
    general = emu.channel_named(emu.create_guild("Quiet", members=[plain]), "general")
    await zoryx_bot(no_plugins=True, config={"errors.suggest_commands": False})
    sent = await emu.send_message(general, plain, "!abuot")
    with pytest.raises(TimeoutError):
        await emu.wait_for_message(general, after=sent, timeout=0.6)
