"""Registers one of everything and writes what happens to it into $ZORYX_TEST_JOURNAL."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import click
import discord
from discord.ext import commands, tasks

from zoryx_core import CommandEvent, CustomEvent, PluginContext, ZoryxBot, hookimpl

NAME = "recorder"


def journal(line: str) -> None:
    path = os.environ.get("ZORYX_TEST_JOURNAL")
    if path:
        with open(path, "a", encoding="utf-8") as file:
            file.write(line + "\n")


class Recorder(commands.Cog):
    def __init__(self) -> None:
        self.seen = 0

    @commands.hybrid_command(description="Says which recorder answers")
    async def rec(self, ctx: commands.Context[Any]) -> None:
        await ctx.send(f"{NAME} here")

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        self.seen += 1

    @tasks.loop(seconds=0.05)
    async def ticker(self) -> None:
        pass

    async def cog_load(self) -> None:
        self.ticker.start()


async def heartbeat() -> None:
    while True:
        await asyncio.sleep(0.05)


@hookimpl
async def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    await bot.add_cog(Recorder())

    @commands.command(name="recping")
    async def recping(ctx: commands.Context[Any]) -> None:
        await ctx.send("recpong")

    bot.add_command(recping)

    async def on_recorder_probe(value: str) -> None:
        journal(f"probe {value}")

    bot.add_listener(on_recorder_probe)
    plugin.create_task(heartbeat(), name="recorder:heartbeat")
    journal("setup zoryx-test-recorder")


@hookimpl
def zoryx_teardown(bot: ZoryxBot) -> None:
    journal("teardown zoryx-test-recorder")


@hookimpl
def zoryx_shutdown() -> None:
    journal("shutdown-hook zoryx-test-recorder")


@hookimpl
def zoryx_command_executed(event: CommandEvent) -> None:
    journal(f"executed {event.name} {event.kind} {event.plugin}")


@hookimpl
def zoryx_custom_event(event: CustomEvent) -> None:
    journal(f"event {event.name} {event.payload} from {event.source}")


@hookimpl
def zoryx_bot_ready() -> None:
    journal("ready")


@hookimpl
def zoryx_register_commands(cli: click.Group) -> None:
    @cli.command("recorder-hello")
    @click.option("--name", default="world", help="who to greet")
    def recorder_hello(name: str) -> int:
        """Greets from the recorder plugin."""
        click.echo(f"recorder says hello to {name}")
        return 3

    @cli.command("run")
    def run() -> None:
        """Tries to take a built-in name."""
