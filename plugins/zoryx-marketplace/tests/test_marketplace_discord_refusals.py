"""What must not install: a member's attempts (the command, the menu's button, the owner's
confirmation), a wheel whose sha256 is not the catalog's, and a plugin whose set-up fails. Each
shows why, and ``pip freeze`` stays as it was."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from conftest import ECHO, FAULTY, INFO, accept_terms, confirm_twice, entry_of, fields, labels, title

if TYPE_CHECKING:
    from conftest import World


async def test_a_member_can_neither_install_nor_confirm_the_owners_install(
    world: World, catalog: Any
) -> None:
    emu, boss, member, general = world.emu, world.boss, world.member, world.general
    bot = await world.start(catalog)

    refused = await emu.converse(general, member, f"!marketplace install {ECHO}")
    assert "is for the bot's owners only" in refused.embeds[0]["description"]

    menu = await accept_terms(world, member)  # browsing is for everyone
    await emu.click(menu, user=member, label="Browse")
    await emu.choose(menu, [ECHO], user=member)
    attempt = await emu.click(menu, user=member, label="Install")
    assert attempt.ephemeral and title(attempt.message) == "❌ Bot owners only"  # type: ignore[arg-type]

    confirm = await accept_terms(world, boss, f"!marketplace install {ECHO}")
    assert title(confirm) == f"⚠️ Install {ECHO} 0.2.0?"
    intruder = await emu.click(confirm, user=member, label="Confirm")
    assert intruder.ephemeral and "Only boss can use these controls" in intruder.content
    assert labels(world.current(confirm))[0] == "Confirm"  # not armed by the member's click
    await emu.click(confirm, user=boss, label="Cancel")
    cancelled = await world.until(confirm, lambda m: title(m) == f"{INFO} Cancelled", "the cancellation")
    assert cancelled.components == []

    assert ECHO not in bot.plugins.loaded and bot.get_command("mptecho") is None
    assert await world.env.freeze() == world.env.before


async def test_a_refused_wheel_and_a_failing_plugin_show_the_failed_step_and_change_nothing(
    world: World, catalog: Any, market_wheels: Path
) -> None:
    emu, boss, general = world.emu, world.boss, world.general
    wrong = hashlib.sha256((market_wheels / "zoryx_mpt_dice-0.1.0-py3-none-any.whl").read_bytes()).hexdigest()
    entry_of(catalog, ECHO, "0.2.0")["sha256"] = wrong  # the catalog names another file's digest
    bot = await world.start(catalog)

    question = await accept_terms(world, boss, f"!marketplace install {ECHO}")
    await confirm_twice(world, question, boss)
    failed = await world.until(question, lambda m: "failed" in title(m), "the refusal")
    assert title(failed) == f"❌ Installing {ECHO} failed"
    description = failed.embeds[0]["description"]
    assert description.startswith(
        "Failed at step **hash**: the sha256 of zoryx_mpt_echo-0.2.0-py3-none-any.whl is "
    )
    assert f"the catalog says {wrong} (file refused)" in description
    assert "❌ **hash**" in fields(failed)["Steps"] and "✅ **download**" in fields(failed)["Steps"]
    assert fields(failed)["Environment"] == "The environment was left as it was."
    assert await world.env.freeze() == world.env.before

    question = await emu.converse(general, boss, f"!marketplace install {FAULTY}")
    await confirm_twice(world, question, boss)
    failed = await world.until(question, lambda m: "failed" in title(m), "the failed activation")
    description = failed.embeds[0]["description"]
    assert (
        description.startswith("Failed at step **activate**: ") and "its set-up always fails" in description
    )
    assert "✅ **rollback**" in fields(failed)["Steps"]
    assert fields(failed)["Environment"] == "The environment was left as it was."
    assert FAULTY not in bot.plugins.loaded
    assert await world.env.freeze() == world.env.before


async def test_a_catalog_urls_credentials_reach_neither_members_nor_logs(
    world: World, catalog: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Any member can open the menu; when the catalog fails, the error shows its URL without the
    user name, password or query string, and so do the logged retries."""
    published = world.server.publish(catalog)
    secret = (
        published.replace("http://", "http://operator:hunter2@").replace("catalog.json", "missing.json")
        + "?access_token=s3cr3t"
    )
    world.server.fail(secret, 503)  # one retry (logged), then the missing document's 404
    caplog.set_level(logging.DEBUG)
    await world.start(catalog, **{"marketplace.catalog_url": secret})
    answer = await world.emu.converse(world.general, world.member, "!marketplace")
    assert title(answer) == "❌ The marketplace is unavailable"
    shown = json.dumps(answer.embeds)
    assert "answered HTTP 404" in shown and "http://***@127.0.0.1" in shown and "missing.json?***" in shown
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "retrying" in logged
    for text in (shown, logged):
        assert "hunter2" not in text and "s3cr3t" not in text and "operator" not in text


async def test_a_catalog_over_plain_http_is_refused_unless_the_operator_allows_it(
    world: World, catalog: Any
) -> None:
    await world.start(catalog, **{"marketplace.allow_insecure_http": False})
    answer = await world.emu.converse(world.general, world.member, "!marketplace")
    assert title(answer) == "❌ The marketplace is unavailable"
    description = answer.embeds[0]["description"]
    assert "is plain http://" in description and "marketplace.allow_insecure_http" in description
    assert await world.env.freeze() == world.env.before


async def test_a_members_terms_acceptance_does_not_keep_the_catalogs_credentials(
    world: World, catalog: Any
) -> None:
    """The acceptance is a document of the member's own data (``mydata`` shows it): its key names
    the marketplace without the catalog URL's credentials or query string."""
    published = world.server.publish(catalog)
    secret = published.replace("http://", "http://operator:hunter2@") + "?access_token=s3cr3t"
    bot = await world.start(catalog, **{"marketplace.catalog_url": secret})
    menu = await accept_terms(world, world.member)
    assert title(menu) == "🛒 Zoryx test marketplace"
    documents = await bot.storage.for_plugin("zoryx-marketplace").items(user_id=world.member.id)
    assert list(documents) == [f"terms:{published.replace('http://', 'http://***@')}?***"]
