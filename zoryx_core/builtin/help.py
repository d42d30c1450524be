"""The built-in help (plugin ``core.help``): an interactive menu of the commands the user can run.

``help`` shows the categories (one per cog, "Other" for commands without one) with a dropdown,
five commands a page with previous / next / back, a type marker on every command (hybrid,
prefix-only, slash-only, or what a plugin answers through ``zoryx_help_marker``) and an About
button. ``help <command>`` explains one command. Commands the user cannot run are not listed;
only the invoker may use the controls, which are disabled after ``help.timeout`` seconds.
"""

from __future__ import annotations

import copy
import difflib
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands
from discord.ext.commands.hybrid import HybridAppCommand

from ..hookspecs import hookimpl
from ..ui import (
    ActionButton,
    ActionSelect,
    EmbedKind,
    Emojis,
    ZoryxView,
    about_embed,
    default_footer,
    error_embed,
    make_embed,
    truncate,
    with_page_footer,
)

if TYPE_CHECKING:
    from ..plugins import PluginContext

__all__ = [
    "HYBRID",
    "OTHER",
    "PER_PAGE",
    "PREFIX_ONLY",
    "SLASH_ONLY",
    "HelpCatalog",
    "HelpCategory",
    "HelpCog",
    "HelpEntry",
    "HelpMenu",
    "builtin_marker",
    "command_marker",
    "help_timeout",
    "send_help",
    "zoryx_setup",
]

log = logging.getLogger("zoryx.help")

PER_PAGE = 5
"""Commands on one page of a category."""
OTHER = "Other"
"""The category of commands that belong to no cog."""
HYBRID = "hybrid"
PREFIX_ONLY = "prefix-only"
SLASH_ONLY = "slash-only"
DEFAULT_TIMEOUT = 180.0
NO_DESCRIPTION = "No description."
_SELECT_LIMIT = 25
_SELECT_WINDOW = 23  # categories per dropdown page when there are more than 25 (2 options to page)
_MORE = "zoryx:help:more-categories"
_FEWER = "zoryx:help:previous-categories"


# --- what a command is ------------------------------------------------------------------------------


def builtin_marker(command: Any) -> str:
    """``hybrid``, ``prefix-only`` or ``slash-only``, from the command's own type."""
    if isinstance(command, commands.HybridCommand | commands.HybridGroup):
        return HYBRID if command.app_command is not None else PREFIX_ONLY
    if isinstance(command, commands.Command):
        return PREFIX_ONLY
    return SLASH_ONLY


def command_marker(bot: commands.Bot, command: Any) -> str:
    """The first marker a plugin gives through ``zoryx_help_marker``, else :func:`builtin_marker`."""
    host: Any = getattr(bot, "plugins", None)
    manager = getattr(host, "manager", None)
    if host is not None and getattr(getattr(manager, "hook", None), "zoryx_help_marker", None) is not None:
        for result in host.hooks.call_sync("zoryx_help_marker", bot=bot, command=command):
            if result.ok and result.value is not None:
                return str(result.value)
    return builtin_marker(command)


def help_timeout(bot: Any) -> float:
    """Seconds the menu's controls stay usable (the ``help.timeout`` setting; 180 without one)."""
    if getattr(bot, "settings", None) is None:
        return DEFAULT_TIMEOUT
    return float(bot.settings["help.timeout"])


def _is_hidden(command: commands.Command[Any, ..., Any]) -> bool:
    current: Any = command
    while isinstance(current, commands.Command):
        if current.hidden:
            return True
        current = current.parent
    return False


def _owner_only(bot: commands.Bot, command: Any) -> bool:
    check = getattr(getattr(bot, "permissions", None), "is_owner_only", None)
    if check is not None and check(command):
        return True
    return any("is_owner" in getattr(c, "__qualname__", "") for c in getattr(command, "checks", ()))


def _app_root(command: app_commands.Command[Any, ..., Any]) -> Any:
    root: Any = command
    while root.parent is not None:
        root = root.parent
    return root


def _app_usage(command: app_commands.Command[Any, ..., Any]) -> str:
    params = " ".join(
        f"<{p.display_name}>" if p.required else f"[{p.display_name}]" for p in command.parameters
    )
    return f"/{command.qualified_name} {params}".rstrip()


def _app_description(command: app_commands.Command[Any, ..., Any]) -> str:
    text = command.description
    return text if text and text != "…" else NO_DESCRIPTION


def _cooldown_text(command: Any) -> str | None:
    cooldown = getattr(command, "cooldown", None)
    if cooldown is None:
        return None
    rate = int(cooldown.rate)
    text = f"{rate} use{'s' if rate != 1 else ''} every {cooldown.per:g} s"
    bucket = getattr(getattr(command, "_buckets", None), "type", None)
    if isinstance(bucket, commands.BucketType) and bucket is not commands.BucketType.default:
        text += f" per {bucket.name}"
    return text


# --- what a user can see ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HelpEntry:
    """One command as the help shows it."""

    name: str
    """Qualified name, as typed after the prefix or the slash."""
    usage: str
    description: str
    marker: str
    category: str
    aliases: tuple[str, ...] = ()
    command: Any = field(default=None, compare=False, repr=False)


@dataclass
class HelpCategory:
    """A cog's visible commands (or those of no cog, under "Other")."""

    name: str
    description: str
    entries: list[HelpEntry]

    @property
    def page_count(self) -> int:
        return max(1, math.ceil(len(self.entries) / PER_PAGE))

    def page(self, index: int) -> list[HelpEntry]:
        return self.entries[index * PER_PAGE : (index + 1) * PER_PAGE]


async def _text_prefix(bot: commands.Bot, ctx: commands.Context[Any]) -> str:
    if ctx.interaction is None and ctx.prefix:
        return ctx.clean_prefix
    try:
        found = await bot.get_prefix(ctx.message)
    except Exception:
        log.debug("could not read the prefix for help", exc_info=True)
        return "!"
    candidates = [found] if isinstance(found, str) else list(found)
    for prefix in candidates:
        if prefix and not prefix.startswith("<@"):
            return prefix
    return f"@{bot.user.name} " if bot.user else "!"


async def _can_run(command: commands.Command[Any, ..., Any], probe: commands.Context[Any]) -> bool:
    try:
        return bool(await command.can_run(probe))
    except commands.CommandError:
        return False
    except Exception:
        log.exception("a check of %s failed while listing help", command.qualified_name)
        return False


async def _can_run_app(bot: commands.Bot, ctx: commands.Context[Any], command: Any) -> bool:
    root = _app_root(command)
    if ctx.guild is None and getattr(root, "guild_only", False):
        return False
    needed = getattr(root, "default_permissions", None)
    member = ctx.author
    if needed is not None and isinstance(member, discord.Member) and not member.guild_permissions >= needed:
        return False
    check = getattr(getattr(bot, "permissions", None), "can_run_app_command", None)
    if check is None:
        return True
    try:
        return bool(await check(ctx, command))
    except Exception:
        log.exception("the permission check of /%s failed while listing help", command.qualified_name)
        return False


def _app_categories(bot: commands.Bot) -> dict[int, str]:
    found: dict[int, str] = {}
    for cog in bot.cogs.values():
        for app in cog.get_app_commands():
            found[id(app)] = cog.qualified_name
        group = getattr(cog, "__cog_app_commands_group__", None)
        if group is not None:
            found[id(group)] = cog.qualified_name
    return found


def _slash_only_commands(bot: commands.Bot, guild: discord.abc.Snowflake | None) -> list[Any]:
    roots: dict[int, Any] = {}
    scopes: list[discord.abc.Snowflake | None] = [None] if guild is None else [None, guild]
    for scope in scopes:
        for root in bot.tree.get_commands(guild=scope, type=discord.AppCommandType.chat_input):
            roots[id(root)] = root
    leaves: list[Any] = []
    for root in roots.values():
        children = root.walk_commands() if isinstance(root, app_commands.Group) else [root]
        for leaf in children:
            if isinstance(leaf, app_commands.Command) and not isinstance(leaf, HybridAppCommand):
                leaves.append(leaf)
    return leaves


def _category_order(name: str) -> tuple[bool, str]:
    return (name == OTHER, name.lower())


@dataclass
class HelpCatalog:
    """The commands one user may run where they asked, by category."""

    prefix: str
    categories: list[HelpCategory]

    @property
    def entries(self) -> list[HelpEntry]:
        return [entry for category in self.categories for entry in category.entries]

    @classmethod
    async def build(cls, bot: commands.Bot, ctx: commands.Context[Any]) -> HelpCatalog:
        """Everything the author of ``ctx`` can run: prefix and hybrid commands pass their checks
        (the bot's global permission check included), slash-only commands pass the bot's
        permission service; hidden commands and empty categories are left out."""
        prefix = await _text_prefix(bot, ctx)
        # Checked as a typed command: a hybrid's can_run would otherwise test the help command's
        # own interaction instead of the command being listed.
        probe = copy.copy(ctx)
        probe.interaction = None
        grouped: dict[str, list[HelpEntry]] = {}
        descriptions: dict[str, str] = {}
        refused: set[int] = set()
        for command in bot.walk_commands():
            parent: Any = command.parent
            if _is_hidden(command) or (parent is not None and id(parent) in refused):
                refused.add(id(command))
                continue
            if not await _can_run(command, probe):
                refused.add(id(command))
                continue
            cog = command.cog
            category = cog.qualified_name if cog is not None else OTHER
            if cog is not None:
                descriptions[category] = cog.description or ""
            base = f"{parent.qualified_name} " if parent is not None else ""
            grouped.setdefault(category, []).append(
                HelpEntry(
                    name=command.qualified_name,
                    usage=f"{prefix}{command.qualified_name} {command.signature}".rstrip(),
                    description=command.short_doc or command.description or NO_DESCRIPTION,
                    marker=command_marker(bot, command),
                    category=category,
                    aliases=tuple(base + alias for alias in command.aliases),
                    command=command,
                )
            )
        owners = _app_categories(bot)
        for leaf in _slash_only_commands(bot, ctx.guild):
            if not await _can_run_app(bot, ctx, leaf):
                continue
            binding = leaf.binding
            if isinstance(binding, commands.Cog):
                category = binding.qualified_name
            else:
                category = owners.get(id(_app_root(leaf)), OTHER)
            cog = bot.get_cog(category)
            if cog is not None:
                descriptions[category] = cog.description or ""
            grouped.setdefault(category, []).append(
                HelpEntry(
                    name=leaf.qualified_name,
                    usage=_app_usage(leaf),
                    description=_app_description(leaf),
                    marker=command_marker(bot, leaf),
                    category=category,
                    command=leaf,
                )
            )
        categories = [
            HelpCategory(name, descriptions.get(name, ""), sorted(entries, key=lambda e: e.name))
            for name, entries in sorted(grouped.items(), key=lambda item: _category_order(item[0]))
        ]
        return cls(prefix, categories)

    def _normalise(self, query: str) -> str:
        text = " ".join(query.split()).lower()
        for lead in ("/", self.prefix.lower()):
            if lead and text.startswith(lead):
                text = text[len(lead) :].lstrip()
        return text

    def find(self, query: str) -> HelpEntry | None:
        """The visible command named (or aliased) ``query``; a leading ``/`` or prefix is fine."""
        wanted = self._normalise(query)
        for entry in self.entries:
            if entry.name.lower() == wanted or wanted in (a.lower() for a in entry.aliases):
                return entry
        return None

    def names(self) -> list[str]:
        """Every visible command name and alias, sorted."""
        return sorted({name for entry in self.entries for name in (entry.name, *entry.aliases)})

    def suggest(self, query: str, limit: int = 3) -> list[str]:
        """Visible names close to ``query`` (difflib), best first."""
        wanted = self._normalise(query)
        by_lower = {name.lower(): name for name in self.names()}
        close = difflib.get_close_matches(wanted, list(by_lower), n=limit, cutoff=0.5)
        return [by_lower[name] for name in close]


# --- embeds -------------------------------------------------------------------------------------


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def home_embed(catalog: HelpCatalog) -> discord.Embed:
    """The categories and how many commands each holds."""
    total = len(catalog.entries)
    intro = (
        f"Choose a category in the menu below, or use `{catalog.prefix}help <command>` "
        "to read about one command."
    )
    if catalog.categories:
        lines = []
        for category in catalog.categories:
            line = f"{Emojis.CATEGORY} **{category.name}**: {_plural(len(category.entries), 'command')}"
            if category.description:
                line += f"\n\u2003{truncate(category.description.splitlines()[0], 90)}"
            lines.append(line)
        description = intro + "\n\n" + "\n".join(lines)
    else:
        description = "There are no commands you can use here."
    return make_embed(
        EmbedKind.MENU,
        f"{Emojis.HELP} Help",
        description,
        footer=f"{default_footer()} • {_plural(total, 'command')}",
    )


def category_embed(category: HelpCategory, page: int) -> discord.Embed:
    """One page (five commands) of a category, ``Page i/n`` in the footer."""
    fields = [
        (f"`{entry.usage}`", f"{entry.description}\n`{entry.marker}`", False) for entry in category.page(page)
    ]
    embed = make_embed(
        EmbedKind.MENU,
        f"{Emojis.CATEGORY} {category.name}",
        category.description or None,
        fields=fields,
    )
    return with_page_footer(embed, page + 1, category.page_count)


def command_embed(bot: commands.Bot, entry: HelpEntry) -> discord.Embed:
    """Everything about one command: usage, type, aliases, subcommands, cooldown, who may run it."""
    command = entry.command
    if isinstance(command, commands.Command):
        details = command.help or command.description or entry.description
    else:
        details = entry.description
    fields: list[tuple[str, str, bool]] = [
        ("Usage", f"`{entry.usage}`", False),
        ("Type", f"`{entry.marker}`", True),
        ("Category", entry.category, True),
    ]
    if entry.aliases:
        fields.append(("Aliases", ", ".join(f"`{a}`" for a in entry.aliases), True))
    if isinstance(command, commands.Group):
        subcommands = sorted(c.name for c in command.commands if not c.hidden)
        if subcommands:
            fields.append(("Subcommands", ", ".join(f"`{name}`" for name in subcommands), False))
    cooldown = _cooldown_text(command)
    if cooldown:
        fields.append(("Cooldown", cooldown, True))
    if _owner_only(bot, command):
        fields.append(("Access", "🔒 Only the bot's owners can run this command.", False))
    return make_embed(EmbedKind.INFO, f"Help: {entry.name}", details, fields=fields)


def unknown_command_embed(query: str, suggestions: Sequence[str]) -> discord.Embed:
    """The error for a command that does not exist (or that the user cannot run)."""
    shown = truncate(" ".join(query.split()), 100)
    text = f"There is no command named `{shown}` that you can use."
    if suggestions:
        text += "\nDid you mean " + ", ".join(f"`{name}`" for name in suggestions) + "?"
    return error_embed("Unknown command", text)


# --- the menu -----------------------------------------------------------------------------------


class HelpMenu(ZoryxView):
    """The interactive help: home (categories), category pages, and About; each click edits the
    message in place."""

    def __init__(
        self,
        bot: commands.Bot,
        catalog: HelpCatalog,
        *,
        author: discord.abc.User,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(author, timeout=timeout, command_name="help")
        self.bot = bot
        self.catalog = catalog
        self.mode: Literal["home", "category", "about"] = "home"
        self.category_index = 0
        self.page = 0
        self.select_page = 0
        self.render()

    @property
    def category(self) -> HelpCategory:
        return self.catalog.categories[self.category_index]

    def current_embed(self) -> discord.Embed:
        if self.mode == "about":
            return about_embed(self.bot)
        if self.mode == "category":
            return category_embed(self.category, self.page)
        return home_embed(self.catalog)

    def _select_options(self) -> list[discord.SelectOption]:
        categories = self.catalog.categories
        window: Iterable[tuple[int, HelpCategory]] = enumerate(categories)
        before = after = False
        if len(categories) > _SELECT_LIMIT:
            pages = math.ceil(len(categories) / _SELECT_WINDOW)
            self.select_page = min(max(self.select_page, 0), pages - 1)
            start = self.select_page * _SELECT_WINDOW
            window = list(enumerate(categories))[start : start + _SELECT_WINDOW]
            before, after = self.select_page > 0, self.select_page < pages - 1
        options = []
        if before:
            options.append(
                discord.SelectOption(label="Previous categories", value=_FEWER, emoji=Emojis.PREVIOUS)
            )
        for index, category in window:
            options.append(
                discord.SelectOption(
                    label=truncate(category.name, 100),
                    value=truncate(category.name, 100),
                    description=_plural(len(category.entries), "command"),
                    emoji=Emojis.CATEGORY,
                    default=self.mode == "category" and index == self.category_index,
                )
            )
        if after:
            options.append(discord.SelectOption(label="More categories", value=_MORE, emoji=Emojis.NEXT))
        return options

    def render(self) -> None:
        """Lay out the controls of the current screen."""
        self.clear_items()
        if self.mode != "about" and self.catalog.categories:
            self.add_item(
                ActionSelect(
                    self._chosen,
                    self._select_options(),
                    placeholder="Choose a category…",
                    custom_id="zoryx:help:category",
                    row=0,
                )
            )
        if self.mode == "home":
            self.add_item(
                ActionButton(
                    self._about, label="About", emoji=Emojis.CREDITS, custom_id="zoryx:help:about", row=1
                )
            )
        elif self.mode == "category":
            last = self.category.page_count - 1
            self.add_item(
                ActionButton(
                    self._previous,
                    label="Previous",
                    emoji=Emojis.PREVIOUS,
                    custom_id="zoryx:help:previous",
                    disabled=self.page <= 0,
                    row=1,
                )
            )
            self.add_item(
                ActionButton(
                    self._next,
                    label="Next",
                    emoji=Emojis.NEXT,
                    custom_id="zoryx:help:next",
                    disabled=self.page >= last,
                    row=1,
                )
            )
        if self.mode != "home":
            self.add_item(
                ActionButton(
                    self._home,
                    label="Back",
                    emoji=Emojis.HOME,
                    style=discord.ButtonStyle.primary,
                    custom_id="zoryx:help:back",
                    row=1,
                )
            )

    async def _show(self, interaction: discord.Interaction[Any]) -> None:
        self.render()
        await interaction.response.edit_message(embed=self.current_embed(), view=self)

    async def _chosen(self, interaction: discord.Interaction[Any], values: list[str]) -> None:
        value = values[0] if values else ""
        if value in (_MORE, _FEWER):
            self.select_page += 1 if value == _MORE else -1
        else:
            for index, category in enumerate(self.catalog.categories):
                if truncate(category.name, 100) == value:
                    self.mode, self.category_index, self.page = "category", index, 0
                    break
        await self._show(interaction)

    async def _previous(self, interaction: discord.Interaction[Any]) -> None:
        self.page = max(self.page - 1, 0)
        await self._show(interaction)

    async def _next(self, interaction: discord.Interaction[Any]) -> None:
        self.page = min(self.page + 1, self.category.page_count - 1)
        await self._show(interaction)

    async def _home(self, interaction: discord.Interaction[Any]) -> None:
        self.mode, self.page = "home", 0
        await self._show(interaction)

    async def _about(self, interaction: discord.Interaction[Any]) -> None:
        self.mode = "about"
        await self._show(interaction)


# --- the command ----------------------------------------------------------------------------------


async def send_help(ctx: commands.Context[Any], query: str | None = None) -> None:
    """Answer ``help`` (the menu) or ``help <query>`` (one command, or an unknown-command error)."""
    bot = ctx.bot
    catalog = await HelpCatalog.build(bot, ctx)
    if query and query.strip():
        entry = catalog.find(query)
        if entry is None:
            await ctx.send(embed=unknown_command_embed(query, catalog.suggest(query)), ephemeral=True)
        else:
            await ctx.send(embed=command_embed(bot, entry))
        return
    menu = HelpMenu(bot, catalog, author=ctx.author, timeout=help_timeout(bot))
    await menu.send(ctx, embed=menu.current_embed())


class HelpCog(commands.Cog, name="Help"):
    """Browse the commands you can use."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    # mypy cannot solve the ParamSpec of hybrid_command on a method (it is typed for pyright)
    @commands.hybrid_command(  # type: ignore[arg-type]
        name="help", description="Browse the commands you can use, or read about one."
    )
    @app_commands.describe(command="The command to explain")
    async def help_command(self, ctx: commands.Context[Any], *, command: str | None = None) -> None:
        """Browse the commands you can use by category, or read about one command."""
        await send_help(ctx, command)

    @help_command.autocomplete("command")
    async def _complete_command(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        ctx = await self.bot.get_context(interaction)
        catalog = await HelpCatalog.build(self.bot, ctx)
        typed = current.lower().strip()
        names = sorted({entry.name for entry in catalog.entries})
        matches = sorted(
            (name for name in names if typed in name.lower()),
            key=lambda name: (not name.lower().startswith(typed), name),
        )
        return [app_commands.Choice(name=name, value=name) for name in matches[:25]]


@hookimpl
async def zoryx_setup(bot: commands.Bot, plugin: PluginContext) -> None:
    """Add the help cog (in place of discord.py's default help command, if the bot has it)."""
    if bot.help_command is not None:
        bot.help_command = None
    await bot.add_cog(HelpCog(bot))
