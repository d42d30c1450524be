"""Body checks Discord makes, answered with its 400 errors (50035 Invalid Form Body, 50006)."""

from __future__ import annotations

import re
from typing import Any

from .errors import DiscordError, ErrorCode, InvalidFormBody

__all__ = ["validate_command", "validate_message_body"]

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_ROWS = 5
MAX_BUTTONS_PER_ROW = 5
COMPONENTS_V2_FLAG = 1 << 15
_EMBED_LIMITS = {"title": 256, "description": 4096}
_COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


def _too_long(path: str, limit: int) -> DiscordError:
    return InvalidFormBody(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def validate_message_body(body: dict[str, Any], *, has_files: bool = False, editing: bool = False) -> None:
    """Raises Discord's error for content, embed and component layouts Discord refuses."""
    content = body.get("content")
    if content is not None and not isinstance(content, str):
        raise InvalidFormBody("content", "BASE_TYPE_STRING", "Could not interpret the value as string.")
    if content and len(content) > MAX_CONTENT:
        raise _too_long("content", MAX_CONTENT)
    embeds = body.get("embeds") or []
    if len(embeds) > MAX_EMBEDS:
        raise _too_long("embeds", MAX_EMBEDS)
    total = 0
    for index, embed in enumerate(embeds):
        for key, limit in _EMBED_LIMITS.items():
            text = embed.get(key) or ""
            total += len(text)
            if len(text) > limit:
                raise _too_long(f"embeds.{index}.{key}", limit)
        for fi, fld in enumerate(embed.get("fields") or []):
            if len(fld.get("name") or "") > 256:
                raise _too_long(f"embeds.{index}.fields.{fi}.name", 256)
            if len(fld.get("value") or "") > 1024:
                raise _too_long(f"embeds.{index}.fields.{fi}.value", 1024)
            total += len(fld.get("name") or "") + len(fld.get("value") or "")
        total += len((embed.get("footer") or {}).get("text") or "") + len(
            (embed.get("author") or {}).get("name") or ""
        )
    if total > MAX_EMBED_TOTAL:
        raise InvalidFormBody("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
    components = body.get("components") or []
    if not int(body.get("flags") or 0) & COMPONENTS_V2_FLAG:
        validate_action_rows(components)
    if not editing and not (
        content or embeds or components or has_files or body.get("sticker_ids") or body.get("poll")
    ):
        raise DiscordError(400, ErrorCode.CANNOT_SEND_EMPTY_MESSAGE, "Cannot send an empty message")


def validate_action_rows(components: list[dict[str, Any]], path: str = "components") -> None:
    """Classic layout: at most 5 action rows; each holds 1-5 buttons or exactly one select."""
    if len(components) > MAX_ROWS:
        raise _too_long(path, MAX_ROWS)
    for ri, row in enumerate(components):
        if row.get("type") != 1:
            raise InvalidFormBody(
                f"{path}.{ri}.type", "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1,).'
            )
        children = row.get("components") or []
        if not children:
            raise InvalidFormBody(f"{path}.{ri}.components", "BASE_TYPE_REQUIRED", "This field is required")
        buttons = [c for c in children if c.get("type") == 2]
        if len(buttons) != len(children) and len(children) != 1:
            raise InvalidFormBody(
                f"{path}.{ri}.components",
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        if len(children) > MAX_BUTTONS_PER_ROW:
            raise _too_long(f"{path}.{ri}.components", MAX_BUTTONS_PER_ROW)
        for ci, child in enumerate(children):
            custom_id = child.get("custom_id")
            if custom_id is not None and len(custom_id) > 100:
                raise _too_long(f"{path}.{ri}.components.{ci}.custom_id", 100)
            if len(child.get("label") or "") > 80:
                raise _too_long(f"{path}.{ri}.components.{ci}.label", 80)


def validate_command(body: dict[str, Any], path: str = "") -> None:
    """Checks one application command as Discord does before registering it."""
    prefix = f"{path}." if path else ""
    name = body.get("name")
    kind = int(body.get("type") or 1)
    if not isinstance(name, str) or not name:
        raise InvalidFormBody(prefix + "name", "BASE_TYPE_REQUIRED", "This field is required")
    if kind == 1 and (not _COMMAND_NAME.match(name) or name != name.lower()):
        raise InvalidFormBody(prefix + "name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    if len(name) > 32:
        raise _too_long(prefix + "name", 32)
    description = body.get("description") or ""
    if kind == 1 and not 1 <= len(description) <= 100:
        raise InvalidFormBody(
            prefix + "description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )
    options = body.get("options") or []
    if len(options) > 25:
        raise _too_long(prefix + "options", 25)
    seen: set[str] = set()
    for index, option in enumerate(options):
        option_name = option.get("name")
        if option_name in seen:
            raise InvalidFormBody(
                f"{prefix}options.{index}.name",
                "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                "Option names must be unique",
            )
        seen.add(option_name)
