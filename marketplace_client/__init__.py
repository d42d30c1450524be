"""Zoryx's marketplace client: catalog, search, verified installs through pip. No Discord code.

A marketplace is a JSON catalog at a URL (``docs/marketplace-catalog.md``; schema in
``catalog-v1.schema.json``) pointing at plugin wheels. Typical use::

    options = MarketplaceOptions.from_settings(bot.settings, data_dir=bot.data_dir)
    async with MarketplaceClient(options) as client:
        page = await client.search("dice", status="working")
        installer = Installer(client)
        result = await installer.install("zoryx-dice", activate=plugin_host_activator(bot.plugins))

Failures raise :class:`InstallError` naming the :class:`InstallStep`; the environment is restored.
"""

from __future__ import annotations

from .activation import ActivationError, plugin_host_activator
from .build import BuildReport, build_catalog, read_sidecar, write_catalog
from .catalog import SCHEMA_VERSION, catalog_schema, parse_catalog, parse_catalog_bytes
from .client import MarketplaceClient
from .errors import CatalogError, InstallError, InstallStep, MarketplaceError, PluginNotFoundError, WheelError
from .http import FetchError, RetryEvent, RetryPolicy
from .installer import Installer, parse_install_request
from .instance_id import INSTANCE_ID_HEADER, load_or_create_instance_id
from .models import Catalog, CatalogPlugin, CatalogVersion, ListingStatus, Terms
from .options import DEFAULT_INDEX_URL, MarketplaceOptions, marketplace_settings
from .progress import Progress, ProgressCallback
from .results import (
    ActivationRequest,
    Activator,
    DistChange,
    FixdepsResult,
    InstallAction,
    InstalledPlugin,
    InstallResult,
    MissingRequirement,
    UninstallResult,
    Update,
)
from .search import SearchPage, parse_status, search
from .wheel import WheelInfo, read_wheel

__all__ = [
    "DEFAULT_INDEX_URL",
    "INSTANCE_ID_HEADER",
    "SCHEMA_VERSION",
    "ActivationError",
    "ActivationRequest",
    "Activator",
    "BuildReport",
    "Catalog",
    "CatalogError",
    "CatalogPlugin",
    "CatalogVersion",
    "DistChange",
    "FetchError",
    "FixdepsResult",
    "InstallAction",
    "InstallError",
    "InstallResult",
    "InstallStep",
    "InstalledPlugin",
    "Installer",
    "ListingStatus",
    "MarketplaceClient",
    "MarketplaceError",
    "MarketplaceOptions",
    "MissingRequirement",
    "PluginNotFoundError",
    "Progress",
    "ProgressCallback",
    "RetryEvent",
    "RetryPolicy",
    "SearchPage",
    "Terms",
    "UninstallResult",
    "Update",
    "WheelError",
    "WheelInfo",
    "build_catalog",
    "catalog_schema",
    "load_or_create_instance_id",
    "marketplace_settings",
    "parse_catalog",
    "parse_catalog_bytes",
    "parse_install_request",
    "parse_status",
    "plugin_host_activator",
    "read_sidecar",
    "read_wheel",
    "search",
    "write_catalog",
]
