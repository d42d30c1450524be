"""AutoMod rules: create, list, get, modify, delete, their events, and keyword rules enforced on
members' messages (blocked, with AUTO_MODERATION_ACTION_EXECUTION)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..access import require_guild_permission
from ..audit import AuditAction, change, record_audit
from ..entities import AutoModRule
from ..errors import InvalidFormBody, NotFound
from ..http_utils import Request, RouteSet, read_body, snowflake
from ..models import Guild, Message
from ..permissions import P, guild_permissions

if TYPE_CHECKING:
    from ..server import DiscordEmulator

__all__ = ["check_automod", "routes"]

routes = RouteSet()

MAX_KEYWORD_RULES = 6


def _rule(guild: Guild, request: Request) -> AutoModRule:
    rule = guild.automod_rules.get(snowflake(request, "rule_id"))
    if rule is None:
        raise NotFound(10066, "Auto Moderation Rule")
    return rule


def _emit(emu: DiscordEmulator, name: str, rule: AutoModRule) -> None:
    emu.dispatch(name, rule.payload(), guild_id=rule.guild_id)


def _apply(rule: AutoModRule, body: dict[str, Any]) -> list[dict[str, Any]]:
    if "name" in body and (not isinstance(body["name"], str) or not 1 <= len(body["name"]) <= 100):
        raise InvalidFormBody("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    actions = body.get("actions", rule.actions)
    if not isinstance(actions, list) or not actions:
        raise InvalidFormBody("actions", "BASE_TYPE_REQUIRED", "This field is required")
    for index, action in enumerate(actions):
        if not isinstance(action, dict) or action.get("type") not in (1, 2, 3, 4):
            raise InvalidFormBody(
                f"actions.{index}.type", "BASE_TYPE_CHOICES", "Value must be one of (1, 2, 3, 4)."
            )
    changes = []
    for key in ("name", "event_type", "trigger_metadata", "actions", "enabled"):
        if key in body and body[key] != getattr(rule, key):
            changes.append(change(key, getattr(rule, key), body[key]))
            setattr(rule, key, body[key])
    for key in ("exempt_roles", "exempt_channels"):
        if key in body:
            setattr(rule, key, [int(v) for v in body[key] or []])
    return changes


@routes.get("/guilds/{guild_id}/auto-moderation/rules")
async def list_rules(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.MANAGE_GUILD)
    return [r.payload() for r in guild.automod_rules.values()]


@routes.get("/guilds/{guild_id}/auto-moderation/rules/{rule_id}")
async def get_rule(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.MANAGE_GUILD)
    return _rule(guild, request).payload()


@routes.post("/guilds/{guild_id}/auto-moderation/rules")
async def create_rule(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.MANAGE_GUILD)
    body, _ = await read_body(request)
    trigger = int(body.get("trigger_type") or 0)
    if trigger not in (1, 3, 4, 5, 6):
        raise InvalidFormBody("trigger_type", "BASE_TYPE_CHOICES", "Value must be one of (1, 3, 4, 5, 6).")
    if (
        trigger == 1
        and sum(1 for r in guild.automod_rules.values() if r.trigger_type == 1) >= MAX_KEYWORD_RULES
    ):
        raise InvalidFormBody(
            "trigger_type", "MAX_RULES", f"Maximum number of keyword rules reached ({MAX_KEYWORD_RULES})"
        )
    rule = AutoModRule(
        id=emu.state.ids.next(),
        guild_id=guild.id,
        name=str(body.get("name") or ""),
        creator_id=emu.bot_user.id,
        trigger_type=trigger,
        event_type=int(body.get("event_type") or 1),
        trigger_metadata=dict(body.get("trigger_metadata") or {}),
    )
    _apply(rule, {"enabled": False, **body})
    guild.automod_rules[rule.id] = rule
    _emit(emu, "AUTO_MODERATION_RULE_CREATE", rule)
    record_audit(
        emu,
        guild,
        AuditAction.AUTO_MODERATION_RULE_CREATE,
        rule.id,
        request=request,
        changes=[change("name", None, rule.name)],
    )
    return rule.payload()


@routes.patch("/guilds/{guild_id}/auto-moderation/rules/{rule_id}")
async def edit_rule(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.MANAGE_GUILD)
    rule = _rule(guild, request)
    body, _ = await read_body(request)
    changes = _apply(rule, body)
    _emit(emu, "AUTO_MODERATION_RULE_UPDATE", rule)
    record_audit(
        emu, guild, AuditAction.AUTO_MODERATION_RULE_UPDATE, rule.id, request=request, changes=changes
    )
    return rule.payload()


@routes.delete("/guilds/{guild_id}/auto-moderation/rules/{rule_id}")
async def delete_rule(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.MANAGE_GUILD)
    rule = _rule(guild, request)
    del guild.automod_rules[rule.id]
    _emit(emu, "AUTO_MODERATION_RULE_DELETE", rule)
    record_audit(emu, guild, AuditAction.AUTO_MODERATION_RULE_DELETE, rule.id, request=request)
    return None


def check_automod(emu: DiscordEmulator, guild: Guild, message: Message) -> bool:
    """Applies the guild's keyword rules to a member's message; True when a rule blocks it.

    Each matching rule's actions run: AUTO_MODERATION_ACTION_EXECUTION per action, an alert message
    in the alert channel (action 2), a timeout (action 3). Administrators and exempt roles and
    channels are not checked, as on Discord."""
    if not guild.automod_rules or guild_permissions(guild, message.author_id) & P.ADMINISTRATOR:
        return False
    member = guild.members.get(message.author_id)
    roles = set(member.roles) if member else set()
    blocked = False
    for rule in guild.automod_rules.values():
        keyword = rule.matches(message.content)
        if keyword is None or message.channel_id in rule.exempt_channels or roles & set(rule.exempt_roles):
            continue
        for action in rule.actions:
            data: dict[str, Any] = {
                "guild_id": str(guild.id),
                "action": action,
                "rule_id": str(rule.id),
                "rule_trigger_type": rule.trigger_type,
                "user_id": str(message.author_id),
                "channel_id": str(message.channel_id),
                "content": message.content,
                "matched_keyword": keyword,
                "matched_content": keyword.strip("*"),
            }
            if action.get("type") == 1:
                blocked = True
            emu.dispatch("AUTO_MODERATION_ACTION_EXECUTION", data, guild_id=guild.id)
        record_audit(
            emu,
            guild,
            AuditAction.AUTO_MODERATION_BLOCK_MESSAGE,
            message.author_id,
            user_id=message.author_id,
            options={
                "auto_moderation_rule_name": rule.name,
                "auto_moderation_rule_trigger_type": rule.trigger_type,
                "channel_id": message.channel_id,
            },
        )
    return blocked
