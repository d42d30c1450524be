"""A bot in another process, tested entirely through the standalone emulator's ``/_zoryx`` control
API: a slash command, a button and a modal; the control API's own OpenAPI document (issue 17)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from jsonschema import Draft202012Validator

BOT_SOURCE = """
import sys, discord
from discord import app_commands
from discord.ext import commands
from zoryx_core.discord_redirect import point_discord_at

base = sys.argv[1]
point_discord_at(base + "/api/v10", base.replace("http", "ws") + "/gateway")


class Feedback(discord.ui.Modal, title="Feedback"):
    comment = discord.ui.TextInput(label="Comment", custom_id="comment")

    async def on_submit(self, interaction):
        await interaction.response.send_message(f"Thanks {interaction.user.name}: {self.comment.value}")


class Panel(discord.ui.View):
    @discord.ui.button(label="Give feedback", custom_id="panel:feedback")
    async def give(self, interaction, button):
        await interaction.response.send_modal(Feedback())

    @discord.ui.select(custom_id="panel:mood", options=[discord.SelectOption(label="Happy", value="h")])
    async def mood(self, interaction, select):
        await interaction.response.send_message(f"mood {select.values[0]}", ephemeral=True)


class Bot(commands.Bot):
    async def setup_hook(self):
        await self.tree.sync()
        print("SYNCED", flush=True)


bot = Bot(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05)


@bot.tree.command(description="Asks for feedback")
@app_commands.describe(topic="What about")
async def feedback(interaction: discord.Interaction, topic: str):
    await interaction.response.send_message(f"Feedback on {topic}?", view=Panel())


@feedback.autocomplete("topic")
async def topics(interaction, current):
    return [app_commands.Choice(name=t, value=t) for t in ("docs", "design") if t.startswith(current)]


@bot.tree.context_menu(name="Quote")
async def quote(interaction: discord.Interaction, message: discord.Message):
    await interaction.response.send_message(f"> {message.content}")


bot.run(sys.argv[2], log_handler=None)
"""


@pytest.fixture
def standalone() -> Iterator[str]:
    """``python -m zoryx_core.testing`` in its own process, on a free port; yields its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "zoryx_core.testing", "--port", "0", "--token", "control-token"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    base = None
    for line in proc.stdout:
        found = re.search(r"Discord emulator on (http://\S+)", line)
        if found:
            base = found.group(1)
        if line.startswith("post as"):
            break
    try:
        assert base is not None, "the emulator printed no address"
        yield base
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        proc.kill()


@pytest_asyncio.fixture
async def control(standalone: str) -> AsyncIterator[Any]:
    async with aiohttp.ClientSession() as session:

        async def call(method: str, path: str, body: dict[str, Any] | None = None, status: int = 200) -> Any:
            async with session.request(method, f"{standalone}/_zoryx{path}", json=body) as response:
                data = await response.json()
                assert response.status == status, f"{method} {path}: {response.status} {data}"
                return data

        yield call


async def test_bot_in_another_process_driven_through_the_control_api(standalone: str, control: Any) -> None:
    state = await control("GET", "/state")
    guild = state["guilds"][0]
    channel_id = guild["channels"][0]["id"]
    tester = next(m for m in guild["members"] if m["username"] == "tester")
    bot = subprocess.Popen(  # noqa: ASYNC220 - starting it does not block
        [sys.executable, "-c", BOT_SOURCE, standalone, state["token"]], stdout=subprocess.PIPE, text=True
    )
    try:
        assert bot.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(bot.stdout.readline), 30)
        assert line.strip() == "SYNCED"
        async with asyncio.timeout(30):  # the bot identifies after syncing its commands
            while not any(s["connected"] for s in (await control("GET", "/state"))["sessions"]):
                await asyncio.sleep(0.05)

        asked = await control(
            "POST",
            "/interactions/slash",
            {
                "channel_id": channel_id,
                "user_id": tester["id"],
                "command": "feedback",
                "options": {"topic": "docs"},
            },
        )
        assert asked["response_type"] == 4 and asked["message"]["content"] == "Feedback on docs?"
        opened = await control(
            "POST",
            "/interactions/click",
            {
                "channel_id": channel_id,
                "message_id": asked["message"]["id"],
                "user_id": tester["id"],
                "label": "Give feedback",
            },
        )
        assert opened["response_type"] == 9 and opened["modal"]["title"] == "Feedback"
        submitted = await control(
            "POST",
            "/interactions/modal",
            {"interaction_id": opened["interaction_id"], "values": {"comment": "more examples"}},
        )
        assert submitted["message"]["content"] == "Thanks tester: more examples"
        chosen = await control(
            "POST",
            "/interactions/select",
            {
                "channel_id": channel_id,
                "message_id": asked["message"]["id"],
                "user_id": tester["id"],
                "labels": ["Happy"],
            },
        )
        assert chosen["ephemeral"] and chosen["message"]["content"] == "mood h"
        quoted = await control(
            "POST",
            "/interactions/context",
            {
                "channel_id": channel_id,
                "user_id": tester["id"],
                "command": "Quote",
                "target_message_id": asked["message"]["id"],
            },
        )
        assert quoted["message"]["content"] == "> Feedback on docs?"
        suggested = await control(
            "POST",
            "/interactions/autocomplete",
            {
                "channel_id": channel_id,
                "user_id": tester["id"],
                "command": "feedback",
                "focused": "topic",
                "value": "de",
            },
        )
        assert suggested["choices"] == [{"name": "design", "value": "design"}]

        # refusals name what was wrong; nothing the bot called went unserved
        refused = await control("POST", "/interactions/click", {"channel_id": channel_id}, status=400)
        assert "message_id" in refused["error"] and "user_id" in refused["error"]
        unknown = await control(
            "POST",
            "/interactions/slash",
            {"channel_id": channel_id, "user_id": tester["id"], "command": "nope"},
            status=400,
        )
        assert "no command 'nope'" in unknown["error"] and "feedback" in unknown["error"]
        assert (await control("GET", "/not-emulated"))["routes"] == []
    finally:
        bot.terminate()
        bot.wait(5)


async def test_control_api_documents_itself(control: Any) -> None:
    document = await control("GET", "/openapi.json")
    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    for path in ("/_zoryx/interactions/slash", "/_zoryx/members/ban", "/_zoryx/polls/vote", "/_zoryx/voice"):
        assert "post" in paths[path], path
    vote = paths["/_zoryx/polls/vote"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    validator = Draft202012Validator(vote)
    assert validator.is_valid({"channel_id": "1", "message_id": 2, "user_id": "3", "answers": [1]})
    assert not validator.is_valid({"channel_id": "1", "answers": [1]})

    # the documented actions work: a member joins, gets banned, and is refused on the way back
    state = await control("GET", "/state")
    guild_id = state["guilds"][0]["id"]
    user = await control("POST", "/users", {"username": "mallory"}, status=201)
    await control("POST", "/members/add", {"guild_id": guild_id, "user_id": user["id"]})
    await control("POST", "/members/ban", {"guild_id": guild_id, "user_id": user["id"], "reason": "spam"})
    refused = await control("POST", "/members/add", {"guild_id": guild_id, "user_id": user["id"]}, status=400)
    assert "banned" in refused["error"]


async def test_every_control_action_acts(discord_emulator: Any) -> None:
    """Each documented action changes the world as its summary says (no bot needed)."""
    from zoryx_core.testing import DiscordEmulator
    from zoryx_core.testing.control import CONTROL_ACTIONS

    emu: DiscordEmulator = discord_emulator
    called: set[str] = set()
    async with aiohttp.ClientSession() as session:

        async def call(
            method: str, path: str, body: dict[str, Any] | None = None, status: int | None = None
        ) -> Any:
            template = next(a for a in CONTROL_ACTIONS if a.method == method and _matches(a.path, path))
            called.add(f"{method} {template.path}")
            async with session.request(method, f"{emu.base_url}/_zoryx{path}", json=body) as response:
                data = await response.json()
                expected = status or template.status
                assert response.status == expected, f"{method} {path}: {response.status} {data}"
                return data

        alice = await call("POST", "/users", {"username": "alice"})
        bob = await call("POST", "/users", {"username": "bob"})
        guild = await call("POST", "/guilds", {"name": "Controlled", "members": [alice["id"]]})
        g = emu.state.guilds[int(guild["id"])]
        await call("POST", "/members/add", {"guild_id": guild["id"], "user_id": bob["id"]})
        state = await call("GET", "/state")
        general = next(c for gd in state["guilds"] if gd["id"] == guild["id"] for c in gd["channels"])["id"]
        voice = await call("POST", "/channels", {"guild_id": guild["id"], "name": "Voice", "type": 2})
        forum = await call(
            "POST",
            "/channels",
            {"guild_id": guild["id"], "name": "ideas", "type": 15, "available_tags": [{"name": "idea"}]},
        )
        role = await call(
            "POST", "/roles", {"guild_id": guild["id"], "name": "crew", "members": [alice["id"]]}
        )
        assert int(role["id"]) in g.members[int(alice["id"])].roles

        said = await call(
            "POST", "/messages", {"channel_id": general, "user_id": alice["id"], "content": "hi"}
        )
        reply = await call(
            "POST",
            "/messages",
            {"channel_id": general, "user_id": bob["id"], "content": "yo", "reply_to": said["id"]},
        )
        assert reply["type"] == 19
        await call(
            "POST", "/messages/edit", {"channel_id": general, "message_id": said["id"], "content": "hello"}
        )
        reaction = {"channel_id": general, "message_id": said["id"], "user_id": bob["id"], "emoji": "👍"}
        await call("POST", "/reactions/add", reaction)
        message = emu.state.message(int(general), int(said["id"]))
        assert message.content == "hello" and message.reactions["👍"] == [int(bob["id"])]
        await call("POST", "/reactions/remove", reaction)
        assert message.reactions["👍"] == []
        await call("POST", "/typing", {"channel_id": general, "user_id": alice["id"]})
        listed = await call("GET", f"/channels/{general}/messages?after={said['id']}")
        assert [m["content"] for m in listed] == ["yo"]
        await call("POST", "/messages/delete", {"channel_id": general, "message_id": reply["id"]})

        poll = await emu.send_poll(
            emu.state.channels[int(general)], g.members[int(alice["id"])], "Now?", ["yes", "no"]
        )
        vote = {"channel_id": general, "message_id": str(poll.id), "user_id": bob["id"], "answers": [2]}
        await call("POST", "/polls/vote", vote)
        await call("POST", "/polls/end", {"channel_id": general, "message_id": str(poll.id)})
        assert (
            poll.poll is not None
            and poll.poll["is_finalized"]
            and poll.poll_votes == {1: [], 2: [int(bob["id"])]}
        )

        await call(
            "POST", "/voice", {"guild_id": guild["id"], "user_id": bob["id"], "channel_id": voice["id"]}
        )
        assert g.voice_states[int(bob["id"])].channel_id == int(voice["id"])
        await call("POST", "/voice", {"guild_id": guild["id"], "user_id": bob["id"], "channel_id": None})
        assert int(bob["id"]) not in g.voice_states
        await call("POST", "/presence", {"user_id": bob["id"], "status": "idle"})
        refused = await call("POST", "/presence", {"user_id": bob["id"], "status": "asleep"}, status=400)
        assert "online, idle, dnd, offline" in refused["error"]

        thread = await call(
            "POST", "/threads", {"channel_id": general, "user_id": alice["id"], "name": "chat"}
        )
        assert thread["type"] == 11
        post = await call(
            "POST",
            "/forum-posts",
            {
                "channel_id": forum["id"],
                "user_id": alice["id"],
                "name": "Idea",
                "content": "Dark mode",
                "tags": ["idea"],
            },
        )
        assert post["message"]["id"] == post["thread"]["id"] and post["thread"]["applied_tags"]

        invite = await call(
            "POST", "/invites", {"channel_id": general, "user_id": alice["id"], "max_uses": 1}
        )
        carol = await call("POST", "/users", {"username": "carol"})
        await call("POST", "/invites/join", {"code": invite["code"], "user_id": carol["id"]})
        assert invite["code"] not in emu.state.invites
        await call(
            "POST", "/members/kick", {"guild_id": guild["id"], "user_id": carol["id"], "reason": "test"}
        )
        await call(
            "POST", "/members/ban", {"guild_id": guild["id"], "user_id": carol["id"], "by": alice["id"]}
        )
        await call("POST", "/members/unban", {"guild_id": guild["id"], "user_id": carol["id"]})
        await call("POST", "/members/leave", {"guild_id": guild["id"], "user_id": bob["id"]})
        assert [e.action_type for e in g.audit_log][-3:] == [20, 22, 23]
        assert g.audit_log[-2].user_id == int(alice["id"])
        assert (await call("GET", "/not-emulated"))["routes"] == []
        unknown = await call(
            "POST", "/messages", {"channel_id": "1", "user_id": alice["id"], "content": "x"}, status=404
        )
        assert unknown["error"] == "Unknown Channel"

    interactions = {a for a in called} | {
        f"{a.method} {a.path}" for a in CONTROL_ACTIONS if "/interactions/" in a.path
    }
    # the interactions need a bot: the other test in this module drives them from another process
    assert interactions >= {f"{a.method} {a.path}" for a in CONTROL_ACTIONS}


def _matches(template: str, path: str) -> bool:
    template_parts, path_parts = template.split("/"), path.split("?")[0].split("/")
    return len(template_parts) == len(path_parts) and all(
        t == p or t.startswith("{") for t, p in zip(template_parts, path_parts, strict=True)
    )
