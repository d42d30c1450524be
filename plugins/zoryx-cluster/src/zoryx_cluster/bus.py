"""Preset requests between clusters over Redis pub/sub; only these kinds travel, never code.

- ``broadcast``: a text from a bot owner; every cluster logs it, emits the custom event
  ``cluster_broadcast`` and acknowledges.
- ``reload``: reload one plugin by name; every cluster answers with its own outcome.
- ``ping``: every cluster answers at once (``ipcstatus`` measures the pub/sub round trip).

Answers go to a list per request (``RPUSH``), so the asking cluster collects them even if it
subscribes late, and they expire on their own.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "KINDS",
    "MAX_BROADCAST_LENGTH",
    "MAX_MESSAGE_BYTES",
    "PLUGIN_NAME",
    "BusMessage",
    "BusReply",
    "parse_message",
]

Kind = Literal["broadcast", "reload", "ping"]
KINDS: tuple[Kind, ...] = ("broadcast", "reload", "ping")
MAX_MESSAGE_BYTES = 8192
MAX_BROADCAST_LENGTH = 2000
PLUGIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class BusMessage:
    kind: Kind
    sender: int
    request_id: str
    text: str = ""
    plugin: str = ""

    @classmethod
    def new(cls, kind: Kind, sender: int, *, text: str = "", plugin: str = "") -> BusMessage:
        return cls(kind, sender, secrets.token_hex(8), text, plugin)

    def encode(self) -> str:
        return json.dumps(
            {"kind": self.kind, "sender": self.sender, "request_id": self.request_id,
             "text": self.text, "plugin": self.plugin}
        )  # fmt: skip


@dataclass(frozen=True)
class BusReply:
    cluster_id: int
    ok: bool
    detail: str

    def encode(self) -> str:
        return json.dumps({"cluster_id": self.cluster_id, "ok": self.ok, "detail": self.detail})

    @classmethod
    def decode(cls, raw: str) -> BusReply:
        data = json.loads(raw)
        return cls(int(data["cluster_id"]), bool(data["ok"]), str(data["detail"]))


def parse_message(raw: Any) -> BusMessage | None:
    """A preset request, or ``None`` for anything else (wrong kind, size or shape)."""
    if not isinstance(raw, str) or len(raw.encode()) > MAX_MESSAGE_BYTES:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("kind") not in KINDS:
        return None
    text, plugin, request_id = data.get("text", ""), data.get("plugin", ""), data.get("request_id")
    sender = data.get("sender")
    if not (isinstance(text, str) and isinstance(plugin, str) and isinstance(request_id, str)):
        return None
    if not isinstance(sender, int) or not re.fullmatch(r"[0-9a-f]{1,32}", request_id):
        return None
    if data["kind"] == "reload" and not PLUGIN_NAME.match(plugin):
        return None
    return BusMessage(data["kind"], sender, request_id, text[:MAX_BROADCAST_LENGTH], plugin)
