"""A conversation with a bot on the emulator: a person types as a guild member and sees what the bot does.

Each input is one action; afterwards everything the bot did in answer (new messages, edits,
interaction responses, follow-ups, reactions, deletions, a modal it opened) is drawn on the
console and returned as plain-text lines.

Input grammar
-------------
  TEXT                           send TEXT as a message in the current channel
  /NAME opt=value opt2="a b"     run a slash command (subcommands: /group sub opt=1)
  :click LABEL_OR_CUSTOM_ID      click a button on the newest bot message that has it
  :choose CUSTOM_ID v1,v2        choose values (or option labels) in a select menu
  :modal field=value ...         submit the modal the bot opened (field: input id or label)
  :react EMOJI                   react to the newest message in the channel (:unreact removes it)
  :menu NAME [USERNAME]          run a context-menu command on the newest message (or on a member)
  :leave                         the current member leaves the guild
  :kick USERNAME [reason]        the current member kicks USERNAME (:ban bans them)
  :as USERNAME                   act as another member (created and added to the guild if missing)
  :channel NAME                  switch to another channel of the guild
  :wait SECONDS                  wait, then show what the bot did meanwhile
  :help                          show this help
  :quit                          end the session
  \\TEXT                          send TEXT literally, even if it starts with / or :
  # comment, blank line          ignored

Slash-command values are typed from the command's options: whole numbers, numbers, booleans
(true/false, yes/no), users (name, @name, id or mention), channels (name or #name), roles (name or
@name). A choice may be given by its name. After a message the session waits until the bot has
been quiet for ``settle`` seconds, or prints ``(no reply)`` after ``reply_timeout``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shlex
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import discord
from rich.console import Console, RenderableType
from rich.text import Text

from ..testing import (
    Channel,
    ChannelType,
    DiscordEmulator,
    Guild,
    InteractionResult,
    Member,
    Message,
    Role,
    User,
)
from .markdown import MentionNames
from .render import modal_to_text, render_message, render_modal, renderable_to_text

__all__ = ["HELP_LINES", "SandboxSession"]

_POLL = 0.02
_EPHEMERAL = 64
_LOADING = 128
_SELECTS = frozenset({3, 5, 6, 7, 8})
_TRUE = frozenset({"true", "yes", "y", "on", "1"})
_FALSE = frozenset({"false", "no", "n", "off", "0"})


def _grammar() -> list[str]:
    doc = __doc__ or ""
    table = doc.split("-------------\n", 1)[-1].split("\n\n", 1)[0]
    return ["input:", *table.splitlines()]


#: What ``:help`` prints: the input grammar from this module's docstring.
HELP_LINES: list[str] = _grammar()


def _replace_names(text: str, sign: str, known: Mapping[str, str], form: str) -> str:
    """Each ``sign`` + a known name (longest first, any case, spaces allowed) becomes ``form``."""
    if not known:
        return text
    names = sorted(known, key=len, reverse=True)
    pattern = re.compile(
        rf"(?<![\w<]){re.escape(sign)}(" + "|".join(map(re.escape, names)) + r")(?![\w])", re.IGNORECASE
    )
    return pattern.sub(lambda m: form.format(known[m.group(1).lower()]), text)


class _InputError(Exception):
    """A mistake in what the person typed; shown as one ``error:`` line."""


@dataclass
class _Snapshot:
    """The messages the emulator holds and, for each, what an edit or reaction changes."""

    prints: dict[tuple[int, int], tuple[Any, ...]] = field(default_factory=dict)
    messages: dict[tuple[int, int], Message] = field(default_factory=dict)


class SandboxSession:
    """One person (switchable with ``:as``) talking to the bot in a guild of the emulator.

    The caller creates the emulator, the guild and the bot; the session only acts as the user and
    shows the bot's answers on ``console``. Every line shown is also appended to ``transcript``.
    ``user`` and ``channel`` follow ``:as`` and ``:channel``; ``modal`` is the interaction whose
    modal ``:modal`` submits next; ``finished`` turns true on ``:quit``.
    """

    def __init__(
        self,
        emulator: DiscordEmulator,
        guild: Guild,
        channel: Channel,
        user: User | Member,
        *,
        console: Console,
        reply_timeout: float = 5.0,
        settle: float = 0.3,
        bot: discord.Client | None = None,
    ) -> None:
        self.emulator = emulator
        self.bot = bot
        """The bot, when it runs in this process: a message it does not answer is then known as
        soon as the bot has received it and finished what it started, not after ``reply_timeout``."""
        self.guild = guild
        self.channel = channel
        self.user: User = emulator.state.users[user.user_id if isinstance(user, Member) else user.id]
        self.console = console
        self.reply_timeout = reply_timeout
        self.settle = settle
        self.transcript: list[str] = []
        self.finished = False
        self.modal: InteractionResult | None = None
        self._seen = self._snapshot()
        self._lines: list[str] = []

    # -- public API -------------------------------------------------------------------------------
    async def handle(self, line: str) -> list[str]:
        """Performs one input and shows what the bot did in answer; returns the lines shown.

        Mistakes in the input and interactions the bot does not answer are reported as lines;
        nothing the person types makes this raise.
        """
        self._lines = []
        text = line.strip()
        if not text or text.startswith("#"):
            return []
        self._catch_up()
        try:
            if text.startswith("\\"):
                await self._say(text[1:])
            elif text.startswith(":"):
                await self._command(text[1:])
            elif text.startswith("/"):
                await self._slash(text[1:])
            else:
                await self._say(text)
        except _InputError as exc:
            self._error(str(exc))
        except Exception as exc:  # an emulator refusal the checks above did not foresee
            self._error(f"{type(exc).__name__}: {exc}")
        return list(self._lines)

    async def run_script(self, lines: Iterable[str]) -> list[str]:
        """Plays ``lines`` as typed inputs, each echoed as ``user> input``; returns the whole transcript."""
        played: list[str] = []
        for raw in lines:
            text = raw.strip()
            if not text or text.startswith("#"):
                continue
            echo = f"{self.user.username}> {text}"
            self.console.print(Text(echo, style="bold green"))
            self.transcript.append(echo)
            played.append(echo)
            played.extend(await self.handle(text))
            if self.finished:
                break
        return played

    async def interactive(self, *, prompt: str = "> ") -> None:
        """Reads inputs from stdin until EOF or ``:quit``; the event loop (and the bot) keep running."""
        self._info(
            f"acting as {self.user.username} in #{self.channel.name} of {self.guild.name}; "
            ":help lists the commands, :quit ends"
        )
        while not self.finished:
            try:
                line = await self._read_line(f"{self.user.username}{prompt}")
            except EOFError:
                break
            if line.strip() and not line.strip().startswith("#"):
                self.transcript.append(f"{self.user.username}> {line.strip()}")
            await self.handle(line)

    # -- output -----------------------------------------------------------------------------------
    def _show(self, renderable: RenderableType, text: str) -> None:
        self.console.print(renderable)
        lines = text.splitlines()
        self._lines.extend(lines)
        self.transcript.extend(lines)

    def _info(self, text: str, style: str = "dim") -> None:
        self._show(Text(text, style=style), text)

    def _error(self, text: str) -> None:
        self._info(f"error: {text}", style="bold red")

    # -- inputs -----------------------------------------------------------------------------------
    def _typed_mentions(self, text: str) -> str:
        """``@alice`` and ``@Zoryx`` become user mentions and ``#random`` a channel mention, as
        Discord's client does when one picks them from its list."""
        names = self._mention_names()
        users = {name.lower(): user_id for user_id, name in names.users.items()}
        bot = self.emulator.bot_user
        users.setdefault((bot.global_name or bot.username).lower(), str(bot.id))
        for user_id in self.guild.members:
            user = self.emulator.state.users.get(user_id)
            if user is not None:
                users.setdefault(user.username.lower(), str(user_id))
        channels = {name.lower(): channel_id for channel_id, name in names.channels.items()}

        return _replace_names(_replace_names(text, "@", users, "<@{}>"), "#", channels, "<#{}>")

    async def _say(self, text: str) -> None:
        if not text:
            raise _InputError("nothing to send")
        text = self._typed_mentions(text)
        tasks = asyncio.all_tasks()
        counted = getattr(getattr(self.bot, "metrics", None), "messages", None)
        try:
            sent = await self.emulator.send_message(self.channel, self.user, text)
        except ValueError as exc:  # not a member of the guild
            raise _InputError(str(exc)) from None
        before = self._snapshot()  # taken after sending: the bot cannot have answered yet
        after = await self._settle(before, answered=False, idle=self._bot_idle(sent.id, tasks, counted))
        if not self._show_changes(before, after):
            self._info("(no reply)")

    async def _command(self, text: str) -> None:
        name, _, rest = text.partition(" ")
        rest = rest.strip()
        handlers: dict[str, Callable[[str], Any]] = {
            "click": self._click,
            "choose": self._choose,
            "modal": self._submit_modal,
            "react": self._react,
            "unreact": self._unreact,
            "menu": self._menu,
            "leave": self._leave,
            "kick": self._kick,
            "ban": self._ban,
            "as": self._act_as,
            "channel": self._switch_channel,
            "wait": self._wait,
            "help": self._help,
            "quit": self._quit,
        }
        handler = handlers.get(name.lower())
        if handler is None:
            raise _InputError(f"unknown command ':{name}' (type :help for the list)")
        result = handler(rest)
        if asyncio.iscoroutine(result):
            await result

    # -- reactions, context menus, leaving and moderation -------------------------------------------
    async def _observe(self, quiet: str = "(nothing happened)") -> None:
        """Shows what the bot did in answer to an action just taken."""
        before = self._snapshot()
        after = await self._settle(before, answered=False)
        if not self._show_changes(before, after):
            self._info(quiet)

    def _newest_message(self) -> Message:
        messages = [m for m in self.emulator.messages_in(self.channel) if not m.flags & _EPHEMERAL]
        if not messages:
            raise _InputError(f"#{self.channel.name} has no message yet")
        return messages[-1]

    async def _react(self, rest: str) -> None:
        emoji = _one_argument(rest, ":react EMOJI")
        await self.emulator.add_reaction(self._newest_message(), emoji, self.user)
        await self._observe()

    async def _unreact(self, rest: str) -> None:
        emoji = _one_argument(rest, ":unreact EMOJI")
        await self.emulator.remove_reaction(self._newest_message(), emoji, self.user)
        await self._observe()

    async def _menu(self, rest: str) -> None:
        parts = _split(rest)
        if not parts:
            raise _InputError("usage: :menu NAME [USERNAME]")
        target: Message | User
        if len(parts) > 1 and self._find_user(parts[-1]) is not None:
            name, target = " ".join(parts[:-1]), self._user_named(parts[-1], "target")
        else:
            name, target = " ".join(parts), self._newest_message()
        before = self._snapshot()
        try:
            result = await self.emulator.run_context_command(
                name, target, channel=self.channel, user=self.user, timeout=self.reply_timeout
            )
        except LookupError as exc:
            raise _InputError(str(exc)) from None
        except TimeoutError:
            self._no_response(f"menu {name}", before)
            return
        await self._show_interaction(result, before)

    def _find_user(self, value: str) -> User | None:
        name = value.lstrip("@")
        return next((u for u in self.emulator.state.users.values() if u.username == name), None)

    async def _leave(self, rest: str) -> None:
        if self.user.id == self.guild.owner_id:
            raise _InputError("the owner cannot leave the guild")
        self.emulator.leave_guild(self.guild, self.user)
        self._info(f"{self.user.username} left {self.guild.name}; use :as NAME to act as someone else")
        await self._observe()

    async def _moderate(self, rest: str, action: str) -> None:
        parts = _split(rest)
        if not parts:
            raise _InputError(f"usage: :{action} USERNAME [reason]")
        target = self._user_named(parts[0], action)
        reason = " ".join(parts[1:]) or None
        try:
            if action == "kick":
                self.emulator.kick_member(self.guild, target, by=self.user, reason=reason)
            else:
                self.emulator.ban_member(self.guild, target, by=self.user, reason=reason)
        except ValueError as exc:
            raise _InputError(str(exc)) from None
        await self._observe()

    async def _kick(self, rest: str) -> None:
        await self._moderate(rest, "kick")

    async def _ban(self, rest: str) -> None:
        await self._moderate(rest, "ban")

    def _help(self, rest: str) -> None:
        for line in HELP_LINES:
            self._info(line, style="")

    def _quit(self, rest: str) -> None:
        self.finished = True
        self._info("(session ended)")

    async def _wait(self, rest: str) -> None:
        try:
            seconds = float(rest)
        except ValueError:
            raise _InputError(f"usage: :wait SECONDS (got {rest!r})") from None
        if not 0 <= seconds <= 3600:
            raise _InputError("the wait must be between 0 and 3600 seconds")
        before = self._seen
        await asyncio.sleep(seconds)
        if not self._show_changes(before, self._snapshot()):
            self._info("(nothing happened)")

    def _act_as(self, rest: str) -> None:
        name = _one_argument(rest, ":as USERNAME").lstrip("@")
        user = next((u for u in self.emulator.state.users.values() if u.username == name), None)
        if user is not None and user.bot:
            raise _InputError(f"{name} is a bot; the sandbox acts as people")
        notes = []
        if user is None:
            user = self.emulator.create_user(name)
            notes.append("new user")
        if user.id not in self.guild.members:
            self.emulator.add_member(self.guild, user)
            notes.append(f"joined {self.guild.name}")
        self.user = user
        self.modal = None
        self._info(f"now acting as {name}" + (f" ({', '.join(notes)})" if notes else ""))

    def _switch_channel(self, rest: str) -> None:
        name = _one_argument(rest, ":channel NAME").lstrip("#")
        try:
            channel = self.emulator.channel_named(self.guild, name)
        except LookupError:
            known = ", ".join(f"#{c.name}" for c in self._text_channels())
            raise _InputError(f"no channel #{name} in {self.guild.name}; channels: {known}") from None
        if channel.type not in ChannelType.TEXT_TYPES:
            raise _InputError(f"#{name} is not a channel with messages")
        self.channel = channel
        self._info(f"now in #{channel.name}")

    # -- slash commands ---------------------------------------------------------------------------
    async def _slash(self, text: str) -> None:
        tokens = _split(text)
        if not tokens:
            raise _InputError("usage: /NAME option=value ... (subcommands: /group sub option=value)")
        path: list[str] = []
        given: list[tuple[str, str]] = []
        for token in tokens:
            name, sep, value = token.partition("=")
            if sep and name:
                given.append((name, value))
            elif given:
                raise _InputError(f"expected option=value after the options began, got {token!r}")
            else:
                path.append(token)
        try:
            command = self.emulator.find_command(path[0], guild_id=self.channel.guild_id)
        except LookupError:
            known = sorted({c.name for c in self._commands()})
            raise _InputError(
                f"no slash command /{path[0]}; registered: {', '.join('/' + k for k in known) or 'none'}"
            ) from None
        definitions = self._option_definitions(path, command.options)
        options = {name: self._typed(definitions.get(name), name, value) for name, value in given}
        before = self._snapshot()
        label = "/" + " ".join(path)
        try:
            result = await self.emulator.run_slash(
                " ".join(path),
                channel=self.channel,
                user=self.user,
                options=options,
                timeout=self.reply_timeout,
            )
        except TimeoutError:
            self._no_response(label, before)
            return
        except (LookupError, ValueError) as exc:
            raise _InputError(str(exc)) from None
        await self._show_interaction(result, before)

    def _option_definitions(
        self, path: list[str], options: list[dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        """The definitions of the options the command named by ``path`` takes, by name."""
        definitions = options
        for depth, part in enumerate(path[1:], start=1):
            subs = [d for d in definitions if d.get("type") in (1, 2)]
            match = next((d for d in subs if d.get("name") == part), None)
            if match is None:
                where = "/" + " ".join(path[:depth])
                known = ", ".join(str(d["name"]) for d in subs) or "none"
                raise _InputError(f"{where} has no subcommand {part!r}; subcommands: {known}")
            definitions = match.get("options") or []
        needed = [str(d["name"]) for d in definitions if d.get("type") in (1, 2)]
        if needed:
            raise _InputError(f"/{' '.join(path)} needs a subcommand: {', '.join(needed)}")
        return {d["name"]: d for d in definitions}

    def _typed(self, definition: dict[str, Any] | None, name: str, value: str) -> Any:
        """``value`` as the option's type wants it (unknown options are left for the emulator to name)."""
        if definition is None:
            return value
        kind = int(definition.get("type") or 3)
        for choice in definition.get("choices") or []:
            if value == choice.get("name") and value != str(choice.get("value")):
                return choice.get("value")
        if kind == 4:
            try:
                return int(value)
            except ValueError:
                raise _InputError(f"option {name} must be a whole number, not {value!r}") from None
        if kind == 10:
            try:
                return float(value)
            except ValueError:
                raise _InputError(f"option {name} must be a number, not {value!r}") from None
        if kind == 5:
            if value.lower() in _TRUE | _FALSE:
                return value.lower() in _TRUE
            raise _InputError(f"option {name} must be true or false, not {value!r}")
        if kind == 6:
            return self._user_named(value, name)
        if kind == 7:
            return self._channel_named(value, name)
        if kind == 8:
            return self._role_named(value, name)
        if kind == 9:
            role = self._find_role(value)
            return role if role is not None else self._user_named(value, name)
        if kind == 11:
            raise _InputError(f"option {name} takes an attachment, which the sandbox cannot send")
        return value

    def _user_named(self, value: str, option: str) -> User:
        key = value.removeprefix("<@").removeprefix("!").removesuffix(">").lstrip("@")
        for user in self.emulator.state.users.values():
            if key in (str(user.id), user.username, user.global_name):
                return user
        raise _InputError(f"option {option}: no user {value!r}")

    def _channel_named(self, value: str, option: str) -> Channel:
        key = value.removeprefix("<#").removesuffix(">").lstrip("#")
        for channel in self.emulator.state.guild_channels(self.guild):
            if key in (str(channel.id), channel.name):
                return channel
        raise _InputError(f"option {option}: no channel {value!r} in {self.guild.name}")

    def _find_role(self, value: str) -> Role | None:
        key = value.removeprefix("<@&").removesuffix(">").lstrip("@")
        return next((r for r in self.guild.roles.values() if key in (str(r.id), r.name)), None)

    def _role_named(self, value: str, option: str) -> Role:
        role = self._find_role(value)
        if role is None:
            raise _InputError(f"option {option}: no role {value!r} in {self.guild.name}")
        return role

    # -- components and modals --------------------------------------------------------------------
    async def _click(self, rest: str) -> None:
        target = " ".join(_split(rest))
        if not target:
            raise _InputError("usage: :click LABEL_OR_CUSTOM_ID")
        message, button = self._find_component(
            target, lambda c: c.get("type") == 2, lambda c: (c.get("custom_id"), c.get("label")), "button"
        )
        label = button.get("label") or button.get("custom_id")
        if button.get("style") == 5:
            self._info(f"[{label}] is a link button: it opens {button.get('url')}")
            return
        if not button.get("custom_id"):
            raise _InputError(f"[{label}] is not a button the bot can receive clicks from")
        if button.get("disabled"):
            raise _InputError(f"[{label}] is disabled")
        before = self._snapshot()
        try:
            result = await self.emulator.click(
                message, user=self.user, custom_id=button["custom_id"], timeout=self.reply_timeout
            )
        except TimeoutError:
            self._no_response(f"[{label}]", before)
            return
        await self._show_interaction(result, before)

    async def _choose(self, rest: str) -> None:
        parts = _split(rest)
        if len(parts) < 2:
            raise _InputError("usage: :choose CUSTOM_ID value1,value2")
        target, raw = parts[0], ",".join(parts[1:])
        message, select = self._find_component(
            target, lambda c: c.get("type") in _SELECTS, lambda c: (c.get("custom_id"),), "select menu"
        )
        if select.get("disabled"):
            raise _InputError(f"select {select.get('custom_id')} is disabled")
        values = [self._select_value(select, v.strip()) for v in raw.split(",") if v.strip()]
        low, high = int(select.get("min_values", 1)), int(select.get("max_values", 1))
        if not low <= len(values) <= high:
            raise _InputError(
                f"select {select.get('custom_id')} takes {low} to {high} values, got {len(values)}"
            )
        before = self._snapshot()
        try:
            result = await self.emulator.choose(
                message, values, user=self.user, custom_id=select["custom_id"], timeout=self.reply_timeout
            )
        except TimeoutError:
            self._no_response(f"select {select.get('custom_id')}", before)
            return
        except ValueError as exc:
            raise _InputError(str(exc)) from None
        await self._show_interaction(result, before)

    def _select_value(self, select: Mapping[str, Any], value: str) -> str:
        kind = select.get("type")
        if kind == 3:
            options = select.get("options") or []
            if any(o.get("value") == value for o in options):
                return value
            for option in options:
                if str(option.get("label", "")).casefold() == value.casefold():
                    return str(option["value"])
            known = ", ".join(f"{o.get('label')}={o.get('value')}" for o in options)
            raise _InputError(f"select {select.get('custom_id')} has no option {value!r}; options: {known}")
        if kind == 5:
            return str(self._user_named(value, str(select.get("custom_id"))).id)
        if kind == 6:
            return str(self._role_named(value, str(select.get("custom_id"))).id)
        if kind == 8:
            return str(self._channel_named(value, str(select.get("custom_id"))).id)
        role = self._find_role(value)
        return str(role.id if role is not None else self._user_named(value, str(select.get("custom_id"))).id)

    async def _submit_modal(self, rest: str) -> None:
        opened = self.modal
        if opened is None or opened.modal is None:
            raise _InputError("no modal is open; the bot opens one in answer to a command or a click")
        fields = list(_modal_inputs(opened.modal))
        values: dict[str, Any] = {}
        for token in _split(rest):
            name, sep, value = token.partition("=")
            if not sep:
                raise _InputError(f"expected field=value, got {token!r}")
            match = next((f for f in fields if f[0] == name), None) or next(
                (f for f in fields if f[1].casefold() == name.casefold()), None
            )
            if match is None:
                known = ", ".join(f"{f[0]} ({f[1]})" if f[1] else f[0] for f in fields)
                raise _InputError(f"the modal has no field {name!r}; fields: {known}")
            custom_id, _, component = match
            values[custom_id] = value if component.get("type") == 4 else [v for v in value.split(",") if v]
        missing = [
            f[1] or f[0]
            for f in fields
            if f[2].get("type") == 4
            and f[2].get("required", True)
            and f[0] not in values
            and not f[2].get("value")
        ]
        if missing:
            raise _InputError(f"required fields missing: {', '.join(missing)}")
        self.modal = None
        before = self._snapshot()
        try:
            result = await self.emulator.submit_modal(
                opened, values, user=self.user, timeout=self.reply_timeout
            )
        except TimeoutError:
            self._no_response(f"modal {opened.modal.get('custom_id')}", before)
            return
        await self._show_interaction(result, before)

    def _find_component(
        self,
        target: str,
        kind: Callable[[Mapping[str, Any]], bool],
        keys: Callable[[Mapping[str, Any]], tuple[Any, ...]],
        what: str,
    ) -> tuple[Message, dict[str, Any]]:
        """The newest bot message in the channel with a component of ``kind`` named ``target``.

        An exact id or label wins over a label differing only in case.
        """
        candidates = [
            (message, component)
            for message in reversed(self.emulator.messages_in(self.channel))
            if self._visible_bot_message(message)
            for component in _walk(message.components)
            if kind(component)
        ]
        for exact in (True, False):
            for message, component in candidates:
                names = [str(k) for k in keys(component) if k]
                if (target in names) if exact else any(n.casefold() == target.casefold() for n in names):
                    return message, component
        raise _InputError(f"no {what} {target!r} on the bot's messages in #{self.channel.name}")

    def _visible_bot_message(self, message: Message) -> bool:
        if message.author_id != self.emulator.bot_user.id:
            return False
        if not message.flags & _EPHEMERAL:
            return True
        user = (message.interaction_metadata or {}).get("user") or {}
        return str(user.get("id")) == str(self.user.id)

    # -- watching the bot -------------------------------------------------------------------------
    def _snapshot(self) -> _Snapshot:
        snapshot = _Snapshot()
        for channel_id, messages in self.emulator.state.messages.items():
            for message in messages.values():
                key = (channel_id, message.id)
                reactions = tuple((k, len(v)) for k, v in message.reactions.items())
                snapshot.prints[key] = (message.edited_timestamp, message.flags, message.content, reactions)
                snapshot.messages[key] = message
        return snapshot

    def _bot_idle(
        self, message_id: int, before: set[asyncio.Task[Any]], seen_before: int | None
    ) -> Callable[[], bool] | None:
        """Whether the bot (in this process) has received message ``message_id`` and every task
        started since ``before`` was taken has finished; ``None`` without a bot to ask. The
        message counts as received once it is in discord.py's message cache (or, for a Zoryx
        bot, once its message counter moved)."""
        bot = self.bot
        if bot is None:
            return None
        metrics = getattr(bot, "metrics", None)

        def received() -> bool:
            if seen_before is not None and getattr(metrics, "messages", 0) > seen_before:
                return True
            return any(m.id == message_id for m in reversed(bot.cached_messages))

        def idle() -> bool:
            return received() and not (asyncio.all_tasks() - before - {asyncio.current_task()})

        return idle

    async def _settle(
        self,
        before: _Snapshot,
        *,
        answered: bool,
        pending: Callable[[], bool] | None = None,
        idle: Callable[[], bool] | None = None,
    ) -> _Snapshot:
        """Waits until the bot has been quiet for ``settle`` seconds after acting.

        Unless ``answered``, that begins with waiting up to ``reply_timeout`` for a first change,
        or until ``idle`` says the bot has done all it will (twice, ``settle`` apart); ``pending``
        (a deferred response still loading) extends the wait up to ``reply_timeout``.
        """
        loop = asyncio.get_running_loop()
        start = loop.time()
        last = self._snapshot()
        changed_at = start if answered or last.prints != before.prints else None
        while True:
            now = loop.time()
            if changed_at is None:
                if now - start >= self.reply_timeout:
                    return last
                if idle is not None and idle():
                    await asyncio.sleep(self.settle)  # a reply already on its way still lands
                    if idle() and self._snapshot().prints == last.prints:
                        return last
            elif now - changed_at >= self.settle and (
                pending is None or not pending() or now - start >= self.reply_timeout
            ):
                return last
            await asyncio.sleep(_POLL)
            current = self._snapshot()
            if current.prints != last.prints:
                last, changed_at = current, loop.time()

    def _catch_up(self) -> None:
        """Shows what the bot did since the last input (a late reply, a scheduled message)."""
        now = self._snapshot()
        if now.prints != self._seen.prints:
            self._info("(meanwhile)")
            self._show_changes(self._seen, now)

    def _show_changes(
        self, before: _Snapshot, after: _Snapshot, *, hide: frozenset[int] = frozenset()
    ) -> int:
        """Draws every message created, edited, reacted to or deleted between two snapshots."""
        self._seen = after
        events: list[tuple[int, str, Message]] = []
        for key, fingerprint in after.prints.items():
            message = after.messages[key]
            if message.id in hide:
                continue
            old = before.prints.get(key)
            if old is None:
                events.append((message.id, "new", message))
            elif old[:3] != fingerprint[:3]:
                events.append((message.id, "edited", message))
            elif old[3] != fingerprint[3]:
                events.append((message.id, "reactions", message))
        for key in before.prints.keys() - after.prints.keys():
            events.append((key[1], "deleted", before.messages[key]))
        for _, kind, message in sorted(events, key=lambda e: e[0]):
            where = self._elsewhere(message)
            if where:
                self._info(where)
            if kind == "deleted":
                who = self._name(message.author_id)
                self._info(f"({who}'s message {_preview(message.content)} was deleted)")
            elif kind == "reactions":
                counts = "  ".join(
                    f"{_emoji_name(message.reaction_emojis.get(k))} {len(u)}"
                    for k, u in message.reactions.items()
                    if u
                )
                who = self._name(message.author_id)
                self._info(f"reactions on {who}'s message {_preview(message.content)}: {counts or 'none'}")
            else:
                self._show_message(message, edited=kind == "edited")
        return len(events)

    def _show_message(self, message: Message, *, edited: bool = False) -> None:
        payload = self.emulator.state.message_payload(message, viewer_id=self.user.id)
        renderable = render_message(
            payload, author_name=self._name(message.author_id), edited=edited, names=self._mention_names()
        )
        self._show(renderable, renderable_to_text(renderable))

    async def _show_interaction(self, result: InteractionResult, before: _Snapshot) -> None:
        record = result.record

        def loading() -> bool:
            message = result.message
            return bool(message and message.flags & _LOADING and not record.followup_ids)

        after = await self._settle(before, answered=True, pending=loading)
        hide: frozenset[int] = frozenset()
        original = result.message
        if original is not None and original.flags & _LOADING and record.followup_ids:
            hide = frozenset({original.id})  # Discord shows the first follow-up in its place
        shown = self._show_changes(before, after, hide=hide)
        if result.modal is not None:
            self.modal = result
            self._show(render_modal(result.modal), modal_to_text(result.modal))
            self._info("(fill it in with :modal field=value ...)")
        elif not shown:
            if result.response_type == 6:
                self._info("(the bot acknowledged the interaction without changing anything)")
            else:
                self._info("(no visible reply)")

    def _no_response(self, label: str, before: _Snapshot) -> None:
        self._info(
            f"the bot did not respond to {label} within {self.reply_timeout:g}s "
            '(Discord shows "This interaction failed")',
            style="bold red",
        )
        self._show_changes(before, self._snapshot())

    # -- names ------------------------------------------------------------------------------------
    def _mention_names(self) -> MentionNames:
        """Names of the server's members, channels and roles, for mentions in message text."""
        state = self.emulator.state
        guild = state.guilds.get(self.guild.id, self.guild)
        users = {str(user_id): self._name(user_id) for user_id in guild.members}
        channels = {str(c.id): c.name for c in state.guild_channels(guild) if getattr(c, "name", None)}
        roles = {str(role_id): role.name for role_id, role in guild.roles.items()}
        return MentionNames(users, channels, roles)

    def _name(self, user_id: int) -> str:
        user = self.emulator.state.users.get(user_id)
        if user is None:
            return f"user {user_id}"
        member = self.guild.members.get(user_id)
        return (member.nick if member else None) or user.global_name or user.username

    def _elsewhere(self, message: Message) -> str:
        if message.channel_id == self.channel.id:
            return ""
        channel = self.emulator.state.channels.get(message.channel_id)
        if channel is None or channel.type == ChannelType.DM:
            return "in a direct message:"
        return f"in #{channel.name}:"

    def _text_channels(self) -> list[Channel]:
        return [c for c in self.emulator.state.guild_channels(self.guild) if c.type in ChannelType.TEXT_TYPES]

    def _commands(self) -> list[Any]:
        state = self.emulator.state
        scoped = state.guild_commands.get(self.guild.id, {})
        return [c for c in [*scoped.values(), *state.global_commands.values()] if c.type == 1]

    # -- reading stdin ----------------------------------------------------------------------------
    @staticmethod
    async def _read_line(prompt: str) -> str:
        """One line from stdin, read by a daemon thread so the loop runs and Ctrl-C is not held up."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()

        def deliver(line: str | None, error: BaseException | None) -> None:
            if future.done():
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(line or "")

        def read() -> None:
            try:
                line = input(prompt)
            except (EOFError, OSError) as exc:
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(deliver, None, EOFError(str(exc)))
            else:
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    loop.call_soon_threadsafe(deliver, line, None)

        threading.Thread(target=read, name="sandbox-stdin", daemon=True).start()
        return await future


# -- helpers ----------------------------------------------------------------------------------------
def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise _InputError(f"cannot read {text!r}: {exc}") from None


def _one_argument(rest: str, usage: str) -> str:
    parts = _split(rest)
    if len(parts) != 1:
        raise _InputError(f"usage: {usage}")
    return parts[0]


def _walk(components: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    for component in components:
        yield dict(component)
        yield from _walk(component.get("components") or [])
        for key in ("accessory", "component"):
            if isinstance(component.get(key), Mapping):
                yield from _walk([component[key]])


def _modal_inputs(modal: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(custom_id, label, component) of each field a modal asks for."""
    for component in modal.get("components") or []:
        if component.get("type") == 18 and isinstance(component.get("component"), Mapping):
            inner = dict(component["component"])
            yield str(inner.get("custom_id", "")), str(component.get("label") or ""), inner
        for child in component.get("components") or []:
            if child.get("type") == 4 or child.get("type") in _SELECTS:
                yield str(child.get("custom_id", "")), str(child.get("label") or ""), dict(child)


def _preview(content: str) -> str:
    text = " ".join(content.split())
    return f'"{text[:40]}…"' if len(text) > 40 else f'"{text}"'


def _emoji_name(emoji: Mapping[str, Any] | None) -> str:
    if not emoji:
        return "?"
    return f":{emoji.get('name')}:" if emoji.get("id") else str(emoji.get("name"))
