"""Views that only their invoker may use, that expire cleanly and report their own errors."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import discord
from discord.ext import commands
from discord.ui.select import BaseSelect

from .colors import Emojis

__all__ = [
    "ActionButton",
    "ActionSelect",
    "ButtonHandler",
    "SelectHandler",
    "Target",
    "ZoryxView",
    "respond_ephemeral",
]

log = logging.getLogger("zoryx.ui")

Target = commands.Context[Any] | discord.Interaction[Any]
"""Where a view can be sent: a command's context (prefix or hybrid) or an interaction."""

ButtonHandler = Callable[[discord.Interaction[Any]], Awaitable[None]]
SelectHandler = Callable[[discord.Interaction[Any], list[str]], Awaitable[None]]


async def respond_ephemeral(
    interaction: discord.Interaction[Any], content: str | None = None, *, embed: discord.Embed | None = None
) -> None:
    """Answer ``interaction`` with a message only its user sees: the response if it is still open,
    a follow-up otherwise (never a second response). Discord errors are logged, not raised."""
    kwargs: dict[str, Any] = {"ephemeral": True}
    if content is not None:
        kwargs["content"] = content
    if embed is not None:
        kwargs["embed"] = embed
    try:
        if interaction.response.is_done():
            await interaction.followup.send(**kwargs)
        else:
            await interaction.response.send_message(**kwargs)
    except discord.HTTPException as error:
        log.warning("could not answer interaction %s: %s", interaction.id, error)


class ActionButton(discord.ui.Button[Any]):
    """A button that calls ``handler(interaction)`` when clicked; for views built at run time."""

    def __init__(
        self,
        handler: ButtonHandler,
        *,
        label: str | None = None,
        emoji: str | None = None,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        custom_id: str | None = None,
        disabled: bool = False,
        row: int | None = None,
    ) -> None:
        super().__init__(
            label=label,
            emoji=emoji,
            style=style,
            disabled=disabled,
            row=row,
            custom_id=custom_id,
        )
        self.handler = handler

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await self.handler(interaction)


class ActionSelect(discord.ui.Select[Any]):
    """A string select that calls ``handler(interaction, values)`` when a choice is made."""

    def __init__(
        self,
        handler: SelectHandler,
        options: Sequence[discord.SelectOption],
        *,
        placeholder: str | None = None,
        custom_id: str | None = None,
        disabled: bool = False,
        row: int | None = None,
    ) -> None:
        super().__init__(
            options=list(options),
            placeholder=placeholder,
            disabled=disabled,
            row=row,
            custom_id=custom_id or discord.utils.MISSING,
        )
        self.handler = handler

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await self.handler(interaction, list(self.values))


class ZoryxView(discord.ui.View):
    """A view for one invoker.

    - Only ``author`` (and ``allowed_user_ids``) may use it; anyone else gets an ephemeral refusal.
    - With ``command_name``, each click also asks the bot's permission service
      (``bot.permissions.component_refusal(interaction, command_name)``, when the bot has one)
      whether the clicker may still run that command; a reason given refuses the click. Give the
      qualified name of what the control runs (``"vault wipe"``): the groups above it count too.
    - After ``timeout`` seconds without use every item is disabled and :attr:`message` edited.
    - An exception in an item's callback is logged with its traceback and the user told once.

    Send it with :meth:`send` so that it knows its message.
    """

    def __init__(
        self,
        author: discord.abc.User,
        *,
        timeout: float | None = 180.0,
        allowed_user_ids: Iterable[int] = (),
        command_name: str | None = None,
    ) -> None:
        super().__init__(timeout=timeout)
        self.author = author
        self.allowed_user_ids: frozenset[int] = frozenset({author.id, *allowed_user_ids})
        self.command_name = command_name
        self.message: discord.Message | None = None

    # --- who may click -----------------------------------------------------------------------------

    def refusal_text(self) -> str:
        """What someone other than the invoker is told."""
        return f"{Emojis.ERROR} Only {self.author.display_name} can use these controls."

    async def permission_refusal(self, interaction: discord.Interaction[Any]) -> str | None:
        """Why the bot's permission service refuses this click, or ``None`` (also without one)."""
        if not self.command_name:
            return None
        service = getattr(interaction.client, "permissions", None)
        check = getattr(service, "component_refusal", None)
        if check is None:
            return None
        reason = await check(interaction, self.command_name)
        return None if reason is None else str(reason)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if interaction.user.id not in self.allowed_user_ids:
            await respond_ephemeral(interaction, self.refusal_text())
            return False
        reason = await self.permission_refusal(interaction)
        if reason is not None:
            await respond_ephemeral(interaction, f"{Emojis.ERROR} {reason}")
            return False
        return True

    # --- sending and editing -----------------------------------------------------------------------

    async def send(self, target: Target, content: str | None = None, **kwargs: Any) -> discord.Message:
        """Send this view (with ``content`` and any ``send`` keyword such as ``embed`` or
        ``ephemeral``) through a command context or an interaction (its response, or a follow-up
        once it has been answered), and remember the message for later edits."""
        if content is not None:
            kwargs["content"] = content
        if self.children:
            kwargs["view"] = self
        else:
            self.stop()  # nothing to click: do not keep a listener
        message: discord.Message
        if isinstance(target, discord.Interaction):
            if target.response.is_done():
                message = await target.followup.send(wait=True, **kwargs)
            else:
                callback = await target.response.send_message(**kwargs)
                resource = callback.resource
                if isinstance(resource, discord.InteractionMessage):
                    message = resource
                else:
                    message = await target.original_response()
        else:
            message = await target.send(**kwargs)
        self.message = message
        return message

    def disable_all(self) -> None:
        """Disable every button and select of the view."""
        for item in self.children:
            if isinstance(item, discord.ui.Button | BaseSelect):
                item.disabled = True

    async def update_message(self, **kwargs: Any) -> bool:
        """Edit :attr:`message` (``view=self`` unless given); ``False`` when there is none or
        Discord refused. A message sent through an interaction whose token has expired is edited
        through the channel instead, unless it is ephemeral."""
        message = self.message
        if message is None:
            return False
        kwargs.setdefault("view", self)
        try:
            await message.edit(**kwargs)
            return True
        except discord.HTTPException as error:
            failure = error
        if (
            isinstance(message, discord.InteractionMessage | discord.WebhookMessage)
            and not message.flags.ephemeral
        ):
            get_partial = getattr(message.channel, "get_partial_message", None)
            if get_partial is not None:
                try:
                    await get_partial(message.id).edit(**kwargs)
                    return True
                except discord.HTTPException as error:
                    failure = error
        log.debug("could not edit message %s of %s: %s", message.id, type(self).__name__, failure)
        return False

    # --- the end of a view -------------------------------------------------------------------------

    async def on_timeout(self) -> None:
        """Disable every item and show it on the message."""
        self.disable_all()
        await self.update_message()

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        """Log the failure with its traceback and tell the user once, ephemerally."""
        log.error(
            "%s: %r failed for user %s",
            type(self).__name__,
            item,
            interaction.user.id,
            exc_info=(type(error), error, error.__traceback__),
        )
        await respond_ephemeral(
            interaction, f"{Emojis.ERROR} Something went wrong with that control; the error has been logged."
        )
