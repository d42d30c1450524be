"""The canonical form, the JSON codec and its error messages, restore options (no bot needed)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from zoryx_backup import (
    Component,
    InvalidBackupInput,
    RestoreOptions,
    SnapshotFormatError,
    UnknownSchemaVersion,
    snapshot_from_json,
    snapshot_to_json,
)
from zoryx_backup.canonical import canonical_bytes, canonical_sha256
from zoryx_backup.models import (
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

from zoryx_core.testing import sample_gif, sample_png

FORUM_SETTINGS = {
    "topic": None,
    "available_tags": [{"name": "a", "moderated": False, "emoji_id": None, "emoji_name": "✨"}],
}


FORUM_SETTINGS = {
    "topic": None,
    "available_tags": [{"name": "a", "moderated": False, "emoji_id": None, "emoji_name": "✨"}],
}


def make_snapshot() -> Snapshot:
    settings = GuildSettingsData(
        name="Café ☕",
        description=None,
        verification_level=1,
        default_message_notifications=0,
        explicit_content_filter=2,
        afk_channel_id=None,
        afk_timeout=300,
        system_channel_id=201,
        system_channel_flags=0,
        rules_channel_id=None,
        public_updates_channel_id=None,
        safety_alerts_channel_id=None,
        preferred_locale="de",
        premium_progress_bar_enabled=True,
        icon=ImageData("image/png", sample_png(9), key="abc"),
        banner=None,
    )
    return Snapshot(
        schema_version=1,
        created_at=datetime(2025, 3, 1, 12, 30, tzinfo=UTC),
        guild_id=100,
        guild_name="Café ☕",
        generator="zoryx-backup test",
        roles=(
            RoleData(100, "@everyone", 0, False, False, 1 << 40 | 1024, 0, is_default=True),
            RoleData(101, "modérateurs", 0xFF00FF, True, True, 8, 1, unicode_emoji="🛡"),
        ),
        channels=(
            ChannelData(200, 4, "catégorie", 0, None, (OverwriteData(101, "role", 1024, 2048),)),
            ChannelData(201, 15, "forum", 1, 200, (OverwriteData(300, "member", 0, 1),), FORUM_SETTINGS),
        ),
        emojis=(EmojiData(400, "wave", True, False, (101,), ImageData("image/gif", sample_gif(3))),),
        stickers=(StickerData(500, "hello", "says hello", "👋", 1, ImageData("image/png", sample_png(4))),),
        settings=settings,
        members=MembersSection(True, None, {300: (101,), 301: ()}),
        bot_settings={"core.guild": {"prefix": "?", "grants": {"ban": [101]}}},
        notes=("an image did not download",),
    )


def test_canonical_form_is_sorted_compact_utf8() -> None:
    document = {"b": [1, {"z": "é", "a": [True, None, 2.5]}], "a": {"y": {"x": {"w": {"v": "ü"}}}}}
    expected = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert canonical_bytes(document) == expected
    assert b" " not in canonical_bytes(document) and "é".encode() in canonical_bytes(document)
    large = {"members": {"assignments": [{"user_id": str(i), "roles": [str(i % 7)]} for i in range(20000)]}}
    assert canonical_bytes(large) == json.dumps(large, sort_keys=True, separators=(",", ":")).encode()
    assert canonical_sha256(document) != canonical_sha256({**document, "c": 1})


def test_codec_round_trip() -> None:
    snapshot = make_snapshot()
    document = snapshot_to_json(snapshot)
    assert document["created_at"] == "2025-03-01T12:30:00+00:00"
    assert document["roles"][0]["permissions"] == str(1 << 40 | 1024)
    text = json.dumps(document)
    assert snapshot_from_json(json.loads(text)) == snapshot
    assert snapshot.counts().roles == 1 and snapshot.counts().members == 2


def broken(path: list[Any], value: Any) -> dict[str, Any]:
    document = copy.deepcopy(snapshot_to_json(make_snapshot()))
    node: Any = document
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return document


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["roles", 1, "colour"], 0x1000000, "roles[1].colour: 16777216 is out of range"),
        (["roles", 0, "permissions"], 8, "roles[0].permissions: expected a permission value as a string"),
        (["channels", 1, "type"], 3, "channels[1].type: channel type 3 is not one of 0, 2, 4, 5, 13, 15, 16"),
        (["channels", 0, "settings"], {"topic": "x"}, "topic cannot be set on a channel of type 4"),
        (["channels", 1, "overwrites", 0, "type"], "user", "must be 'role' or 'member'"),
        (["members", "assignments", "300"], ["101"], "members.assignments.300: expected role ids separated"),
        (["members", "assignments", "300"], "101  7", "members.assignments.300: expected an id"),
        (["settings", "icon", "sha256"], "0" * 64, "settings.icon.sha256: does not match the image data"),
        (["created_at"], "2025-03-01T12:30:00", "has no UTC offset"),
        (["guild", "name"], KeyError, "guild.name: the field is missing"),
        (["format"], "something-else", "format: expected 'zoryx-backup/snapshot'"),
        # other Unicode digits and ids beyond SQLite's INTEGER are format errors, not crashes
        (["guild", "id"], "\u00b2", "guild.id: expected an id as a string of digits 0-9"),
        (["roles", 1, "id"], "\u0663", "roles[1].id: expected an id as a string of digits 0-9"),
        (["roles", 1, "id"], "9999999999999999999", "roles[1].id: the id 9999999999999999999 is larger"),
        (["roles", 0, "permissions"], "\u0668", "roles[0].permissions: expected a permission value"),
    ],
)
def test_bad_documents_name_the_field(path: list[Any], value: Any, message: str) -> None:
    with pytest.raises(SnapshotFormatError) as caught:
        snapshot_from_json(broken(path, value))
    assert message in str(caught.value)


def test_unknown_schema_versions() -> None:
    for version in (0, 2, "1", True):
        with pytest.raises(UnknownSchemaVersion, match="reads 1"):
            snapshot_from_json(broken(["schema_version"], version))


def test_restore_options() -> None:
    assert RestoreOptions().components == frozenset(Component)
    options = RestoreOptions.of(["member roles", "Bot-Settings"], role_sync=True)
    assert options.components == {Component.MEMBER_ROLES, Component.BOT_SETTINGS} and options.role_sync
    with pytest.raises(InvalidBackupInput, match="'webhooks' is not a restore component; choose from roles"):
        RestoreOptions.of(["roles", "webhooks"])
    with pytest.raises(InvalidBackupInput, match="at least one"):
        RestoreOptions.of([])
