"""pytest fixtures for end-to-end tests on the emulator, registered through the ``pytest11`` entry point.

Any project that installs ``zoryx-core[testing]`` gets:

- ``discord_emulator``: a started :class:`DiscordEmulator` with discord.py pointed at it;
- ``bot_runner``: ``await bot_runner(bot)`` starts a bot on the emulator, waits until it is
  ready, and closes it when the test ends;
- ``zoryx_bot``: ``await zoryx_bot(plugins=[...])`` starts a real ZoryxBot with its plugins in a
  folder of its own and closes it when the test ends;
- ``postgres_dsn``: a database of the test run's own on a real PostgreSQL server (see
  :mod:`zoryx_core.testing.postgres_server`), dropped at the end; skips when there is none (fails
  under ``CI=true``).

The ``emulator_strict_routes`` marker (or ``--emulator-strict-routes``, or ``emulator_strict_routes =
true`` in the ini file) fails a test whose bot called a route the emulator does not serve.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from typing import Any

import pytest

from .postgres_server import HOW_TO_RUN, find_postgres, scratch_database

__all__ = [
    "bot_runner",
    "discord_emulator",
    "postgres_dsn",
    "pytest_addoption",
    "pytest_configure",
    "zoryx_bot",
]


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A database of this test run's own (dropped at the end)."""
    with find_postgres() as server:
        if server is None:
            if os.environ.get("CI") == "true":
                pytest.fail(HOW_TO_RUN)
            pytest.skip(HOW_TO_RUN)
        with scratch_database(server) as database:
            yield database.dsn


_STRICT_HELP = "fail a test whose bot called a REST route the Discord emulator does not serve"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--emulator-strict-routes", action="store_true", default=False, help=_STRICT_HELP)
    parser.addini("emulator_strict_routes", _STRICT_HELP, type="bool", default=False)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"emulator_strict_routes(enabled=True): {_STRICT_HELP}")


if importlib.util.find_spec("pytest_asyncio") is not None:
    from ._pytest_fixtures import bot_runner, discord_emulator, zoryx_bot
else:  # pragma: no cover - only without the testing extra
    _HINT = "the Zoryx emulator fixtures need pytest-asyncio: pip install 'zoryx-core[testing]'"

    @pytest.fixture(name="discord_emulator")
    def _discord_emulator_unavailable() -> Any:
        pytest.fail(_HINT)

    @pytest.fixture(name="bot_runner")
    def _bot_runner_unavailable() -> Any:
        pytest.fail(_HINT)

    @pytest.fixture(name="zoryx_bot")
    def _zoryx_bot_unavailable() -> Any:
        pytest.fail(_HINT)
