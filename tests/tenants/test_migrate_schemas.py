import re

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

    call_command("migrate_schemas", "--noinput", "--executor", "multiprocessing")

    out = capsys.readouterr().out
    assert "2 of 3 society schemas have migrations to apply." in out
    assert "Migrated 2 schemas on 2 process(es) in" in out
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


def test_unknown_targets_are_refused_in_plain_words(society_a):
    with pytest.raises(CommandError, match="App 'nosuchapp' does not have migrations."):
        call_command("migrate_schemas", "--noinput", "--tenant", "nosuchapp")
    with pytest.raises(CommandError, match="Cannot find a migration matching '0099' from app 'members'."):
        call_command("migrate_schemas", "--noinput", "--tenant", "members", "0099")


@pytest.mark.parametrize("schema", ["public", "s_alpha"])
def test_states_built_once_give_the_sql_django_writes_for_every_migration(society_a, schema):
    """bulk_migrate gives each operation states built once for all schemas; for the whole
    project, from an empty database, the SQL must be what Django's own path writes."""
    from django.db.migrations.executor import MigrationExecutor
    from django.db.migrations.state import ProjectState

    from tenants.bulk_migrate import forward_steps

    connection.set_schema(schema) if schema != "public" else connection.set_schema_to_public()
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes(), clean_start=True)
    assert len(plan) > 20

    def statements(sql):
        # auto_now fields added to existing tables default to "now", which differs by a moment.
        now = re.compile(r"DEFAULT '[0-9-]+ [0-9:.+]+'::timestamptz")
        return [now.sub("DEFAULT <now>", line) for line in sql if not line.startswith("--")]

    djangos = statements(executor.loader.collect_sql(plan))
    ours = []
    for step in forward_steps(ProjectState(real_apps=executor.loader.unmigrated_apps), plan):
        with connection.schema_editor(collect_sql=True, atomic=step.migration.atomic) as editor:
            for operation, before, after in step.operations:
                if operation.reduces_to_sql:  # RunPython is code, not SQL (Django skips it too)
                    operation.database_forwards(step.migration.app_label, editor, before, after)
        ours += editor.collected_sql
    assert len(djangos) > 100
    assert statements(ours) == djangos
