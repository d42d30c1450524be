"""Discord's JSON error bodies, raised by route handlers and rendered by the server."""

from __future__ import annotations

from typing import Any

__all__ = [
    "DiscordError",
    "ErrorCode",
    "Forbidden",
    "InvalidFormBody",
    "NotFound",
    "Unauthorized",
    "field_error",
]


class ErrorCode:
    """JSON error codes the emulator answers with (a subset of Discord's)."""

    GENERAL = 0
    UNKNOWN_ACCOUNT = 10001
    UNKNOWN_APPLICATION = 10002
    UNKNOWN_CHANNEL = 10003
    UNKNOWN_GUILD = 10004
    UNKNOWN_MEMBER = 10007
    UNKNOWN_MESSAGE = 10008
    UNKNOWN_OVERWRITE = 10009
    UNKNOWN_ROLE = 10011
    UNKNOWN_TOKEN = 10012
    UNKNOWN_USER = 10013
    UNKNOWN_EMOJI = 10014
    UNKNOWN_WEBHOOK = 10015
    UNKNOWN_INTERACTION = 10062
    UNKNOWN_APPLICATION_COMMAND = 10063
    UNKNOWN_STICKER = 10060
    CANNOT_SEND_EMPTY_MESSAGE = 50006
    CANNOT_EDIT_OTHERS_MESSAGE = 50005
    MISSING_ACCESS = 50001
    MISSING_PERMISSIONS = 50013
    INVALID_FORM_BODY = 50035
    INTERACTION_ALREADY_ACKNOWLEDGED = 40060
    MAX_APPLICATION_COMMANDS = 30032
    MAX_EMOJIS = 30008
    MAX_ROLES = 30005
    MAX_CHANNELS = 30013
    MAX_STICKERS = 30039
    MAX_REACTIONS = 30010
    BULK_DELETE_TOO_OLD = 50034


class DiscordError(Exception):
    """An error answer: HTTP status, Discord JSON code, message and optional field errors."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def Unauthorized() -> DiscordError:
    return DiscordError(401, ErrorCode.GENERAL, "401: Unauthorized")


def Forbidden(
    message: str = "Missing Permissions", code: int = ErrorCode.MISSING_PERMISSIONS
) -> DiscordError:
    return DiscordError(403, code, message)


def NotFound(code: int, what: str) -> DiscordError:
    return DiscordError(404, code, f"Unknown {what}")


def field_error(path: str, code: str, message: str) -> dict[str, Any]:
    """Builds Discord's nested ``errors`` object for one field path such as ``embeds.10``."""
    node: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for part in reversed(path.split(".")):
        node = {part: node}
    return node


def InvalidFormBody(path: str, code: str, message: str) -> DiscordError:
    return DiscordError(
        400, ErrorCode.INVALID_FORM_BODY, "Invalid Form Body", field_error(path, code, message)
    )
