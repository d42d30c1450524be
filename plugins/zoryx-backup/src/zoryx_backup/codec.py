"""Snapshots to and from their JSON form (schema version 1), checking every field on the way in.

Ids and permission values are JSON strings (they do not fit a JSON number safely); timestamps are
UTC ISO-8601 with ``+00:00``; images are base64. Member roles are one object mapping each member's
id to their role ids separated by spaces: compact, and for Python's garbage collector a server of
50,000 members is then one dictionary of strings, not 100,000 containers to walk. The JSON Schema
of this form ships in the package (``schemas/snapshot-v1.schema.json``, :data:`SCHEMA_PATH`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from .errors import SnapshotFormatError, UnknownSchemaVersion
from .models import (
    CHANNEL_SETTING_KEYS,
    ChannelData,
    EmojiData,
    GuildSettingsData,
    ImageData,
    MembersSection,
    OverwriteData,
    RoleData,
    Snapshot,
    StickerData,
)

__all__ = [
    "FORMAT",
    "SCHEMA_PATH",
    "SCHEMA_VERSION",
    "SUPPORTED_SCHEMA_VERSIONS",
    "check_schema_version",
    "iso_utc",
    "snapshot_from_json",
    "snapshot_to_json",
]

_MAX_ID = 2**63 - 1  # the largest INTEGER SQLite stores (Discord ids are well below it)

FORMAT = "zoryx-backup/snapshot"
SCHEMA_VERSION = 1
SUPPORTED_SCHEMA_VERSIONS: tuple[int, ...] = (1,)
SCHEMA_PATH = resources.files("zoryx_backup") / "schemas" / "snapshot-v1.schema.json"
"""The JSON Schema (draft 2020-12) of schema version 1."""

_SETTING_IDS = (
    "afk_channel_id",
    "system_channel_id",
    "rules_channel_id",
    "public_updates_channel_id",
    "safety_alerts_channel_id",
)


def iso_utc(moment: datetime) -> str:
    """``moment`` in UTC as ISO-8601 with an explicit ``+00:00`` offset."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat()


# --- writing -------------------------------------------------------------------------------------


def _image(image: ImageData | None) -> dict[str, Any] | None:
    if image is None:
        return None
    return {
        "content_type": image.content_type,
        "sha256": image.sha256,
        "key": image.key,
        "data": base64.b64encode(image.data).decode("ascii"),
    }


def _id(value: int | None) -> str | None:
    return None if value is None else str(value)


def snapshot_to_json(snapshot: Snapshot) -> dict[str, Any]:
    """The JSON document of ``snapshot`` (plain dicts, lists, strings, numbers, booleans)."""
    s = snapshot.settings
    return {
        "format": FORMAT,
        "schema_version": snapshot.schema_version,
        "created_at": iso_utc(snapshot.created_at),
        "generator": snapshot.generator,
        "guild": {"id": str(snapshot.guild_id), "name": snapshot.guild_name},
        "roles": [
            {
                "id": str(r.id),
                "name": r.name,
                "colour": r.colour,
                "hoist": r.hoist,
                "mentionable": r.mentionable,
                "permissions": str(r.permissions),
                "position": r.position,
                "managed": r.managed,
                "default": r.is_default,
                "unicode_emoji": r.unicode_emoji,
            }
            for r in snapshot.roles
        ],
        "channels": [
            {
                "id": str(c.id),
                "type": c.type,
                "name": c.name,
                "position": c.position,
                "parent_id": _id(c.parent_id),
                "overwrites": [
                    {
                        "id": str(o.target_id),
                        "type": o.target_type,
                        "allow": str(o.allow),
                        "deny": str(o.deny),
                    }
                    for o in c.overwrites
                ],
                "settings": dict(c.settings),
            }
            for c in snapshot.channels
        ],
        "emojis": [
            {
                "id": str(e.id),
                "name": e.name,
                "animated": e.animated,
                "managed": e.managed,
                "roles": [str(r) for r in e.role_ids],
                "image": _image(e.image),
            }
            for e in snapshot.emojis
        ],
        "stickers": [
            {
                "id": str(st.id),
                "name": st.name,
                "description": st.description,
                "tags": st.emoji,
                "format_type": st.format_type,
                "image": _image(st.image),
            }
            for st in snapshot.stickers
        ],
        "settings": {
            "name": s.name,
            "description": s.description,
            "verification_level": s.verification_level,
            "default_message_notifications": s.default_message_notifications,
            "explicit_content_filter": s.explicit_content_filter,
            "afk_channel_id": _id(s.afk_channel_id),
            "afk_timeout": s.afk_timeout,
            "system_channel_id": _id(s.system_channel_id),
            "system_channel_flags": s.system_channel_flags,
            "rules_channel_id": _id(s.rules_channel_id),
            "public_updates_channel_id": _id(s.public_updates_channel_id),
            "safety_alerts_channel_id": _id(s.safety_alerts_channel_id),
            "preferred_locale": s.preferred_locale,
            "premium_progress_bar_enabled": s.premium_progress_bar_enabled,
            "icon": _image(s.icon),
            "banner": _image(s.banner),
        },
        "members": {
            "included": snapshot.members.included,
            "reason": snapshot.members.reason,
            "assignments": {
                str(user): " ".join(str(r) for r in role_ids)
                for user, role_ids in snapshot.members.roles.items()
            },
        },
        "bot_settings": dict(snapshot.bot_settings),
        "notes": list(snapshot.notes),
    }


# --- reading -------------------------------------------------------------------------------------


def check_schema_version(document: Any) -> int:
    """The document's schema version; :class:`UnknownSchemaVersion` when this engine cannot read it."""
    if not isinstance(document, dict):
        raise SnapshotFormatError("the top level", "a snapshot is a JSON object")
    if document.get("format") != FORMAT:
        raise SnapshotFormatError("format", f"expected {FORMAT!r}, found {document.get('format')!r}")
    version = document.get("schema_version")
    if isinstance(version, bool) or version not in SUPPORTED_SCHEMA_VERSIONS:
        raise UnknownSchemaVersion(version, SUPPORTED_SCHEMA_VERSIONS)
    return int(version)


def snapshot_from_json(document: Any) -> Snapshot:
    """The snapshot in ``document``; :class:`UnknownSchemaVersion` or :class:`SnapshotFormatError`
    (naming the field) when it cannot be read."""
    version = check_schema_version(document)
    r = _Reader()
    guild = r.obj(document, "guild", "guild")
    settings_doc = r.obj(document, "settings", "settings")
    members_doc = r.obj(document, "members", "members")
    bot_settings = r.obj(document, "bot_settings", "bot_settings")
    return Snapshot(
        schema_version=version,
        created_at=r.timestamp(document, "created_at", "created_at"),
        guild_id=r.snowflake(guild, "id", "guild"),
        guild_name=r.text(guild, "name", "guild"),
        generator=r.text(document, "generator", "generator"),
        roles=tuple(
            _role(r, item, f"roles[{i}]") for i, item in enumerate(r.array(document, "roles", "roles"))
        ),
        channels=tuple(
            _channel(r, item, f"channels[{i}]")
            for i, item in enumerate(r.array(document, "channels", "channels"))
        ),
        emojis=tuple(
            _emoji(r, item, f"emojis[{i}]") for i, item in enumerate(r.array(document, "emojis", "emojis"))
        ),
        stickers=tuple(
            _sticker(r, item, f"stickers[{i}]")
            for i, item in enumerate(r.array(document, "stickers", "stickers"))
        ),
        settings=_settings(r, settings_doc),
        members=_members(r, members_doc),
        bot_settings=dict(bot_settings),
        notes=tuple(
            r.expect_str(note, f"notes[{i}]") for i, note in enumerate(r.array(document, "notes", "notes"))
        ),
    )


def _role(r: _Reader, item: Any, path: str) -> RoleData:
    item = r.expect_obj(item, path)
    return RoleData(
        id=r.snowflake(item, "id", path),
        name=r.text(item, "name", path),
        colour=r.integer(item, "colour", path, low=0, high=0xFFFFFF),
        hoist=r.boolean(item, "hoist", path),
        mentionable=r.boolean(item, "mentionable", path),
        permissions=r.bits(item, "permissions", path),
        position=r.integer(item, "position", path, low=0),
        managed=r.boolean(item, "managed", path),
        is_default=r.boolean(item, "default", path),
        unicode_emoji=r.optional_text(item, "unicode_emoji", path),
    )


def _channel(r: _Reader, item: Any, path: str) -> ChannelData:
    item = r.expect_obj(item, path)
    kind = r.integer(item, "type", path)
    if kind not in CHANNEL_SETTING_KEYS:
        allowed = ", ".join(str(k) for k in sorted(CHANNEL_SETTING_KEYS))
        raise SnapshotFormatError(f"{path}.type", f"channel type {kind} is not one of {allowed}")
    settings = r.obj(item, "settings", path)
    allowed_keys = CHANNEL_SETTING_KEYS[kind]
    unknown = sorted(set(settings) - set(allowed_keys))
    if unknown:
        raise SnapshotFormatError(
            f"{path}.settings",
            f"{', '.join(unknown)} cannot be set on a channel of type {kind} "
            f"(allowed: {', '.join(allowed_keys) or 'none'})",
        )
    overwrites = []
    for index, raw in enumerate(r.array(item, "overwrites", path)):
        where = f"{path}.overwrites[{index}]"
        raw = r.expect_obj(raw, where)
        target_type = r.text(raw, "type", where)
        if target_type not in ("role", "member"):
            raise SnapshotFormatError(f"{where}.type", f"must be 'role' or 'member', got {target_type!r}")
        overwrites.append(
            OverwriteData(
                target_id=r.snowflake(raw, "id", where),
                target_type=target_type,
                allow=r.bits(raw, "allow", where),
                deny=r.bits(raw, "deny", where),
            )
        )
    return ChannelData(
        id=r.snowflake(item, "id", path),
        type=kind,
        name=r.text(item, "name", path),
        position=r.integer(item, "position", path, low=0),
        parent_id=r.optional_snowflake(item, "parent_id", path),
        overwrites=tuple(overwrites),
        settings=dict(settings),
    )


def _emoji(r: _Reader, item: Any, path: str) -> EmojiData:
    item = r.expect_obj(item, path)
    return EmojiData(
        id=r.snowflake(item, "id", path),
        name=r.text(item, "name", path),
        animated=r.boolean(item, "animated", path),
        managed=r.boolean(item, "managed", path),
        role_ids=tuple(
            r.parse_snowflake(v, f"{path}.roles[{i}]") for i, v in enumerate(r.array(item, "roles", path))
        ),
        image=r.image(item, "image", path),
    )


def _sticker(r: _Reader, item: Any, path: str) -> StickerData:
    item = r.expect_obj(item, path)
    return StickerData(
        id=r.snowflake(item, "id", path),
        name=r.text(item, "name", path),
        description=r.optional_text(item, "description", path) or "",
        emoji=r.text(item, "tags", path),
        format_type=r.integer(item, "format_type", path, low=1, high=4),
        image=r.image(item, "image", path),
    )


def _settings(r: _Reader, doc: Mapping[str, Any]) -> GuildSettingsData:
    path = "settings"
    ids = {key: r.optional_snowflake(doc, key, path) for key in _SETTING_IDS}
    return GuildSettingsData(
        name=r.text(doc, "name", path),
        description=r.optional_text(doc, "description", path),
        verification_level=r.integer(doc, "verification_level", path, low=0, high=4),
        default_message_notifications=r.integer(doc, "default_message_notifications", path, low=0, high=1),
        explicit_content_filter=r.integer(doc, "explicit_content_filter", path, low=0, high=2),
        afk_channel_id=ids["afk_channel_id"],
        afk_timeout=r.integer(doc, "afk_timeout", path, low=0),
        system_channel_id=ids["system_channel_id"],
        system_channel_flags=r.integer(doc, "system_channel_flags", path, low=0),
        rules_channel_id=ids["rules_channel_id"],
        public_updates_channel_id=ids["public_updates_channel_id"],
        safety_alerts_channel_id=ids["safety_alerts_channel_id"],
        preferred_locale=r.text(doc, "preferred_locale", path),
        premium_progress_bar_enabled=r.boolean(doc, "premium_progress_bar_enabled", path),
        icon=r.image(doc, "icon", path),
        banner=r.image(doc, "banner", path),
    )


def _members(r: _Reader, doc: Mapping[str, Any]) -> MembersSection:
    path = "members"
    by_member: dict[int, tuple[int, ...]] = {}
    for user, roles in r.obj(doc, "assignments", path).items():
        where = f"{path}.assignments.{user}"
        user_id = r.parse_snowflake(user, f"{path}.assignments (a key)")
        if not isinstance(roles, str):
            raise SnapshotFormatError(where, f"expected role ids separated by spaces, got {roles!r}")
        role_ids = tuple(r.parse_snowflake(v, where) for v in roles.split(" ")) if roles else ()
        by_member[user_id] = role_ids
    return MembersSection(
        included=r.boolean(doc, "included", path),
        reason=r.optional_text(doc, "reason", path),
        roles=by_member,
    )


class _Reader:
    """Typed field access that raises :class:`SnapshotFormatError` naming the field."""

    def _get(self, obj: Mapping[str, Any], key: str, path: str) -> Any:
        if key not in obj:
            raise SnapshotFormatError(f"{path}.{key}" if path != key else key, "the field is missing")
        return obj[key]

    @staticmethod
    def _where(path: str, key: str) -> str:
        return key if path == key else f"{path}.{key}"

    def expect_obj(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise SnapshotFormatError(path, f"expected an object, got {type(value).__name__}")
        return value

    def expect_str(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise SnapshotFormatError(path, f"expected a string, got {type(value).__name__}")
        return value

    def obj(self, obj: Mapping[str, Any], key: str, path: str) -> dict[str, Any]:
        return self.expect_obj(self._get(obj, key, path), self._where(path, key))

    def array(self, obj: Mapping[str, Any], key: str, path: str) -> list[Any]:
        value = self._get(obj, key, path)
        if not isinstance(value, list):
            raise SnapshotFormatError(self._where(path, key), f"expected a list, got {type(value).__name__}")
        return value

    def text(self, obj: Mapping[str, Any], key: str, path: str) -> str:
        return self.expect_str(self._get(obj, key, path), self._where(path, key))

    def optional_text(self, obj: Mapping[str, Any], key: str, path: str) -> str | None:
        value = self._get(obj, key, path)
        return None if value is None else self.expect_str(value, self._where(path, key))

    def boolean(self, obj: Mapping[str, Any], key: str, path: str) -> bool:
        value = self._get(obj, key, path)
        if not isinstance(value, bool):
            raise SnapshotFormatError(self._where(path, key), f"expected true or false, got {value!r}")
        return value

    def integer(
        self, obj: Mapping[str, Any], key: str, path: str, *, low: int | None = None, high: int | None = None
    ) -> int:
        value = self._get(obj, key, path)
        where = self._where(path, key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise SnapshotFormatError(where, f"expected an integer, got {value!r}")
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"from {low if low is not None else '-inf'} to {high if high is not None else 'inf'}"
            raise SnapshotFormatError(where, f"{value} is out of range ({bounds})")
        return value

    def parse_snowflake(self, value: Any, where: str) -> int:
        # isdigit() alone also takes "²" and "٣": only the ASCII digits 0-9, within SQLite's INTEGER
        if not isinstance(value, str) or not (value.isascii() and value.isdigit()) or len(value) > 19:
            raise SnapshotFormatError(where, f"expected an id as a string of digits 0-9, got {value!r}")
        number = int(value)
        if number > _MAX_ID:
            raise SnapshotFormatError(where, f"the id {value} is larger than {_MAX_ID}")
        return number

    def snowflake(self, obj: Mapping[str, Any], key: str, path: str) -> int:
        return self.parse_snowflake(self._get(obj, key, path), self._where(path, key))

    def optional_snowflake(self, obj: Mapping[str, Any], key: str, path: str) -> int | None:
        value = self._get(obj, key, path)
        return None if value is None else self.parse_snowflake(value, self._where(path, key))

    def bits(self, obj: Mapping[str, Any], key: str, path: str) -> int:
        value = self._get(obj, key, path)
        if not isinstance(value, str) or not (value.isascii() and value.isdigit()):
            problem = f"expected a permission value as a string of digits 0-9, got {value!r}"
            raise SnapshotFormatError(self._where(path, key), problem)
        return int(value)

    def timestamp(self, obj: Mapping[str, Any], key: str, path: str) -> datetime:
        raw = self.text(obj, key, path)
        where = self._where(path, key)
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise SnapshotFormatError(where, f"{raw!r} is not an ISO-8601 timestamp") from None
        if moment.utcoffset() is None:
            raise SnapshotFormatError(where, f"{raw!r} has no UTC offset (timestamps are UTC, '+00:00')")
        return moment.astimezone(UTC)

    def image(self, obj: Mapping[str, Any], key: str, path: str) -> ImageData | None:
        value = self._get(obj, key, path)
        if value is None:
            return None
        where = self._where(path, key)
        value = self.expect_obj(value, where)
        try:
            data = base64.b64decode(self.text(value, "data", where), validate=True)
        except (binascii.Error, ValueError):
            raise SnapshotFormatError(f"{where}.data", "is not valid base64") from None
        expected = self.text(value, "sha256", where)
        if hashlib.sha256(data).hexdigest() != expected:
            raise SnapshotFormatError(f"{where}.sha256", "does not match the image data")
        return ImageData(
            content_type=self.text(value, "content_type", where),
            data=data,
            key=self.optional_text(value, "key", where),
        )
