"""Building a real :class:`ZoryxBot` for tests: its own folder, config and plugin selection."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..bot import ZoryxBot
from ..plugins.resolution import Selection
from ..settings import Deployment, Settings

__all__ = ["make_zoryx_bot"]


def make_zoryx_bot(
    home: Path,
    *,
    plugins: Iterable[str] | None = None,
    disabled: Iterable[str] = (),
    no_plugins: bool = False,
    config: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    search_path: Sequence[str] | None = None,
    hot_reload: bool = False,
    owner_id: int | None = None,
    **options: Any,
) -> ZoryxBot:
    """A ZoryxBot living in ``home`` (config.json, data/, extensions/ resolved there).

    ``plugins`` limits loading to those names (``None``: every discovered plugin);
    ``config`` holds dotted keys written to ``config.json`` before loading, e.g.
    ``{"plugins.setup_timeout": 1.0}``; ``environ`` adds ``ZORYX_*`` overrides (and
    ``ZORYX_DATABASE_URL``, the PostgreSQL store when ``storage.backend`` is ``postgresql``).
    """
    home.mkdir(parents=True, exist_ok=True)
    config_path = home / "config.json"
    document: dict[str, Any] = {}
    if config_path.exists():
        document = json.loads(config_path.read_text(encoding="utf-8"))
    for key, value in (config or {}).items():
        node = document
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    document.setdefault("startup", {}).setdefault("guild_ready_timeout", 0.05)
    config_path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    settings = Settings.load(config_path, dict(environ or {}))
    selection = Selection.of(
        plugins or (),
        list(disabled) + list(settings["plugins.disabled"]),
        none=no_plugins,
        only_source="the test's plugin list",
    )
    deployment_env = {k: v for k, v in (environ or {}).items() if k == "ZORYX_DATABASE_URL"}
    if owner_id:
        deployment_env["BOT_OWNER_ID"] = str(owner_id)
    deployment = Deployment.from_environ(deployment_env)
    return ZoryxBot(
        settings,
        deployment,
        selection=selection,
        search_path=search_path,
        hot_reload=hot_reload,
        base_dir=home,
        **options,
    )
