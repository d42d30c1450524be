"""zoryx-cluster imports redis (and its runtime, commands and launcher) only once a Redis URL is
configured: a bot without ``ZORYX_REDIS_URL``, where the plugin refuses to start, never pays for
them. Each check runs in a fresh interpreter."""

from __future__ import annotations

import zoryx_cluster

from zoryx_core.testing.import_cost import modules_after_import, modules_after_start

NEEDS_REDIS = frozenset(
    {"redis", "redis.asyncio", "zoryx_cluster.runtime", "zoryx_cluster.cog", "zoryx_cluster.launcher"}
)


def test_importing_the_plugin_imports_no_redis() -> None:
    modules = modules_after_import("zoryx_cluster", environ={"ZORYX_REDIS_URL": ""})
    assert "zoryx_cluster" in modules
    assert sorted(NEEDS_REDIS & modules) == []


def test_a_bot_without_a_redis_url_imports_no_redis() -> None:
    started = modules_after_start("zoryx-cluster", environ={"ZORYX_REDIS_URL": ""})
    assert started.loaded == ()  # the plugin refuses to start without Redis
    assert sorted(NEEDS_REDIS & started.modules) == []


def test_with_a_redis_url_the_cluster_starts_with_redis(redis_url: str) -> None:
    started = modules_after_start("zoryx-cluster", environ={"ZORYX_REDIS_URL": redis_url})
    assert started.loaded == ("zoryx-cluster",)
    assert {"redis.asyncio", "zoryx_cluster.runtime", "zoryx_cluster.cog"} <= started.modules


def test_every_public_name_is_there() -> None:
    missing = [name for name in zoryx_cluster.__all__ if not hasattr(zoryx_cluster, name)]
    assert missing == []
    assert set(zoryx_cluster.__all__) <= set(dir(zoryx_cluster))
