"""Resolution before import: pure functions over plugin metadata."""

from __future__ import annotations

from pathlib import Path

from packaging.requirements import Requirement

from zoryx_core.plugins.metadata import PluginSpec, discover_extensions, extension_name
from zoryx_core.plugins.resolution import Selection, resolve


def spec(name: str, *requires: str, version: str = "1.0", plugins: tuple[str, ...] = ()) -> PluginSpec:
    reqs = tuple(Requirement(r) for r in requires)
    plugin_reqs = tuple(r for r in reqs if r.name in plugins)
    return PluginSpec(name, "distribution", name.replace("-", "_"), version, requirements=reqs,
                      plugin_requirements=plugin_reqs)  # fmt: skip


def versions(name: str) -> str | None:
    return {"aiohttp": "3.9.5"}.get(name)


def test_order_is_topological_and_keeps_discovery_order_for_ties() -> None:
    names = ("a", "b", "c", "d")
    specs = [
        spec("d", "b", plugins=names),
        spec("c", plugins=names),
        spec("b", "a", plugins=names),
        spec("a"),
    ]
    result = resolve(specs, Selection(), "0.1.0", versions)
    assert [s.name for s in result.order] == ["c", "a", "b", "d"]
    assert not result.skipped and not result.failed


def test_reasons_before_import() -> None:
    names = ("base", "user", "user-of-user", "old")
    specs = [
        spec("base", version="1.2"),
        spec("user", "base>=2", plugins=names),
        spec("user-of-user", "user", plugins=names),
        spec("lib-user", "aiohttp>=4"),
        spec("missing-lib", "yaml-thing>=1"),
        spec("old", "zoryx-core<0.1"),
    ]
    result = resolve(specs, Selection(), "0.1.0", versions)
    assert result.skipped == {
        "user": "requires base>=2, but base 1.2 is installed",
        "user-of-user": "requires user, which is skipped: requires base>=2, but base 1.2 is installed",
        "lib-user": "requires aiohttp>=4, but aiohttp 3.9.5 is installed",
        "missing-lib": "requires yaml-thing>=1, which is not installed",
        "old": "requires zoryx-core<0.1, but zoryx-core 0.1.0 is running",
    }
    assert [s.name for s in result.order] == ["base"]


def test_cycles_are_named_and_dependents_blocked() -> None:
    names = ("x", "y", "z", "w")
    specs = [spec("x", "y", plugins=names), spec("y", "z", plugins=names), spec("z", "x", plugins=names)]
    specs.append(spec("w", "x", plugins=names))
    result = resolve(specs, Selection(), "0.1.0", versions)
    assert result.order == []
    assert result.skipped["x"] == "dependency cycle: x -> y -> z -> x"
    assert result.skipped["z"] == "dependency cycle: z -> x -> y -> z"
    assert result.skipped["w"] == "requires x, which cannot load (dependency cycle)"


def test_selection_matches_names_loosely_and_explains() -> None:
    specs = [spec("zoryx-hello"), spec("zoryx-other"), spec("third")]
    only = resolve(specs, Selection.of(["Zoryx_Hello"], ["third"]), "0.1.0", versions)
    assert [s.name for s in only.order] == ["zoryx-hello"]
    assert only.skipped == {
        "zoryx-other": "not listed in plugins.enabled",
        "third": "disabled by plugins.disabled",
    }
    none = resolve(specs, Selection.of(none=True), "0.1.0", versions)
    assert set(none.skipped.values()) == {"plugins are switched off (--no-plugins)"}


def test_metadata_problems_fail_without_import() -> None:
    bad = PluginSpec("bad", "distribution", "bad", problem="entry point 'x' must be named 'bad'")
    result = resolve([bad], Selection(), "0.1.0", versions)
    assert result.failed == {"bad": "entry point 'x' must be named 'bad'"}


def test_extension_names(tmp_path: Path) -> None:
    for name in ("my cog.py", "2fast.py", "_private.py", "notes.txt", "ok.py"):
        (tmp_path / name).write_text("")
    assert [s.name for s in discover_extensions(tmp_path)] == ["_2fast", "my_cog", "ok"]
    assert extension_name(Path("a-b c.py")) == "a_b_c"
