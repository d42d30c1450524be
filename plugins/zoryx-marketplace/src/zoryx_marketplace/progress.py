"""Showing an operation as it runs: the steps the installer reports, on one message that is edited
from the confirmation to the result."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from zoryx_core.ui import EmbedKind, make_embed, progress_bar

if TYPE_CHECKING:
    from marketplace_client import Progress

__all__ = ["StatusBoard", "StepLog"]

log = logging.getLogger("zoryx.plugin.zoryx-marketplace")

RUNNING = "⏳"
DONE = "✅"
FAILED = "❌"


class StepLog:
    """The steps reported so far, one line each with the latest message of the step. Steps are
    named by text: the installer's :class:`InstallStep` values, or the caller's own (``unload``)."""

    def __init__(self) -> None:
        self.steps: list[str] = []
        self.messages: dict[str, str] = {}
        self.sizes: dict[str, tuple[int, int]] = {}

    def begin(self, step: str, message: str) -> bool:
        """Note that ``step`` runs (``message`` says what it does); True when the step is new."""
        key = str(step)
        new = key not in self.messages
        if new:
            self.steps.append(key)
        self.messages[key] = message
        return new

    def record(self, progress: Progress) -> bool:
        """Note an installer report; True when it starts a step (the moment worth showing)."""
        new = self.begin(progress.step.value, progress.message)
        if progress.total:
            self.sizes[progress.step.value] = (progress.done, progress.total)
        return new

    def text(self, *, failed: str | None = None, finished: bool = False) -> str:
        """The steps as lines: done ✅, running ⏳, and ❌ for the step that failed."""
        if not self.steps:
            return "-"
        lines = []
        for index, step in enumerate(self.steps):
            last = index == len(self.steps) - 1
            if failed is not None and step == str(failed):
                mark = FAILED
            elif last and not finished and failed is None:
                mark = RUNNING
            else:
                mark = DONE
            line = f"{mark} **{step}**: {self.messages[step]}"
            if step in self.sizes:
                done, total = self.sizes[step]
                line += f" {progress_bar(done, total, width=8)}"
            lines.append(line)
        return "\n".join(lines)


class StatusBoard:
    """The message an operation reports on. Edits that Discord refuses are retried through the
    channel, and a message that is gone is replaced by a new one, so the result is always shown."""

    def __init__(self, message: discord.Message) -> None:
        self.message = message

    async def show(self, embed: discord.Embed, *, view: discord.ui.View | None = None) -> None:
        """Show ``embed`` (and ``view``'s controls, or none) on the board's message."""
        kwargs: dict[str, Any] = {"embed": embed, "view": view, "content": None}
        try:
            await self.message.edit(**kwargs)
            return
        except discord.HTTPException as error:
            log.debug("could not edit the status message %s: %s", self.message.id, error)
        channel: Any = self.message.channel
        if not self.message.flags.ephemeral and hasattr(channel, "get_partial_message"):
            try:
                await channel.get_partial_message(self.message.id).edit(**kwargs)
                return
            except discord.HTTPException as error:
                log.debug("could not edit the status message through its channel: %s", error)
        if hasattr(channel, "send"):
            try:
                self.message = await channel.send(embed=embed, view=view or discord.utils.MISSING)
            except discord.HTTPException as error:
                log.warning("could not show the marketplace status: %s", error)

    async def running(self, title: str, steps: StepLog) -> None:
        """Show an operation under way with its steps."""
        await self.show(make_embed(EmbedKind.INFO, title, steps.text()))
