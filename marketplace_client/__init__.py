"""Zoryx's marketplace client: catalog, verification and plugin installs through pip.

It ships inside zoryx-core and holds no Discord code. The catalog, download verification and
install/uninstall functions arrive with the marketplace work; until then the package is empty.
"""

from __future__ import annotations

__all__: list[str] = []
