import re
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tenants.schemas import expected_migrations, schemas_with_pending_migrations
from tests.conftest import committed


def test_nothing_pending_after_provisioning(society_a, society_b):
    assert schemas_with_pending_migrations(["public", "society_template", "s_alpha", "s_beta"]) == []
    assert ("common", "0001_initial") in expected_migrations()


def test_a_schema_missing_a_migration_is_found(society_a, society_b):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM s_beta.django_migrations WHERE app = 'common'")
    assert schemas_with_pending_migrations(["s_alpha", "s_beta"]) == ["s_beta"]


def test_migrate_schemas_skips_up_to_date_schemas(society_a, society_b, capsys):
    call_command("migrate_schemas", "--noinput")
    out = capsys.readouterr().out
    assert "public: no migrations to apply." in out
    assert "0 of 3 society schemas have migrations to apply." in out


def _indexes(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s", [schema])
        return {row[0] for row in cursor.fetchall()}


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _applied(schema: str, app: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT name FROM "{schema}".django_migrations WHERE app = %s', [app])
        return {row[0] for row in cursor.fetchall()}


@committed
def test_unapply_then_apply_on_two_processes(society_a, society_b, capsys):
    for schema in ("s_alpha", "s_beta"):
        call_command("migrate_schemas", "--noinput", "--schema", schema, "members", "0001_initial")
    assert "member_name_zh_order" not in _indexes("s_alpha")
    assert "0002_order_indexes" not in _applied("s_beta", "members")
    assert "member_name_zh_order" in _indexes("society_template")  # --schema touched only its schema
    capsys.readouterr()
    session = _backend_pid()

    call_command("migrate_schemas", "--noinput", "--executor", "multiprocessing")

    out = capsys.readouterr().out
    assert "2 of 3 society schemas have migrations to apply." in out
    assert "Migrated 2 schemas on 2 process(es) in" in out
    # This process kept its session through the fork: the child neither used nor ended it.
    assert _backend_pid() == session
    for schema in ("s_alpha", "s_beta"):
        assert {"member_name_zh_order", "member_category_name"} <= _indexes(schema)
        assert "0002_order_indexes" in _applied(schema, "members")
    assert schemas_with_pending_migrations(["society_template", "s_alpha", "s_beta"]) == []


@committed
def test_a_failing_schema_is_named_and_left_whole_while_the_others_migrate(society_a, society_b):
    for schema in ("s_alpha", "s_beta"):
        call_command("migrate_schemas", "--noinput", "--schema", schema, "members", "0001_initial")
    with connection.cursor() as cursor:  # something already holds the index's name in s_beta
        cursor.execute("CREATE TABLE s_beta.squatter (id int)")
        cursor.execute("CREATE INDEX member_category_name ON s_beta.squatter (id)")

    with pytest.raises(CommandError, match=r"Migrations failed in 1 schema\(s\): s_beta$"):
        call_command("migrate_schemas", "--noinput", "--executor", "multiprocessing")

    assert {"member_name_zh_order", "member_category_name"} <= _indexes("s_alpha")
    # The migration is one transaction: its first index went away with the failed second one.
    assert "member_name_zh_order" not in _indexes("s_beta")
    assert "0002_order_indexes" not in _applied("s_beta", "members")

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE s_beta.squatter")
    call_command("migrate_schemas", "--noinput")
    assert schemas_with_pending_migrations(["s_alpha", "s_beta"]) == []


@committed
def test_a_schema_whose_process_died_is_tried_again_alone(society_a, society_b, monkeypatch, capsys):
    """A schema that fails beside others (here: its process dies) gets one more try on its own."""
    import os

    from tenants import bulk_migrate

    for schema in ("s_alpha", "s_beta"):
        call_command("migrate_schemas", "--noinput", "--schema", schema, "members", "0001_initial")
    parent, migrate_schema = os.getpid(), bulk_migrate.migrate_schema
    tries = []

    def dies_in_the_child(schema):
        tries.append(schema)  # the parent's own list: the child's appends die with it
        if os.getpid() != parent:
            os._exit(3)  # as if killed while migrating: nothing reported
        time.sleep(0.5)  # leave the child time to take the other schema
        return migrate_schema(schema)

    monkeypatch.setattr(bulk_migrate, "migrate_schema", dies_in_the_child)
    capsys.readouterr()
    call_command("migrate_schemas", "--noinput", "--executor", "multiprocessing")

    assert "Migrated 2 schemas on 2 process(es) in" in capsys.readouterr().out
    assert len(tries) == 2 and tries[0] != tries[1]  # its own schema, then the dead child's, alone
    for schema in ("s_alpha", "s_beta"):
        assert "0002_order_indexes" in _applied(schema, "members")
    assert schemas_with_pending_migrations(["s_alpha", "s_beta"]) == []


@committed
def test_a_helper_that_died_before_there_was_work_leaves_its_share_to_this_process(society_a, society_b, capsys):
    from tenants import bulk_migrate

    for schema in ("s_alpha", "s_beta"):
        call_command("migrate_schemas", "--noinput", "--schema", schema, "members", "0001_initial")
    session = _backend_pid()
    with bulk_migrate.Helpers(1) as helpers:
        (helper,) = helpers.processes
        helper.kill()
        helper.join(5)
        results = bulk_migrate.run(["s_alpha", "s_beta"], processes=2, helpers=helpers)

    assert sorted(result.schema for result in results) == ["s_alpha", "s_beta"]
    assert [result.error for result in results] == ["", ""]
    assert _backend_pid() == session
    assert schemas_with_pending_migrations(["s_alpha", "s_beta"]) == []


def test_helpers_with_no_work_close_their_sessions_and_exit(society_a):
    from tenants import bulk_migrate

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        (before,) = cursor.fetchone()
    with bulk_migrate.Helpers(1) as helpers:
        (helper,) = helpers.processes
    helper.join(10)
    assert helper.exitcode == 0
    deadline = time.monotonic() + 10  # a server process leaves pg_stat_activity just after its client
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
            (after,) = cursor.fetchone()
        if after == before or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert after == before


@committed
def test_a_migration_is_recorded_in_its_own_transaction_after_its_deferred_sql(society_a):
    """Django records a migration with deferred SQL (here an index) after committing it;
    bulk_migrate records it in the same transaction, so the two cannot come apart."""
    from django.db import migrations, models
    from django.db.migrations.state import ProjectState

    from tenants.bulk_migrate import _SharedGraphExecutor, apply_steps, forward_steps
    from tenants.schemas import migration_loader

    migration = migrations.Migration("9999_probe", "members")
    migration.operations = [
        migrations.CreateModel(
            "ProbeNote",
            [("id", models.BigAutoField(primary_key=True)), ("title", models.CharField(max_length=20, db_index=True))],
        )
    ]
    connection.set_schema("s_alpha")
    steps = forward_steps(ProjectState(), [(migration, False)])
    apply_steps(_SharedGraphExecutor(connection, migration_loader()), steps)
    connection.set_schema_to_public()

    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM s_alpha.django_migrations WHERE app = 'members' AND name = '9999_probe'")
        recorded = cursor.fetchone()[0]
        cursor.execute(
            "SELECT xmin::text FROM pg_class WHERE relnamespace = 's_alpha'::regnamespace "
            "AND relname LIKE 'members_probenote_title%' AND relkind = 'i'"
        )
        indexes = {row[0] for row in cursor.fetchall()}
    assert indexes == {recorded}  # the deferred indexes and the record: one transaction


def test_unknown_targets_are_refused_in_plain_words(society_a):
    with pytest.raises(CommandError, match="App 'nosuchapp' does not have migrations."):
        call_command("migrate_schemas", "--noinput", "--tenant", "nosuchapp")
    with pytest.raises(CommandError, match="Cannot find a migration matching '0099' from app 'members'."):
        call_command("migrate_schemas", "--noinput", "--tenant", "members", "0099")


@pytest.mark.parametrize("schema", ["public", "s_alpha"])
def test_states_built_once_give_the_sql_django_writes_for_every_migration(society_a, schema):
    """bulk_migrate gives each operation states built once for all schemas, with only the models
    the plan can reach rendered; the SQL must be what Django's own path writes, both for the
    whole project from an empty database and for each migration on its own (where most states
    are narrowed, so the narrowing is what is checked)."""
    from django.db.migrations.executor import MigrationExecutor
    from django.db.migrations.state import ProjectState

    from tenants.bulk_migrate import forward_steps, reachable_state

    connection.set_schema(schema) if schema != "public" else connection.set_schema_to_public()
    executor = MigrationExecutor(connection)
    loader = executor.loader
    plan = executor.migration_plan(loader.graph.leaf_nodes(), clean_start=True)
    assert len(plan) > 20

    def statements(sql):
        # auto_now fields added to existing tables default to "now", which differs by a moment.
        now = re.compile(r"DEFAULT '[0-9-]+ [0-9:.+]+'::timestamptz")
        return [now.sub("DEFAULT <now>", line) for line in sql if not line.startswith("--")]

    def ours(state, plan):
        sql = []
        for step in forward_steps(state, plan):
            with connection.schema_editor(collect_sql=True, atomic=step.migration.atomic) as editor:
                for operation, before, after in step.operations:
                    if operation.reduces_to_sql:  # RunPython is code, not SQL (Django skips it too)
                        operation.database_forwards(step.migration.app_label, editor, before, after)
            sql += editor.collected_sql
        return statements(sql)

    # Django's collect_sql gives each migration the project state at that migration, rendered.
    djangos = {migration: statements(loader.collect_sql([(migration, False)])) for migration, _ in plan}
    assert sum(len(sql) for sql in djangos.values()) > 100
    assert ours(ProjectState(real_apps=loader.unmigrated_apps), plan) == [
        line for migration, _ in plan for line in djangos[migration]
    ]
    narrowed = 0
    for migration, _ in plan:
        key = (migration.app_label, migration.name)
        state = loader.project_state(key, at_end=False)
        narrowed += len(reachable_state(state, [(migration, False)]).models) < len(state.models)
        assert ours(loader.project_state(key, at_end=False), [(migration, False)]) == djangos[migration], key
    assert narrowed > 10
