"""What differs between two snapshots (``backupdiff``), or between a snapshot and the server now
(drift, the dashboard's Compare tab). Objects are matched by id, then by name (and type)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .matching import match_channels, match_items, match_roles
from .models import ChannelData, EmojiData, GuildSettingsData, RoleData, Snapshot, StickerData

__all__ = [
    "FieldChange",
    "ItemChange",
    "MemberRoleChange",
    "MembersDiff",
    "SectionDiff",
    "SnapshotDiff",
    "diff",
]


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class ItemChange:
    """One role, channel, emoji or sticker: added (only ``after_id``), removed (only
    ``before_id``) or changed (both, with ``changes``)."""

    name: str
    before_id: int | None
    after_id: int | None
    changes: tuple[FieldChange, ...] = ()


@dataclass(frozen=True, slots=True)
class SectionDiff:
    added: tuple[ItemChange, ...] = ()
    removed: tuple[ItemChange, ...] = ()
    changed: tuple[ItemChange, ...] = ()
    unchanged: int = 0

    @property
    def change_count(self) -> int:
        return len(self.added) + len(self.removed) + len(self.changed)


@dataclass(frozen=True, slots=True)
class MemberRoleChange:
    user_id: int
    added: tuple[str, ...]
    """Names of roles the member has in the second snapshot only."""
    removed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MembersDiff:
    compared: bool
    """False when either side has no member roles (``reason`` says why)."""
    reason: str | None = None
    joined: tuple[int, ...] = ()
    """Members only in the second snapshot."""
    left: tuple[int, ...] = ()
    changed: tuple[MemberRoleChange, ...] = ()

    @property
    def change_count(self) -> int:
        return len(self.joined) + len(self.left) + len(self.changed)


@dataclass(frozen=True, slots=True)
class SnapshotDiff:
    """``before`` -> ``after``: what was added, removed and changed."""

    roles: SectionDiff
    categories: SectionDiff
    channels: SectionDiff
    emojis: SectionDiff
    stickers: SectionDiff
    settings: tuple[FieldChange, ...]
    members: MembersDiff
    bot_settings: tuple[str, ...] = field(default=())
    """Plugins whose saved settings differ."""

    @property
    def sections(self) -> dict[str, SectionDiff]:
        return {
            "roles": self.roles,
            "categories": self.categories,
            "channels": self.channels,
            "emojis": self.emojis,
            "stickers": self.stickers,
        }

    @property
    def change_count(self) -> int:
        return (
            sum(s.change_count for s in self.sections.values())
            + len(self.settings)
            + self.members.change_count
            + len(self.bot_settings)
        )

    @property
    def is_empty(self) -> bool:
        return self.change_count == 0

    def summary(self) -> list[str]:
        """One line per part that differs, e.g. ``"roles: +2 -1 ~3"``."""
        lines = []
        for name, section in self.sections.items():
            if section.change_count:
                lines.append(f"{name}: +{len(section.added)} -{len(section.removed)} ~{len(section.changed)}")
        if self.settings:
            lines.append("server settings: " + ", ".join(c.field for c in self.settings))
        if self.members.compared and self.members.change_count:
            m = self.members
            lines.append(f"members: +{len(m.joined)} -{len(m.left)}, roles changed for {len(m.changed)}")
        elif not self.members.compared and self.members.reason:
            lines.append(f"member roles not compared: {self.members.reason}")
        if self.bot_settings:
            lines.append("bot settings: " + ", ".join(self.bot_settings))
        return lines


T = TypeVar("T", RoleData, ChannelData, EmojiData, StickerData)


def _section(
    before: Sequence[T],
    after: Sequence[T],
    matched: Mapping[int, T],
    compare: Callable[[T, T], list[FieldChange]],
    name: Callable[[T], str],
) -> SectionDiff:
    matched_after = {other.id for other in matched.values()}
    removed = tuple(ItemChange(name(item), item.id, None) for item in before if item.id not in matched)
    added = tuple(ItemChange(name(item), None, item.id) for item in after if item.id not in matched_after)
    changed = []
    unchanged = 0
    for item in before:
        other = matched.get(item.id)
        if other is None:
            continue
        changes = compare(item, other)
        if changes:
            changed.append(ItemChange(name(other), item.id, other.id, tuple(changes)))
        else:
            unchanged += 1
    return SectionDiff(added, removed, tuple(changed), unchanged)


def _ranks(items: Sequence[Any], matched_ids: set[int]) -> dict[int, int]:
    ordered = sorted((i for i in items if i.id in matched_ids), key=lambda i: (i.position, i.id))
    return {item.id: index for index, item in enumerate(ordered)}


def diff(before: Snapshot, after: Snapshot) -> SnapshotDiff:
    """Everything that differs from ``before`` to ``after``."""
    role_match = match_roles(before.roles, after.roles)
    role_id_map = {old: new.id for old, new in role_match.items()}
    role_id_map[before.guild_id] = after.guild_id
    before_role_rank = _ranks(before.roles, set(role_match))
    after_role_rank = _ranks(after.roles, {r.id for r in role_match.values()})

    def compare_role(a: RoleData, b: RoleData) -> list[FieldChange]:
        changes = _fields(a, b, ("name", "colour", "hoist", "mentionable", "permissions", "unicode_emoji"))
        if not a.is_default and before_role_rank.get(a.id) != after_role_rank.get(b.id):
            changes.append(FieldChange("position", a.position, b.position))
        return changes

    roles = _section(before.roles, after.roles, role_match, compare_role, lambda r: r.name)

    channel_match = match_channels(before.channels, after.channels)
    channel_id_map = {old: new.id for old, new in channel_match.items()}
    after_names = {c.id: c.name for c in after.channels}
    before_names = {c.id: c.name for c in before.channels}
    before_rank = _ranks(before.channels, set(channel_match))
    after_rank = _ranks(after.channels, {c.id for c in channel_match.values()})
    role_names_after = {r.id: r.name for r in after.roles}
    role_names_before = {r.id: r.name for r in before.roles}

    def overwrite_view(
        channel: ChannelData, id_map: Mapping[int, int] | None
    ) -> dict[tuple[str, int], tuple[int, int]]:
        view = {}
        for ow in channel.overwrites:
            target = ow.target_id
            if id_map is not None and ow.target_type == "role":
                target = id_map.get(target, -target)
            view[(ow.target_type, target)] = (ow.allow, ow.deny)
        return view

    def compare_channel(a: ChannelData, b: ChannelData) -> list[FieldChange]:
        changes = _fields(a, b, ("name", "type"))
        parent_a = channel_id_map.get(a.parent_id) if a.parent_id is not None else None
        if a.parent_id is not None and parent_a is None:
            parent_a = -a.parent_id
        if parent_a != b.parent_id:
            changes.append(
                FieldChange(
                    "category",
                    before_names.get(a.parent_id) if a.parent_id else None,
                    after_names.get(b.parent_id) if b.parent_id else None,
                )
            )
        if before_rank.get(a.id) != after_rank.get(b.id):
            changes.append(FieldChange("position", a.position, b.position))
        if overwrite_view(a, role_id_map) != overwrite_view(b, None):
            changes.append(
                FieldChange(
                    "overwrites",
                    _describe_overwrites(a, role_names_before),
                    _describe_overwrites(b, role_names_after),
                )
            )
        for key in sorted(set(a.settings) | set(b.settings)):
            if a.settings.get(key) != b.settings.get(key):
                changes.append(FieldChange(key, a.settings.get(key), b.settings.get(key)))
        return changes

    def channel_name(c: ChannelData) -> str:
        return c.name

    categories = _section(before.categories, after.categories, channel_match, compare_channel, channel_name)
    channels = _section(
        before.non_category_channels,
        after.non_category_channels,
        channel_match,
        compare_channel,
        channel_name,
    )

    def compare_emoji(a: EmojiData, b: EmojiData) -> list[FieldChange]:
        changes = _fields(a, b, ("name", "animated"))
        mapped = sorted(role_id_map.get(r, -r) for r in a.role_ids)
        if mapped != sorted(b.role_ids):
            changes.append(FieldChange("roles", len(a.role_ids), len(b.role_ids)))
        return changes

    emojis = _section(
        before.emojis,
        after.emojis,
        match_items(before.emojis, after.emojis, [(lambda e: e.name, lambda e: e.name)]),
        compare_emoji,
        lambda e: e.name,
    )

    def compare_sticker(a: StickerData, b: StickerData) -> list[FieldChange]:
        return _fields(a, b, ("name", "description", "emoji"))

    stickers = _section(
        before.stickers,
        after.stickers,
        match_items(before.stickers, after.stickers, [(lambda s: s.name, lambda s: s.name)]),
        compare_sticker,
        lambda s: s.name,
    )

    return SnapshotDiff(
        roles=roles,
        categories=categories,
        channels=channels,
        emojis=emojis,
        stickers=stickers,
        settings=tuple(
            _settings_changes(before.settings, after.settings, channel_id_map, before_names, after_names)
        ),
        members=_members_diff(before, after, role_id_map, role_names_after, role_names_before),
        bot_settings=tuple(
            name
            for name in sorted(set(before.bot_settings) | set(after.bot_settings))
            if _json(before.bot_settings.get(name)) != _json(after.bot_settings.get(name))
        ),
    )


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _fields(a: Any, b: Any, names: Sequence[str]) -> list[FieldChange]:
    return [FieldChange(n, getattr(a, n), getattr(b, n)) for n in names if getattr(a, n) != getattr(b, n)]


def _describe_overwrites(channel: ChannelData, role_names: Mapping[int, str]) -> tuple[str, ...]:
    return tuple(
        f"{role_names.get(o.target_id, o.target_id) if o.target_type == 'role' else f'member {o.target_id}'}"
        f" +{o.allow} -{o.deny}"
        for o in channel.overwrites
    )


_SETTING_FIELDS = (
    "name",
    "description",
    "verification_level",
    "default_message_notifications",
    "explicit_content_filter",
    "afk_timeout",
    "system_channel_flags",
    "preferred_locale",
    "premium_progress_bar_enabled",
)
_SETTING_CHANNELS = (
    "afk_channel_id",
    "system_channel_id",
    "rules_channel_id",
    "public_updates_channel_id",
    "safety_alerts_channel_id",
)


def _settings_changes(
    a: GuildSettingsData,
    b: GuildSettingsData,
    channel_id_map: Mapping[int, int],
    before_names: Mapping[int, str],
    after_names: Mapping[int, str],
) -> list[FieldChange]:
    changes = _fields(a, b, _SETTING_FIELDS)
    for key in _SETTING_CHANNELS:
        old, new = getattr(a, key), getattr(b, key)
        mapped = channel_id_map.get(old, -old) if old is not None else None
        if mapped != new:
            changes.append(
                FieldChange(
                    key.removesuffix("_id"),
                    before_names.get(old) if old else None,
                    after_names.get(new) if new else None,
                )
            )
    for key in ("icon", "banner"):
        old_image, new_image = getattr(a, key), getattr(b, key)
        old_key = old_image.key if old_image else None
        new_key = new_image.key if new_image else None
        if old_key != new_key:
            changes.append(FieldChange(key, old_key, new_key))
    return changes


def _members_diff(
    before: Snapshot,
    after: Snapshot,
    role_id_map: Mapping[int, int],
    role_names_after: Mapping[int, str],
    role_names_before: Mapping[int, str],
) -> MembersDiff:
    if not before.members.included or not after.members.included:
        reason = before.members.reason if not before.members.included else after.members.reason
        return MembersDiff(compared=False, reason=reason)
    old = before.members.roles
    new = after.members.roles
    reverse = {v: k for k, v in role_id_map.items()}
    changed = []
    for user_id in sorted(old.keys() & new.keys()):
        mapped_old = {role_id_map.get(r, -r) for r in old[user_id]}
        current = set(new[user_id])
        added = current - mapped_old
        removed = mapped_old - current
        if added or removed:
            changed.append(
                MemberRoleChange(
                    user_id,
                    tuple(sorted(role_names_after.get(r, str(r)) for r in added)),
                    tuple(sorted(role_names_before.get(reverse.get(r, -r), str(abs(r))) for r in removed)),
                )
            )
    return MembersDiff(
        compared=True,
        joined=tuple(sorted(new.keys() - old.keys())),
        left=tuple(sorted(old.keys() - new.keys())),
        changed=tuple(changed),
    )
