"""Lazy re-exports (``zoryx_core.lazy_exports``) and what importing ``marketplace_client`` costs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import marketplace_client
from zoryx_core.lazy_exports import lazy_exports
from zoryx_core.testing.import_cost import modules_after_import, modules_after_start


def _package(tmp_path: Path, name: str, modules: dict[str, str]) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for module, source in modules.items():
        (folder / f"{module}.py").write_text(source, encoding="utf-8")
    return folder


@pytest.fixture
def lazy_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    _package(
        tmp_path,
        "lazy_demo",
        {
            "__init__": (
                "from zoryx_core.lazy_exports import lazy_exports\n"
                "__all__ = ['Shape', 'area']\n"
                "__getattr__, __dir__ = lazy_exports(__name__, globals(), {'.shapes': ['Shape', 'area']})\n"
            ),
            "shapes": "class Shape: ...\ndef area(side: float) -> float:\n    return side * side\n",
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import lazy_demo

    yield lazy_demo
    for name in [n for n in sys.modules if n == "lazy_demo" or n.startswith("lazy_demo.")]:
        del sys.modules[name]


def test_a_name_is_imported_from_its_module_when_first_read(lazy_package: ModuleType) -> None:
    assert "lazy_demo.shapes" not in sys.modules
    assert {"Shape", "area"} <= set(dir(lazy_package))
    assert lazy_package.area(3) == 9
    assert "lazy_demo.shapes" in sys.modules
    assert lazy_package.Shape is sys.modules["lazy_demo.shapes"].Shape
    from lazy_demo import Shape  # type: ignore[import-not-found]

    assert Shape is lazy_package.Shape


def test_an_unknown_name_is_an_attribute_error_naming_it(lazy_package: ModuleType) -> None:
    with pytest.raises(AttributeError, match=r"module 'lazy_demo' has no attribute 'volume'"):
        _ = lazy_package.volume
    with pytest.raises(ImportError, match="volume"):
        from lazy_demo import volume  # type: ignore[import-not-found]  # noqa: F401


def test_a_name_listed_twice_or_named_like_a_module_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'area' is listed under \.shapes and \.maths"):
        lazy_exports("demo", {}, {".shapes": ["area"], ".maths": ["area"]})
    with pytest.raises(ValueError, match=r"'search' is also a module's name"):
        lazy_exports("demo", {}, {".search": ["search"]})


DEFERRED_CLIENT_MODULES = frozenset(
    {
        "marketplace_client.audit",
        "marketplace_client.build",
        "marketplace_client.client",
        "marketplace_client.environment",
        "marketplace_client.http",
        "marketplace_client.installer",
        "marketplace_client.wheel",
    }
)


def test_importing_marketplace_client_leaves_the_installer_and_the_builder_unimported() -> None:
    modules = modules_after_import("marketplace_client")
    assert "marketplace_client.search" in modules
    assert sorted(DEFERRED_CLIENT_MODULES & modules) == []
    modules = modules_after_import("marketplace_client", "marketplace_client.errors")
    assert sorted(DEFERRED_CLIENT_MODULES & modules) == []


def test_every_name_of_marketplace_client_is_there() -> None:
    missing = [name for name in marketplace_client.__all__ if not hasattr(marketplace_client, name)]
    assert missing == []
    # ``search`` is the function, even once the client imported the module of the same name
    assert callable(marketplace_client.search) and not isinstance(marketplace_client.search, ModuleType)
    assert marketplace_client.search is sys.modules["marketplace_client.search"].search


def test_the_built_in_plugins_import_psutil_only_when_a_command_needs_it() -> None:
    """``stats`` and ``integritycheck`` read memory figures through psutil (~15 ms to import);
    loading the built-ins must not import it."""
    started = modules_after_start("zoryx-hello")
    assert started.loaded == ("zoryx-hello",)
    assert "psutil" not in started.modules
