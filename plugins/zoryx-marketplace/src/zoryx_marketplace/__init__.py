"""zoryx-marketplace: the Zoryx marketplace in Discord.

``marketplace`` opens a menu to browse the catalog (five plugins a page, a dropdown to a plugin's
details), search it, list plugins by status and refresh it; bot owners install, update and
uninstall plugins from there or with subcommands, with a two-step confirmation and live
progress. Installs are verified wheels installed with pip into the bot's own environment by
``marketplace_client`` (part of zoryx-core) and loaded at once through the plugin host; any
failure rolls the environment back; an install a crash interrupted is finished or undone when the
plugin starts (shown on the menu). Each user accepts the marketplace's terms once per version.

Other plugins can listen for the custom events ``marketplace.installed`` (``name``,
``version``, ``previous_version``, ``action``, ``loaded``) and ``marketplace.uninstalled``
(``name``, ``version``, ``data_deleted``) and ``marketplace.recovered`` (``outcome``, ``name``,
``version``, ``detail``), and reach the service with :func:`find_service`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoryx_core import PluginContext, Setting, ZoryxBot, hookimpl
from zoryx_core.lazy_exports import lazy_exports

from .cog import COG_NAME, MarketplaceCog
from .service import SELF, MarketplaceService, find_service
from .settings import SETTINGS, MarketplaceUiSettings
from .terms import TERMS_KEY_PREFIX, TermsBook

if TYPE_CHECKING:
    from .menu import PER_PAGE, MarketplaceMenu, SearchModal, open_menu
    from .operations import Operations
else:  # the menu and the operations are imported when a command first needs them
    __getattr__, __dir__ = lazy_exports(
        __name__,
        globals(),
        {".menu": ["PER_PAGE", "MarketplaceMenu", "SearchModal", "open_menu"], ".operations": ["Operations"]},
    )

__all__ = [
    "COG_NAME",
    "PER_PAGE",
    "SELF",
    "SETTINGS",
    "TERMS_KEY_PREFIX",
    "MarketplaceCog",
    "MarketplaceMenu",
    "MarketplaceService",
    "MarketplaceUiSettings",
    "Operations",
    "SearchModal",
    "TermsBook",
    "find_service",
    "open_menu",
]


@hookimpl
def zoryx_settings() -> list[Setting]:
    return list(SETTINGS)


@hookimpl
async def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    service = MarketplaceService.for_plugin(bot, plugin)
    service.attach()
    await bot.add_cog(MarketplaceCog(service))
    service.start_recovery()


@hookimpl
async def zoryx_teardown(bot: ZoryxBot) -> None:
    service = find_service(bot)
    if service is not None:
        await service.close()
