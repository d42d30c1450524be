"""Registers one of everything and writes what happens to it into $ZORYX_TEST_JOURNAL."""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

import discord
from discord.ext import commands, tasks

from zoryx_core import CliCommand, CommandEvent, CustomEvent, PluginContext, ZoryxBot, hookimpl

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


def _say_hello(args: argparse.Namespace) -> int:
    print(f"recorder says hello to {args.name}")
    return 3


@hookimpl
def zoryx_cli_commands() -> list[CliCommand]:
    def configure(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--name", default="world")

    return [
        CliCommand("recorder-hello", "greets from the recorder plugin", _say_hello, configure),
        CliCommand("run", "tries to take a built-in name", _say_hello),
    ]
