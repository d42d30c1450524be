"""Secrets never reach a user, a log or stderr: URL credentials and query strings are redacted in
error replies and log files, and a malformed ``.env`` line is reported without its value."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zoryx_core.logs import LogConfig, setup_logging
from zoryx_core.redact import RedactingFilter, redact_dsn, redact_text, redact_url
from zoryx_core.settings import DeploymentError, Setting, SettingsError, read_dotenv
from zoryx_core.testing import DiscordEmulator
from zoryx_core.testing.zoryx_bots import make_zoryx_bot

SECRET_URL = "https://catalog-user:hunter2-pass@plugins.example.invalid/catalog.json?access_token=tok-9f8e7d"
TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"


def assert_no_secret(text: str) -> None:
    for secret in ("hunter2-pass", "tok-9f8e7d", "catalog-user:hunter2"):
        assert secret not in text, f"{secret!r} leaked in: {text[:300]}"


# --------------------------------------------------------------------------------------- the helper


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (SECRET_URL, "https://***@plugins.example.invalid/catalog.json?***"),
        ("postgresql://app:s3cret@db.internal:5432/zoryx", "postgresql://***@db.internal:5432/zoryx"),
        ("redis://:s3cret@cache:6379/0", "redis://***@cache:6379/0"),
        ("https://ghp_token123@github.com/org/repo.git", "https://***@github.com/org/repo.git"),
        ("https://h/p?a=1&b=&c#frag", "https://h/p?***#***"),
        ("http://[::1/bad?key=v", "http://[::1/bad?***"),  # urlsplit refuses it; still redacted
        ("https://pypi.org/simple", "https://pypi.org/simple"),
        ("plugins/catalog.json", "plugins/catalog.json"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_dsn_and_free_text() -> None:
    keywords = "host=db user=app password='two words' dbname=z"
    assert redact_dsn(keywords) == "host=db user=app password=*** dbname=z"
    assert redact_dsn("postgresql://app:pw@db/z") == "postgresql://***@db/z"
    text = f"could not fetch {SECRET_URL}: 401 (retry with {SECRET_URL}.)"
    redacted = redact_text(text)
    assert_no_secret(redacted)
    assert redacted.endswith("catalog.json?***.)") and "could not fetch https://***@" in redacted


def test_settings_errors_show_urls_redacted() -> None:
    spec = Setting("service.url", "", "str", "where", validator=lambda v: "must use https" if v else None)
    with pytest.raises(SettingsError) as caught:
        spec.validate(SECRET_URL.replace("https", "http"), source="environment ZORYX_SERVICE__URL")
    assert "must use https" in str(caught.value)
    assert_no_secret(str(caught.value))


def test_redacting_filter_covers_message_arguments_and_tracebacks() -> None:
    try:
        raise RuntimeError(f"fetch failed for {SECRET_URL}")
    except RuntimeError as error:
        record = logging.LogRecord(
            "x",
            logging.ERROR,
            __file__,
            1,
            "fetching %s",
            (SECRET_URL,),
            (type(error), error, error.__traceback__),
        )
    assert RedactingFilter().filter(record)
    rendered = logging.Formatter().format(record)
    assert_no_secret(rendered)
    assert "RuntimeError: fetch failed for https://***@" in rendered


# ------------------------------------------------------------------------------------------- .env


@pytest.mark.parametrize(
    "line",
    [
        TOKEN,  # the token pasted without a name
        f"DISCORD_TOKEN {TOKEN}",  # a space instead of '='
        f"DISCORD-TOKEN={TOKEN}",
        f"{TOKEN}==",  # base64-looking text with padding: the "name" is the secret
        f"DISCORD_TOKEN='{TOKEN}",
        f'DISCORD_TOKEN="{TOKEN}',
        f"DISCORD_TOKEN='{TOKEN[:20]}' {TOKEN[20:]}",
    ],
)
def test_malformed_dotenv_lines_never_echo_the_value(tmp_path: Path, line: str) -> None:
    path = tmp_path / ".env"
    path.write_text(f"BOT_OWNER_ID=1\n{line}\n")
    with pytest.raises(DeploymentError) as caught:
        read_dotenv(path)
    message = str(caught.value)
    assert message.startswith(f"{path} line 2")
    for piece in (TOKEN[:12], TOKEN[-12:], TOKEN[20:32]):
        assert piece not in message


def test_zoryx_run_with_a_malformed_dotenv_prints_no_part_of_the_token(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"BOT_OWNER_ID=1\nDISCORD_TOKEN {TOKEN}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZORYX_", "DISCORD_", "BOT_OWNER"))}
    result = subprocess.run(
        [sys.executable, "-m", "zoryx_core.cli", "run"],
        cwd=tmp_path,
        env=env | {"COLUMNS": "300"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "line 2" in result.stderr and "expected KEY=VALUE" in result.stderr
    assert TOKEN[:8] not in result.stderr + result.stdout


# ------------------------------------------------------------------------- the real bot on the emulator

BROKEN_DB_EXTENSION = """
async def setup(bot):
    raise ConnectionError("cannot connect to postgresql://bot:db-pass-77@db.internal/zoryx")
"""

LEAKY_COG = f'''
import logging

from discord.ext import commands

URL = "{SECRET_URL}"


class Fetcher(commands.Cog):
    @commands.hybrid_command()
    async def fetchcatalog(self, ctx):
        """Fails like a plugin whose catalog cannot be reached."""
        raise commands.BadArgument(f"the catalog at {{URL}} answered 401")

    @commands.command()
    async def crashcatalog(self, ctx):
        logging.getLogger("community.fetcher").warning("fetching %s", URL)
        raise RuntimeError(f"unreachable: {{URL}}")


async def setup(bot):
    await bot.add_cog(Fetcher())
'''


async def test_error_replies_and_log_files_never_show_url_credentials(
    discord_emulator: DiscordEmulator, bot_runner, tmp_path: Path
) -> None:
    emu = discord_emulator
    member = emu.create_user("member")
    guild = emu.create_guild("Secrets", members=[member])
    channel = emu.channel_named(guild, "general")
    (tmp_path / "extensions").mkdir()
    (tmp_path / "extensions" / "fetcher.py").write_text(LEAKY_COG)
    (tmp_path / "extensions" / "brokendb.py").write_text(BROKEN_DB_EXTENSION)
    logs = setup_logging(LogConfig(directory=tmp_path / "logs", console=False))
    try:
        bot = make_zoryx_bot(tmp_path, config={"cooldowns.default_rate": 0, "errors.delete_after": 0})
        await bot_runner(bot)
        await bot.tree.sync()

        typed = await emu.converse(channel, member, "!fetchcatalog")
        description = typed.embeds[0]["description"]
        assert_no_secret(description)
        assert "***@plugins.example.invalid/catalog.json?***" in description

        slashed = await emu.run_slash("fetchcatalog", channel=channel, user=member)
        assert slashed.ephemeral
        assert_no_secret(slashed.embeds[0]["description"])

        crashed = await emu.converse(channel, member, "!crashcatalog")
        assert "logged as" in crashed.embeds[0]["description"]

        info = await emu.converse(channel, member, "!plugininfo brokendb")  # a plugin's failure reason
        shown = str(info.embeds[0])
        assert "postgresql://***@db.internal/zoryx" in shown and "db-pass-77" not in shown
        await bot.close()
    finally:
        logs.stop()
    for name in ("permanent.log", "current_run.log"):
        text = (tmp_path / "logs" / name).read_text(encoding="utf-8")
        assert "unreachable: https://***@" in text, "the traceback is still logged"
        assert "fetching https://***@" in text
        assert_no_secret(text)
        assert "db-pass-77" not in text
