"""Single-file extensions written by the tests: many hybrid commands, some with checks, plain
slash commands, context menus and guild commands."""

from __future__ import annotations

from pathlib import Path

__all__ = ["CHECKED", "command_names", "hybrid_extension", "menu_extension", "write"]

CHECKED = {
    0: "@owner_only()",
    1: "@require_permissions(manage_guild=True)",
    2: "@commands.check(_is_boss)",
}
"""The checks a ``checked`` extension puts on its first three commands (index -> decorator)."""

_HEADER = '''
import discord
from discord import app_commands
from discord.ext import commands
from zoryx_core import owner_only, require_permissions


def _is_boss(ctx):
    return ctx.author.name == "boss"


class {cog}(commands.Cog):
    """Commands of the {prefix} plugin."""
'''

_HYBRID = '''
    @commands.hybrid_command(name="{name}")
    {check}
    async def c_{name}(self, ctx):
        """Runs {name}."""
        await ctx.send("{name} ran")
'''

_PLAIN = """
    @app_commands.command(name="{name}", description="Runs {name} (slash only).")
    async def s_{name}(self, interaction):
        await interaction.response.send_message("{name} ran")
"""

_SETUP = """

async def _inspect(interaction: discord.Interaction, member: discord.Member):
    await interaction.response.send_message(f"inspected {{member.name}}")


async def setup(bot):
    await bot.add_cog({cog}())
    if {user_menu}:
        bot.tree.add_command(app_commands.ContextMenu(name="Inspect {prefix}", callback=_inspect))
"""


def command_names(prefix: str, count: int) -> list[str]:
    """The hybrid commands of :func:`hybrid_extension`: ``prefix00``, ``prefix01`` ..."""
    return [f"{prefix}{index:02d}" for index in range(count)]


def hybrid_extension(
    prefix: str, count: int, *, checked: bool = False, plain: int = 0, user_menu: bool = False
) -> str:
    """An extension with ``count`` hybrid commands answering ``"<name> ran"`` (the first three
    with :data:`CHECKED` when ``checked``), ``plain`` slash-only commands ``<prefix>plain<i>``,
    and a user context menu when ``user_menu``."""
    cog = prefix.capitalize()
    parts = [_HEADER.format(cog=cog, prefix=prefix)]
    for index, name in enumerate(command_names(prefix, count)):
        check = CHECKED.get(index, "") if checked else ""
        parts.append(_HYBRID.format(name=name, check=check))
    for index in range(plain):
        parts.append(_PLAIN.format(name=f"{prefix}plain{index}"))
    parts.append(_SETUP.format(cog=cog, prefix=prefix, user_menu=user_menu))
    return "".join(parts)


def menu_extension(user_menus: int, guild_id: int, guild_commands: int) -> str:
    """An extension adding ``user_menus`` global user context menus and ``guild_commands`` slash
    commands for the guild ``guild_id`` only."""
    return f"""
import discord
from discord import app_commands


async def _inspect(interaction: discord.Interaction, member: discord.Member):
    await interaction.response.send_message(f"inspected {{member.name}}")


def _guild_command(index):
    async def run(interaction: discord.Interaction):
        await interaction.response.send_message(f"local{{index}} ran")

    return app_commands.Command(name=f"local{{index}}", description="A guild command.", callback=run)


async def setup(bot):
    for index in range({user_menus}):
        bot.tree.add_command(app_commands.ContextMenu(name=f"Inspect {{index}}", callback=_inspect))
    for index in range({guild_commands}):
        bot.tree.add_command(_guild_command(index), guild=discord.Object(id={guild_id}))
"""


def write(folder: Path, name: str, source: str) -> Path:
    """Write the extension ``name`` into ``folder`` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    return path
