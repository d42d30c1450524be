"""Two-step confirmation: the first click on Confirm arms it, the second confirms."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import discord

from .colors import Emojis
from .embeds import warning_embed
from .views import ActionButton, Target, ZoryxView

__all__ = ["ConfirmView", "confirm"]


class ConfirmView(ZoryxView):
    """Confirm / Cancel buttons for the invoker.

    The first click on Confirm arms it: the button turns red and reads "Click again to confirm".
    A second click within ``arm_window`` seconds confirms; a click after the window arms it
    afresh. Cancel cancels; so does the timeout. Then both buttons are disabled.
    ``await view.wait_result()`` gives ``True`` only when confirmed.
    """

    def __init__(
        self,
        *,
        author: discord.abc.User,
        timeout: float | None = 60.0,
        arm_window: float = 10.0,
        confirm_label: str = "Confirm",
        armed_label: str = "Click again to confirm",
        cancel_label: str = "Cancel",
        allowed_user_ids: Iterable[int] = (),
        command_name: str | None = None,
    ) -> None:
        super().__init__(
            author, timeout=timeout, allowed_user_ids=allowed_user_ids, command_name=command_name
        )
        self.arm_window = arm_window
        self.armed_label = armed_label
        self.result: bool | None = None
        self.armed_at: float | None = None
        self.confirm_button = ActionButton(
            self._confirm, label=confirm_label, emoji=Emojis.SUCCESS, style=discord.ButtonStyle.primary
        )
        self.cancel_button = ActionButton(
            self._cancel, label=cancel_label, style=discord.ButtonStyle.secondary
        )
        self.add_item(self.confirm_button)
        self.add_item(self.cancel_button)

    @property
    def armed(self) -> bool:
        """Whether the next click on Confirm confirms."""
        return self.armed_at is not None and time.monotonic() - self.armed_at <= self.arm_window

    async def _confirm(self, interaction: discord.Interaction[Any]) -> None:
        if self.result is not None:
            await interaction.response.defer()
            return
        if not self.armed:
            self.armed_at = time.monotonic()
            self.confirm_button.label = self.armed_label
            self.confirm_button.emoji = Emojis.WARNING
            self.confirm_button.style = discord.ButtonStyle.danger
            await interaction.response.edit_message(view=self)
            return
        self.confirm_button.label = "Confirmed"
        self.confirm_button.emoji = Emojis.SUCCESS
        await self._finish(interaction, True)

    async def _cancel(self, interaction: discord.Interaction[Any]) -> None:
        if self.result is not None:
            await interaction.response.defer()
            return
        self.cancel_button.label = "Cancelled"
        await self._finish(interaction, False)

    async def _finish(self, interaction: discord.Interaction[Any], result: bool) -> None:
        self.result = result
        self.disable_all()
        try:
            await interaction.response.edit_message(view=self)
        finally:
            self.stop()

    async def on_timeout(self) -> None:
        """A timeout cancels."""
        if self.result is None:
            self.result = False
            self.cancel_button.label = "Timed out"
        await super().on_timeout()

    async def wait_result(self) -> bool:
        """Wait for the decision: ``True`` if confirmed, ``False`` if cancelled or timed out."""
        await self.wait()
        return self.result is True


async def confirm(
    target: Target,
    prompt: str | discord.Embed,
    *,
    author: discord.abc.User | None = None,
    timeout: float = 60.0,
    arm_window: float = 10.0,
    ephemeral: bool = False,
    command_name: str | None = None,
) -> bool:
    """Ask for a two-step confirmation and wait for it: ``True`` if confirmed.

    ``target`` is a command context or an interaction; ``prompt`` an embed or a text (shown in a
    warning embed); ``author`` the one who may answer (default: who invoked ``target``).
    """
    if author is None:
        author = target.user if isinstance(target, discord.Interaction) else target.author
    view = ConfirmView(author=author, timeout=timeout, arm_window=arm_window, command_name=command_name)
    embed = prompt if isinstance(prompt, discord.Embed) else warning_embed("Please confirm", prompt)
    kwargs: dict[str, Any] = {"embed": embed}
    if ephemeral:
        kwargs["ephemeral"] = True
    await view.send(target, **kwargs)
    return await view.wait_result()
