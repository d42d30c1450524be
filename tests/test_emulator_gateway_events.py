"""Every gateway event the emulator sends beyond messages and members is parsed by real discord.py
into the event a bot listens for, with the right objects (issue 17)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

import discord
import pytest

from zoryx_core.testing import ALL_PERMISSIONS, DiscordEmulator

pytestmark = pytest.mark.emulator_strict_routes


class Recorder(discord.Client):
    """Records each event's name and a short description of its arguments."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.all(), guild_ready_timeout=0.05)
        self.seen: list[tuple[str, Any]] = []

    def record(self, name: str, value: Any) -> None:
        self.seen.append((name, value))

    def got(self, name: str) -> list[Any]:
        return [value for event, value in self.seen if event == name]

    async def on_thread_create(self, thread: discord.Thread) -> None:
        self.record("thread_create", (thread.name, thread.parent_id, thread.owner_id))

    async def on_thread_update(self, before: discord.Thread, after: discord.Thread) -> None:
        self.record("thread_update", (after.name, after.archived, after.locked))

    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        self.record("thread_delete", payload.thread_id)  # archived threads leave the cache: raw only

    async def on_thread_member_join(self, member: discord.ThreadMember) -> None:
        self.record("thread_member_join", member.id)

    async def on_thread_member_remove(self, member: discord.ThreadMember) -> None:
        self.record("thread_member_remove", member.id)

    async def on_webhooks_update(self, channel: discord.abc.GuildChannel) -> None:
        self.record("webhooks_update", channel.id)

    async def on_invite_create(self, invite: discord.Invite) -> None:
        self.record("invite_create", (invite.code, invite.max_uses))

    async def on_invite_delete(self, invite: discord.Invite) -> None:
        self.record("invite_delete", invite.code)

    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        self.record(
            "voice",
            (member.name, before.channel and before.channel.name, after.channel and after.channel.name),
        )

    async def on_presence_update(self, before: discord.Member, after: discord.Member) -> None:
        self.record("presence", (after.name, str(after.status), after.activity and after.activity.name))

    async def on_typing(
        self, channel: discord.abc.Messageable, user: discord.abc.User, when: dt.datetime
    ) -> None:
        self.record("typing", user.name)

    async def on_scheduled_event_create(self, event: discord.ScheduledEvent) -> None:
        self.record("event_create", event.name)

    async def on_scheduled_event_user_add(self, event: discord.ScheduledEvent, user: discord.User) -> None:
        self.record("event_user_add", (event.name, user.name))

    async def on_automod_rule_create(self, rule: discord.AutoModRule) -> None:
        self.record("automod_rule_create", rule.name)

    async def on_automod_action(self, execution: discord.AutoModAction) -> None:
        self.record("automod_action", (execution.matched_keyword, execution.user_id))

    async def on_stage_instance_create(self, stage: discord.StageInstance) -> None:
        self.record("stage_create", stage.topic)

    async def on_soundboard_sound_create(self, sound: discord.SoundboardSound) -> None:
        self.record("sound_create", sound.name)

    async def on_voice_channel_effect(self, effect: discord.VoiceChannelEffect) -> None:
        self.record("effect", effect.sound.id if effect.sound else None)

    async def on_integration_create(self, integration: discord.Integration) -> None:
        self.record("integration_create", integration.name)

    async def on_integration_update(self, integration: discord.Integration) -> None:
        self.record("integration_update", integration.name)

    async def on_soundboard_sound_update(
        self, before: discord.SoundboardSound, after: discord.SoundboardSound
    ) -> None:
        self.record("sound_update", (after.name, after.available))

    async def on_raw_integration_delete(self, payload: discord.RawIntegrationDeleteEvent) -> None:
        self.record("integration_delete", payload.integration_id)

    async def on_guild_integrations_update(self, guild: discord.Guild) -> None:
        self.record("integrations_update", guild.id)

    async def on_entitlement_create(self, entitlement: discord.Entitlement) -> None:
        self.record("entitlement_create", entitlement.sku_id)

    async def on_subscription_create(self, subscription: discord.Subscription) -> None:
        self.record("subscription_create", subscription.user_id)

    async def on_subscription_delete(self, subscription: discord.Subscription) -> None:
        self.record("subscription_delete", subscription.user_id)

    async def on_raw_app_command_permissions_update(self, permissions: Any) -> None:
        self.record("command_permissions", permissions.target_id)

    async def on_member_ban(self, guild: discord.Guild, user: discord.User) -> None:
        self.record("ban", user.name)

    async def on_member_remove(self, member: discord.Member) -> None:
        self.record("member_remove", member.name)

    async def on_audit_log_entry_create(self, entry: discord.AuditLogEntry) -> None:
        self.record("audit", entry.action.name)

    async def on_raw_poll_vote_add(self, payload: discord.RawPollVoteActionEvent) -> None:
        self.record("vote_add", payload.answer_id)

    async def on_raw_poll_vote_remove(self, payload: discord.RawPollVoteActionEvent) -> None:
        self.record("vote_remove", payload.answer_id)


async def until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_discordpy_parses_every_new_event(discord_emulator: DiscordEmulator, bot_runner) -> None:
    emu = discord_emulator
    alice, bob = emu.create_user("alice"), emu.create_user("bob")
    guild = emu.create_guild("Events", members=[alice, bob], bot_permissions=ALL_PERMISSIONS)
    general = emu.channel_named(guild, "general")
    voice_a = emu.create_channel(guild, "Voice A", type=2)
    voice_b = emu.create_channel(guild, "Voice B", type=2)
    stage = emu.create_channel(guild, "Stage", type=13)
    client = Recorder()
    await bot_runner(client)
    g = client.get_guild(guild.id)
    assert g is not None

    # threads: a member's thread, the bot joining and leaving, archive, delete
    starter = await emu.send_message(general, alice, "let's talk")
    thread = emu.create_thread(general, alice, "talk", message=starter)
    await until(lambda: client.got("thread_create"))
    assert client.got("thread_create")[0] == ("talk", general.id, alice.id)
    bot_thread = g.get_thread(thread.id)
    assert bot_thread is not None
    await bot_thread.join()
    emu.join_thread(thread, bob)
    await until(lambda: bob.id in client.got("thread_member_join"))
    await bot_thread.edit(archived=True, locked=True)
    await until(lambda: ("talk", True, True) in client.got("thread_update"))
    await bot_thread.delete()
    await until(lambda: client.got("thread_delete") == [thread.id])

    # webhooks, invites
    text = g.get_channel(general.id)
    assert isinstance(text, discord.TextChannel)
    await text.create_webhook(name="Hooky")
    await until(lambda: general.id in client.got("webhooks_update"))
    invite = emu.create_invite(general, alice, max_uses=3)
    await until(lambda: (invite.code, 3) in client.got("invite_create"))
    await (await client.fetch_invite(invite.code)).delete()
    await until(lambda: invite.code in client.got("invite_delete"))

    # voice, presence, typing
    # one at a time: discord.py updates a cached VoiceState in place before listeners run
    emu.join_voice(guild, alice, voice_a)
    await until(lambda: len(client.got("voice")) == 1)
    emu.move_voice(guild, alice, voice_b)
    await until(lambda: len(client.got("voice")) == 2)
    emu.leave_voice(guild, alice)
    await until(lambda: len(client.got("voice")) == 3)
    assert client.got("voice") == [
        ("alice", None, "Voice A"),
        ("alice", "Voice A", "Voice B"),
        ("alice", "Voice B", None),
    ]
    emu.set_presence(bob, "dnd", activities=[{"name": "chess", "type": 0}])
    await until(lambda: client.got("presence"))
    assert client.got("presence")[0] == ("bob", "dnd", "chess")
    await emu.start_typing(general, bob)
    await until(lambda: client.got("typing") == ["bob"])

    # scheduled events, AutoMod, stage, soundboard
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    event = await g.create_scheduled_event(
        name="Game night",
        start_time=start,
        end_time=start + dt.timedelta(hours=2),
        entity_type=discord.EntityType.external,
        location="online",
        privacy_level=discord.PrivacyLevel.guild_only,
    )
    emu.mark_interested(guild, event=event.id, user=alice)
    await until(lambda: ("Game night", "alice") in client.got("event_user_add"))
    await g.create_automod_rule(
        name="no spam",
        event_type=discord.AutoModRuleEventType.message_send,
        trigger=discord.AutoModTrigger(keyword_filter=["spam*"]),
        actions=[discord.AutoModRuleAction(custom_message="No spam")],
        enabled=True,
    )
    await until(lambda: client.got("automod_rule_create") == ["no spam"])
    blocked = await emu.send_message(general, bob, "spammy stuff")
    assert blocked.id not in emu.state.messages[general.id]
    await until(lambda: ("spam*", bob.id) in client.got("automod_action"))
    stage_channel = g.get_channel(stage.id)
    assert isinstance(stage_channel, discord.StageChannel)
    await stage_channel.create_instance(topic="Town hall")
    await until(lambda: client.got("stage_create") == ["Town hall"])
    ding = await g.create_soundboard_sound(name="ding", sound=b"ID3" + bytes(64))  # an mp3 header
    await until(lambda: client.got("sound_create") == ["ding"])
    voice_channel = g.get_channel(voice_a.id)
    assert isinstance(voice_channel, discord.VoiceChannel)
    await g.change_voice_state(channel=voice_channel)
    await until(lambda: g.me.voice is not None and g.me.voice.channel == voice_channel)
    await voice_channel.send_sound(ding)
    await until(lambda: client.got("effect") == [ding.id])
    emu.set_soundboard_sounds_available(guild, False)
    await until(lambda: client.got("sound_update") == [("ding", False)])

    # integrations, entitlements, subscriptions, command permissions
    integration = emu.add_integration(guild, "Other Bot")
    await until(lambda: client.got("integration_create") == ["Other Bot"])
    emu.update_integration(guild, integration, name="Other Bot v2")
    await until(lambda: client.got("integration_update") == ["Other Bot v2"])
    assert guild.id in client.got("integrations_update")
    await (await g.integrations())[0].delete()
    await until(lambda: client.got("integration_delete") == [int(integration["id"])])
    subscription = emu.start_subscription(42, alice)
    await until(lambda: client.got("subscription_create") == [alice.id])
    assert client.got("entitlement_create") == [42]
    emu.cancel_subscription(subscription)
    await until(lambda: client.got("subscription_delete") == [alice.id])
    command = await client.http.upsert_guild_command(
        client.application_id, guild.id, {"name": "vip", "description": "VIP"}
    )
    await client.http.edit_application_command_permissions(
        client.application_id,
        guild.id,
        command["id"],
        {"permissions": [{"id": str(alice.id), "type": 2, "permission": True}]},
    )
    await until(lambda: client.got("command_permissions"))

    # moderation: a ban by a moderator removes the member and writes the audit log
    emu.ban_member(guild, bob, reason="spam")
    await until(lambda: "bob" in client.got("ban") and "bob" in client.got("member_remove"))
    await until(lambda: "ban" in client.got("audit"))

    # polls: votes and their removal
    poll = await emu.send_poll(general, alice, "Tea or coffee?", ["Tea", "Coffee"])
    emu.vote(poll, alice, [2])
    emu.vote(poll, alice, [])
    await until(lambda: client.got("vote_add") == [2] and client.got("vote_remove") == [2])


async def test_discordpy_reads_the_audit_log_of_its_own_changes(
    discord_emulator: DiscordEmulator, bot_runner
) -> None:
    emu = discord_emulator
    alice, bob = emu.create_user("alice"), emu.create_user("bob")
    guild = emu.create_guild("Audited", members=[alice, bob])
    general = emu.channel_named(guild, "general")
    client = Recorder()
    await bot_runner(client)
    g = client.get_guild(guild.id)
    assert g is not None
    text = g.get_channel(general.id)
    assert isinstance(text, discord.TextChannel)

    role = await g.create_role(name="crew", colour=discord.Colour(0x00FF00), reason="new team")
    await role.edit(name="crew mates", hoist=True)
    member = g.get_member(alice.id)
    assert member is not None
    await member.add_roles(role)
    await member.edit(nick="Al")
    await text.edit(topic="Rules first", slowmode_delay=5, reason="tidy up")
    await text.set_permissions(role, send_messages=False)
    await text.set_permissions(role, overwrite=None)
    said = await emu.send_message(general, bob, "pin me")
    message = await text.fetch_message(said.id)
    await message.pin()
    await message.delete()
    extra = await g.create_text_channel("extra")
    await extra.delete()
    await g.edit(name="Audited Guild")
    emoji = await g.create_custom_emoji(name="blob", image=b"\x89PNG\r\n\x1a\n" + bytes(32))
    await emoji.delete()
    await g.get_member(bob.id).kick(reason="later")  # type: ignore[union-attr]

    actions = {e.action async for e in g.audit_logs(limit=100)}
    A = discord.AuditLogAction
    expected = {
        A.role_create, A.role_update, A.member_role_update, A.member_update, A.channel_update,
        A.overwrite_create, A.overwrite_delete, A.message_pin, A.message_delete, A.channel_create,
        A.channel_delete, A.guild_update, A.emoji_create, A.emoji_delete, A.kick,
    }  # fmt: skip
    assert expected <= actions, sorted(a.name for a in expected - actions)
    created = [e async for e in g.audit_logs(action=A.role_create)]
    assert created[0].reason == "new team" and created[0].after.colour == discord.Colour(0x00FF00)
    updated = [e async for e in g.audit_logs(action=A.channel_update)]
    assert updated[0].after.topic == "Rules first" and updated[0].after.slowmode_delay == 5
    oldest = [e async for e in g.audit_logs(oldest_first=True, limit=2)]
    assert oldest[0].action is A.role_create
    by_user = [e async for e in g.audit_logs(user=discord.Object(alice.id))]
    assert by_user == []
    await until(lambda: "kick" in client.got("audit"))
