"""The SQL the PostgreSQL backend runs: the core tables in the main schema and the document
statements. Documents of every scope live in one table; ``guild_id`` is 0 outside a guild.

Values are ``jsonb``. ``increment`` adds integers exactly (``numeric``) and anything involving a
float as ``float8``, as SQLite does.
"""

from __future__ import annotations

__all__ = ["core_schema", "guild_schema_name", "quote_ident"]


def quote_ident(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def guild_schema_name(main_schema: str, guild_id: int) -> str:
    """The schema of one guild's own tables (plugins' guild migrations, raw SQL with ``guild_id``)."""
    return f"{main_schema}_g{guild_id}"


def core_schema(schema: str) -> list[str]:
    """Statements creating the main schema and the core tables (idempotent)."""
    s = quote_ident(schema)
    return [
        f"CREATE SCHEMA IF NOT EXISTS {s}",
        f"""CREATE TABLE IF NOT EXISTS {s}.zoryx_documents (
            namespace text NOT NULL,
            scope text NOT NULL,
            guild_id bigint NOT NULL,
            scope_id bigint NOT NULL,
            key text NOT NULL,
            value jsonb NOT NULL,
            updated_at double precision NOT NULL,
            PRIMARY KEY (namespace, scope, guild_id, scope_id, key)
        )""",
        f"CREATE INDEX IF NOT EXISTS zoryx_documents_owner ON {s}.zoryx_documents (scope, scope_id)",
        f"CREATE INDEX IF NOT EXISTS zoryx_documents_guild ON {s}.zoryx_documents (guild_id)",
        f"""CREATE TABLE IF NOT EXISTS {s}.zoryx_runs (
            id bigserial PRIMARY KEY, started timestamptz NOT NULL DEFAULT now(),
            stopped timestamptz, clean integer)""",
        f"""CREATE TABLE IF NOT EXISTS {s}.zoryx_departed_guilds (
            guild_id bigint PRIMARY KEY, left_at double precision NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS {s}.zoryx_guild_schemas (
            guild_id bigint PRIMARY KEY, created_at double precision NOT NULL)""",
        migrations_table(schema),
    ]


def migrations_table(schema: str) -> str:
    return f"""CREATE TABLE IF NOT EXISTS {quote_ident(schema)}.zoryx_migrations (
        namespace text NOT NULL, version integer NOT NULL, applied_at double precision NOT NULL,
        PRIMARY KEY (namespace, version))"""


class DocumentSql:
    """The document statements, for one main schema."""

    def __init__(self, schema: str) -> None:
        table = f"{quote_ident(schema)}.zoryx_documents"
        where = "namespace = $1 AND scope = $2 AND guild_id = $3 AND scope_id = $4 AND key = $5"
        self.get = f"SELECT value::text FROM {table} WHERE {where}"
        self.put = (
            f"INSERT INTO {table} (namespace, scope, guild_id, scope_id, key, value, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) "
            "ON CONFLICT (namespace, scope, guild_id, scope_id, key) "
            "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
        )
        self.delete = f"DELETE FROM {table} WHERE {where}"
        self.increment = (
            f"INSERT INTO {table} AS d (namespace, scope, guild_id, scope_id, key, value, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) "
            "ON CONFLICT (namespace, scope, guild_id, scope_id, key) DO UPDATE SET "
            "value = CASE WHEN d.value::text ~ '^-?[0-9]+$' AND $8 "
            "THEN to_jsonb(d.value::numeric + excluded.value::numeric) "
            "ELSE to_jsonb(d.value::float8 + excluded.value::float8) END, "
            "updated_at = excluded.updated_at "
            "WHERE jsonb_typeof(d.value) = 'number' RETURNING value::text"
        )
        self.items = (
            f"SELECT key, value::text FROM {table} "
            "WHERE namespace = $1 AND scope = $2 AND guild_id = $3 AND scope_id = $4 ORDER BY key"
        )
        self.purge_user = f"DELETE FROM {table} WHERE scope_id = $1 AND scope IN ('user', 'member')"
        self.delete_guild = f"DELETE FROM {table} WHERE guild_id = $1"
        self.guild_ids = f"SELECT DISTINCT guild_id FROM {table} WHERE guild_id > 0"
