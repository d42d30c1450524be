"""The emulator's REST surface checked against Discord's official OpenAPI 3.1 description (F-EMU-1).

Two things are proven:

1. every route the emulator serves exists in the description's ``paths`` with that HTTP method;
2. every route answers, over real HTTP, with a status the description documents and a JSON body that
   validates against that operation's response schema (JSON Schema 2020-12, ``#/components`` refs
   resolved). A route added to the emulator without being exercised here fails the test.

The description is read from ``tests/data/discord-openapi.json``, a vendored copy (MIT, licence beside
it) of ``shared/discord-api/openapi.json``, so the suite needs nothing outside the repository.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from zoryx_core.testing import ALL_PERMISSIONS, DiscordEmulator
from zoryx_core.testing.http_utils import RouteDef
from zoryx_core.testing.interactions_state import InteractionRecord
from zoryx_core.testing.routes import ALL_ROUTES

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA = REPO_ROOT / "tests" / "data"
SPEC_FILE = DATA / "discord-openapi.json"
SPEC_LICENSE = DATA / "discord-openapi.LICENSE"
# Where the upstream copy sits: ``shared/`` beside the repository clone.
UPSTREAM = REPO_ROOT.parent / "shared" / "discord-api"
SPEC_URI = "https://discord.com/api/v10/openapi.json"

SPEC: dict[str, Any] = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
REGISTRY: Registry[Any] = Registry().with_resource(
    SPEC_URI, Resource.from_contents(SPEC, default_specification=DRAFT202012)
)

# A valid 1x1 PNG, for emoji, guild icon and sticker uploads.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
PNG_URI = "data:image/png;base64," + base64.b64encode(PNG).decode()


# Formats asserted, not just annotated: timestamps and URLs are easy to get subtly wrong.
FORMATS = FormatChecker(formats=())
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE)


@FORMATS.checks("date-time")
def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return bool(_RFC3339.match(value))


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(re.fullmatch(r"[a-z][a-z0-9+.-]*", parts.scheme, re.IGNORECASE)) and " " not in value


def normalise(template: str) -> str:
    """A path template with every parameter name erased: ``{channel_id}`` == ``{anything}``."""
    return re.sub(r"\{[^}/]+\}", "{}", template)


def _spec_paths() -> dict[str, str]:
    paths: dict[str, str] = {}
    for path in SPEC["paths"]:
        assert normalise(path) not in paths, f"{path} and {paths[normalise(path)]} differ only in names"
        paths[normalise(path)] = path
    return paths


SPEC_PATHS = _spec_paths()


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _resolve(pointer: str) -> tuple[str, Any]:
    """Follows local ``$ref`` chains (responses may be references) from a JSON pointer."""
    node: Any = SPEC
    for token in pointer.strip("/").split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    if isinstance(node, dict) and "$ref" in node:
        return _resolve(node["$ref"].removeprefix("#"))
    return pointer, node


def spec_operation(route: str) -> tuple[str, dict[str, Any]]:
    """The spec's path and operation object for ``"METHOD /template"``; KeyError when absent."""
    method, template = route.split(" ", 1)
    path = SPEC_PATHS[normalise(template)]
    return path, SPEC["paths"][path][method.lower()]


_validators: dict[str, Draft202012Validator] = {}


def response_problem(route: str, status: int, body: bytes | None) -> str | None:
    """Why a successful response does not conform to the spec, or None when it does."""
    method, _ = route.split(" ", 1)
    path, operation = spec_operation(route)
    responses = operation["responses"]
    code = str(status) if str(status) in responses else f"{status // 100}XX"
    if code not in responses:
        return f"status {status} is not documented (documented: {sorted(responses)})"
    pointer = f"/paths/{_escape(path)}/{method.lower()}/responses/{code}"
    pointer, response = _resolve(pointer)
    content = response.get("content") or {}
    if "application/json" not in content:
        return None if not body else f"status {status} documents no body, got {body[:200]!r}"
    if not body:
        return f"status {status} documents a JSON body, got none"
    schema_pointer = f"{pointer}/content/application~1json/schema"
    validator = _validators.get(schema_pointer)
    if validator is None:
        validator = Draft202012Validator(
            {"$ref": f"{SPEC_URI}#{schema_pointer}"}, registry=REGISTRY, format_checker=FORMATS
        )
        _validators[schema_pointer] = validator
    errors = list(validator.iter_errors(json.loads(body)))
    return "; ".join(line for error in errors for line in explain(error)) or None


def _is_discriminator_miss(error: ValidationError) -> bool:
    """A ``type`` (or ``kind``) property that fails its enum or const: the wrong branch of a oneOf."""
    return error.validator in ("enum", "const") and bool(error.path) and error.path[-1] in ("type", "kind")


def explain(error: ValidationError) -> list[str]:
    """Readable leaf errors. For a failed oneOf/anyOf, only the branches meant for this value count:
    those whose discriminator matched, else those with the fewest errors."""
    if not error.context:
        return [f"{error.json_path}: {error.message[:200]}"]
    if all(sub.validator == "const" and not sub.path for sub in error.context):  # an enumeration
        allowed = [sub.validator_value for sub in error.context]
        return [f"{error.json_path}: {error.instance!r} is not one of {allowed}"]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    candidates = {k: v for k, v in branches.items() if not any(map(_is_discriminator_miss, v))} or branches
    fewest = min(len(v) for v in candidates.values())
    lines: list[str] = []
    for index, subs in candidates.items():
        if len(subs) == fewest:
            lines.extend(
                f"[{error.validator} branch {index}] {line}" for sub in subs for line in explain(sub)
            )
    return lines


# -- 1. every served route is in the spec -------------------------------------------------------------
def test_vendored_spec_is_present_with_its_licence() -> None:
    assert SPEC["openapi"].startswith("3.1"), SPEC["openapi"]
    assert "MIT License" in SPEC_LICENSE.read_text(encoding="utf-8")


def test_vendored_spec_matches_the_shared_copy() -> None:
    upstream = UPSTREAM / "openapi.json"
    if not upstream.is_file():
        pytest.skip(f"no shared copy at {upstream} to compare with")
    assert SPEC_FILE.read_bytes() == upstream.read_bytes(), "refresh tests/data/discord-openapi.json"
    assert SPEC_LICENSE.read_bytes() == (UPSTREAM / "LICENSE").read_bytes()


def test_route_table_has_no_duplicates() -> None:
    names = [normalise(r.name) for r in ALL_ROUTES.routes]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("route", ALL_ROUTES.routes, ids=lambda r: r.name)
def test_route_is_in_the_spec(route: RouteDef) -> None:
    assert normalise(route.path) in SPEC_PATHS, f"{route.path} is not a path of Discord's API"
    path = SPEC_PATHS[normalise(route.path)]
    methods = sorted(m.upper() for m in SPEC["paths"][path] if m in {"get", "put", "post", "patch", "delete"})
    assert route.method in methods, f"{path} has only {methods}"


# -- 2. every served route answers what the spec says --------------------------------------------------
class Api:
    """A bare HTTP client for the emulator: every answer must be a 2xx with a JSON or empty body."""

    def __init__(self, emulator: DiscordEmulator, session: aiohttp.ClientSession) -> None:
        self.emulator = emulator
        self.session = session

    async def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        auth: bool = True,
        form: aiohttp.FormData | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        headers = {**({"Authorization": f"Bot {self.emulator.token}"} if auth else {}), **(headers or {})}
        async with self.session.request(
            method,
            self.emulator.api_url + path,
            json=body if form is None else None,
            data=form,
            params=params,
            headers=headers,
        ) as response:
            raw = await response.read()
            assert 200 <= response.status < 300, f"{method} {path}: {response.status} {raw[:300]!r}"
            if response.status == 204:
                assert not raw, f"{method} {path}: 204 with a body"
                return None
            assert response.headers["Content-Type"] == "application/json", response.headers["Content-Type"]
            return json.loads(raw)


async def next_interaction(emulator: DiscordEmulator, seen: set[int]) -> InteractionRecord:
    """The interaction the driver just started (it waits for the callback we are about to send)."""
    for _ in range(100):
        fresh = [r for i, r in emulator.interactions.by_id.items() if i not in seen]
        if fresh:
            seen.add(fresh[0].id)
            return fresh[0]
        await asyncio.sleep(0.01)
    raise AssertionError("the driver started no interaction")


async def exercise(emu: DiscordEmulator, api: Api) -> None:
    """Builds a world and calls every route at least once; each call must succeed."""
    app = emu.application_id
    alice = emu.create_user("alice", global_name="Alice")
    bob = emu.create_user("bob")
    guild = emu.create_guild("Conformance", members=[alice, bob], bot_permissions=ALL_PERMISSIONS)
    g = guild.id
    general = emu.channel_named(guild, "general")
    leaving = emu.create_guild("Left behind")

    # -- the bot's user and application, the gateway
    await api("GET", "/gateway", auth=False)
    await api("GET", "/gateway/bot")
    await api("GET", "/users/@me")
    await api("PATCH", "/users/@me", {"username": "Conformance Bot"})
    await api("GET", f"/users/{alice.id}")
    await api("GET", "/users/@me/guilds")
    await api("GET", "/oauth2/applications/@me")
    await api("GET", "/applications/@me")
    dm = await api("POST", "/users/@me/channels", {"recipient_id": str(alice.id)})
    await api("GET", f"/channels/{dm['id']}")
    await api("DELETE", f"/users/@me/guilds/{leaving.id}")

    # -- the guild
    await api("GET", f"/guilds/{g}")
    await api(
        "PATCH",
        f"/guilds/{g}",
        {
            "name": "Conformance Guild",
            "description": "Checked against the spec",
            "icon": PNG_URI,
            "system_channel_id": str(general.id),
        },
    )

    # -- roles
    mods = await api(
        "POST", f"/guilds/{g}/roles", {"name": "mods", "color": 0x3498DB, "hoist": True, "permissions": "8"}
    )
    helpers = await api("POST", f"/guilds/{g}/roles", {"name": "helpers", "mentionable": True})
    doomed = await api("POST", f"/guilds/{g}/roles", {"name": "doomed"})
    await api("GET", f"/guilds/{g}/roles")
    await api("GET", f"/guilds/{g}/roles/{mods['id']}")
    await api("PATCH", f"/guilds/{g}/roles/{mods['id']}", {"name": "moderators", "unicode_emoji": "🛡️"})
    await api("PATCH", f"/guilds/{g}/roles", [{"id": helpers["id"], "position": 3}])
    await api("DELETE", f"/guilds/{g}/roles/{doomed['id']}")

    # -- channels of every guild type
    category = await api("POST", f"/guilds/{g}/channels", {"name": "Text", "type": 4})
    rules = await api(
        "POST",
        f"/guilds/{g}/channels",
        {
            "name": "rules",
            "type": 0,
            "topic": "Read me",
            "parent_id": category["id"],
            "nsfw": False,
            "rate_limit_per_user": 5,
            "permission_overwrites": [
                {"id": str(g), "type": 0, "allow": "0", "deny": "2048"},
                {"id": mods["id"], "type": 0, "allow": "2048", "deny": "0"},
            ],
        },
    )
    voice = await api("POST", f"/guilds/{g}/channels", {"name": "Voice", "type": 2, "user_limit": 5})
    # Not GUILD_MEDIA (16): the description's ChannelTypes stops at 15, so no media channel can conform.
    for name, kind in (("news", 5), ("stage", 13), ("ideas", 15)):
        await api("POST", f"/guilds/{g}/channels", {"name": name, "type": kind})
    await api("GET", f"/guilds/{g}/channels")
    await api(
        "PATCH",
        f"/guilds/{g}/channels",
        [
            {"id": rules["id"], "position": 0},
            {"id": voice["id"], "parent_id": category["id"], "lock_permissions": True},
        ],
    )
    await api("GET", f"/channels/{rules['id']}")
    await api("GET", f"/channels/{voice['id']}")
    await api("PATCH", f"/channels/{rules['id']}", {"topic": "Read me twice", "rate_limit_per_user": 0})
    await api(
        "PUT", f"/channels/{rules['id']}/permissions/{alice.id}", {"type": 1, "allow": "1024", "deny": "0"}
    )
    await api("DELETE", f"/channels/{rules['id']}/permissions/{alice.id}")
    await api("DELETE", f"/channels/{voice['id']}")

    # -- members
    await api("GET", f"/guilds/{g}/members", params={"limit": "10"})
    await api("GET", f"/guilds/{g}/members/search", params={"query": "ali", "limit": "5"})
    await api("GET", f"/guilds/{g}/members/{alice.id}")
    await api("PATCH", f"/guilds/{g}/members/@me", {"nick": "Conformer"})
    await api("PATCH", f"/guilds/{g}/members/{alice.id}", {"nick": "Ally", "roles": [mods["id"]]})
    await api("PUT", f"/guilds/{g}/members/{alice.id}/roles/{helpers['id']}")
    await api("DELETE", f"/guilds/{g}/members/{alice.id}/roles/{helpers['id']}")
    await api("DELETE", f"/guilds/{g}/members/{bob.id}")

    # -- emojis (a data URI) and stickers (multipart)
    emoji = await api("POST", f"/guilds/{g}/emojis", {"name": "blob", "image": PNG_URI, "roles": []})
    await api("GET", f"/guilds/{g}/emojis")
    await api("GET", f"/guilds/{g}/emojis/{emoji['id']}")
    await api("PATCH", f"/guilds/{g}/emojis/{emoji['id']}", {"name": "blobby"})
    form = aiohttp.FormData()
    form.add_field("name", "wave")
    form.add_field("tags", "wave")
    form.add_field("description", "A waving hand")
    form.add_field("file", PNG, filename="wave.png", content_type="image/png")
    sticker = await api("POST", f"/guilds/{g}/stickers", form=form)
    await api("GET", f"/guilds/{g}/stickers")
    await api("GET", f"/guilds/{g}/stickers/{sticker['id']}")
    await api("PATCH", f"/guilds/{g}/stickers/{sticker['id']}", {"name": "hello", "description": "Hi"})

    # -- messages: a user's message, the bot's with embeds, a file, a reply, a sticker; a DM
    said = await emu.send_message(general, alice, f"hello <@{emu.bot_user.id}>")
    ch = f"/channels/{general.id}"
    embed = {
        "title": "Status",
        "description": "All good",
        "color": 0x57F287,
        "url": "https://example.com",
        "fields": [{"name": "uptime", "value": "3 days", "inline": True}],
        "footer": {"text": "zoryx"},
    }
    posted = await api(
        "POST",
        f"{ch}/messages",
        {"content": f"hi <@{alice.id}> <@&{mods['id']}>", "embeds": [embed], "nonce": "12345", "tts": False},
    )
    form = aiohttp.FormData()
    form.add_field(
        "payload_json",
        json.dumps({"content": "a file", "attachments": [{"id": 0, "description": "one pixel"}]}),
        content_type="application/json",
    )
    form.add_field("files[0]", PNG, filename="pixel.png", content_type="image/png")
    await api("POST", f"{ch}/messages", form=form)
    await api(
        "POST", f"{ch}/messages", {"content": "replying", "message_reference": {"message_id": str(said.id)}}
    )
    await api("POST", f"{ch}/messages", {"sticker_ids": [sticker["id"]]})
    await api("POST", f"/channels/{dm['id']}/messages", {"content": "hello in private"})
    await api("PATCH", f"{ch}/messages/{posted['id']}", {"content": "edited", "embeds": [embed]})

    # -- reactions, pins, typing
    thumbs = quote("👍")
    custom = quote(f"blobby:{emoji['id']}")
    await emu.add_reaction(said, "👍", alice)
    await api("PUT", f"{ch}/messages/{said.id}/reactions/{thumbs}/@me")
    await api("PUT", f"{ch}/messages/{said.id}/reactions/{custom}/@me")
    await api("GET", f"{ch}/messages/{said.id}/reactions/{thumbs}")
    await api("GET", f"{ch}/messages/{said.id}")
    await api("GET", f"{ch}/messages", params={"limit": "50"})
    await api("DELETE", f"{ch}/messages/{said.id}/reactions/{thumbs}/{alice.id}")
    await api("DELETE", f"{ch}/messages/{said.id}/reactions/{thumbs}/@me")
    await api("DELETE", f"{ch}/messages/{said.id}/reactions/{custom}")
    await api("DELETE", f"{ch}/messages/{said.id}/reactions")
    await api("PUT", f"{ch}/messages/pins/{posted['id']}")
    await api("GET", f"{ch}/messages/pins")
    await api("DELETE", f"{ch}/messages/pins/{posted['id']}")
    await api("POST", f"{ch}/typing")

    # -- application commands, global and per guild
    commands = [
        {
            "name": "hello",
            "description": "Says hello",
            "options": [{"type": 3, "name": "name", "description": "Who to greet", "required": True}],
        },
        {
            "name": "pick",
            "description": "Picks a fruit",
            "options": [{"type": 3, "name": "fruit", "description": "A fruit", "autocomplete": True}],
        },
        {"name": "Inspect", "type": 2},
    ]
    await api("PUT", f"/applications/{app}/commands", commands)
    ping = await api("POST", f"/applications/{app}/commands", {"name": "ping", "description": "Replies"})
    await api("POST", f"/applications/{app}/commands", {"name": "ping", "description": "Replies again"})
    await api("GET", f"/applications/{app}/commands")
    await api("GET", f"/applications/{app}/commands/{ping['id']}")
    await api("PATCH", f"/applications/{app}/commands/{ping['id']}", {"description": "Replies with pong"})
    await api("DELETE", f"/applications/{app}/commands/{ping['id']}")
    scoped = f"/applications/{app}/guilds/{g}/commands"
    await api(
        "PUT", scoped, [{"name": "mod", "description": "Moderation", "default_member_permissions": "8"}]
    )
    local = await api("POST", scoped, {"name": "local", "description": "Guild only", "type": 1})
    await api("GET", scoped)
    await api("GET", f"{scoped}/{local['id']}")
    await api("PATCH", f"{scoped}/{local['id']}", {"name": "local-two"})
    await api("DELETE", f"{scoped}/{local['id']}")

    # -- interactions started with the driver, answered here with each callback type
    seen: set[int] = set()

    async def answer(started: Any, response: dict[str, Any]) -> tuple[InteractionRecord, Any]:
        task = asyncio.ensure_future(started)
        record = await next_interaction(emu, seen)
        await api(
            "POST",
            f"/interactions/{record.id}/{record.token}/callback",
            response,
            auth=False,
            params={"with_response": "true"},
        )
        return record, await asyncio.wait_for(task, 5)

    panel = {
        "content": "panel",
        "components": [
            {
                "type": 1,
                "components": [
                    {"type": 2, "style": 1, "label": "Count", "custom_id": "count"},
                    {"type": 2, "style": 5, "label": "Docs", "url": "https://example.com"},
                ],
            }
        ],
    }
    _, shown = await answer(
        emu.run_slash("hello", channel=general, user=alice, options={"name": "bob"}),
        {"type": 4, "data": panel},
    )
    await answer(
        emu.click(shown.message, user=alice, custom_id="count"),
        {"type": 7, "data": {"content": "clicked once"}},
    )
    await answer(emu.click(shown.message, user=alice, custom_id="count"), {"type": 6})
    await answer(
        emu.click(shown.message, user=alice, custom_id="count"),
        {
            "type": 9,
            "data": {
                "custom_id": "ask",
                "title": "Tell me",
                "components": [
                    {"type": 1, "components": [{"type": 4, "custom_id": "name", "label": "Name", "style": 1}]}
                ],
            },
        },
    )
    await answer(
        emu.autocomplete("pick", focused="fruit", value="ap", channel=general, user=alice),
        {"type": 8, "data": {"choices": [{"name": "apple", "value": "apple"}]}},
    )
    deferred, _ = await answer(
        emu.run_slash("hello", channel=general, user=alice, options={"name": "x"}),
        {"type": 5, "data": {"flags": 64}},
    )

    # -- the deferred interaction's webhook: follow-ups and @original
    hook = f"/webhooks/{app}/{deferred.token}"
    # the first follow-up of a deferred response becomes it; the second is a message of its own
    first = await api("POST", hook, {"content": "here it is"}, auth=False, params={"wait": "true"})
    assert first["id"] == str(deferred.original_message_id)
    followup = await api("POST", hook, {"content": "and one more thing"}, auth=False, params={"wait": "true"})
    assert followup["id"] != first["id"]
    await api("GET", f"{hook}/messages/@original", auth=False)
    await api("PATCH", f"{hook}/messages/@original", {"content": "thought about it"}, auth=False)
    await api("GET", f"{hook}/messages/{followup['id']}", auth=False)
    await api("PATCH", f"{hook}/messages/{followup['id']}", {"content": "edited follow-up"}, auth=False)
    await api("DELETE", f"{hook}/messages/{followup['id']}", auth=False)
    await api("DELETE", f"{hook}/messages/@original", auth=False)

    # -- deletions last
    doomed_messages = [await api("POST", f"{ch}/messages", {"content": f"temp {i}"}) for i in range(3)]
    await api("POST", f"{ch}/messages/bulk-delete", {"messages": [m["id"] for m in doomed_messages[:2]]})
    await api("DELETE", f"{ch}/messages/{doomed_messages[2]['id']}")
    await api("DELETE", f"/guilds/{g}/emojis/{emoji['id']}")
    await api("DELETE", f"/guilds/{g}/stickers/{sticker['id']}")
    # every kind of entry the calls above wrote (roles, channels, overwrites, members, messages...)
    await api("GET", f"/guilds/{g}/audit-logs", params={"limit": "100"})


async def exercise_breadth(emu: DiscordEmulator, api: Api) -> None:
    """Moderation, threads, webhooks, invites, polls, voice, scheduled events and AutoMod."""
    carol = emu.create_user("carol")
    dave = emu.create_user("dave")
    erin = emu.create_user("erin")
    guild = emu.create_guild("Breadth", members=[carol, dave, erin], bot_permissions=ALL_PERMISSIONS)
    g = guild.id
    general = emu.channel_named(guild, "general")
    ch = f"/channels/{general.id}"
    reason = {"X-Audit-Log-Reason": quote("spamming links")}

    regulars = emu.create_role(guild, "regulars")
    for user in (carol, erin):
        emu.set_member_roles(guild, user, [regulars])  # prune takes only members without roles

    # -- bans, prune and the audit log
    await emu.send_message(general, dave, "buy cheap stuff")
    await api("PUT", f"/guilds/{g}/bans/{dave.id}", {"delete_message_seconds": 3600}, headers=reason)
    await api("GET", f"/guilds/{g}/bans", params={"limit": "10"})
    await api("GET", f"/guilds/{g}/bans/{dave.id}")
    await api("DELETE", f"/guilds/{g}/bans/{dave.id}")
    await api("POST", f"/guilds/{g}/bulk-ban", {"user_ids": [str(dave.id)], "delete_message_seconds": 0})
    await api("GET", f"/guilds/{g}/prune", params={"days": "7"})
    await api("POST", f"/guilds/{g}/prune", {"days": 7, "compute_prune_count": True})
    await api("GET", f"/guilds/{g}/audit-logs", params={"limit": "20"})
    await api("GET", f"/guilds/{g}/audit-logs", params={"action_type": "22", "user_id": str(emu.bot_user.id)})

    # -- threads: from a message, without one, in a forum; members; listings
    starter = await api("POST", f"{ch}/messages", {"content": "discuss here"})
    thread = await api(
        "POST", f"{ch}/messages/{starter['id']}/threads", {"name": "discussion", "auto_archive_duration": 60}
    )
    private = await api("POST", f"{ch}/threads", {"name": "staff", "type": 12, "invitable": False})
    t = f"/channels/{thread['id']}"
    await api("POST", f"{t}/messages", {"content": "in the thread"})
    await api("PUT", f"{t}/thread-members/@me")
    await api("PUT", f"{t}/thread-members/{carol.id}")
    await api("GET", f"{t}/thread-members", params={"with_member": "true"})
    await api("GET", f"{t}/thread-members/{carol.id}")
    await api("DELETE", f"{t}/thread-members/{carol.id}")
    await api("DELETE", f"{t}/thread-members/@me")
    await api("GET", f"/guilds/{g}/threads/active")
    await api("PATCH", f"/channels/{private['id']}", {"archived": True, "locked": True})
    await api("PATCH", t, {"archived": True})
    await api("GET", f"{ch}/threads/archived/public")
    await api("GET", f"{ch}/threads/archived/private")
    await api("GET", f"{ch}/users/@me/threads/archived/private")
    forum = emu.create_channel(
        guild, "help", type=15, available_tags=[{"name": "question"}, {"name": "solved", "moderated": True}]
    )
    tag = forum.option("available_tags")[0]["id"]
    await api(
        "POST",
        f"/channels/{forum.id}/threads",
        {"name": "How do I?", "message": {"content": "Details"}, "applied_tags": [tag]},
    )

    # -- webhooks, executing them, their messages; following and crossposting
    hook = await api("POST", f"{ch}/webhooks", {"name": "Relay"})
    await api("GET", f"{ch}/webhooks")
    await api("GET", f"/guilds/{g}/webhooks")
    await api("GET", f"/webhooks/{hook['id']}")
    await api("PATCH", f"/webhooks/{hook['id']}", {"name": "Relay Two"})
    w = f"/webhooks/{hook['id']}/{hook['token']}"
    await api("GET", w, auth=False)
    await api("PATCH", w, {"name": "Relay Three"}, auth=False)
    sent = await api(
        "POST", w, {"content": "relayed", "username": "Somebody"}, auth=False, params={"wait": "true"}
    )
    await api("POST", w, {"content": "fire and forget"}, auth=False)
    await api("GET", f"{w}/messages/{sent['id']}", auth=False)
    await api("PATCH", f"{w}/messages/{sent['id']}", {"content": "relayed, edited"}, auth=False)
    await api("DELETE", f"{w}/messages/{sent['id']}", auth=False)
    await api("DELETE", w, auth=False)
    other = await api("POST", f"{ch}/webhooks", {"name": "Doomed"})
    await api("DELETE", f"/webhooks/{other['id']}")
    news = emu.create_channel(guild, "news", type=5)
    await api("POST", f"/channels/{news.id}/followers", {"webhook_channel_id": str(general.id)})
    announcement = await api("POST", f"/channels/{news.id}/messages", {"content": "release 1.0"})
    await api("POST", f"/channels/{news.id}/messages/{announcement['id']}/crosspost")

    # -- invites
    invite = await api("POST", f"{ch}/invites", {"max_age": 3600, "max_uses": 5, "unique": True})
    await api("GET", f"{ch}/invites")
    await api("GET", f"/guilds/{g}/invites")
    await api("GET", f"/invites/{invite['code']}", params={"with_counts": "true"})
    await api("DELETE", f"/invites/{invite['code']}")

    # -- polls
    poll = await api(
        "POST",
        f"{ch}/messages",
        {
            "poll": {
                "question": {"text": "Lunch?"},
                "answers": [{"poll_media": {"text": "Pizza"}}, {"poll_media": {"text": "Salad"}}],
                "duration": 1,
            }
        },
    )
    emu.vote(emu.state.message(general.id, int(poll["id"])), carol, [1])
    await api("GET", f"{ch}/polls/{poll['id']}/answers/1")
    await api("POST", f"{ch}/polls/{poll['id']}/expire")

    # -- voice states and moving members
    stage = emu.create_channel(guild, "Stage", type=13)
    lounge = emu.create_channel(guild, "Lounge", type=2)
    emu.join_voice(guild, carol, stage)
    emu.join_voice(guild, erin, lounge)
    emu.join_voice(guild, emu.bot_user, stage)
    await api("GET", f"/guilds/{g}/voice-states/@me")
    await api("GET", f"/guilds/{g}/voice-states/{carol.id}")
    await api("PATCH", f"/guilds/{g}/voice-states/@me", {"channel_id": str(stage.id), "suppress": False})
    await api(
        "PATCH", f"/guilds/{g}/voice-states/{carol.id}", {"channel_id": str(stage.id), "suppress": True}
    )
    await api("PATCH", f"/guilds/{g}/members/{erin.id}", {"channel_id": None})

    # -- scheduled events
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    end = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1, hours=2)).isoformat()
    event = await api(
        "POST",
        f"/guilds/{g}/scheduled-events",
        {
            "name": "Meetup",
            "entity_type": 3,
            "privacy_level": 2,
            "scheduled_start_time": start,
            "scheduled_end_time": end,
            "entity_metadata": {"location": "The park"},
        },
    )
    e = f"/guilds/{g}/scheduled-events/{event['id']}"
    emu.mark_interested(guild, event=int(event["id"]), user=carol)
    await api("GET", f"/guilds/{g}/scheduled-events", params={"with_user_count": "true"})
    await api("GET", e, params={"with_user_count": "true"})
    await api("PATCH", e, {"name": "Meetup (moved)"})
    await api("GET", f"{e}/users", params={"with_member": "true"})
    await api("DELETE", e)

    # -- AutoMod rules
    rule = await api(
        "POST",
        f"/guilds/{g}/auto-moderation/rules",
        {
            "name": "No spam words",
            "event_type": 1,
            "trigger_type": 1,
            "trigger_metadata": {"keyword_filter": ["spam*"]},
            "actions": [{"type": 1, "metadata": {"custom_message": "Not here"}}],
            "enabled": True,
        },
    )
    r = f"/guilds/{g}/auto-moderation/rules/{rule['id']}"
    await api("GET", f"/guilds/{g}/auto-moderation/rules")
    await api("GET", r)
    await api("PATCH", r, {"name": "No spam"})
    await api("DELETE", r)


async def exercise_extras(emu: DiscordEmulator, api: Api) -> None:
    """Guild extras, stage instances, the soundboard, the application's own resources, stickers."""
    app = emu.application_id
    frank = emu.create_user("frank")
    guild = emu.create_guild("Extras", members=[frank], bot_permissions=ALL_PERMISSIONS)
    g = guild.id
    general = emu.channel_named(guild, "general")
    vip = emu.create_role(guild, "vip")
    emu.set_member_roles(guild, frank, [vip])

    # -- preview, vanity URL, welcome screen, widget, counts, onboarding, incidents
    await api("GET", f"/guilds/{g}/preview")
    await api("GET", f"/guilds/{g}/vanity-url")
    await api(
        "PATCH",
        f"/guilds/{g}/welcome-screen",
        {
            "description": "Welcome!",
            "welcome_channels": [
                {"channel_id": str(general.id), "description": "Say hi", "emoji_name": "👋"}
            ],
        },
    )
    await api("GET", f"/guilds/{g}/welcome-screen")
    await api("PATCH", f"/guilds/{g}/widget", {"enabled": True, "channel_id": str(general.id)})
    await api("GET", f"/guilds/{g}/widget.json", auth=False)
    await api("GET", f"/guilds/{g}/roles/member-counts")
    await api(
        "PUT",
        f"/guilds/{g}/onboarding",
        {
            "enabled": False,
            "mode": 0,
            "default_channel_ids": [str(general.id)],
            "prompts": [
                {
                    "title": "What brings you here?",
                    "options": [{"title": "Games", "role_ids": [str(vip.id)], "emoji_name": "🎮"}],
                }
            ],
        },
    )
    await api("GET", f"/guilds/{g}/onboarding")
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    await api("PUT", f"/guilds/{g}/incident-actions", {"invites_disabled_until": soon})

    # -- templates
    template = await api("POST", f"/guilds/{g}/templates", {"name": "Starter", "description": "A base"})
    await api("GET", f"/guilds/{g}/templates")
    await api("GET", f"/guilds/templates/{template['code']}")
    await api("PUT", f"/guilds/{g}/templates/{template['code']}")
    await api("PATCH", f"/guilds/{g}/templates/{template['code']}", {"name": "Starter kit"})
    await api("DELETE", f"/guilds/{g}/templates/{template['code']}")

    # -- integrations
    integration = emu.add_integration(guild, "Other Bot")
    await api("GET", f"/guilds/{g}/integrations")
    await api("DELETE", f"/guilds/{g}/integrations/{integration['id']}")

    # -- stage instances, the soundboard, voice status
    stage = emu.create_channel(guild, "Town hall", type=13)
    await api("POST", "/stage-instances", {"channel_id": str(stage.id), "topic": "Q&A"})
    await api("GET", f"/stage-instances/{stage.id}")
    await api("PATCH", f"/stage-instances/{stage.id}", {"topic": "Q&A, part two"})
    await api("DELETE", f"/stage-instances/{stage.id}")
    await api("GET", "/soundboard-default-sounds")
    sound_uri = "data:audio/ogg;base64," + base64.b64encode(b"OggS" + bytes(64)).decode()
    sound = await api(
        "POST", f"/guilds/{g}/soundboard-sounds", {"name": "ding", "sound": sound_uri, "emoji_name": "🔔"}
    )
    await api("GET", f"/guilds/{g}/soundboard-sounds")
    await api("GET", f"/guilds/{g}/soundboard-sounds/{sound['sound_id']}")
    await api("PATCH", f"/guilds/{g}/soundboard-sounds/{sound['sound_id']}", {"volume": 0.5})
    lounge = emu.create_channel(guild, "Lounge", type=2)
    emu.join_voice(guild, emu.bot_user, lounge)
    await api("POST", f"/channels/{lounge.id}/send-soundboard-sound", {"sound_id": sound["sound_id"]})
    await api("PUT", f"/channels/{lounge.id}/voice-status", {"status": "chilling"})
    await api("DELETE", f"/guilds/{g}/soundboard-sounds/{sound['sound_id']}")

    # -- the application: settings, emojis, entitlements, subscriptions, command permissions
    await api("PATCH", "/applications/@me", {"description": "Checked against the spec"})
    app_emoji = await api("POST", f"/applications/{app}/emojis", {"name": "appblob", "image": PNG_URI})
    await api("GET", f"/applications/{app}/emojis")
    await api("GET", f"/applications/{app}/emojis/{app_emoji['id']}")
    await api("PATCH", f"/applications/{app}/emojis/{app_emoji['id']}", {"name": "appblobby"})
    await api("DELETE", f"/applications/{app}/emojis/{app_emoji['id']}")
    sku = 1234567890123456789
    test_entitlement = await api(
        "POST",
        f"/applications/{app}/entitlements",
        {"sku_id": str(sku), "owner_id": str(frank.id), "owner_type": 2},
    )
    subscription = emu.start_subscription(sku, frank)
    await api("GET", f"/applications/{app}/entitlements", params={"user_id": str(frank.id)})
    await api("GET", f"/applications/{app}/entitlements/{test_entitlement['id']}")
    await api("POST", f"/applications/{app}/entitlements/{test_entitlement['id']}/consume")
    await api("DELETE", f"/applications/{app}/entitlements/{test_entitlement['id']}")
    await api("GET", f"/skus/{sku}/subscriptions", params={"user_id": str(frank.id)})
    await api("GET", f"/skus/{sku}/subscriptions/{subscription['id']}")
    command = await api(
        "POST", f"/applications/{app}/guilds/{g}/commands", {"name": "vip", "description": "VIP only"}
    )
    permissions = f"/applications/{app}/guilds/{g}/commands/{command['id']}/permissions"
    await api("PUT", permissions, {"permissions": [{"id": str(vip.id), "type": 1, "permission": True}]})
    await api("GET", permissions)
    await api("GET", f"/applications/{app}/guilds/{g}/commands/permissions")

    # -- stickers
    packs = await api("GET", "/sticker-packs")
    pack = packs["sticker_packs"][0]
    await api("GET", f"/sticker-packs/{pack['id']}")
    await api("GET", f"/stickers/{pack['stickers'][0]['id']}")


async def test_every_route_answers_what_the_spec_documents(discord_emulator: DiscordEmulator) -> None:
    async with aiohttp.ClientSession() as session:
        api = Api(discord_emulator, session)
        await exercise(discord_emulator, api)
        await exercise_breadth(discord_emulator, api)
        await exercise_extras(discord_emulator, api)

    assert discord_emulator.record_bodies
    problems = []
    exercised = set()
    for record in discord_emulator.requests:
        assert record.route is not None, f"{record.method} {record.path} matched no route"
        assert 200 <= record.status < 300, f"{record.route} answered {record.status}"
        exercised.add(record.route)
        problem = response_problem(record.route, record.status, record.body)
        if problem is not None:
            problems.append(f"{record.method} {record.path} ({record.route}) -> {record.status}: {problem}")
    served = {r.name for r in ALL_ROUTES.routes}
    assert exercised == served, f"routes this test never called: {sorted(served - exercised)}"
    assert not problems, f"{len(problems)} responses break the spec:\n" + "\n".join(problems)
