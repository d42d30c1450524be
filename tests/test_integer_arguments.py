"""``IntegerArgument``: whole numbers in ASCII digits within a range, for prefix, hybrid and slash
commands; the audit that finds parameters still converted with plain ``int``."""

from __future__ import annotations

from pathlib import Path

import pytest

from zoryx_core.converters import MAX_SAFE_INTEGER, BadIntegerArgument, IntegerArgument
from zoryx_core.settings import Deployment, DeploymentError, Settings, SettingsError
from zoryx_core.testing import DiscordEmulator
from zoryx_core.testing.argument_audit import plain_integer_parameters
from zoryx_core.testing.zoryx_bots import make_zoryx_bot


@pytest.mark.parametrize(
    "text", ["٣", "²", "1_0", "+1", " ", "", "1e3", "0x10", "\uff11", "9" * 5000, "-0", "-5"]
)
def test_only_ascii_digits_within_range_are_accepted(text: str) -> None:
    with pytest.raises(BadIntegerArgument) as caught:
        IntegerArgument(1, 100, what="a page").parse(text, "page")
    assert str(caught.value).startswith("`page` must be a page from 1 to 100 (digits 0-9); `")
    assert len(str(caught.value)) < 120, "a huge input is not repeated in full"


def test_accepted_forms_and_bounds() -> None:
    pages = IntegerArgument(1, 100)
    assert [pages.parse(t) for t in ("1", " 42 ", "007", "100")] == [1, 42, 7, 100]
    signed = IntegerArgument(-1, 5)
    assert signed.parse("-1") == -1
    with pytest.raises(BadIntegerArgument):
        signed.parse("-2")
    with pytest.raises(ValueError, match="within"):
        IntegerArgument(0, MAX_SAFE_INTEGER + 1)


COG = """
from typing import Annotated

from discord import app_commands
from discord.ext import commands

from zoryx_core.settings import Deployment, DeploymentError, Settings, SettingsError
from zoryx_core.converters import IntegerArgument


class Tickets(commands.Cog):
    @commands.hybrid_command()
    async def ticket(self, ctx, number: Annotated[int, IntegerArgument(1, what="a ticket number")]):
        await ctx.send(f"ticket {number}")

    @app_commands.command()
    async def page(self, interaction, number: Annotated[int, IntegerArgument(1, 50, what="a page")]):
        await interaction.response.send_message(f"page {number}")

    @commands.command()
    async def legacy(self, ctx, count: int, limit: int | None = None):
        await ctx.send(str(count))


async def setup(bot):
    await bot.add_cog(Tickets())
"""


async def test_a_community_cog_gets_format_errors_by_prefix_and_slash(
    discord_emulator: DiscordEmulator, bot_runner, tmp_path: Path
) -> None:
    emu = discord_emulator
    member = emu.create_user("member")
    guild = emu.create_guild("Tickets", members=[member])
    channel = emu.channel_named(guild, "general")
    (tmp_path / "extensions").mkdir()
    (tmp_path / "extensions" / "tickets.py").write_text(COG)
    bot = make_zoryx_bot(tmp_path, config={"cooldowns.default_rate": 0, "errors.delete_after": 0})
    await bot_runner(bot)
    await bot.tree.sync()
    assert plain_integer_parameters(bot) == ["legacy count", "legacy limit"], "built-ins use IntegerArgument"

    assert (await emu.converse(channel, member, "!ticket 12")).content == "ticket 12"
    refused = await emu.converse(channel, member, "!ticket ٣")
    assert refused.embeds[0]["description"].startswith(
        "`number` must be a ticket number from 1 to 9007199254740991 (digits 0-9); `٣` is not."
    )
    assert (await emu.run_slash("ticket", channel=channel, user=member, options={"number": 5})).content == (
        "ticket 5"
    )
    slashed = await emu.run_slash("page", channel=channel, user=member, options={"number": 51})
    assert slashed.ephemeral
    assert (
        "`number` must be a page from 1 to 50 (digits 0-9); `51` is not." in slashed.embeds[0]["description"]
    )


@pytest.mark.parametrize("text", ["\u0661\u0662\u0663", "1_000", "\u00b9"])
def test_integers_from_the_environment_take_only_ascii_digits(text: str) -> None:
    with pytest.raises(SettingsError, match="expected an integer"):
        Settings.load(None, {"ZORYX_LOGGING__MAX_BYTES": text.replace("1_000", "1_048_576")})
    with pytest.raises(DeploymentError, match="BOT_OWNER_ID"):
        Deployment.from_environ({"BOT_OWNER_ID": text})
    with pytest.raises(DeploymentError, match="SHARD_COUNT"):
        Deployment.from_environ({"SHARD_COUNT": text})
