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


class Bot(commands.Bot):
    async def setup_hook(self):
        await self.tree.sync()
        print("SYNCED", flush=True)


bot = Bot(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05)


@bot.tree.command(description="Asks for feedback")
@app_commands.describe(topic="What about")
async def feedback(interaction: discord.Interaction, topic: str):
    await interaction.response.send_message(f"Feedback on {topic}?", view=Panel())


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
