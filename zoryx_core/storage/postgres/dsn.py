"""The PostgreSQL DSN: read from the environment only, shown with the password masked, and turned
into a one-line error naming the host and what to check when the server cannot be used."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "DATABASE_URL_ENV",
    "DsnError",
    "check_url",
    "connect_error",
    "database_url",
    "mask_dsn",
    "target_of",
]

DATABASE_URL_ENV = "ZORYX_DATABASE_URL"


class DsnError(RuntimeError):
    """The PostgreSQL store cannot be used; ``str()`` is one line without the password."""


def database_url(environ: dict[str, str] | None = None) -> str:
    """``ZORYX_DATABASE_URL``, or a :class:`DsnError` saying how to set it."""
    value = (os.environ if environ is None else environ).get(DATABASE_URL_ENV, "").strip()
    if not value:
        raise DsnError(
            f'storage.backend is "postgresql" but {DATABASE_URL_ENV} is not set; set it to a URL such as '
            f"postgresql://user:password@host:5432/database (it is never read from config.json)"
        )
    return check_url(value)


def check_url(value: str) -> str:
    """``value`` if it is a PostgreSQL URL, else a :class:`DsnError` (password masked)."""
    scheme = urlsplit(value).scheme
    if scheme not in ("postgresql", "postgres"):
        raise DsnError(
            f"{DATABASE_URL_ENV} must start with postgresql:// or postgres://, "
            f"got {scheme or 'no scheme'}:// ({mask_dsn(value)})"
        )
    return value


def mask_dsn(dsn: str) -> str:
    """``dsn`` with any password replaced by ``***`` (in the authority and the query string)."""
    try:
        parts = urlsplit(dsn)
    except ValueError:
        return "<unparsable URL>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostinfo = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{hostinfo}" if ":" in userinfo else f"{user}@{hostinfo}"
    query = "&".join(
        f"{pair.split('=', 1)[0]}=***" if pair.lower().startswith("password=") else pair
        for pair in parts.query.split("&")
        if pair
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def target_of(dsn: str) -> str:
    """``host:port/database`` of the DSN (no user, no password)."""
    try:
        parts = urlsplit(dsn)
        host = parts.hostname or "localhost"
        port = parts.port or 5432
    except ValueError:
        return "<unparsable URL>"
    database = parts.path.lstrip("/") or (parts.username or "postgres")
    return f"{host}:{port}/{database}"


def connect_error(dsn: str, error: BaseException) -> DsnError:
    """A one-line start-up error for a failed connection: where, why, and what to check."""
    where = target_of(dsn)
    name = type(error).__name__
    text = str(error).splitlines()[0] if str(error) else name
    if isinstance(error, ConnectionRefusedError) or "refused" in text.lower():
        hint = "is PostgreSQL running there and listening on that port?"
    elif isinstance(error, TimeoutError):
        hint = "is the host reachable (firewall, address)?"
    elif isinstance(error, OSError):
        hint = "check the host name and the network"
    elif "password" in text.lower() or "authentication" in text.lower():
        hint = f"check the user and password in {DATABASE_URL_ENV}"
    elif "does not exist" in text:
        hint = "create it (createdb) or fix the name"
    else:
        hint = f"check {DATABASE_URL_ENV} and the server's log"
    return DsnError(f"cannot use PostgreSQL at {where}: {text.replace(dsn, mask_dsn(dsn))}; {hint}")
