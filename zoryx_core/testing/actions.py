"""Acting as a Discord user: messages, slash commands, buttons, selects, modals, reactions."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .interactions_state import InteractionRecord, InteractionRegistry
from .models import ApplicationCommand, Channel, ChannelType, Guild, Member, Message, Role, User
from .mutations import build_message, post_message
from .permissions import channel_permissions, sees_thread
from .routes.automod import check_automod
from .routes.messages import add_reaction
from .routes.threads import reopen_for_message
from .scenario import object_id

if TYPE_CHECKING:
    from .server import DiscordEmulator
    from .state import EmulatorState

__all__ = ["InteractionResult", "UserActionsMixin"]

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
_SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
_RESOLVABLE = {6: "users", 7: "channels", 8: "roles", 9: "mentionable"}


@dataclass
class InteractionResult:
    """What the bot answered to one interaction, read from the emulator's state."""

    emulator: DiscordEmulator
    record: InteractionRecord

    @property
    def response_type(self) -> int | None:
        """The callback type (4 message, 5 deferred, 6 deferred update, 7 update, 8 autocomplete, 9 modal)."""
        return self.record.response_type

    @property
    def message(self) -> Message | None:
        """The response message (type 4 or 5), or the updated message (type 6 or 7)."""
        message_id = self.record.original_message_id or self.record.message_id
        if message_id is None:
            return None
        channel_messages = self.emulator.state.messages.get(self.record.channel_id)
        return channel_messages.get(message_id) if channel_messages is not None else None

    @property
    def content(self) -> str:
        message = self.message
        return message.content if message else ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        message = self.message
        return message.embeds if message else []

    @property
    def ephemeral(self) -> bool:
        message = self.message
        return bool(message and message.ephemeral)

    @property
    def modal(self) -> dict[str, Any] | None:
        return self.record.modal

    @property
    def choices(self) -> list[dict[str, Any]] | None:
        return self.record.autocomplete_choices

    @property
    def followups(self) -> list[Message]:
        channel_messages = self.emulator.state.messages.get(self.record.channel_id)
        if channel_messages is None:
            return []
        return [channel_messages[m] for m in self.record.followup_ids if m in channel_messages]

    async def wait_for_followup(self, count: int = 1, timeout: float = 5.0) -> list[Message]:
        """Waits until the bot sent at least ``count`` follow-up messages."""
        async with asyncio.timeout(timeout):
            while len(self.record.followup_ids) < count:
                self.record.followup_added.clear()
                await self.record.followup_added.wait()
        return self.followups

    async def wait_for_edit(self, timeout: float = 5.0) -> Message:
        """Waits until a deferred response has been edited into its final message."""
        async with asyncio.timeout(timeout):
            while True:
                message = self.message
                if message is not None and not message.flags & 128:
                    return message
                self.record.followup_added.clear()
                await self.record.followup_added.wait()


class UserActionsMixin:
    """User-side actions for :class:`~zoryx_core.testing.DiscordEmulator`."""

    state: EmulatorState
    bot_user: User
    application_id: int
    interactions: InteractionRegistry

    # -- messages ---------------------------------------------------------------------------------
    async def send_message(
        self,
        channel: Channel,
        author: User | Member,
        content: str = "",
        *,
        embeds: list[dict[str, Any]] | None = None,
        reply_to: Message | None = None,
    ) -> Message:
        """Posts a message as ``author``; the bot receives MESSAGE_CREATE."""
        user_id = object_id(author)
        self._require_member(channel, user_id)
        if channel.thread is not None and channel.guild_id is not None:
            self._require_thread_view(self.state.guilds[channel.guild_id], channel, user_id)
        emu: DiscordEmulator = self  # type: ignore[assignment]
        body: dict[str, Any] = {"content": content, "embeds": embeds or []}
        if reply_to is not None:
            body["message_reference"] = {"message_id": reply_to.id, "channel_id": reply_to.channel_id}
        message = build_message(emu, channel, user_id, body)
        if channel.guild_id is not None:
            guild = self.state.guilds[channel.guild_id]
            if channel.thread is not None:
                reopen_for_message(emu, channel, user_id)
            if guild.automod_rules and check_automod(emu, guild, message):
                return message  # blocked by AutoMod: never posted
        return post_message(emu, message)

    async def wait_for_message(
        self,
        channel: Channel | None = None,
        *,
        author: User | Member | None = None,
        after: Message | int | None = None,
        timeout: float = 5.0,
    ) -> Message:
        """The first message (by the bot unless ``author`` says otherwise) newer than ``after``."""
        author_id = object_id(author) if author is not None else self.bot_user.id
        after_id = object_id(after) if after is not None else 0
        future = self.state.wait_for_message(
            channel_id=channel.id if channel else None, author_id=author_id, after_id=after_id
        )
        if future.done():  # already stored
            return future.result()
        # the emulator's one timer for every wait fails the future: cheaper than wait_for or a
        # timer per wait, which matters to drivers waiting on every message
        deadlines = self.state.deadlines
        ticket = deadlines.add(future, timeout)
        try:
            return await future
        except TimeoutError:
            where = f"#{channel.name}" if channel else "any channel"
            raise TimeoutError(f"no message from user {author_id} in {where} within {timeout}s") from None
        finally:
            deadlines.discard(future, ticket)

    async def converse(
        self, channel: Channel, author: User | Member, content: str, *, timeout: float = 5.0
    ) -> Message:
        """Sends ``content`` as ``author`` and returns the bot's first reply in that channel."""
        sent = await self.send_message(channel, author, content)
        return await self.wait_for_message(channel, after=sent, timeout=timeout)

    async def add_reaction(self, message: Message, emoji: str, user: User | Member) -> None:
        add_reaction(self, message, object_id(user), emoji)  # type: ignore[arg-type]

    # -- application commands ---------------------------------------------------------------------
    def find_command(self, name: str, *, guild_id: int | None = None, type: int = 1) -> ApplicationCommand:
        """A registered command by name, guild commands first; LookupError names what is registered."""
        scopes = []
        if guild_id is not None:
            scopes.append(self.state.guild_commands.get(guild_id, {}))
        scopes.append(self.state.global_commands)
        for scope in scopes:
            for command in scope.values():
                if command.name == name and command.type == type:
                    return command
        known = sorted(c.name for s in scopes for c in s.values())
        raise LookupError(
            f"no command {name!r} of type {type} is registered (did the bot sync?); registered: {known}"
        )

    async def run_slash(
        self,
        command: str,
        *,
        channel: Channel,
        user: User | Member,
        options: dict[str, Any] | None = None,
        timeout: float = 5.0,
    ) -> InteractionResult:
        """Runs ``/command`` (``"group sub"`` for subcommands) and waits for the bot's first response."""
        name, *path = command.split()
        registered = self.find_command(name, guild_id=channel.guild_id)
        resolved: dict[str, dict[str, Any]] = {}
        option_defs = registered.options
        built = self._build_options(option_defs, path, options or {}, channel, resolved)
        data: dict[str, Any] = {
            "id": str(registered.id),
            "name": registered.name,
            "type": 1,
            "options": built,
        }
        if registered.guild_id:
            data["guild_id"] = str(registered.guild_id)
        if resolved:
            data["resolved"] = resolved
        return await self._interact(2, channel, user, data, timeout=timeout, label=f"/{command}")

    async def run_context_command(
        self,
        name: str,
        target: Message | User | Member,
        *,
        channel: Channel,
        user: User | Member,
        timeout: float = 5.0,
    ) -> InteractionResult:
        """Runs a user (right-click on a member) or message context-menu command."""
        kind = 3 if isinstance(target, Message) else 2
        registered = self.find_command(name, guild_id=channel.guild_id, type=kind)
        resolved: dict[str, dict[str, Any]] = {}
        if isinstance(target, Message):
            resolved["messages"] = {
                str(target.id): self.state.message_payload(target, viewer_id=self.bot_user.id)
            }
        else:
            self._resolve_user(object_id(target), channel, resolved)
        data = {
            "id": str(registered.id),
            "name": name,
            "type": kind,
            "target_id": str(object_id(target)),
            "resolved": resolved,
        }
        return await self._interact(2, channel, user, data, timeout=timeout, label=name)

    async def autocomplete(
        self,
        command: str,
        *,
        focused: str,
        value: str,
        channel: Channel,
        user: User | Member,
        options: dict[str, Any] | None = None,
        timeout: float = 5.0,
    ) -> list[dict[str, Any]]:
        """Asks the bot for autocomplete choices for option ``focused`` typed so far as ``value``."""
        name, *path = command.split()
        registered = self.find_command(name, guild_id=channel.guild_id)
        built = self._build_options(
            registered.options, path, {**(options or {}), focused: value}, channel, {}
        )
        for option in self._leaf_options(built):
            if option["name"] == focused:
                option["focused"] = True
        data = {"id": str(registered.id), "name": registered.name, "type": 1, "options": built}
        result = await self._interact(
            4, channel, user, data, timeout=timeout, label=f"autocomplete /{command}"
        )
        return result.choices or []

    # -- components and modals --------------------------------------------------------------------
    async def click(
        self,
        message: Message,
        *,
        user: User | Member,
        custom_id: str | None = None,
        label: str | None = None,
        timeout: float = 5.0,
    ) -> InteractionResult:
        """Clicks a button found by ``custom_id`` or ``label``."""
        button = self._find_component(
            message,
            lambda c: (
                c.get("type") == 2
                and (
                    (custom_id is not None and c.get("custom_id") == custom_id)
                    or (label is not None and c.get("label") == label)
                )
            ),
        )
        if button.get("disabled"):
            raise ValueError(f"button {button.get('label') or button.get('custom_id')!r} is disabled")
        data = {"custom_id": button["custom_id"], "component_type": 2}
        return await self._component(message, user, data, timeout)

    async def choose(
        self,
        message: Message,
        values: list[Any] | None = None,
        *,
        user: User | Member,
        custom_id: str | None = None,
        labels: list[str] | None = None,
        timeout: float = 5.0,
    ) -> InteractionResult:
        """Chooses in a select menu (the first on the message unless ``custom_id`` names one):
        ``values``, or the options shown as ``labels``. In user, role, mentionable and channel
        selects, ``values`` are those objects (or ids) and the bot gets them in ``data.resolved``."""
        select = self._find_component(
            message,
            lambda c: (
                c.get("type") in _SELECT_TYPES and (custom_id is None or c.get("custom_id") == custom_id)
            ),
        )
        if select.get("disabled"):
            raise ValueError(f"select {select.get('custom_id')!r} is disabled")
        options = select.get("options") or []
        if labels is not None:
            by_label = {o["label"]: o["value"] for o in options}
            missing = [label for label in labels if label not in by_label]
            if missing:
                raise ValueError(f"labels {missing} are not among the select's options {sorted(by_label)}")
            values = [by_label[label] for label in labels]
        if values is None:
            raise TypeError("choose() needs values or labels")
        allowed = {o["value"] for o in options}
        data: dict[str, Any] = {"custom_id": select["custom_id"], "component_type": select["type"]}
        if select.get("type") == 3:
            if not set(values) <= allowed:
                raise ValueError(f"values {values} are not among the select's options {sorted(allowed)}")
            data["values"] = values
        else:
            channel = self.state.channels[message.channel_id]
            resolved: dict[str, dict[str, Any]] = {}
            kind = {5: 6, 6: 8, 7: 9, 8: 7}[select["type"]]  # select type -> option type it resolves like
            data["values"] = [self._resolve(kind, v, channel, resolved) for v in values]
            data["resolved"] = resolved
        return await self._component(message, user, data, timeout)

    async def submit_modal(
        self,
        opened: InteractionResult,
        values: dict[str, str],
        *,
        user: User | Member | None = None,
        timeout: float = 5.0,
    ) -> InteractionResult:
        """Submits the modal the bot opened in ``opened``; ``values`` are keyed by text input custom_id."""
        modal = opened.modal
        if modal is None:
            raise ValueError("the bot did not answer that interaction with a modal")
        submitted = []
        for component in modal.get("components") or []:
            if component.get("type") == 18:  # label wrapping one input
                submitted.append({"type": 18, "component": self._input_value(component["component"], values)})
            else:
                children = [self._input_value(c, values) for c in component.get("components") or []]
                submitted.append({"type": 1, "components": children})
        data = {"custom_id": modal["custom_id"], "components": submitted}
        record = opened.record
        channel = self.state.channels[record.channel_id]
        who: User | Member | int = user if user is not None else record.user_id
        return await self._interact(
            5,
            channel,
            who,
            data,
            timeout=timeout,
            message_id=record.message_id,
            label=f"modal {modal['custom_id']}",
        )

    # -- internals --------------------------------------------------------------------------------
    @staticmethod
    def _input_value(component: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
        custom_id = component.get("custom_id", "")
        if component.get("type") == 4:
            return {
                "type": 4,
                "custom_id": custom_id,
                "value": values.get(custom_id, component.get("value") or ""),
            }
        return {"type": component.get("type"), "custom_id": custom_id, "values": values.get(custom_id, [])}

    def _require_thread_view(self, guild: Guild, thread: Channel, user_id: int) -> None:
        parent = self.state.channels.get(thread.parent_id or 0, thread)
        if not sees_thread(guild, parent, thread, user_id):
            raise ValueError(
                f"user {user_id} cannot see thread #{thread.name}: it takes View Channel in its "
                "channel and, for a private thread, being added to it (join_thread) or Manage Threads"
            )

    def _require_member(self, channel: Channel, user_id: int) -> None:
        if channel.guild_id is not None and user_id not in self.state.guilds[channel.guild_id].members:
            raise ValueError(f"user {user_id} is not a member of the guild of #{channel.name}")

    def _build_options(
        self,
        defs: list[dict[str, Any]],
        path: list[str],
        given: dict[str, Any],
        channel: Channel,
        resolved: dict[str, dict[str, Any]],
    ) -> list[dict[str, Any]]:
        if path:
            sub = next((d for d in defs if d["name"] == path[0] and d.get("type") in (1, 2)), None)
            if sub is None:
                raise LookupError(f"no subcommand {path[0]!r}; known: {[d['name'] for d in defs]}")
            inner = self._build_options(sub.get("options") or [], path[1:], given, channel, resolved)
            return [{"name": sub["name"], "type": sub["type"], "options": inner}]
        by_name = {d["name"]: d for d in defs}
        unknown = set(given) - set(by_name)
        if unknown:
            raise LookupError(f"unknown options {sorted(unknown)}; the command takes {sorted(by_name)}")
        missing = [d["name"] for d in defs if d.get("required") and d["name"] not in given]
        if missing:
            raise ValueError(f"required options missing: {missing}")
        built = []
        for name, value in given.items():
            kind = int(by_name[name].get("type", 3))
            if kind in _RESOLVABLE:
                value = self._resolve(kind, value, channel, resolved)
            built.append({"name": name, "type": kind, "value": value})
        return built

    @staticmethod
    def _leaf_options(options: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for option in options:
            if "options" in option:
                yield from UserActionsMixin._leaf_options(option["options"])
            else:
                yield option

    def _resolve(self, kind: int, value: Any, channel: Channel, resolved: dict[str, dict[str, Any]]) -> str:
        target_id = object_id(value)
        guild = self.state.guilds.get(channel.guild_id or 0)
        mentioned_role = kind == 9 and guild is not None and target_id in guild.roles
        if isinstance(value, Role) or kind == 8 or mentioned_role:
            guild = self.state.guilds[channel.guild_id or 0]
            resolved.setdefault("roles", {})[str(target_id)] = guild.roles[target_id].payload()
        elif isinstance(value, Channel) or kind == 7:
            target = self.state.channels[target_id]
            resolved.setdefault("channels", {})[str(target_id)] = target.payload() | {"permissions": "0"}
        else:
            self._resolve_user(target_id, channel, resolved)
        return str(target_id)

    def _resolve_user(self, user_id: int, channel: Channel, resolved: dict[str, dict[str, Any]]) -> None:
        resolved.setdefault("users", {})[str(user_id)] = self.state.users[user_id].payload()
        guild = self.state.guilds.get(channel.guild_id or 0)
        if guild is not None and user_id in guild.members:
            member = self.state.member_payload(guild.members[user_id])
            member.pop("user")
            resolved.setdefault("members", {})[str(user_id)] = member | {"permissions": "0"}

    def _find_component(self, message: Message, predicate: Any) -> dict[str, Any]:
        def walk(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
            for component in components:
                yield component
                yield from walk(component.get("components") or [])
                if "accessory" in component:
                    yield component["accessory"]

        for component in walk(message.components):
            if predicate(component):
                return component
        raise LookupError(f"message {message.id} has no such component")

    async def _component(
        self, message: Message, user: User | Member, data: dict[str, Any], timeout: float
    ) -> InteractionResult:
        channel = self.state.channels[message.channel_id]
        return await self._interact(
            3,
            channel,
            user,
            data,
            timeout=timeout,
            message_id=message.id,
            label=f"component {data['custom_id']}",
        )

    async def _interact(
        self,
        kind: int,
        channel: Channel,
        user: User | Member | int,
        data: dict[str, Any],
        *,
        timeout: float,
        message_id: int | None = None,
        label: str,
    ) -> InteractionResult:
        emu: DiscordEmulator = self  # type: ignore[assignment]
        user_id = object_id(user)
        self._require_member(channel, user_id)
        record = self.interactions.new(
            self.state.ids.next(),
            type=kind,
            user_id=user_id,
            channel_id=channel.id,
            guild_id=channel.guild_id,
            data=data,
            message_id=message_id,
        )
        emu.dispatch("INTERACTION_CREATE", self._interaction_payload(record), guild_id=channel.guild_id)
        try:
            await asyncio.wait_for(record.responded.wait(), timeout)
        except TimeoutError:
            raise TimeoutError(f"the bot did not respond to {label} within {timeout}s") from None
        return InteractionResult(emu, record)

    def _interaction_payload(self, record: InteractionRecord) -> dict[str, Any]:
        channel = self.state.channels[record.channel_id]
        payload: dict[str, Any] = {
            "id": str(record.id),
            "application_id": str(self.application_id),
            "type": record.type,
            "token": record.token,
            "version": 1,
            "data": record.data,
            "channel_id": str(channel.id),
            "channel": channel.payload(self.state.users),
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if record.guild_id is not None:
            guild = self.state.guilds[record.guild_id]
            member = self.state.member_payload(guild.members[record.user_id])
            member["permissions"] = str(channel_permissions(guild, channel, record.user_id))
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                member=member,
                app_permissions=str(channel_permissions(guild, channel, self.bot_user.id)),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            payload.update(
                user=self.state.users[record.user_id].payload(),
                app_permissions="0",
                authorizing_integration_owners={"0": str(record.user_id)},
                context=1 if channel.type == ChannelType.DM else 2,
            )
        if record.message_id is not None:
            message = self.state.messages[channel.id][record.message_id]
            payload["message"] = self.state.message_payload(message, viewer_id=self.bot_user.id)
        return payload
