"""Schema-level helpers: migration state across all society schemas, and cloning the template.

Creating a society clones ``settings.TENANT_TEMPLATE_SCHEMA`` (a fully migrated schema that is
never a real society) instead of replaying every migration: the template's final-state DDL is
read from the catalog once per process and replayed in one round trip, so a new society costs
about as much as the raw DDL of its tables.
"""

import functools
import re
import threading

from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django_tenants.utils import get_public_schema_name

SCHEMA_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,61}$")


def quote(name: str) -> str:
    if not SCHEMA_NAME_RE.match(name):
        raise ValueError(f"not a valid schema name: {name!r}")
    return f'"{name}"'


@functools.lru_cache(maxsize=1)
def migration_loader() -> MigrationLoader:
    """The migration graph as on disk, read once per process (~40 ms; every society creation
    asks).  Its ``applied_migrations`` is whatever its user last set; it has no connection."""
    return MigrationLoader(None, ignore_no_migrations=True)


def expected_migrations() -> frozenset[tuple[str, str]]:
    """Every migration on disk, as (app, name); a schema is current when it has them all."""
    return frozenset(migration_loader().graph.nodes)


def existing_schemas(names: list[str]) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", [list(names)])
        return {row[0] for row in cursor.fetchall()}


def _schemas_with_migrations_table(cursor, schemas: list[str]) -> list[str]:
    cursor.execute(
        "SELECT n.nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid "
        "WHERE c.relname = 'django_migrations' AND n.nspname = ANY(%s)",
        [list(schemas)],
    )
    with_table = {row[0] for row in cursor.fetchall()}
    return [s for s in schemas if s in with_table]


def _per_schema_union(cursor, schemas: list[str], select: str, params: list) -> list[tuple]:
    """``select`` (with ``{schema}`` and a leading %s for the schema's name) over every schema,
    as one UNION ALL statement per 500 schemas."""
    rows = []
    for start in range(0, len(schemas), 500):
        chunk = schemas[start : start + 500]
        parts = [select.format(schema=quote(s)) for s in chunk]
        cursor.execute(" UNION ALL ".join(parts), [p for s in chunk for p in (s, *params)])
        rows += cursor.fetchall()
    return rows


def schemas_with_pending_migrations(schemas: list[str]) -> list[str]:
    """The schemas among ``schemas`` (which exist) that lack any migration on disk: one query."""
    return schemas_behind(applied_migrations_by_schema(schemas)) if schemas else []


def schemas_behind(applied: dict[str, frozenset]) -> list[str]:
    """The schemas of ``applied`` (as applied_migrations_by_schema reads it) lacking a migration on disk."""
    expected = expected_migrations()
    return [schema for schema, keys in applied.items() if expected - keys]


def applied_migrations_by_schema(schemas: list[str], *, connection=connection) -> dict[str, frozenset]:
    """For each schema, the set of (app, name) it has applied; one query for all of them.

    A schema without a ``django_migrations`` table gets one (empty) first, as ``migrate`` would."""
    with connection.cursor() as cursor:
        with_table = _schemas_with_migrations_table(cursor, schemas)
    for schema in set(schemas) - set(with_table):
        connection.set_schema(schema, include_public=False)
        MigrationRecorder(connection).ensure_schema()
        connection.set_schema_to_public()
    applied: dict[str, set] = {schema: set() for schema in schemas}
    with connection.cursor() as cursor:
        select = "SELECT %s, app, name FROM {schema}.django_migrations"
        for schema, app, name in _per_schema_union(cursor, with_table, select, []):
            applied[schema].add((app, name))
    return {schema: frozenset(keys) for schema, keys in applied.items()}


_clone_lock = threading.Lock()
_clone_cache: dict[tuple, list[str]] = {}


def _template_fingerprint(template: str) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), max(id) FROM {quote(template)}.django_migrations")
        return (template, *cursor.fetchone())


def _unqualify(statement: str, template: str) -> str:
    """pg_get_indexdef/pg_get_triggerdef always name the table with its schema; drop it so the
    statement applies to the schema first on the search_path."""
    return statement.replace(f" ON {template}.", " ON ").replace(f' ON "{template}".', " ON ")


def _read_template_ddl(template: str) -> list[str]:
    """The template's tables, constraints, indexes and triggers as statements to run with the
    new schema first on the search_path.  Names are kept (later migrations address constraints
    and indexes by name)."""
    statements: list[str] = []
    # SET LOCAL needs a transaction; atomic() makes one when the caller has none.
    with transaction.atomic(), connection.cursor() as cursor:
        # With only the template on the path, catalog functions print its objects unqualified
        # and everything else (public tables, functions) qualified.
        cursor.execute(f"SET LOCAL search_path = {quote(template)}")
        cursor.execute(
            "SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname",
            [template],
        )
        tables = cursor.fetchall()
        for _oid, name in tables:
            statements.append(
                f'CREATE TABLE "{name}" (LIKE {quote(template)}."{name}" INCLUDING DEFAULTS INCLUDING IDENTITY '
                "INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMMENTS)"
            )
        cursor.execute(
            "SELECT con.conrelid::regclass::text, con.conname, pg_get_constraintdef(con.oid), con.contype "
            "FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace "
            "WHERE n.nspname = %s AND con.conrelid <> 0 AND con.contype IN ('p', 'u', 'c', 'x', 'f') "
            "ORDER BY CASE con.contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 WHEN 'c' THEN 2 WHEN 'x' THEN 3 ELSE 4 END, "
            "con.conname",
            [template],
        )
        for table, name, definition, _kind in cursor.fetchall():
            statements.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute(
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid) "
            "ORDER BY c.relname",
            [template],
        )
        statements += [_unqualify(row[0], template) for row in cursor.fetchall()]
        cursor.execute(
            "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND NOT t.tgisinternal "
            "ORDER BY t.tgname",
            [template],
        )
        statements += [_unqualify(row[0], template) for row in cursor.fetchall()]
        cursor.execute(f"SET LOCAL search_path = {quote(connection.schema_name or get_public_schema_name())}, public")
    return statements


def clone_template_into(schema: str) -> None:
    """Create ``schema`` as a copy of the template's structure and migration records.

    Runs inside the caller's transaction: if anything later fails, the schema is gone too.
    """
    template = settings.TENANT_TEMPLATE_SCHEMA
    key = _template_fingerprint(template)
    with _clone_lock:
        ddl = _clone_cache.get(key)
        if ddl is None:
            _clone_cache.clear()
            ddl = _clone_cache[key] = _read_template_ddl(template)
    script = ";\n".join(
        [f"CREATE SCHEMA {quote(schema)}", f"SET LOCAL search_path = {quote(schema)}, public", *ddl]
        + [
            f"INSERT INTO {quote(schema)}.django_migrations (app, name, applied) "
            f"SELECT app, name, applied FROM {quote(template)}.django_migrations ORDER BY id",
            "SET LOCAL search_path = public",
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(script)
    # Our SET LOCAL changed the session's path behind django-tenants' back.
    connection.search_path_set_schemas = None


def ensure_template_schema(stdout=None) -> None:
    """Create and migrate the template schema when it is missing or behind the code."""
    from django.core.management import call_command

    template = settings.TENANT_TEMPLATE_SCHEMA
    if template in existing_schemas([template]) and not schemas_with_pending_migrations([template]):
        return
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(template)}")
    call_command("migrate_schemas", schema_name=template, interactive=False, verbosity=0, stdout=stdout)
