"""Interactions the driver starts, and the responses the bot gives them."""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from .errors import DiscordError, ErrorCode

__all__ = ["INTERACTION_TOKEN_LIFETIME", "CallbackType", "InteractionRecord", "InteractionRegistry"]

INTERACTION_TOKEN_LIFETIME = 15 * 60.0


class CallbackType:
    PONG = 1
    CHANNEL_MESSAGE_WITH_SOURCE = 4
    DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE = 5
    DEFERRED_UPDATE_MESSAGE = 6
    UPDATE_MESSAGE = 7
    APPLICATION_COMMAND_AUTOCOMPLETE_RESULT = 8
    MODAL = 9


@dataclass
class InteractionRecord:
    """One interaction: what was sent to the bot and everything the bot answered."""

    id: int
    token: str
    type: int
    user_id: int
    channel_id: int
    guild_id: int | None
    data: dict[str, Any]
    message_id: int | None = None  # the message a component lives on
    created_at: float = field(default_factory=time.monotonic)
    response_type: int | None = None
    original_message_id: int | None = None
    modal: dict[str, Any] | None = None
    autocomplete_choices: list[dict[str, Any]] | None = None
    followup_ids: list[int] = field(default_factory=list)
    responded: asyncio.Event = field(default_factory=asyncio.Event)
    followup_added: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def expired(self) -> bool:
        return time.monotonic() - self.created_at > INTERACTION_TOKEN_LIFETIME


class InteractionRegistry:
    """Interactions by id and by token; tokens authenticate callbacks and webhook follow-ups."""

    def __init__(self) -> None:
        self.by_id: dict[int, InteractionRecord] = {}
        self.by_token: dict[str, InteractionRecord] = {}

    def new(self, interaction_id: int, **fields: Any) -> InteractionRecord:
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        record = InteractionRecord(id=interaction_id, token=token, **fields)
        self.by_id[record.id] = record
        self.by_token[token] = record
        return record

    def for_callback(self, interaction_id: int, token: str) -> InteractionRecord:
        record = self.by_id.get(interaction_id)
        if record is None or record.token != token or record.expired:
            raise DiscordError(404, ErrorCode.UNKNOWN_INTERACTION, "Unknown interaction")
        return record

    def for_webhook(self, application_id: int, token: str, expected_application_id: int) -> InteractionRecord:
        record = self.by_token.get(token)
        if record is None or application_id != expected_application_id or record.expired:
            raise DiscordError(404, ErrorCode.UNKNOWN_WEBHOOK, "Unknown Webhook")
        return record

    def cancel_all(self) -> None:
        for record in self.by_id.values():
            record.responded.set()
