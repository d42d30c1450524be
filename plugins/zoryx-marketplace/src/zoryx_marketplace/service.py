"""The marketplace as the bot uses it: one client and one installer for the bot's own environment,
live activation through the plugin host, and the bot-side steps around pip (unload before an
uninstall, load back after a failed one, the plugin's data folder)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import shutil
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.utils import canonicalize_name

from marketplace_client import InstallError, Journal, MarketplaceOptions
from zoryx_core import PluginStatus
from zoryx_core.cancellation import cancel_and_wait
from zoryx_core.redact import redact_url

from .settings import MarketplaceUiSettings
from .terms import TermsBook

if TYPE_CHECKING:
    from marketplace_client import (
        ActivationRequest,
        Activator,
        Catalog,
        FixdepsResult,
        Installer,
        InstallResult,
        MarketplaceClient,
        MissingRequirement,
        ProgressCallback,
        RecoveryReport,
        RetryEvent,
        UninstallResult,
        Update,
    )
    from zoryx_core import PluginContext, ZoryxBot

__all__ = ["SELF", "MarketplaceService", "find_service"]

SELF = "zoryx-marketplace"
"""This distribution: it does not install, update or remove itself from Discord (use the CLI)."""

_SERVICE_ATTRIBUTE = "_zoryx_marketplace_service"


class MarketplaceService:
    """What the commands and views call. One per bot; closed when the plugin unloads."""

    def __init__(
        self,
        bot: ZoryxBot,
        options: MarketplaceOptions,
        ui: MarketplaceUiSettings,
        terms: TermsBook,
        *,
        plugin: PluginContext | None = None,
    ) -> None:
        self.bot = bot
        self.plugin = plugin
        self.options = options
        self.ui = ui
        self.terms = terms
        self.log = plugin.log if plugin is not None else logging.getLogger(f"zoryx.plugin.{SELF}")
        self._client: MarketplaceClient | None = None
        self._installer: Installer | None = None
        self.recovery: RecoveryReport | None = None
        """What the start-up recovery did about an interrupted operation (None: nothing to do)."""
        self._recovering: asyncio.Task[RecoveryReport | None] | None = None

    @property
    def client(self) -> MarketplaceClient:
        """The marketplace client, made (and its module imported) when first needed."""
        if self._client is None:
            from marketplace_client import MarketplaceClient

            self._client = MarketplaceClient(self.options, on_retry=self._retrying)
        return self._client

    @property
    def installer(self) -> Installer:
        """The installer of the bot's environment, made (and its modules imported) when first needed."""
        if self._installer is None:
            from marketplace_client import Installer

            self._installer = Installer(self.client, pip_isolated=self.ui.pip_isolated)
        return self._installer

    @classmethod
    def for_plugin(cls, bot: ZoryxBot, plugin: PluginContext) -> MarketplaceService:
        """Built from the bot's ``marketplace.*`` settings and the plugin's own settings."""
        options = MarketplaceOptions.from_settings(bot.settings, data_dir=bot.data_dir)
        ui = MarketplaceUiSettings.from_mapping(plugin.settings)
        return cls(bot, options, ui, TermsBook(plugin.storage), plugin=plugin)

    def attach(self) -> None:
        """Make :func:`find_service` find this service on its bot."""
        setattr(self.bot, _SERVICE_ATTRIBUTE, self)

    async def close(self) -> None:
        """Close the HTTP session and detach from the bot."""
        if getattr(self.bot, _SERVICE_ATTRIBUTE, None) is self:
            delattr(self.bot, _SERVICE_ATTRIBUTE)
        if self._recovering is not None and await cancel_and_wait([self._recovering]):
            self.log.warning("the install recovery did not stop when cancelled; left running")
        if self._client is not None:
            await self._client.close()

    def start_recovery(self) -> asyncio.Task[RecoveryReport | None]:
        """Finish or undo, in the background, an operation a crash interrupted (see
        :meth:`recover`)."""
        self._recovering = asyncio.create_task(self.recover(), name="marketplace-recovery")
        return self._recovering

    async def recovered(self) -> RecoveryReport | None:
        """Wait for the start-up recovery (when it was started) to end; its report."""
        if self._recovering is None:
            return self.recovery
        return await asyncio.shield(self._recovering)

    async def recover(self) -> RecoveryReport | None:
        """Finish or undo an interrupted install (the installer's journal), then make the running
        bot match: a finished plugin is loaded, an undone one unloaded. Logged, shown on the
        marketplace menu and emitted as ``marketplace.recovered`` (``outcome``, ``name``,
        ``version``, ``detail``)."""
        journal = Journal(self.options.marketplace_dir)
        if not await asyncio.to_thread(journal.has_leftovers):
            return None  # nothing was interrupted: the installer is not even imported
        try:
            recovered = await self.installer.recover()
        except InstallError as error:
            self.log.error("the start-up recovery of the marketplace failed: %s", error)
            return None
        if recovered is None:
            return None
        from marketplace_client import RecoveryOutcome

        self.recovery = recovered
        key = str(canonicalize_name(recovered.name))
        if recovered.outcome is RecoveryOutcome.FINISHED and not self.is_loaded(key):
            outcome = await self.bot.plugins.load(key)
            if outcome.status is not PluginStatus.LOADED:
                self.log.error("%s could not be loaded after the recovery: %s", key, outcome.reason)
        elif (
            recovered.outcome is RecoveryOutcome.UNDONE
            and self.is_loaded(key)
            and await self.installed_version(key) != recovered.previous_version
        ):
            with contextlib.suppress(Exception):  # a plugin others depend on stays loaded until restart
                await self.bot.plugins.unload(key, reason="install undone")
        await self.emit(
            "marketplace.recovered",
            outcome=recovered.outcome.value,
            name=recovered.name,
            version=recovered.version,
            detail=recovered.detail,
        )
        return recovered

    async def emit(self, event: str, **payload: Any) -> None:
        """Emit a custom event (``zoryx_custom_event``) from this plugin."""
        if self.plugin is not None:
            await self.plugin.emit(event, **payload)
        else:
            await self.bot.events.emit(event, **payload)

    def _retrying(self, event: RetryEvent) -> None:
        self.log.warning("%s from %s; retrying in %g s", event.reason, redact_url(event.url), event.delay)

    # --- who and what --------------------------------------------------------------------------------

    def is_owner(self, user_id: int) -> bool:
        """Whether ``user_id`` is one of the bot's owners (the only ones who change plugins)."""
        return self.bot.permissions.is_bot_owner(user_id)

    async def catalog(self, *, refresh: bool = False) -> Catalog:
        """The catalog (cached ``marketplace.cache_seconds``); :class:`CatalogError` when it cannot
        be had."""
        return await self.client.catalog(refresh=refresh)

    async def instance_id(self) -> str:
        return await self.client.instance_id()

    async def installed_version(self, name: str) -> str | None:
        """The version of distribution ``name`` this interpreter sees, or None (read off the loop)."""

        def read() -> str | None:
            importlib.invalidate_caches()
            try:
                return metadata.version(str(canonicalize_name(name)))
            except metadata.PackageNotFoundError:
                return None

        return await asyncio.to_thread(read)

    async def installed_versions(self) -> dict[str, str]:
        """Canonical name -> version of every distribution this interpreter sees (read off the loop)."""

        def read() -> dict[str, str]:
            importlib.invalidate_caches()
            found: dict[str, str] = {}
            for dist in metadata.distributions():
                name = dist.metadata["Name"]
                if name:
                    found.setdefault(str(canonicalize_name(name)), dist.version)
            return found

        return await asyncio.to_thread(read)

    def is_loaded(self, name: str) -> bool:
        return str(canonicalize_name(name)) in self.bot.plugins.loaded

    def data_dir_of(self, name: str) -> Path:
        """The plugin's data folder (``data/plugins/<name>``)."""
        return self.options.data_dir / "plugins" / str(canonicalize_name(name))

    def core_version(self) -> str:
        return self.bot.plugins.core_version

    # --- changing the environment --------------------------------------------------------------------

    def activator(self) -> Activator:
        """Load a new plugin, or reload an upgraded one that is loaded, through the plugin host; a
        failure there fails the install, which is then rolled back. An upgraded plugin that is
        not loaded (disabled, or it failed before) is left unloaded."""
        from marketplace_client import plugin_host_activator

        load_or_reload = plugin_host_activator(self.bot.plugins)

        async def activate(request: ActivationRequest) -> None:
            if request.previous_version is not None and not self.is_loaded(request.name):
                return
            await load_or_reload(request)

        return activate

    async def install(self, request: str, *, progress: ProgressCallback | None = None) -> InstallResult:
        """``NAME`` or ``NAME==VERSION``, verified, installed and loaded live."""
        return await self.installer.install(request, activate=self.activator(), progress=progress)

    async def upgrade(self, name: str, *, progress: ProgressCallback | None = None) -> InstallResult:
        """The newest version supporting this zoryx-core, installed and reloaded live."""
        return await self.installer.upgrade(name, activate=self.activator(), progress=progress)

    async def outdated(self) -> list[Update]:
        return await self.installer.outdated()

    async def unload(self, name: str) -> bool:
        """Unload plugin ``name`` if it is loaded; True when it was. ``PluginError`` when it cannot
        be (other loaded plugins depend on it)."""
        key = str(canonicalize_name(name))
        if key not in self.bot.plugins.loaded:
            return False
        await self.bot.plugins.unload(key, reason="uninstall")
        return True

    async def load_back(self, name: str) -> str | None:
        """Load ``name`` again after a failed uninstall; None when it loaded, else why not."""
        try:
            outcome = await self.bot.plugins.load(str(canonicalize_name(name)))
        except Exception as error:
            return str(error)
        return None if outcome.status is PluginStatus.LOADED else f"{outcome.status.value}: {outcome.reason}"

    async def uninstall(self, name: str, *, progress: ProgressCallback | None = None) -> UninstallResult:
        """Remove the distribution (the caller unloads the plugin first)."""
        return await self.installer.uninstall(name, progress=progress)

    async def delete_data(self, folder: Path) -> None:
        """Delete a plugin's data folder (off the event loop)."""
        await asyncio.to_thread(shutil.rmtree, folder)

    async def missing_requirements(self) -> list[MissingRequirement]:
        return await self.installer.check_requirements()

    async def fixdeps(self, *, progress: ProgressCallback | None = None) -> FixdepsResult:
        return await self.installer.fixdeps(progress=progress)


def find_service(bot: object) -> MarketplaceService | None:
    """The marketplace service of a bot running this plugin, or None."""
    service = getattr(bot, _SERVICE_ATTRIBUTE, None)
    return service if isinstance(service, MarketplaceService) else None
