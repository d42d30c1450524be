"""What a snapshot holds, its schema, checksum and timestamps; export; diff and drift; the members
intent."""

from __future__ import annotations

import base64
import hashlib
import json

import jsonschema
from conftest import BackupBot, build_world, settle
from zoryx_backup import SCHEMA_PATH

from zoryx_core.testing import ChannelType, DiscordEmulator, P


async def test_snapshot_holds_the_whole_server(
    discord_emulator: DiscordEmulator, backup_bot: BackupBot
) -> None:
    emu = discord_emulator
    world = build_world(emu, roles=6, categories=2, channels=10, members=12, emojis=3, stickers=2)
    member_overwrite_target = world.users[0]
    emu.set_overwrite(world.channels[1], member_overwrite_target, allow=P.SEND_MESSAGES)
    bot, service = await backup_bot()
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    record = await service.create(guild, "full", author_id=world.owner.id)

    raw = service.files.path(record.file).read_bytes()
    envelope = json.loads(raw)
    document = envelope["snapshot"]
    # the file is canonical JSON; its checksum is the SHA-256 of the snapshot's canonical form
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert envelope["checksum"] == {"algorithm": "sha256", "value": hashlib.sha256(canonical).hexdigest()}
    assert record.sha256 == envelope["checksum"]["value"] and record.size_bytes == len(raw)
    assert raw == json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    # it follows the published JSON Schema
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
    assert document["created_at"].endswith("+00:00")

    roles = {r["name"]: r for r in document["roles"]}
    assert roles["@everyone"]["default"] and roles["@everyone"]["id"] == str(guild.id)
    assert roles[emu.bot_user.username]["managed"]
    model = world.roles[3]
    assert roles[model.name] == {
        "id": str(model.id),
        "name": model.name,
        "colour": model.color,
        "hoist": model.hoist,
        "mentionable": model.mentionable,
        "permissions": str(model.permissions),
        "position": model.position,
        "managed": False,
        "default": False,
        "unicode_emoji": None,
    }
    channels = {c["name"]: c for c in document["channels"]}
    assert [c["type"] for c in document["channels"][:2]] == [ChannelType.GUILD_CATEGORY] * 2
    forum = channels[world.channels[4].name]
    assert forum["type"] == ChannelType.GUILD_FORUM
    assert [t["name"] for t in forum["settings"]["available_tags"]] == ["tag-4-a", "tag-4-b"]
    assert forum["settings"]["default_reaction_emoji"] == {"emoji_id": None, "emoji_name": "🔥"}
    voice = channels[world.channels[1].name]
    assert voice["settings"]["bitrate"] == world.channels[1].options["bitrate"]
    assert voice["parent_id"] == str(world.channels[1].parent_id)
    assert {
        "id": str(member_overwrite_target.id),
        "type": "member",
        "allow": str(P.SEND_MESSAGES),
        "deny": "0",
    } in (voice["overwrites"])
    emojis = {e["name"]: e for e in document["emojis"]}
    for emoji in world.emojis:
        image = emojis[emoji.name]["image"]
        assert base64.b64decode(image["data"]) == emoji.image
        assert image["content_type"] == ("image/gif" if emoji.animated else "image/png")
    assert emojis[world.emojis[1].name]["roles"] == [str(world.roles[1].id)]
    stickers = {s["name"]: s for s in document["stickers"]}
    assert base64.b64decode(stickers["sticker-1"]["image"]["data"]) == world.stickers[1].image
    settings = document["settings"]
    assert base64.b64decode(settings["icon"]["data"]) == world.guild.images["icon"]
    assert settings["icon"]["key"] == world.guild.settings["icon"]
    assert (settings["verification_level"], settings["afk_timeout"], settings["preferred_locale"]) == (
        2,
        900,
        "fr",
    )
    members = document["members"]
    assert members["included"] and len(members["assignments"]) == 13  # 12 members and the owner, no bots
    by_user = members["assignments"]
    for user in world.users:
        held = by_user[str(user.id)].split()
        assert sorted(held) == sorted(str(r) for r in world.guild.members[user.id].roles)
    assert any(" " in roles for roles in by_user.values()) and "" in by_user.values()
    assert document["bot_settings"] == {"core.guild": {"prefix": None, "mention_prefix": None, "grants": {}}}
    assert document["notes"] == []

    exported = await service.export(guild.id, record.id, world.owner.id)
    assert exported == raw
    assert (await service.audit_log(guild.id))[0].action == "export"


async def test_without_the_members_intent_the_snapshot_says_so(
    discord_emulator: DiscordEmulator, backup_bot: BackupBot
) -> None:
    world = build_world(discord_emulator, roles=2, categories=1, channels=2, members=3, emojis=0, stickers=0)
    bot, service = await backup_bot(config={"intents.members": False})
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    record = await service.create(guild, None, author_id=world.owner.id)
    snapshot = await service.load(guild.id, record.id)
    assert not snapshot.members.included and snapshot.members.roles == {}
    assert snapshot.members.reason is not None and "Server Members intent" in snapshot.members.reason
    assert not record.counts.members_included


async def test_diff_and_drift(discord_emulator: DiscordEmulator, backup_bot: BackupBot) -> None:
    emu = discord_emulator
    world = build_world(emu, roles=4, categories=1, channels=4, members=4, emojis=1, stickers=0)
    bot, service = await backup_bot()
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    first = await service.create(guild, "first", author_id=world.owner.id)
    snapshot = await service.load(guild.id, first.id)
    assert (await service.drift(guild, snapshot)).is_empty

    emu.create_role(world.guild, "newcomer")
    emu.delete_channel(world.channels[3])
    emu.edit_role(world.guild, world.roles[0], name="renamed", permissions=P.ADMINISTRATOR)
    emu.edit_channel(world.channels[0], topic="new topic")
    emu.set_member_roles(world.guild, world.users[0], [world.roles[2]])
    emu.edit_guild(world.guild, verification_level=4)
    await settle(lambda: len(guild.roles) == 7 and guild.verification_level.value == 4, "the changes")
    member = guild.get_member(world.users[0].id)
    assert member is not None
    await settle(lambda: [r.id for r in member.roles[1:]] == [world.roles[2].id], "the member's roles")

    drift = await service.drift(guild, snapshot)
    assert [c.name for c in drift.roles.added] == ["newcomer"]
    assert [c.name for c in drift.channels.removed] == [world.channels[3].name]
    [renamed] = drift.roles.changed
    assert (renamed.name, {f.field for f in renamed.changes}) == ("renamed", {"name", "permissions"})
    [topic] = [c for c in drift.channels.changed if c.after_id == world.channels[0].id]
    assert [(f.field, f.after) for f in topic.changes] == [("topic", "new topic")]
    assert [(f.field, f.before, f.after) for f in drift.settings] == [("verification_level", 2, 4)]
    [member] = drift.members.changed
    assert member.user_id == world.users[0].id and member.added == (world.roles[2].name,)
    assert "roles: +1 -0 ~1" in drift.summary()

    second = await service.create(guild, "second", author_id=world.owner.id)
    between = await service.diff_backups(guild.id, first.id, second.id)
    assert between.change_count == drift.change_count
    assert [c.name for c in between.roles.added] == ["newcomer"]
    assert (await service.diff_backups(guild.id, second.id, second.id)).is_empty
