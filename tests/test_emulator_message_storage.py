"""Stored messages keep no empty containers, and the cheaper request paths answer as before.

The emulator keeps every message it was sent, so what one stored message holds is paid for by
every garbage collection after it: a plain message holds no lists or dicts until one is read.
"""

from __future__ import annotations

import gc

from zoryx_core.testing import DiscordEmulator, Message
from zoryx_core.testing.fast_http import RouteTrie, _serialize
from zoryx_core.testing.http_utils import JsonAnswer
from zoryx_core.testing.mutations import build_message
from zoryx_core.testing.routes import ALL_ROUTES


def test_container_fields_left_out_read_as_new_empty_containers() -> None:
    first, second = Message(1, 10, 100, "a"), Message(2, 10, 100, "b")
    assert first.embeds == [] and first.reactions == {} and first.sticker_ids == []
    first.embeds.append({"title": "kept"})
    first.reactions.setdefault("👍", []).append(100)
    assert first.embeds == [{"title": "kept"}] and first.reactions == {"👍": [100]}
    assert second.embeds == [] and second.reactions == {}  # nothing shared between messages
    mentions = [5]
    third = Message(3, 10, 100, mention_ids=mentions)
    assert third.mention_ids is mentions  # a container given is kept as it is
    third.mention_ids = [6]
    assert third.mention_ids == [6]
    explicit = Message(4, 10, 100, "d", embeds=[], components=[], reactions={}, sticker_ids=[])
    assert Message(4, 10, 100, "d") == explicit
    assert repr(Message(4, 10, 100, "d")) == repr(explicit)


async def test_a_stored_plain_message_holds_no_containers() -> None:
    emu = DiscordEmulator()
    alice = emu.create_user("alice")
    guild = emu.create_guild("Plain", text_channels=["general"], members=[alice])
    channel = emu.channel_named(guild, "general")
    sent = await emu.send_message(channel, alice, "hello")
    payload = emu.state.message_payload(sent, viewer_id=emu.bot_user.id, gateway=True)
    assert payload["embeds"] == [] and payload["mentions"] == [] and payload["components"] == []
    assert "reactions" not in payload and "sticker_items" not in payload
    held = [type(value).__name__ for value in gc.get_referents(sent) if isinstance(value, list | dict)]
    assert held == []


def test_a_message_built_from_a_full_body_copies_what_it_was_given() -> None:
    emu = DiscordEmulator()
    alice = emu.create_user("alice")
    guild = emu.create_guild("Full", text_channels=["general"], members=[alice])
    channel = emu.channel_named(guild, "general")
    embeds = [{"title": "t"}]
    components = [{"type": 1, "components": [{"type": 2, "style": 1, "label": "b", "custom_id": "c"}]}]
    body = {
        "content": "x",
        "embeds": embeds,
        "components": components,
        "flags": "4",
        "tts": 1,
        "nonce": "n-1",
        "sticker_ids": ["7", 8],
    }
    message = build_message(emu, channel, alice.id, body)
    assert message.embeds == embeds and message.embeds is not embeds
    assert message.components == components and message.components is not components
    assert (message.flags, message.tts, message.nonce, message.sticker_ids) == (4, True, "n-1", [7, 8])
    bare = build_message(emu, channel, alice.id, {"content": "y", "flags": 0, "tts": False, "nonce": None})
    assert (bare.flags, bare.tts, bare.nonce, bare.embeds, bare.sticker_ids) == (0, False, None, [], [])
    webhook = build_message(emu, channel, alice.id, {"content": "z"}, webhook_id=99, application_id=98)
    assert (webhook.webhook_id, webhook.application_id) == (99, 98)


def test_route_matches_of_one_path_are_equal_but_not_shared() -> None:
    trie = RouteTrie(ALL_ROUTES.routes, "/api/v10")
    path = "/api/v10/channels/123/messages/456"
    route, first, other_method = trie.match("GET", path)
    assert route is not None and first == {"channel_id": "123", "message_id": "456"} and not other_method
    first["channel_id"] = "changed"
    again, second, _ = trie.match("GET", path)
    assert again is route and second == {"channel_id": "123", "message_id": "456"}
    assert trie.match("GET", "/api/v10/channels/124/messages/457")[1]["channel_id"] == "124"
    assert trie.match("PATCH", "/api/v10/channels/123/typing") == (None, {}, True)
    assert trie.match("PATCH", "/api/v10/channels/123/typing") == (None, {}, True)


def test_a_json_answer_is_written_with_its_headers_in_order() -> None:
    answer = JsonAnswer({"id": "1"})
    answer.headers.update({"X-RateLimit-Limit": "10", "X-RateLimit-Bucket": "abc"})
    assert _serialize(answer, keep_alive=True) == (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-RateLimit-Limit: 10\r\n"
        b'X-RateLimit-Bucket: abc\r\nContent-Length: 10\r\nConnection: keep-alive\r\n\r\n{"id":"1"}'
    )
