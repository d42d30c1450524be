"""The bot's own settings for a server (prefix, mention prefix, command grants) round-trip through
a snapshot; a grant follows its role to the role's new id."""

from __future__ import annotations

from conftest import BackupBot, settle
from zoryx_backup import Component, Outcome, RestoreOptions

from zoryx_core.testing import DiscordEmulator


async def test_prefix_and_grants_round_trip(discord_emulator: DiscordEmulator, backup_bot: BackupBot) -> None:
    emu = discord_emulator
    owner = emu.create_user("owner")
    guild_model = emu.create_guild("Settings", owner=owner)
    moderators = emu.create_role(guild_model, "moderators")
    general = emu.channel_named(guild_model, "general")
    bot, service = await backup_bot()
    guild = bot.get_guild(guild_model.id)
    assert guild is not None

    # the server's owner sets a prefix and grants a role a command, as they would in Discord
    await emu.converse(general, owner, "!setprefix ?")
    granted = await emu.converse(general, owner, "?config serversettings moderators")
    assert granted.embeds and granted.embeds[0]["title"].endswith("Role granted")
    await emu.converse(general, owner, "?mentionprefix disable")
    record = await service.create(guild, "settings", author_id=owner.id)
    snapshot = await service.load(guild.id, record.id)
    assert snapshot.bot_settings["core.guild"] == {
        "prefix": "?",
        "mention_prefix": False,
        "grants": {"serversettings": [moderators.id]},
    }

    # the role is deleted and the settings changed
    emu.delete_role(guild_model, moderators)
    await emu.converse(general, owner, "?setprefix $")
    await emu.converse(general, owner, "$mentionprefix enable")
    await settle(lambda: guild.get_role(moderators.id) is None, "the role deletion")

    options = RestoreOptions.of([Component.ROLES, Component.BOT_SETTINGS])
    report = await service.restore(guild, record.id, options, user_id=owner.id)
    assert report.ok
    [settings_result] = [i for i in report.items if i.component == Component.BOT_SETTINGS]
    assert settings_result.outcome == Outcome.UPDATED
    assert settings_result.detail == "prefix ?, mention prefix off, 1 grant"
    new_role_id = report.id_map[moderators.id]
    assert new_role_id != moderators.id
    assert emu.role_named(guild_model, "moderators").id == new_role_id

    config = await bot.guild_configs.get(guild.id)
    assert (config.prefix, config.mention_prefix) == ("?", False)
    assert dict(config.grants) == {"serversettings": (new_role_id,)}
    # and the bot answers to the restored prefix at once
    reply = await emu.converse(general, owner, "?serversettings")
    assert reply.embeds and reply.embeds[0]["title"].endswith("Settings of Settings")
