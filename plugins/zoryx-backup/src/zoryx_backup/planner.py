"""Deciding what a restore does, phase by phase, without touching Discord.

:class:`RestorePlanner` compares the snapshot with the server as it is (:class:`GuildState`) and
returns, for each phase, the items to create, update, leave alone or skip, each with the REST body
that would do it. The executor (:mod:`zoryx_backup.restore`) runs a phase, tells the planner the
ids Discord gave what it created, and plans the next phase with them; :func:`preview` runs every
phase against placeholders instead, which is the dry run.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from zoryx_core.ui import plural

from .matching import match_channels, match_items, match_roles
from .models import ChannelData, EmojiData, GuildSettingsData, ImageData, RoleData, Snapshot, StickerData
from .options import Component, RestoreOptions

__all__ = ["Action", "GuildState", "PlannedItem", "RestorePlan", "RestorePlanner", "preview"]

ROLE_POSITIONS = "role positions"
CHANNEL_POSITIONS = "channel positions"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    KEEP = "keep"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class PlannedItem:
    """One thing a restore would do. ``changes`` names what differs (for updates); ``reason``
    says why an item is skipped or what is left out; ``payload`` is the REST body."""

    component: Component
    action: Action
    name: str
    source_id: int | None = None
    live_id: int | None = None
    changes: tuple[str, ...] = ()
    reason: str = ""
    payload: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class RestorePlan:
    """The dry run of a restore: every item with what would happen to it."""

    backup_id: int | None
    options: RestoreOptions
    items: tuple[PlannedItem, ...]

    def counts(self) -> dict[Component, dict[Action, int]]:
        result: dict[Component, dict[Action, int]] = {}
        for item in self.items:
            per = result.setdefault(item.component, {a: 0 for a in Action})
            per[item.action] += 1
        return result

    def items_for(self, component: Component, action: Action | None = None) -> list[PlannedItem]:
        return [i for i in self.items if i.component == component and (action is None or i.action == action)]

    def describe(self, component: Component) -> str:
        """What would happen to ``component``, e.g. ``"3 to create, 1 to change, 36 left alone"``."""
        per = self.counts().get(component, {a: 0 for a in Action})
        parts = [
            f"{per[Action.CREATE]} to create" if per[Action.CREATE] else "",
            f"{per[Action.UPDATE]} to change" if per[Action.UPDATE] else "",
            f"{per[Action.KEEP]} left alone" if per[Action.KEEP] else "",
            f"{per[Action.SKIP]} skipped" if per[Action.SKIP] else "",
        ]
        return ", ".join(p for p in parts if p) or "nothing"

    def summary(self) -> list[str]:
        """One line per component, e.g. ``"roles: 3 to create, 1 to change, 36 left alone"``."""
        return [f"{component.label}: {self.describe(component)}" for component in self.counts()]


@dataclass(slots=True)
class GuildState:
    """The server as the bot sees it now (from its cache), kept up to date by the executor."""

    guild_id: int
    roles: list[RoleData]
    channels: list[ChannelData]
    emojis: list[EmojiData]
    stickers: list[StickerData]
    settings: GuildSettingsData
    members: dict[int, tuple[int, ...]] | None
    """Member id -> role ids (without @everyone); ``None`` when not known (the bot cannot see
    members, or the restore does not touch member roles)."""
    member_names: dict[int, str]
    bot_top_position: int
    bot_is_owner: bool
    plugins_loaded: frozenset[str] = frozenset()
    plugins_importing: frozenset[str] = frozenset()
    bot_settings: Mapping[str, Any] = field(default_factory=dict)
    """Each plugin's export for the server now (to tell which settings differ from the backup)."""


def _same_json(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def data_uri(image: ImageData) -> str:
    return f"data:{image.content_type};base64,{base64.b64encode(image.data).decode('ascii')}"


class RestorePlanner:
    """Plans each phase of restoring ``snapshot`` into the server described by ``state``."""

    def __init__(self, snapshot: Snapshot, state: GuildState, options: RestoreOptions) -> None:
        self.snapshot = snapshot
        self.state = state
        self.options = options
        self.id_map: dict[int, int] = {snapshot.guild_id: state.guild_id}
        """Snapshot role and channel ids (and the server id) -> ids in the server now."""
        self.emoji_map: dict[int, int] = {}
        self._placeholders = itertools.count(-1, -1)
        self._source_roles = {r.id: r for r in snapshot.roles}
        self._source_channels = {c.id: c for c in snapshot.channels}

    # --- helpers ---------------------------------------------------------------------------------

    def placeholder(self) -> int:
        """An id standing for something a dry run would create."""
        return next(self._placeholders)

    def _live_channels(self) -> dict[int, ChannelData]:
        return {c.id: c for c in self.state.channels}

    def manageable(self, role: RoleData) -> bool:
        """Whether the bot may give, take or edit ``role`` (below its highest role, not managed)."""
        if role.managed or role.is_default:
            return False
        return self.state.bot_is_owner or role.position < self.state.bot_top_position

    # --- recording results (executor and dry run) ------------------------------------------------

    def record_role(self, source_id: int, live: RoleData) -> None:
        """A role was created: Discord puts it right above @everyone, moving the others up."""
        self.id_map[source_id] = live.id
        self.state.roles = [
            replace(r, position=r.position + 1) if r.position >= live.position and not r.is_default else r
            for r in self.state.roles
        ]
        self.state.roles.append(live)
        if self.state.bot_top_position >= live.position:
            self.state.bot_top_position += 1

    def record_channel(self, source_id: int, live: ChannelData) -> None:
        self.id_map[source_id] = live.id
        self.state.channels = [c for c in self.state.channels if c.id != live.id] + [live]

    def record_emoji(self, source_id: int, live_id: int) -> None:
        self.emoji_map[source_id] = live_id

    def record_created(self, item: PlannedItem, live_id: int) -> None:
        """Record what creating ``item`` made (real id, or a placeholder in a dry run)."""
        if item.source_id is None:
            return
        if item.component == Component.ROLES:
            source = self._source_roles[item.source_id]
            self.record_role(item.source_id, replace(source, id=live_id, position=1, managed=False))
        elif item.component in (Component.CATEGORIES, Component.CHANNELS):
            channel = self._source_channels[item.source_id]
            parent = item.payload.get("parent_id")
            self.record_channel(
                item.source_id,
                replace(channel, id=live_id, parent_id=int(parent) if parent is not None else None),
            )
        elif item.component in (Component.EMOJIS, Component.STICKERS):
            self.record_emoji(item.source_id, live_id)

    # --- roles -----------------------------------------------------------------------------------

    def roles(self) -> list[PlannedItem]:
        items = []
        matched = match_roles(self.snapshot.roles, self.state.roles)
        for role in self.snapshot.roles:
            live = matched.get(role.id)
            if live is not None:
                self.id_map[role.id] = live.id
            items.append(self._role_item(role, live))
        return items

    def _role_item(self, role: RoleData, live: RoleData | None) -> PlannedItem:
        c = Component.ROLES
        if role.is_default:
            if live is not None and live.permissions != role.permissions:
                payload = {"permissions": str(role.permissions)}
                changes = ("permissions",)
                return PlannedItem(c, Action.UPDATE, role.name, role.id, live.id, changes, payload=payload)
            return PlannedItem(c, Action.KEEP, role.name, role.id, live.id if live else None)
        if role.managed:
            if live is not None:
                return PlannedItem(
                    c, Action.KEEP, role.name, role.id, live.id, reason="managed by an integration"
                )
            why = "managed by an integration (a bot or a subscription); it returns with the integration"
            return PlannedItem(c, Action.SKIP, role.name, role.id, reason=why)
        wanted = {
            "name": role.name,
            "permissions": str(role.permissions),
            "color": role.colour,
            "hoist": role.hoist,
            "mentionable": role.mentionable,
        }
        if role.unicode_emoji is not None:
            wanted["unicode_emoji"] = role.unicode_emoji
        if live is None:
            return PlannedItem(c, Action.CREATE, role.name, role.id, payload=wanted)
        current = {
            "name": live.name,
            "permissions": str(live.permissions),
            "color": live.colour,
            "hoist": live.hoist,
            "mentionable": live.mentionable,
            "unicode_emoji": live.unicode_emoji,
        }
        changed = {k: v for k, v in wanted.items() if current.get(k) != v}
        if role.unicode_emoji is None and live.unicode_emoji is not None:
            changed["unicode_emoji"] = None
        if not changed:
            return PlannedItem(c, Action.KEEP, role.name, role.id, live.id)
        names = tuple("colour" if k == "color" else k for k in changed)
        if not self.manageable(live):
            why = "managed by an integration" if live.managed else "at or above the bot's highest role"
            return PlannedItem(
                c, Action.SKIP, role.name, role.id, live.id, names, reason=f"cannot be edited: {why}"
            )
        return PlannedItem(c, Action.UPDATE, role.name, role.id, live.id, names, payload=changed)

    def role_positions(self) -> PlannedItem:
        """One bulk position change putting the roles the bot can move in the snapshot's order."""
        c = Component.ROLES
        movable = sorted(
            (r for r in self.state.roles if not r.is_default and self.manageable_position(r)),
            key=lambda r: (r.position, r.id),
        )
        reverse = {live: source for source, live in self.id_map.items()}
        source_rank = {r.id: r.position for r in self.snapshot.roles}
        matched = [r for r in movable if reverse.get(r.id) in source_rank]
        wanted = iter(sorted(matched, key=lambda r: (source_rank[reverse[r.id]], r.position, r.id)))
        order = [next(wanted) if reverse.get(r.id) in source_rank else r for r in movable]
        if [r.id for r in order] == [r.id for r in movable]:
            return PlannedItem(
                c, Action.KEEP, ROLE_POSITIONS, reason="roles are already in the snapshot's order"
            )
        moved = sum(1 for a, b in zip(order, movable, strict=True) if a.id != b.id)
        payload = {
            "positions": [{"id": str(r.id), "position": index} for index, r in enumerate(order, start=1)]
        }
        return PlannedItem(
            c, Action.UPDATE, ROLE_POSITIONS, changes=(f"{plural(moved, 'role')} move",), payload=payload
        )

    def manageable_position(self, role: RoleData) -> bool:
        return self.state.bot_is_owner or role.position < self.state.bot_top_position

    def apply_role_positions(self, item: PlannedItem) -> None:
        positions = {int(p["id"]): int(p["position"]) for p in item.payload.get("positions", [])}
        self.state.roles = [replace(r, position=positions.get(r.id, r.position)) for r in self.state.roles]

    # --- emojis and stickers -----------------------------------------------------------------------

    def emojis(self) -> list[PlannedItem]:
        c = Component.EMOJIS
        items = []
        matched = match_items(self.snapshot.emojis, self.state.emojis, [(lambda e: e.name, lambda e: e.name)])
        for emoji in self.snapshot.emojis:
            live = matched.get(emoji.id)
            roles = sorted(self.id_map[r] for r in emoji.role_ids if r in self.id_map)
            lost = [r for r in emoji.role_ids if r not in self.id_map]
            note = f"{len(lost)} of its roles were not restored" if lost else ""
            if live is not None:
                self.emoji_map[emoji.id] = live.id
                changes = []
                if live.name != emoji.name:
                    changes.append("name")
                if sorted(live.role_ids) != roles:
                    changes.append("roles")
                if not changes:
                    items.append(PlannedItem(c, Action.KEEP, emoji.name, emoji.id, live.id))
                elif live.managed:
                    items.append(
                        PlannedItem(
                            c, Action.SKIP, emoji.name, emoji.id, live.id, reason="managed by an integration"
                        )
                    )
                else:
                    payload = {"name": emoji.name, "roles": [str(r) for r in roles]}
                    items.append(
                        PlannedItem(
                            c, Action.UPDATE, emoji.name, emoji.id, live.id, tuple(changes), note, payload
                        )
                    )
            elif emoji.managed:
                items.append(
                    PlannedItem(c, Action.SKIP, emoji.name, emoji.id, reason="managed by an integration")
                )
            elif emoji.image is None:
                items.append(
                    PlannedItem(
                        c, Action.SKIP, emoji.name, emoji.id, reason="its image was not saved in the backup"
                    )
                )
            else:
                payload = {
                    "name": emoji.name,
                    "image": data_uri(emoji.image),
                    "roles": [str(r) for r in roles],
                }
                items.append(
                    PlannedItem(c, Action.CREATE, emoji.name, emoji.id, reason=note, payload=payload)
                )
        return items

    def stickers(self) -> list[PlannedItem]:
        c = Component.STICKERS
        items = []
        matched = match_items(
            self.snapshot.stickers, self.state.stickers, [(lambda s: s.name, lambda s: s.name)]
        )
        for sticker in self.snapshot.stickers:
            live = matched.get(sticker.id)
            payload: dict[str, Any] = {
                "name": sticker.name,
                "description": sticker.description,
                "tags": sticker.emoji,
            }
            if live is not None:
                changes = tuple(
                    name
                    for name, a, b in (
                        ("name", live.name, sticker.name),
                        ("description", live.description, sticker.description),
                        ("tags", live.emoji, sticker.emoji),
                    )
                    if a != b
                )
                action = Action.UPDATE if changes else Action.KEEP
                items.append(
                    PlannedItem(c, action, sticker.name, sticker.id, live.id, changes, payload=payload)
                )
            elif sticker.image is None:
                items.append(
                    PlannedItem(
                        c,
                        Action.SKIP,
                        sticker.name,
                        sticker.id,
                        reason="its image was not saved in the backup",
                    )
                )
            elif sticker.format_type == 3:
                items.append(
                    PlannedItem(
                        c,
                        Action.SKIP,
                        sticker.name,
                        sticker.id,
                        reason="Lottie stickers cannot be uploaded by bots",
                    )
                )
            else:
                payload["file"] = sticker.image
                items.append(PlannedItem(c, Action.CREATE, sticker.name, sticker.id, payload=payload))
        return items

    # --- categories and channels -----------------------------------------------------------------

    def channels(self, component: Component) -> list[PlannedItem]:
        """Categories (``Component.CATEGORIES``) or the other channels (``Component.CHANNELS``)."""
        source = (
            self.snapshot.categories
            if component == Component.CATEGORIES
            else self.snapshot.non_category_channels
        )
        known = {old: new for old, new in self.id_map.items() if old in self._source_channels}
        matched = match_channels(self.snapshot.channels, self.state.channels, known)
        items = []
        for channel in source:
            live = matched.get(channel.id)
            if live is not None:
                self.id_map[channel.id] = live.id
            items.append(self._channel_item(component, channel, live))
        return items

    def _mapped_parent(self, channel: ChannelData) -> tuple[int | None, str]:
        if channel.parent_id is None:
            return None, ""
        parent = self.id_map.get(channel.parent_id)
        if parent is None:
            name = self._source_channels.get(channel.parent_id)
            return None, f"its category {name.name if name else channel.parent_id!r} was not restored"
        return parent, ""

    def _overwrites(self, channel: ChannelData) -> tuple[list[dict[str, Any]], list[str]]:
        payload, notes = [], []
        for ow in channel.overwrites:
            target = ow.target_id
            if ow.target_type == "role":
                mapped = self.id_map.get(target)
                if mapped is None:
                    role = self._source_roles.get(target)
                    notes.append(
                        f"overwrite for role {role.name if role else target} left out (role not restored)"
                    )
                    continue
                target = mapped
            elif self.state.members is not None and target not in self.state.members:
                notes.append(f"overwrite for member {target} left out (no longer a member)")
                continue
            payload.append(
                {
                    "id": str(target),
                    "type": 0 if ow.target_type == "role" else 1,
                    "allow": str(ow.allow),
                    "deny": str(ow.deny),
                }
            )
        payload.sort(key=lambda o: (o["type"], int(o["id"])))
        return payload, notes

    def _channel_settings(self, channel: ChannelData) -> dict[str, Any]:
        settings = dict(channel.settings)
        for key in ("available_tags",):
            if isinstance(settings.get(key), list):
                settings[key] = [self._map_emoji_ref(tag) for tag in settings[key]]
        if isinstance(settings.get("default_reaction_emoji"), dict):
            settings["default_reaction_emoji"] = self._map_emoji_ref(settings["default_reaction_emoji"])
        return settings

    def _map_emoji_ref(self, ref: Mapping[str, Any]) -> dict[str, Any]:
        mapped = dict(ref)
        emoji_id = ref.get("emoji_id")
        if emoji_id is not None and int(emoji_id) in self.emoji_map:
            mapped["emoji_id"] = str(self.emoji_map[int(emoji_id)])
        return mapped

    def _channel_item(
        self, component: Component, channel: ChannelData, live: ChannelData | None
    ) -> PlannedItem:
        overwrites, notes = self._overwrites(channel)
        settings = self._channel_settings(channel)
        if live is None:
            parent, parent_note = self._mapped_parent(channel)
            if parent_note:
                notes.append(parent_note)
            payload = {
                "name": channel.name,
                "type": channel.type,
                "position": channel.position,
                "parent_id": str(parent) if parent is not None else None,
                "permission_overwrites": overwrites,
                **settings,
            }
            return PlannedItem(
                component, Action.CREATE, channel.name, channel.id, reason="; ".join(notes), payload=payload
            )
        changed: dict[str, Any] = {}
        if live.name != channel.name:
            changed["name"] = channel.name
        for key, value in settings.items():
            if live.settings.get(key) != value:
                changed[key] = value
        current = sorted(
            (
                {
                    "id": str(o.target_id),
                    "type": 0 if o.target_type == "role" else 1,
                    "allow": str(o.allow),
                    "deny": str(o.deny),
                }
                for o in live.overwrites
            ),
            key=lambda o: (o["type"], int(o["id"])),
        )
        if current != overwrites:
            changed["permission_overwrites"] = overwrites
        if not changed:
            return PlannedItem(
                component, Action.KEEP, channel.name, channel.id, live.id, reason="; ".join(notes)
            )
        changes = tuple("overwrites" if k == "permission_overwrites" else k for k in changed)
        return PlannedItem(
            component,
            Action.UPDATE,
            channel.name,
            channel.id,
            live.id,
            changes=changes,
            reason="; ".join(notes),
            payload=changed,
        )

    def channel_positions(self, components: frozenset[Component]) -> PlannedItem:
        """One bulk change putting restored channels at their snapshot position and category."""
        entries = []
        channels_now = self._live_channels()
        for channel in self.snapshot.channels:
            if (Component.CATEGORIES if channel.is_category else Component.CHANNELS) not in components:
                continue
            live_id = self.id_map.get(channel.id)
            live = channels_now.get(live_id) if live_id is not None else None
            if live is None:
                continue
            parent, _ = self._mapped_parent(channel)
            if channel.parent_id is not None and parent is None:
                parent = live.parent_id  # its category is gone: leave it where it is
            if live.position != channel.position or live.parent_id != parent:
                entries.append(
                    {
                        "id": str(live.id),
                        "position": channel.position,
                        "parent_id": str(parent) if parent is not None else None,
                    }
                )
        component = Component.CHANNELS if Component.CHANNELS in components else Component.CATEGORIES
        if not entries:
            return PlannedItem(
                component, Action.KEEP, CHANNEL_POSITIONS, reason="channels are already in place"
            )
        moved = (f"{plural(len(entries), 'channel')} move",)
        return PlannedItem(
            component, Action.UPDATE, CHANNEL_POSITIONS, changes=moved, payload={"positions": entries}
        )

    def apply_channel_positions(self, item: PlannedItem) -> None:
        moves = {int(e["id"]): e for e in item.payload.get("positions", [])}
        updated = []
        for c in self.state.channels:
            entry = moves.get(c.id)
            if entry is not None:
                parent = entry.get("parent_id")
                c = replace(c, position=int(entry["position"]), parent_id=int(parent) if parent else None)
            updated.append(c)
        self.state.channels = updated

    # --- server settings -------------------------------------------------------------------------

    def server_settings(self) -> PlannedItem:
        c = Component.SERVER_SETTINGS
        want, live = self.snapshot.settings, self.state.settings
        changed: dict[str, Any] = {}
        notes = []
        for key in (
            "name",
            "description",
            "verification_level",
            "default_message_notifications",
            "explicit_content_filter",
            "afk_timeout",
            "system_channel_flags",
            "preferred_locale",
            "premium_progress_bar_enabled",
        ):
            if getattr(want, key) != getattr(live, key):
                changed[key] = getattr(want, key)
        for key in (
            "afk_channel_id",
            "system_channel_id",
            "rules_channel_id",
            "public_updates_channel_id",
            "safety_alerts_channel_id",
        ):
            old = getattr(want, key)
            mapped = self.id_map.get(old) if old is not None else None
            if old is not None and mapped is None:
                notes.append(
                    f"{key.removesuffix('_id').replace('_', ' ')} left as is (its channel was not restored)"
                )
                continue
            if mapped != getattr(live, key):
                changed[key] = str(mapped) if mapped is not None else None
        for key in ("icon", "banner"):
            image: ImageData | None = getattr(want, key)
            current: ImageData | None = getattr(live, key)
            if image is None:
                if current is not None:
                    changed[key] = None
            elif current is None or current.key != image.key:
                if image.data:
                    changed[key] = data_uri(image)
                else:
                    notes.append(f"the {key} was not saved in the backup")
        if not changed:
            return PlannedItem(c, Action.KEEP, "server settings", reason="; ".join(notes))
        return PlannedItem(
            c,
            Action.UPDATE,
            "server settings",
            changes=tuple(changed),
            reason="; ".join(notes),
            payload=changed,
        )

    # --- member roles ----------------------------------------------------------------------------

    async def members(self) -> list[PlannedItem]:
        """One item per member of the snapshot (yielding to the event loop every 500 members)."""
        c = Component.MEMBER_ROLES
        section = self.snapshot.members
        if not section.included:
            return [PlannedItem(c, Action.SKIP, "member roles", reason=section.reason or "not in the backup")]
        current_members = self.state.members
        if current_members is None:
            why = "the bot cannot see the server's members (it runs without the Server Members intent)"
            return [PlannedItem(c, Action.SKIP, "member roles", reason=why)]
        roles_now = {r.id: r for r in self.state.roles}

        def role_name(role_id: int) -> str:
            role = roles_now.get(role_id)
            return role.name if role else str(role_id)

        items: list[PlannedItem] = []
        unchanged = 0
        for index, (user_id, role_ids) in enumerate(section.roles.items(), start=1):
            if index % 500 == 0:
                await asyncio.sleep(0)
            name = self.state.member_names.get(user_id, f"member {user_id}")
            held = current_members.get(user_id)
            if held is None:
                items.append(PlannedItem(c, Action.SKIP, name, user_id, reason="no longer a member"))
                continue
            current = set(held)
            wanted = {self.id_map[r] for r in role_ids if r in self.id_map}
            missing_roles = [r for r in role_ids if r not in self.id_map]
            add = wanted - current
            remove = current - wanted if self.options.role_sync else set()
            blocked = {r for r in add | remove if r not in roles_now or not self.manageable(roles_now[r])}
            add -= blocked
            remove -= blocked
            notes = []
            if blocked:
                notes.append(
                    "left alone (managed, or at or above the bot's highest role): "
                    + ", ".join(sorted(role_name(r) for r in blocked))
                )
            if missing_roles:
                notes.append(f"{len(missing_roles)} of its roles were not restored")
            if not add and not remove:
                if notes:
                    action = Action.SKIP if blocked else Action.KEEP
                    items.append(PlannedItem(c, action, name, user_id, user_id, reason="; ".join(notes)))
                else:
                    unchanged += 1
                continue
            changes = tuple(f"+{role_name(r)}" for r in sorted(add)) + tuple(
                f"-{role_name(r)}" for r in sorted(remove)
            )
            new_roles = sorted((current | add) - remove)
            payload = {"roles": [str(r) for r in new_roles]}
            items.append(
                PlannedItem(
                    c,
                    Action.UPDATE,
                    name,
                    user_id,
                    user_id,
                    changes=changes,
                    reason="; ".join(notes),
                    payload=payload,
                )
            )
        if unchanged:  # one item for them all: a large server has tens of thousands
            items.append(
                PlannedItem(c, Action.KEEP, f"{plural(unchanged, 'member')} who have their roles already")
            )
        return items

    # --- bot settings ----------------------------------------------------------------------------

    def bot_settings(self) -> list[PlannedItem]:
        c = Component.BOT_SETTINGS
        items = []
        for plugin, data in self.snapshot.bot_settings.items():
            if plugin not in self.state.plugins_loaded:
                items.append(PlannedItem(c, Action.SKIP, plugin, reason="the plugin is not loaded"))
            elif plugin not in self.state.plugins_importing:
                items.append(
                    PlannedItem(c, Action.SKIP, plugin, reason="the plugin cannot import server data")
                )
            elif plugin in self.state.bot_settings and _same_json(self.state.bot_settings[plugin], data):
                items.append(PlannedItem(c, Action.KEEP, plugin, reason="the same as in the backup"))
            else:
                items.append(
                    PlannedItem(c, Action.UPDATE, plugin, changes=("settings",), payload={"data": data})
                )
        return items


async def preview(
    snapshot: Snapshot, state: GuildState, options: RestoreOptions, backup_id: int | None
) -> RestorePlan:
    """The dry run: every phase planned in order, with placeholders for what would be created."""
    planner = RestorePlanner(snapshot, state, options)
    items: list[PlannedItem] = []

    def add(planned: Sequence[PlannedItem]) -> None:
        for item in planned:
            items.append(item)
            if item.action == Action.CREATE:
                planner.record_created(item, planner.placeholder())

    chosen = options.components
    if Component.ROLES in chosen:
        add(planner.roles())
        positions = planner.role_positions()
        add([positions])
        planner.apply_role_positions(positions)
    else:
        planner.roles()  # ids of roles that exist still map (overwrites, member roles)
    if Component.EMOJIS in chosen:
        add(planner.emojis())
    if Component.STICKERS in chosen:
        add(planner.stickers())
    for component in (Component.CATEGORIES, Component.CHANNELS):
        if component in chosen:
            add(planner.channels(component))
        else:
            planner.channels(component)
    if chosen & {Component.CATEGORIES, Component.CHANNELS}:
        add([planner.channel_positions(chosen)])
    if Component.SERVER_SETTINGS in chosen:
        add([planner.server_settings()])
    if Component.MEMBER_ROLES in chosen:
        add(await planner.members())
    if Component.BOT_SETTINGS in chosen:
        add(planner.bot_settings())
    return RestorePlan(backup_id, options, tuple(items))
