"""Cogs written the way community bots write them, run unchanged with real discord.py against the
emulator over real sockets: moderation with a mod log, tickets in private threads, a webhook logger,
an invite tracker, and polls (issue 17)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

import discord
import pytest
from discord.ext import commands

from tests.conftest import make_bot
from zoryx_core.testing import DiscordEmulator, Message

pytestmark = pytest.mark.emulator_strict_routes


async def until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Waits for ``condition`` to hold, checking every few milliseconds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def last_message(emu: DiscordEmulator, channel: object) -> Message | None:
    messages = emu.messages_in(channel)  # type: ignore[arg-type]
    return messages[-1] if messages else None


# -- moderation ---------------------------------------------------------------------------------------
class Moderation(commands.Cog):
    """Ban, unban, kick, timeout and purge, each written to #mod-log from the audit log."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @commands.command()
    @commands.has_permissions(ban_members=True)
    async def ban(self, ctx: commands.Context[commands.Bot], member: discord.Member, *, reason: str) -> None:
        await member.ban(reason=reason, delete_message_seconds=3600)
        await ctx.send(f"banned {member.name}")

    @commands.command()
    @commands.has_permissions(ban_members=True)
    async def unban(self, ctx: commands.Context[commands.Bot], user_id: int) -> None:
        assert ctx.guild is not None
        ban = await ctx.guild.fetch_ban(discord.Object(user_id))
        await ctx.guild.unban(ban.user, reason="appeal accepted")
        await ctx.send(f"unbanned {ban.user.name} (was: {ban.reason})")

    @commands.command()
    @commands.has_permissions(kick_members=True)
    async def kick(self, ctx: commands.Context[commands.Bot], member: discord.Member, *, reason: str) -> None:
        await member.kick(reason=reason)
        await ctx.send(f"kicked {member.name}")

    @commands.command()
    @commands.has_permissions(moderate_members=True)
    async def timeout(
        self, ctx: commands.Context[commands.Bot], member: discord.Member, minutes: int
    ) -> None:
        await member.timeout(dt.timedelta(minutes=minutes), reason="cool down")
        await ctx.send(f"timed out {member.name} for {minutes} minutes")

    @commands.command()
    @commands.has_permissions(manage_messages=True)
    async def purge(self, ctx: commands.Context[commands.Bot], count: int) -> None:
        assert isinstance(ctx.channel, discord.TextChannel)
        deleted = await ctx.channel.purge(limit=count + 1)  # the command itself too
        await ctx.send(f"purged {len(deleted) - 1} messages", delete_after=None)

    async def _mod_log(self, guild: discord.Guild, text: str) -> None:
        channel = discord.utils.get(guild.text_channels, name="mod-log")
        assert channel is not None
        await channel.send(text)

    async def _entry(
        self, guild: discord.Guild, action: discord.AuditLogAction, target_id: int
    ) -> discord.AuditLogEntry:
        async for entry in guild.audit_logs(limit=10, action=action):
            if entry.target is not None and entry.target.id == target_id:
                return entry
        raise LookupError(f"no {action} entry for {target_id}")

    @commands.Cog.listener()
    async def on_member_ban(self, guild: discord.Guild, user: discord.User) -> None:
        entry = await self._entry(guild, discord.AuditLogAction.ban, user.id)
        await self._mod_log(
            guild, f"ban: {user.name} by {entry.user.name if entry.user else '?'}: {entry.reason}"
        )

    @commands.Cog.listener()
    async def on_member_unban(self, guild: discord.Guild, user: discord.User) -> None:
        entry = await self._entry(guild, discord.AuditLogAction.unban, user.id)
        await self._mod_log(guild, f"unban: {user.name}: {entry.reason}")

    @commands.Cog.listener()
    async def on_audit_log_entry_create(self, entry: discord.AuditLogEntry) -> None:
        if entry.action is discord.AuditLogAction.kick:
            target = entry.target.id if entry.target else 0
            await self._mod_log(entry.guild, f"kick: {target}: {entry.reason}")
        elif entry.action is discord.AuditLogAction.member_update and entry.after.timed_out_until:
            await self._mod_log(
                entry.guild, f"timeout: {entry.target.id if entry.target else 0}: {entry.reason}"
            )


async def test_moderation_cog(discord_emulator: DiscordEmulator, bot_runner) -> None:
    emu = discord_emulator
    mod, spammer, troll, lurker = (emu.create_user(n) for n in ("mod", "spammer", "troll", "lurker"))
    guild = emu.create_guild(
        "Moderated", members=[mod, spammer, troll, lurker], text_channels=("general", "mod-log")
    )
    moderators = emu.create_role(
        guild, "moderators", permissions=discord.Permissions(administrator=True).value
    )
    emu.set_member_roles(guild, mod, [moderators])
    general, mod_log = emu.channel_named(guild, "general"), emu.channel_named(guild, "mod-log")
    bot = make_bot(members=True)
    await bot.add_cog(Moderation(bot))
    await bot_runner(bot)

    # ban with a reason and the last hour's messages deleted; the mod log names moderator and reason
    spam = [await emu.send_message(general, spammer, f"cheap pills {i}") for i in range(3)]
    reply = await emu.converse(general, mod, f"!ban <@{spammer.id}> posting spam links")
    assert reply.content == "banned spammer"
    assert spammer.id in guild.bans and spammer.id not in guild.members
    assert all(m.id not in emu.state.messages[general.id] for m in spam)
    logged = await emu.wait_for_message(mod_log, after=reply)
    assert logged.content == f"ban: spammer by {emu.bot_user.username}: posting spam links"
    with pytest.raises(ValueError, match="banned"):
        emu.join_by_invite(emu.create_invite(general, mod), spammer)

    # unban reads the ban first
    reply = await emu.converse(general, mod, f"!unban {spammer.id}")
    assert reply.content == "unbanned spammer (was: posting spam links)"
    assert spammer.id not in guild.bans
    logged = await emu.wait_for_message(mod_log, after=reply)
    assert logged.content == "unban: spammer: appeal accepted"

    # kick and timeout, logged from GUILD_AUDIT_LOG_ENTRY_CREATE
    reply = await emu.converse(general, mod, f"!kick <@{troll.id}> trolling")
    assert reply.content == "kicked troll" and troll.id not in guild.members
    logged = await emu.wait_for_message(mod_log, after=reply)
    assert logged.content == f"kick: {troll.id}: trolling"
    reply = await emu.converse(general, mod, f"!timeout <@{lurker.id}> 10")
    assert reply.content == "timed out lurker for 10 minutes"
    assert guild.members[lurker.id].communication_disabled_until is not None
    logged = await emu.wait_for_message(mod_log, after=reply)
    assert logged.content == f"timeout: {lurker.id}: cool down"

    # purge: bulk delete of the last messages and the command
    chatter = [await emu.send_message(general, lurker, f"chatter {i}") for i in range(4)]
    reply = await emu.converse(general, mod, "!purge 4")
    assert reply.content == "purged 4 messages"
    assert all(m.id not in emu.state.messages[general.id] for m in chatter)
    assert emu.requests_to("POST /channels/{channel_id}/messages/bulk-delete")

    # the audit log holds what the bot did, filterable by action and user
    actions = [e.action_type for e in guild.audit_log]
    assert {22, 23, 20, 24} <= set(actions)
    assert any(e.reason == "posting spam links" for e in guild.audit_log)


# -- tickets --------------------------------------------------------------------------------------------
class CloseTicket(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Close", custom_id="ticket:close", style=discord.ButtonStyle.danger)
    async def close(self, interaction: discord.Interaction, button: discord.ui.Button[CloseTicket]) -> None:
        await interaction.response.send_message("Closing this ticket.")
        assert isinstance(interaction.channel, discord.Thread)
        await interaction.channel.edit(archived=True, locked=True)


class OpenTicket(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Open a ticket", custom_id="ticket:open", style=discord.ButtonStyle.primary)
    async def open(self, interaction: discord.Interaction, button: discord.ui.Button[OpenTicket]) -> None:
        assert isinstance(interaction.channel, discord.TextChannel) and interaction.guild is not None
        thread = await interaction.channel.create_thread(
            name=f"ticket-{interaction.user.name}", type=discord.ChannelType.private_thread, invitable=False
        )
        await thread.add_user(interaction.user)
        staff = discord.utils.get(interaction.guild.roles, name="staff")
        assert staff is not None
        for member in staff.members:
            await thread.add_user(member)
        await thread.send(f"{interaction.user.mention}, staff will be with you.", view=CloseTicket())
        await interaction.response.send_message(f"Ticket opened: {thread.mention}", ephemeral=True)


class Tickets(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_view(OpenTicket())
        self.bot.add_view(CloseTicket())

    @commands.command()
    async def tickets(self, ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send("Need help? Open a ticket.", view=OpenTicket())


async def test_ticket_cog(discord_emulator: DiscordEmulator, bot_runner) -> None:
    emu = discord_emulator
    alice, helper = emu.create_user("alice"), emu.create_user("helper")
    guild = emu.create_guild("Support", members=[alice, helper], text_channels=("support",))
    emu.set_member_roles(guild, helper, [emu.create_role(guild, "staff")])
    support = emu.channel_named(guild, "support")
    bot = make_bot(members=True)
    await bot.add_cog(Tickets(bot))
    await bot_runner(bot)

    panel = await emu.converse(support, alice, "!tickets")
    opened = await emu.click(panel, user=alice, label="Open a ticket")
    assert opened.ephemeral and opened.content.startswith("Ticket opened: <#")
    thread = next(c for c in emu.state.channels.values() if c.thread is not None)
    assert thread.type == 12 and thread.name == "ticket-alice" and thread.parent_id == support.id
    assert thread.thread is not None and not thread.thread.invitable
    assert {alice.id, helper.id, emu.bot_user.id} <= set(thread.thread.member_ids)
    welcome = await emu.wait_for_message(thread)
    assert welcome.content == f"<@{alice.id}>, staff will be with you."

    await emu.send_message(thread, alice, "my order never arrived")
    closed = await emu.click(welcome, user=helper, label="Close")
    assert closed.content == "Closing this ticket."
    await until(lambda: thread.thread is not None and thread.thread.archived)
    assert thread.thread.locked
    with pytest.raises(Exception, match="locked"):
        await emu.send_message(thread, alice, "hello?")


# -- a webhook logger ---------------------------------------------------------------------------------
class Logger(commands.Cog):
    """Relays #general to #logs through a webhook it creates; logs edits and deletions."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.webhook: discord.Webhook | None = None

    async def _hook(self, guild: discord.Guild) -> discord.Webhook:
        if self.webhook is None:
            logs = discord.utils.get(guild.text_channels, name="logs")
            assert logs is not None
            existing = [w for w in await logs.webhooks() if w.name == "Logger"]
            self.webhook = existing[0] if existing else await logs.create_webhook(name="Logger")
        return self.webhook

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if (
            message.guild is None
            or message.webhook_id
            or message.author.bot
            or message.channel.name != "general"
        ):
            return
        hook = await self._hook(message.guild)
        await hook.send(message.content, username=message.author.display_name, wait=True)

    @commands.Cog.listener()
    async def on_message_edit(self, before: discord.Message, after: discord.Message) -> None:
        if after.guild is None or after.author.bot:
            return
        hook = await self._hook(after.guild)
        await hook.send(f"edited: {before.content!r} -> {after.content!r}", username="Logger")

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        cached = payload.cached_message
        if cached is None or cached.author.bot or cached.guild is None:
            return
        hook = await self._hook(cached.guild)
        await hook.send(f"deleted: {cached.content!r} by {cached.author.name}", username="Logger")


async def test_webhook_logger(discord_emulator: DiscordEmulator, bot_runner) -> None:
    emu = discord_emulator
    alice = emu.create_user("alice", global_name="Alice A.")
    guild = emu.create_guild("Logged", members=[alice], text_channels=("general", "logs"))
    general, logs = emu.channel_named(guild, "general"), emu.channel_named(guild, "logs")
    bot = make_bot()
    await bot.add_cog(Logger(bot))
    await bot_runner(bot)

    said = await emu.send_message(general, alice, "hello everyone")
    await until(lambda: len(emu.messages_in(logs)) == 1)
    relayed = emu.messages_in(logs)[0]
    assert relayed.content == "hello everyone" and relayed.webhook_id is not None
    payload = emu.state.message_payload(relayed, viewer_id=0)
    assert payload["author"]["username"] == "Alice A." and payload["webhook_id"] == str(relayed.webhook_id)
    webhook = emu.state.webhooks[relayed.webhook_id]
    assert webhook.name == "Logger" and webhook.channel_id == logs.id

    await emu.edit_message(said, "hello everybody")
    await until(lambda: len(emu.messages_in(logs)) == 2)
    assert emu.messages_in(logs)[1].content == "edited: 'hello everyone' -> 'hello everybody'"
    await emu.delete_message(said)
    await until(lambda: len(emu.messages_in(logs)) == 3)
    assert emu.messages_in(logs)[2].content == "deleted: 'hello everybody' by alice"
    assert len([w for w in emu.state.webhooks.values() if w.name == "Logger"]) == 1


# -- an invite tracker ------------------------------------------------------------------------------------
class InviteTracker(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.uses: dict[str, int] = {}
        self.inviters: dict[str, str] = {}

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        for guild in self.bot.guilds:
            for invite in await guild.invites():
                self.uses[invite.code] = invite.uses or 0

                self.inviters[invite.code] = invite.inviter.name if invite.inviter else "?"

    @commands.Cog.listener()
    async def on_invite_create(self, invite: discord.Invite) -> None:
        self.uses[invite.code] = invite.uses or 0
        self.inviters[invite.code] = invite.inviter.name if invite.inviter else "?"

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        used = None
        current = await member.guild.invites()
        for invite in current:
            if (invite.uses or 0) > self.uses.get(invite.code, 0):
                used = invite.code
            self.uses[invite.code] = invite.uses or 0
        if used is None:  # a single-use invite is gone once used
            vanished = set(self.uses) - {i.code for i in current}
            used = vanished.pop() if len(vanished) == 1 else None
            if used is not None:
                del self.uses[used]
        channel = member.guild.system_channel
        assert channel is not None
        if used is None:
            await channel.send(f"{member.name} joined; invite unknown")
        else:
            await channel.send(f"{member.name} joined with {used}, invited by {self.inviters.get(used, '?')}")


async def test_invite_tracker(discord_emulator: DiscordEmulator, bot_runner) -> None:
    emu = discord_emulator
    alice, bob = emu.create_user("alice"), emu.create_user("bob")
    guild = emu.create_guild("Growing", members=[alice, bob])
    general = emu.channel_named(guild, "general")
    from_alice = emu.create_invite(general, alice)
    bot = make_bot(members=True)
    bot.intents.invites = True
    tracker = InviteTracker(bot)
    await bot.add_cog(tracker)
    await bot_runner(bot)
    await until(lambda: from_alice.code in tracker.uses)
    from_bob = emu.create_invite(general, bob, max_uses=1)
    await until(lambda: from_bob.code in tracker.uses)

    emu.join_by_invite(from_bob, "carol")
    said = await emu.wait_for_message(general)
    assert said.content == f"carol joined with {from_bob.code}, invited by bob"
    assert from_bob.code not in emu.state.invites  # used up, deleted
    emu.join_by_invite(from_alice, "dave")
    said = await emu.wait_for_message(general, after=said)
    assert said.content == f"dave joined with {from_alice.code}, invited by alice"
    assert from_alice.uses == 1


# -- polls ------------------------------------------------------------------------------------------------
class Lunch(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.poll_message: discord.Message | None = None
        self.votes: list[tuple[str, str]] = []

    @commands.command()
    async def lunch(self, ctx: commands.Context[commands.Bot]) -> None:
        poll = discord.Poll(question="Lunch?", duration=dt.timedelta(hours=1))
        for answer in ("Pizza", "Salad", "Soup"):
            poll.add_answer(text=answer)
        self.poll_message = await ctx.send(poll=poll)

    @commands.command()
    async def decide(self, ctx: commands.Context[commands.Bot]) -> None:
        assert self.poll_message is not None
        ended = await self.poll_message.end_poll()
        assert ended.poll is not None
        winner = max(ended.poll.answers, key=lambda a: a.vote_count)
        voters = [u.name async for u in winner.voters()]
        await ctx.send(f"{winner.text} wins with {winner.vote_count} votes ({', '.join(sorted(voters))})")

    @commands.Cog.listener()
    async def on_poll_vote_add(self, user: discord.User | discord.Member, answer: discord.PollAnswer) -> None:
        self.votes.append((user.name, answer.text))


async def test_poll_voted_and_ended(discord_emulator: DiscordEmulator, bot_runner) -> None:
    emu = discord_emulator
    voters = [emu.create_user(n) for n in ("ann", "ben", "cat")]
    guild = emu.create_guild("Hungry", members=voters)
    general = emu.channel_named(guild, "general")
    bot = make_bot(members=True)
    lunch = Lunch(bot)
    await bot.add_cog(lunch)
    await bot_runner(bot)

    sent = await emu.send_message(general, voters[0], "!lunch")
    poll = await emu.wait_for_message(general, after=sent)
    assert poll.poll is not None and [a["poll_media"]["text"] for a in poll.poll["answers"]] == [
        "Pizza",
        "Salad",
        "Soup",
    ]
    emu.vote(poll, voters[0], [1])
    emu.vote(poll, voters[1], [1])
    emu.vote(poll, voters[2], [2])
    emu.vote(poll, voters[2], [3])  # changes their mind: a remove, then an add
    await until(lambda: len(lunch.votes) == 4)
    assert lunch.votes[-1] == ("cat", "Soup")
    with pytest.raises(ValueError, match="one answer"):
        emu.vote(poll, voters[0], [1, 2])

    sent = await emu.send_message(general, voters[0], "!decide")
    decided = await emu.wait_for_message(general, after=sent)
    while decided.type == 46:  # Discord's poll result message comes first
        decided = await emu.wait_for_message(general, after=decided)
    assert decided.content == "Pizza wins with 2 votes (ann, ben)"
    assert poll.poll["is_finalized"]
