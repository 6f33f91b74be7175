from django.core.management import call_command
from django.db import connection

from tenants.schemas import expected_migrations, schemas_with_pending_migrations


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
