"""Applying pending migrations to many society schemas, on one process or several.

Stock django-tenants runs Django's whole ``migrate`` command once per schema.  Almost all of
that work is the same for every society: system checks, reading the graph from disk, four
catalog scans for ``django_migrations`` (each one visits every table of every schema, so they
grow with the number of societies) and rendering the models of the starting state.  Measured
at 187 societies it was ~0.26 s a schema, of which ~0.01 s was the migration itself.

Here that shared work is done once, before the worker processes fork:

* one query reads which migrations each schema has, and the schemas are grouped by that set
  (normally one group: every society is at the same point);
* per group, the plan and the project states around each operation (models rendered) are built
  once and inherited by the workers, which only run the operations' database side per schema;
* each worker keeps one database connection for all its schemas.

Each migration still runs in its own transaction through Django's ``MigrationExecutor``, so a
failure leaves the schema at the last migration that completed; the run goes on with the other
schemas and then fails naming the ones that did not finish.  Running it again picks them up.

``pre_migrate``/``post_migrate`` are not sent for society schemas: their receivers (content
types, permissions) belong to shared apps whose tables live in ``public``, and the tenant
router makes them do nothing in a society schema.  A tenant app that needs rows created per
society does it in a data migration.
"""

import gc
import multiprocessing
import time
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.exceptions import AmbiguityError
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ProjectState
from django_tenants.signals import schema_migrated, schema_pre_migration

from tenants.schemas import applied_migrations_by_schema, migration_loader


@dataclass
class Step:
    """One migration of a forwards plan, with each operation's states before and after it."""

    migration: object
    operations: list[tuple[object, ProjectState, ProjectState]]


@dataclass
class Group:
    """Schemas that have exactly the same migrations applied, and what that means for them."""

    applied: frozenset
    schemas: list[str] = field(default_factory=list)
    plan: list = field(default_factory=list)
    steps: list[Step] | None = None  # forwards plans only; backwards ones go through Django as is


def forward_steps(state: ProjectState, plan: list) -> list[Step]:
    """The states Django's ``Migration.apply`` builds around each operation, built once.

    ``database_forwards`` only reads its two states, so every schema of a group can be given the
    same ones; ``tests/tenants/test_migrate_schemas.py`` checks that the SQL is what Django's own
    path writes for every migration of the project."""
    _ = state.apps  # rendered before the first operation, as Django does
    steps = []
    for migration, _backwards in plan:
        operations = []
        before = state.clone()
        for operation in migration.operations:
            operation.state_forwards(migration.app_label, state)
            after = state.clone()
            operations.append((operation, before, after))
            before = after
        steps.append(Step(migration, operations))
    return steps


def apply_steps(executor: MigrationExecutor, steps: list[Step]) -> None:
    """Django's ``MigrationExecutor.apply_migration`` and ``Migration.apply``, with the states given."""
    connection = executor.connection
    for step in steps:
        migration, recorded = step.migration, False
        with connection.schema_editor(atomic=migration.atomic) as editor:
            for operation, before, after in step.operations:
                atomic_operation = operation.atomic or (migration.atomic and operation.atomic is not False)
                if not editor.atomic_migration and atomic_operation:
                    with transaction.atomic(connection.alias):
                        operation.database_forwards(migration.app_label, editor, before, after)
                else:
                    operation.database_forwards(migration.app_label, editor, before, after)
            if not editor.deferred_sql:
                executor.record_migration(migration)
                recorded = True
        if not recorded:
            executor.record_migration(migration)
    if executor.loader.replacements:  # a query per schema, for squashed migrations only
        executor.check_replacements()


class _SharedGraphExecutor(MigrationExecutor):
    """Django's executor, given a graph already loaded instead of reading it again per schema.

    The schemas handed to it are known to have a ``django_migrations`` table (the applied
    migrations were just read from it), so the recorder skips its catalog scan."""

    def __init__(self, connection, loader):
        self.connection = connection
        self.loader = loader
        self.recorder = MigrationRecorder(connection)
        self.recorder._has_table = True
        self.progress_callback = None


@dataclass
class Result:
    schema: str
    applied: list[str]
    seconds: float
    error: str = ""


# The groups of the current run; set before the workers fork, read by them.
_groups: dict[str, Group] = {}
_loader: MigrationLoader | None = None
_targets: list = []
_database = DEFAULT_DB_ALIAS


def resolve_targets(loader: MigrationLoader, app_label: str | None, migration_name: str | None) -> list:
    """What ``migrate [app_label [migration_name]]`` aims at, with its error messages."""
    if not app_label:
        return loader.graph.leaf_nodes()
    if app_label not in loader.migrated_apps:
        raise ValueError(f"App '{app_label}' does not have migrations.")
    if not migration_name:
        return [key for key in loader.graph.leaf_nodes() if key[0] == app_label]
    if migration_name == "zero":
        return [(app_label, None)]
    try:
        migration = loader.get_migration_by_prefix(app_label, migration_name)
    except AmbiguityError:
        raise ValueError(f"More than one migration matches '{migration_name}' in app '{app_label}'.") from None
    except KeyError:
        raise ValueError(f"Cannot find a migration matching '{migration_name}' from app '{app_label}'.") from None
    return [(app_label, migration.name)]


def plan_groups(
    schemas: list[str], *, app_label: str | None = None, migration_name: str | None = None,
    database: str = DEFAULT_DB_ALIAS,
) -> dict[str, Group]:
    """Group ``schemas`` by their applied migrations; build each group's plan and start state."""
    global _loader, _targets
    _loader = migration_loader()
    _targets = resolve_targets(_loader, app_label, migration_name)
    conflicts = _loader.detect_conflicts()
    if conflicts:
        raise RuntimeError(f"Conflicting migrations: {conflicts}. Run makemigrations --merge.")
    connection = connections[database]
    groups: dict[frozenset, Group] = {}
    for schema, applied in applied_migrations_by_schema(schemas, connection=connection).items():
        groups.setdefault(applied, Group(applied=applied)).schemas.append(schema)
    executor = _SharedGraphExecutor(connection, _loader)
    by_schema = {}
    for group in groups.values():
        _use_applied(group)
        _check_consistent(group)
        group.plan = executor.migration_plan(_targets)
        if group.plan and not any(backwards for _, backwards in group.plan):
            # Forwards: Django would build these states, and render their models, for each schema.
            group.steps = forward_steps(executor._create_project_state(with_applied_migrations=True), group.plan)
        for schema in group.schemas:
            by_schema[schema] = group
    _loader.applied_migrations = {}
    return by_schema


def _use_applied(group: Group) -> None:
    """Point the shared loader at the group's applied migrations (Django's executor reads them)."""
    _loader.applied_migrations = {key: _loader.graph.nodes[key] for key in group.applied if key in _loader.graph.nodes}


def _check_consistent(group: Group) -> None:
    """Django's check_consistent_history, on a set already read: no migration before its parents."""
    for key in group.applied:
        if key not in _loader.graph.nodes:
            continue
        for parent in _loader.graph.node_map[key].parents:
            if parent.key not in group.applied and parent.key not in _loader.replacements:
                raise RuntimeError(
                    f"{key[0]}.{key[1]} is applied before its dependency {parent.key[0]}.{parent.key[1]} "
                    f"in schema(s) {', '.join(group.schemas[:5])}"
                )


def migrate_schema(schema: str) -> Result:
    """Apply the group's (non-empty) plan to one schema (in a worker, or in-process when sequential)."""
    group = _groups[schema]
    started = time.perf_counter()
    connection = connections[_database]
    schema_pre_migration.send(migrate_schema, schema_name=schema)
    try:
        connection.set_schema(schema)
        _use_applied(group)
        executor = _SharedGraphExecutor(connection, _loader)
        if group.steps is not None:
            apply_steps(executor, group.steps)
        else:
            executor.migrate(_targets, plan=group.plan)
    except Exception as exc:  # noqa: BLE001 - reported with the schema's name; the other schemas go on
        return Result(schema, [], time.perf_counter() - started, error=f"{type(exc).__name__}: {exc}")
    finally:
        connection.set_schema_to_public()
    schema_migrated.send(migrate_schema, schema_name=schema)
    names = [f"{m.app_label}.{m.name}{' (unapplied)' if backwards else ''}" for m, backwards in group.plan]
    return Result(schema, names, time.perf_counter() - started)


def run(
    schemas: list[str], *, app_label: str | None = None, migration_name: str | None = None, processes: int = 1,
    database: str = DEFAULT_DB_ALIAS, report=None,
) -> list[Result]:
    """Migrate ``schemas`` (to the latest, or as ``migrate app_label migration_name`` would) on
    ``processes`` processes; ``report(result, done, total)`` is called as each schema finishes."""
    global _groups, _database
    _database = database
    _groups = plan_groups(schemas, app_label=app_label, migration_name=migration_name, database=database)
    pending = [schema for schema in schemas if _groups[schema].plan]
    results: list[Result] = []
    if processes <= 1 or len(pending) <= 1:
        for schema in pending:
            results.append(migrate_schema(schema))
            if report:
                report(results[-1], len(results), len(pending))
        return results
    connections.close_all()  # the forked workers must not inherit an open connection
    gc.freeze()  # the collector would otherwise copy every inherited page it visits
    context = multiprocessing.get_context("fork")
    with context.Pool(processes=processes) as pool:
        # Small chunks keep both workers busy to the end; results arrive as schemas finish.
        for result in pool.imap_unordered(migrate_schema, pending, chunksize=4):
            results.append(result)
            if report:
                report(result, len(results), len(pending))
    return results
