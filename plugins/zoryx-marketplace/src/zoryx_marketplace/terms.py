"""Who accepted which version of a marketplace's terms: one user document per marketplace in the
plugin's storage namespace (written in one SQLite statement, so an acceptance is all or nothing).

``mydata forget`` deletes these documents with the rest of the user's data; the user is then
asked again."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from zoryx_core.redact import redact_url
from zoryx_core.storage import PluginStorage

if TYPE_CHECKING:
    from marketplace_client import Catalog

__all__ = ["TERMS_KEY_PREFIX", "TermsBook"]

TERMS_KEY_PREFIX = "terms:"
"""Document key prefix; the catalog's URL follows, so each marketplace has its own acceptance."""


class TermsBook:
    """Acceptances of the marketplace terms, per user and per marketplace (catalog URL)."""

    def __init__(self, storage: PluginStorage) -> None:
        self.storage = storage

    @staticmethod
    def required(catalog: Catalog) -> bool:
        """Whether the catalog has terms to accept (an empty text means none)."""
        return bool(catalog.terms.text.strip())

    @staticmethod
    def key(catalog: Catalog) -> str:
        """The document key: the catalog's URL without credentials or query string, since users
        see their own documents (``mydata``)."""
        return TERMS_KEY_PREFIX + redact_url(catalog.source_url)

    async def accepted_version(self, user_id: int, catalog: Catalog) -> str | None:
        """The terms version ``user_id`` accepted for this marketplace, if any."""
        record: Any = await self.storage.get(self.key(catalog), None, user_id=user_id)
        if isinstance(record, dict) and isinstance(record.get("version"), str):
            return str(record["version"])
        return None

    async def has_accepted(self, user_id: int, catalog: Catalog) -> bool:
        """True when there is nothing to accept or the user accepted the current version."""
        if not self.required(catalog):
            return True
        return await self.accepted_version(user_id, catalog) == catalog.terms.version

    async def accept(self, user_id: int, catalog: Catalog) -> None:
        """Record that ``user_id`` accepted the catalog's current terms version."""
        now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        await self.storage.set(
            self.key(catalog), {"version": catalog.terms.version, "accepted_at": now}, user_id=user_id
        )
