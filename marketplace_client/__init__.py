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

from typing import TYPE_CHECKING

from zoryx_core.lazy_exports import lazy_exports

# Imported now: the function ``search`` shares its name with its module, which importing the
# module (the client does) would otherwise put in its place.
from .search import SearchPage, parse_status, search

# Each name is imported from its module when first used: a bot that only browses the catalog
# never loads the installer, the wheel audit or the catalog builder.
_LAZY = {
    ".activation": ["ActivationError", "plugin_host_activator"],
    ".audit": ["OwnedFiles", "WheelAudit", "audit_wheel", "owned_files"],
    ".build": ["BuildReport", "build_catalog", "read_sidecar", "write_catalog"],
    ".catalog": ["SCHEMA_VERSION", "catalog_schema", "parse_catalog", "parse_catalog_bytes"],
    ".client": ["MarketplaceClient"],
    ".constraints": ["ALWAYS_RESERVED", "constraint_lines", "core_dependencies", "reserved_names"],
    ".errors": [
        "CatalogError",
        "InstallError",
        "InstallStep",
        "MarketplaceError",
        "PluginNotFoundError",
        "WheelError",
    ],
    ".http": ["FetchError", "RetryEvent", "RetryPolicy"],
    ".installer": ["Installer", "parse_install_request"],
    ".instance_id": ["INSTANCE_ID_HEADER", "load_or_create_instance_id"],
    ".journal": ["JOURNAL_FILE", "Journal", "JournalEntry", "Phase"],
    ".models": ["Catalog", "CatalogPlugin", "CatalogVersion", "ListingStatus", "Terms"],
    ".options": ["DEFAULT_INDEX_URL", "MarketplaceOptions", "marketplace_settings"],
    ".progress": ["Progress", "ProgressCallback"],
    ".results": [
        "ActivationRequest",
        "Activator",
        "DistChange",
        "FixdepsResult",
        "InstallAction",
        "InstalledPlugin",
        "InstallResult",
        "MissingRequirement",
        "RecoveryOutcome",
        "RecoveryReport",
        "UninstallResult",
        "Update",
    ],
    ".wheel": ["WheelInfo", "read_wheel"],
}

if TYPE_CHECKING:
    from .activation import ActivationError, plugin_host_activator
    from .audit import OwnedFiles, WheelAudit, audit_wheel, owned_files
    from .build import BuildReport, build_catalog, read_sidecar, write_catalog
    from .catalog import SCHEMA_VERSION, catalog_schema, parse_catalog, parse_catalog_bytes
    from .client import MarketplaceClient
    from .constraints import ALWAYS_RESERVED, constraint_lines, core_dependencies, reserved_names
    from .errors import (
        CatalogError,
        InstallError,
        InstallStep,
        MarketplaceError,
        PluginNotFoundError,
        WheelError,
    )
    from .http import FetchError, RetryEvent, RetryPolicy
    from .installer import Installer, parse_install_request
    from .instance_id import INSTANCE_ID_HEADER, load_or_create_instance_id
    from .journal import JOURNAL_FILE, Journal, JournalEntry, Phase
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
        RecoveryOutcome,
        RecoveryReport,
        UninstallResult,
        Update,
    )
    from .wheel import WheelInfo, read_wheel
else:
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)

__all__ = [
    "ALWAYS_RESERVED",
    "DEFAULT_INDEX_URL",
    "INSTANCE_ID_HEADER",
    "JOURNAL_FILE",
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
    "Journal",
    "JournalEntry",
    "ListingStatus",
    "MarketplaceClient",
    "MarketplaceError",
    "MarketplaceOptions",
    "MissingRequirement",
    "OwnedFiles",
    "Phase",
    "PluginNotFoundError",
    "Progress",
    "ProgressCallback",
    "RecoveryOutcome",
    "RecoveryReport",
    "RetryEvent",
    "RetryPolicy",
    "SearchPage",
    "Terms",
    "UninstallResult",
    "Update",
    "WheelAudit",
    "WheelError",
    "WheelInfo",
    "audit_wheel",
    "build_catalog",
    "catalog_schema",
    "constraint_lines",
    "core_dependencies",
    "load_or_create_instance_id",
    "marketplace_settings",
    "owned_files",
    "parse_catalog",
    "parse_catalog_bytes",
    "parse_install_request",
    "parse_status",
    "plugin_host_activator",
    "read_sidecar",
    "read_wheel",
    "reserved_names",
    "search",
    "write_catalog",
]
