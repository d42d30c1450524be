"""``zoryx demo``: an ordinary discord.py bot answering a scripted conversation on the local emulator.

No token and no network: the emulator plays Discord on loopback, a person named ``alice`` talks,
and the transcript is printed as it happens.
"""

from __future__ import annotations

import time

import discord
from discord.ext import commands
from rich.console import Console
from rich.markup import escape

from .discord_redirect import point_discord_at, restore_discord_defaults
from .testing import DiscordEmulator, Message, running_bot

__all__ = ["build_demo_bot", "run_demo"]


class Poll(discord.ui.View):
    """A one-button view: counts votes and edits its message."""

    def __init__(self) -> None:
        super().__init__(timeout=60)
        self.votes = 0

    @discord.ui.button(label="Vote", custom_id="demo:vote", style=discord.ButtonStyle.success)
    async def vote(self, interaction: discord.Interaction, button: discord.ui.Button[Poll]) -> None:
        self.votes += 1
        await interaction.response.edit_message(content=f"Votes so far: {self.votes}")


def build_demo_bot() -> commands.Bot:
    """A plain discord.py bot: a prefix command, a hybrid command and a button."""
    intents = discord.Intents.default()
    intents.message_content = True
    bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.1, help_command=None)

    @bot.command()
    async def ping(ctx: commands.Context[commands.Bot]) -> None:
        """Answers pong."""
        await ctx.send("pong")

    # discord.py types hybrid_command for pyright; mypy cannot solve its ParamSpec (reduced to Never)
    @commands.hybrid_command(description="Adds two whole numbers")  # type: ignore[arg-type]
    async def add(ctx: commands.Context[commands.Bot], a: int, b: int) -> None:
        await ctx.send(f"{a} + {b} = {a + b}")

    bot.add_command(add)

    @bot.command()
    async def poll(ctx: commands.Context[commands.Bot]) -> None:
        """Posts a message with a vote button."""
        await ctx.send("Votes so far: 0", view=Poll())

    return bot


async def run_demo(console: Console | None = None) -> list[str]:
    """Runs the scripted conversation and returns the transcript lines."""
    console = console or Console()
    lines: list[str] = []

    def say(who: str, text: str) -> None:
        lines.append(f"{who}: {text}")
        console.print(f"[bold cyan]{escape(who):>14}[/] {escape(text)}")

    async with DiscordEmulator(bot_name="demo-bot") as emulator:
        point_discord_at(emulator.api_url, emulator.gateway_url)
        try:
            alice = emulator.create_user("alice")
            guild = emulator.create_guild("Demo Guild", members=[alice])
            general = emulator.channel_named(guild, "general")
            console.print(
                f"[dim]Discord emulator on {emulator.base_url}; starting an ordinary discord.py bot[/]"
            )
            started = time.perf_counter()
            async with running_bot(emulator, build_demo_bot()) as bot:
                console.print(f"[dim]bot ready as {bot.user} in {time.perf_counter() - started:.2f}s[/]")
                synced = await bot.tree.sync()
                console.print(f"[dim]synced slash commands: {', '.join('/' + c.name for c in synced)}[/]")

                async def exchange(text: str) -> Message:
                    say("alice", text)
                    reply = await emulator.converse(general, alice, text)
                    say(bot.user.name if bot.user else "bot", reply.content)
                    return reply

                await exchange("!ping")
                await exchange("!add 2 40")
                say("alice", "/add a:20 b:22")
                result = await emulator.run_slash(
                    "add", channel=general, user=alice, options={"a": 20, "b": 22}
                )
                say(bot.user.name if bot.user else "bot", result.content)
                poll_message = await exchange("!poll")
                for _ in range(2):
                    say("alice", "[clicks Vote]")
                    clicked = await emulator.click(poll_message, user=alice, label="Vote")
                    say(bot.user.name if bot.user else "bot", f"(edits) {clicked.content}")
            console.print(
                f"[green]conversation finished: {len(lines)} lines, "
                f"{len(emulator.requests)} REST requests served[/]"
            )
        finally:
            restore_discord_defaults()
    return lines
