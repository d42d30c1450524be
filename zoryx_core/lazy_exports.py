"""Names a package re-exports but imports only when first used (PEP 562).

A package whose ``__init__`` re-exports everything from its modules makes every ``import
package`` pay for all of them. With :func:`lazy_exports` the package lists which module each name
comes from; the module is imported the first time the name is read::

    from zoryx_core.lazy_exports import lazy_exports

    if TYPE_CHECKING:  # what mypy and readers see
        from .render import details_embed
    else:  # hidden from mypy, which would otherwise type every unknown attribute as Any
        __getattr__, __dir__ = lazy_exports(__name__, globals(), {".render": ["details_embed"]})

The name is then stored in the package's namespace, so later reads cost nothing extra. A name that
is also a submodule's name cannot be lazy (importing the submodule binds its name on the package
first): import it eagerly.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, namespace: dict[str, Any], modules: Mapping[str, Iterable[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package`` (its ``__name__`` and ``globals()``):
    each name of ``modules`` (relative module -> names) is imported from its module when first
    read. A name listed twice, or named like one of the modules, raises :class:`ValueError`."""
    origin: dict[str, str] = {}
    for module, names in modules.items():
        for name in names:
            if name in origin:
                raise ValueError(f"{package}: {name!r} is listed under {origin[name]} and {module}")
            if f".{name}" in modules:
                # importing the module would bind its name on the package first, hiding the name
                raise ValueError(f"{package}: {name!r} is also a module's name; import it eagerly")
            origin[name] = module

    def __getattr__(name: str) -> Any:
        module = origin.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(origin))

    return __getattr__, __dir__
