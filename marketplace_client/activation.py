"""The activation step for a running Zoryx bot: load a newly installed plugin, or reload an
upgraded one, through the bot's plugin host (no restart)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from packaging.version import Version

from .errors import MarketplaceError
from .results import ActivationRequest, Activator

if TYPE_CHECKING:
    from zoryx_core.plugins import PluginHost

__all__ = ["ActivationError", "plugin_host_activator"]


class ActivationError(MarketplaceError):
    """The host could not load (or reload) the plugin; the message carries the host's reason."""


def plugin_host_activator(host: PluginHost) -> Activator:
    """An :data:`Activator` for ``Installer.install(..., activate=...)``: ``host.reload(name)`` when
    the plugin is loaded (a failed reload keeps the old version serving, and the install is then
    rolled back), else ``host.load(name)``, which discovers entry points afresh first."""
    from zoryx_core.plugins import PluginStatus

    async def activate(request: ActivationRequest) -> None:
        if request.name in host.loaded:
            outcome = await host.reload(request.name)
            if outcome.last_reload_error is not None or outcome.status is not PluginStatus.LOADED:
                raise ActivationError(
                    f"reloading {request.name} failed: {outcome.last_reload_error or outcome.reason}"
                )
            loaded = outcome.spec.version
        else:
            outcome = await host.load(request.name)
            if outcome.status is not PluginStatus.LOADED:
                raise ActivationError(f"loading {request.name} {outcome.status.value}: {outcome.reason}")
            loaded = outcome.spec.version
        if loaded is None or Version(loaded) != Version(request.version):
            raise ActivationError(f"the host loaded {request.name} {loaded}, not {request.version}")

    return activate
