"""``zoryx sandbox``: talk to a bot on the emulator from a terminal, as a member of a demo guild.

:class:`SandboxSession` performs what the person types (messages, slash commands, clicks, select
choices, modal submissions, switching member or channel) and shows everything the bot did in
answer, drawn by :mod:`.render`. Creating the emulator, the guild and the bot is the caller's job.
"""

from __future__ import annotations

from .render import message_payload, message_to_text, modal_to_text, render_message, render_modal
from .session import HELP_LINES, SandboxSession

__all__ = [
    "HELP_LINES",
    "SandboxSession",
    "message_payload",
    "message_to_text",
    "modal_to_text",
    "render_message",
    "render_modal",
]
