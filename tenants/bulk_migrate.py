"""Applying pending migrations to many society schemas, on one process or several.

Stock django-tenants runs Django's whole ``migrate`` command once per schema.  Almost all of
that work is the same for every society: system checks, reading the graph from disk, four
catalog scans for ``django_migrations`` (each one visits every table of every schema, so they
grow with the number of societies) and rendering the models of the starting state.  Measured
at 187 societies it was ~0.26 s a schema, of which ~0.01 s was the migration itself.

Here that shared work is done once, or once per process:

* one query reads which migrations each schema has, and the schemas are grouped by that set
  (normally one group: every society is at the same point);
* per group and per process, the plan and the project states around each operation are built
  once, with only the models the plan can reach rendered; per schema only the operations'
  database side runs;
* on several processes, this one is one of them; the ``processes - 1`` others (``Helpers``) are
  forked before the schemas' state is read, open their database session meanwhile and plan for
  themselves; the schemas are handed out one at a time from a shared counter, and each process
  keeps one database connection for all its schemas;
* schemas commit without waiting for the disk, and each process ends with one commit that
  waits (``flushed_at_the_end``).

Each migration still runs in its own transaction through Django's ``MigrationExecutor``, so a
failure leaves the schema at the last migration that completed; the run goes on with the other
schemas, tries a schema that failed beside others once more on its own, and then fails naming
the ones that did not finish.  Running it again picks them up.

``pre_migrate``/``post_migrate`` are not sent for society schemas: their receivers (content
types, permissions) belong to shared apps whose tables live in ``public``, and the tenant
router makes them do nothing in a society schema.  A tenant app that needs rows created per
society does it in a data migration.
"""

import gc
import multiprocessing
import multiprocessing.connection
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.exceptions import AmbiguityError
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations.models import IndexOperation
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ProjectState
from django.db.migrations.utils import resolve_relation
from django.db.models import Model
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
    path writes for every migration of the project.  Django renders the models of the whole
    project before the first operation; here only those the plan can reach are (see
    ``reachable_state``): rendering all of them was most of the planning, ~0.08 s."""
    state = reachable_state(state, plan)
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


def reachable_state(state: ProjectState, plan: list) -> ProjectState:
    """``state`` narrowed to the models the plan's operations name and every model related to
    those, transitively, in either direction (the set Django re-renders when a model changes).

    An operation's database side asks its states for the models it names; the schema editor
    follows their relations both ways (foreign keys to drop and re-create, many-to-many tables,
    parent links), and a model renders only with the models its fields point to.  Which models
    an operation names comes from ``references_model``, which errs on the side of yes: an
    operation that can run code or SQL (``RunPython``, ``RunSQL``, any unknown kind) names every
    model, and then the whole state is kept."""
    operations = [operation for migration, _backwards in plan for operation in migration.operations]
    named = [key for key in state.models if any(_names_model(operation, key) for operation in operations)]
    if len(named) == len(state.models):
        return state
    relations = state.relations  # {model: {model pointing to it: fields}}
    reached, todo = set(named), list(named)
    while todo:
        key = todo.pop()
        linked = set(relations.get(key, ()))
        model = state.models[key]
        for model_field in model.fields.values():
            remote = model_field.remote_field
            if remote:
                linked.add(resolve_relation(remote.model, *key))
                if getattr(remote, "through", None):
                    linked.add(resolve_relation(remote.through, *key))
        for base in model.bases:
            if isinstance(base, str) or (isinstance(base, type) and issubclass(base, Model) and base is not Model):
                linked.add(resolve_relation(base, key[0]))
        for other in linked - reached:
            if other in state.models:
                reached.add(other)
                todo.append(other)
    return ProjectState(models={key: state.models[key] for key in reached}, real_apps=state.real_apps)


def _names_model(operation, key: tuple[str, str]) -> bool:
    """Whether ``operation`` may use model ``key`` (app label, lower-case name) of its states.

    Index and constraint operations say "maybe" for every model (they do not define
    ``references_model``) though they only ever touch the one they name: an index or a
    constraint cannot reach across a relation."""
    if isinstance(operation, IndexOperation):
        return operation.model_name_lower == key[1]
    return operation.references_model(key[1], key[0])


def apply_steps(executor: MigrationExecutor, steps: list[Step]) -> None:
    """Django's ``MigrationExecutor.apply_migration`` and ``Migration.apply``, with the states given.

    One difference: in a migration that runs in a transaction, the migration is recorded in that
    transaction after its deferred SQL (indexes, foreign keys), where Django, having left the
    deferred SQL to the schema editor's exit, records it in a transaction of its own after the
    commit.  The statements are the same, in the same order; a schema can no longer be left
    migrated but unrecorded, and each schema costs one commit (a WAL flush) less: on a disk
    that flushes slowly the flushes are a good part of a schema's time, and processes
    migrating side by side queue for them."""
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
            if editor.atomic_migration:
                for sql in editor.deferred_sql:  # what the editor's exit would run first
                    editor.execute(sql)
                editor.deferred_sql.clear()
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


# The groups of the current run, as this process planned them.
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
    database: str = DEFAULT_DB_ALIAS, applied: dict[str, frozenset] | None = None,
) -> dict[str, Group]:
    """Group ``schemas`` by their applied migrations (``applied``, when the caller has just read
    them); build each group's plan and start state."""
    global _loader, _targets
    connection = connections[database]
    if applied is None:
        applied = read_applied(schemas, database)
    _loader = migration_loader()  # read once per process (cached)
    _targets = resolve_targets(_loader, app_label, migration_name)
    conflicts = _loader.detect_conflicts()
    if conflicts:
        raise RuntimeError(f"Conflicting migrations: {conflicts}. Run makemigrations --merge.")
    groups: dict[frozenset, Group] = {}
    for schema in schemas:
        groups.setdefault(applied[schema], Group(applied=applied[schema])).schemas.append(schema)
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


def read_applied(schemas: list[str], database: str = DEFAULT_DB_ALIAS) -> dict[str, frozenset]:
    """What each of ``schemas`` has applied.  Reading the migration files (Python) and asking the
    server are independent: the files load on a thread while this one waits for the answer."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        loading = pool.submit(migration_loader)
        applied = applied_migrations_by_schema(schemas, connection=connections[database])
        loading.result()
    return applied


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


@contextmanager
def flushed_at_the_end():
    """This process's schemas commit without waiting for the WAL to reach the disk, and one
    commit that waits ends the work, before the command reports success.

    A schema's migration is one transaction whose DDL and record commit together: a server crash
    during the run can lose the last schemas committed, DDL and record alike, never one without
    the other, and running the command again applies them.  Waiting for every schema's flush
    was a good part of a schema's time, and two processes queue for the same disk."""
    connection = connections[_database]
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = on")
        with transaction.atomic(using=_database), connection.cursor() as cursor:
            # A transaction id makes the commit write, so it flushes the WAL of all before it.
            cursor.execute("SELECT pg_current_xact_id()")


def run(
    schemas: list[str], *, app_label: str | None = None, migration_name: str | None = None, processes: int = 1,
    database: str = DEFAULT_DB_ALIAS, report=None, applied: dict[str, frozenset] | None = None,
    helpers: "Helpers | None" = None,
) -> list[Result]:
    """Migrate ``schemas`` (to the latest, or as ``migrate app_label migration_name`` would) on
    ``processes`` processes; ``report(result, done, total)`` is called as each schema finishes.
    ``applied``: what each schema has applied, when the caller has just read it.  ``helpers``:
    the processes forked for this run beforehand (see ``Helpers``), which then say how many
    processes there are; without them ``processes - 1`` are forked here."""
    global _groups, _database
    _database = database
    if applied is None:
        applied = read_applied(schemas, database)
    with helpers if helpers is not None else Helpers(processes - 1 if len(schemas) > 1 else 0, database) as crew:
        # The helpers plan the same schemas from the same state while this process does.
        crew.start(Job(schemas, applied, app_label, migration_name))
        _groups = plan_groups(
            schemas, app_label=app_label, migration_name=migration_name, database=database, applied=applied
        )
        pending = [schema for schema in schemas if _groups[schema].plan]
        results: list[Result] = []

        def deliver(result: Result) -> None:
            results.append(result)
            if report:
                report(result, len(results), len(pending))

        if not crew.working or _participants(crew.size, len(pending)) <= 1:
            with flushed_at_the_end():
                for schema in pending:
                    deliver(migrate_schema(schema))
            return results
        # Schemas migrated side by side can still collide on something they share: a migration
        # that re-creates a function in ``public`` for every schema fails in one of two processes
        # doing it at once ("tuple concurrently updated").  A failed migration was rolled back, so
        # a schema that failed is planned again from what it has and tried once more, alone,
        # after the others; a schema that fails for its own reasons fails again and is named.
        failed: list[Result] = []

        def deliver_or_hold(result: Result) -> None:
            (failed.append if result.error else deliver)(result)

        crew.migrate_beside(pending, deliver_or_hold)
    if failed:
        again = [result.schema for result in failed]
        _groups.update(plan_groups(again, app_label=app_label, migration_name=migration_name, database=database))
        with flushed_at_the_end():
            for result in failed:
                deliver(migrate_schema(result.schema) if _groups[result.schema].plan else result)
    return results


def _participants(processes: int, pending: int) -> int:
    """How many processes migrate ``pending`` schemas: a second one only when there are two."""
    return min(processes, pending) if pending > 1 else 1


@dataclass
class Job:
    """What a helper is told when there is work: enough to plan exactly as this process does."""

    schemas: list[str]
    applied: dict[str, frozenset]
    app_label: str | None
    migration_name: str | None


class Helpers:
    """The processes that migrate beside this one, forked before there is work for them.

    A process forked when the work is ready costs ~15 ms before its first schema: the fork of a
    ~100 MB process, then a new database session.  ``migrate_schemas`` forks its helpers before
    it reads what the schemas have applied, so that by the time there is work they have their
    session open; each then plans the schemas itself, on its own core, while this one does the
    same (planning is deterministic: both get the same groups and the same pending schemas).

    This process works too rather than waiting on a pool: a pool of two workers costs a second
    fork and connection, and its parent, passing every schema and result through its task and
    result threads, competes with the workers for the two cores.  Each process takes the next
    schema from a shared counter (a schema costs a few milliseconds, but a busy neighbour on
    the machine can stall one process for longer, so a fixed split would leave the other idle
    at the end).  Helpers send their results through a pipe; this process reports them between
    its own schemas.  A helper that dies leaves the schemas it took unreported: they come back
    as failed, like any other schema that did not finish (and ``run`` tries them again).

    This process keeps the connection it planned with: its server process has already read the
    catalogs a migration needs, where a new one spends the first schema reading them (~10 ms).
    The helpers each open their own (see ``_forget_inherited_connections``).  Used as a context
    manager: leaving it dismisses helpers that got no work and stops them on an error."""

    def __init__(self, count: int, database: str = DEFAULT_DB_ALIAS):
        self.size = count + 1  # the processes of the run, this one included
        self.processes, self.pipes = [], []
        self.working = False
        if not count:
            return
        context = multiprocessing.get_context("fork")
        self.taken = context.Value("i", 0)  # the index in the pending list of the next schema to take
        gc.freeze()  # the collector would otherwise copy every inherited page it visits
        try:
            for index in range(1, count + 1):
                ours, theirs = context.Pipe()
                process = context.Process(
                    target=_helper, args=(index, self.size, self.taken, theirs, database), daemon=True
                )
                process.start()
                theirs.close()  # the helper's copy is the only one left: its end (or death) ends the pipe
                self.processes.append(process)
                self.pipes.append(ours)
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def __enter__(self) -> "Helpers":
        return self

    def start(self, job: Job) -> None:
        """Give every helper the run's work; each decides from its plan whether it takes part."""
        if self.pipes:
            # Schemas at the same point share one set, so that it is sent once, not once a schema.
            same: dict[frozenset, frozenset] = {}
            job.applied = {schema: same.setdefault(keys, keys) for schema, keys in job.applied.items()}
        for pipe in list(self.pipes):
            try:
                pipe.send(job)
            except OSError:  # the helper died before it had work: the others (or this process) do its share
                pipe.close()
                self.pipes.remove(pipe)
        self.working = bool(self.pipes)

    def migrate_beside(self, pending: list[str], deliver) -> None:
        """Migrate ``pending`` here while the helpers do, and ``deliver`` every result."""
        receivers, reported = list(self.pipes), set()
        gc.freeze()  # what planning built, too, stays out of the collector's way

        def collect(timeout: float | None) -> None:
            for receiver in multiprocessing.connection.wait(receivers, timeout):
                try:
                    result = receiver.recv()
                except EOFError:
                    receivers.remove(receiver)
                else:
                    reported.add(result.schema)
                    deliver(result)

        with flushed_at_the_end():
            for schema in _take(self.taken, pending):
                reported.add(schema)
                deliver(migrate_schema(schema))
                collect(0)
        while receivers:
            collect(None)
        self.pipes = []  # every helper has ended its pipe: they are only exiting
        missing = [schema for schema in pending if schema not in reported]
        if missing:  # a helper died; otherwise nothing waits for them to exit
            for process in self.processes:
                process.join()
            died = ", ".join(f"exit code {process.exitcode}" for process in self.processes if process.exitcode)
            for schema in missing:
                deliver(Result(schema, [], 0.0, error=f"the process migrating it ended unexpectedly ({died})"))

    def __exit__(self, exc_type, exc, traceback) -> None:
        for pipe in self.pipes:
            if exc_type is None and not self.working:
                pipe.send(None)  # no work: the helper closes its session and exits
            pipe.close()
        self.pipes = []
        if exc_type is not None:  # this process is failing or being interrupted
            for process in self.processes:
                if process.is_alive():
                    process.terminate()
        if self.size > 1:
            gc.unfreeze()


def _take(taken, pending: list[str]):
    """The schemas of ``pending`` that this process gets to migrate, one at a time."""
    while True:
        with taken.get_lock():
            index = taken.value
            taken.value += 1
        if index >= len(pending):
            return
        yield pending[index]


# A forked child's copies of its parent's connections: never used, closed or collected.
_inherited: list = []


def _forget_inherited_connections() -> None:
    """In a forked child, leave the parent's database sessions to the parent and open new ones.

    The child's copy of a connection shares the parent's socket: closing it, or letting it be
    collected, would end the parent's session.  So it is put aside, untouched; the child ends
    with ``os._exit`` (as every forked multiprocessing child does), which finalises nothing."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None:
            _inherited.append(conn.connection)
            conn.connection = None  # the next query connects anew
        conn.search_path_set_schemas = None  # a new session has the server's default path


def _helper(index: int, processes: int, taken, pipe, database: str) -> None:
    """A helper's life: its own session at once, then its share of the run's schemas (if any)."""
    global _groups, _database
    _forget_inherited_connections()
    _database = database
    try:
        connections[database].ensure_connection()
        migration_loader()  # read from disk unless the parent had already: planning starts from it
        try:
            job = pipe.recv()
        except EOFError:  # the parent ended without a word
            return
        if job is None:
            return
        try:
            _groups = plan_groups(
                job.schemas, app_label=job.app_label, migration_name=job.migration_name, database=database,
                applied=job.applied,
            )
        except Exception:  # noqa: BLE001 - the parent plans the same schemas and reports the error
            return
        pending = [schema for schema in job.schemas if _groups[schema].plan]
        if index >= _participants(processes, len(pending)):
            return
        gc.freeze()
        with flushed_at_the_end():
            for schema in _take(taken, pending):
                pipe.send(migrate_schema(schema))
    finally:
        connections.close_all()
        pipe.close()
