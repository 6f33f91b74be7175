import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.utils import translation

from common.models import Role, RoleAssignment
from tenants.models import Domain, Society
from tenants.schemas import existing_schemas
from tenants.services import InvalidSociety, SocietyExists, create_society


def _catalog(schema):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull "
            "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'i') ORDER BY 1, 2",
            [schema],
        )
        columns = cursor.fetchall()
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(con.oid) FROM pg_constraint con "
            "JOIN pg_namespace n ON n.oid = con.connamespace WHERE n.nspname = %s ORDER BY 1",
            [schema],
        )
        # Definitions name other tables of the same schema with the schema's own name.
        constraints = [(name, kind, d.replace(f"{schema}.", "")) for name, kind, d in cursor.fetchall()]
    return columns, constraints


def test_create_society_makes_schema_domain_and_admin(platform):
    result = create_society(
        slug="gamma", name_zh="测试数学会", name_en="Test Mathematical Society", admin_email="Boss@Gamma.CN"
    )
    society = Society.objects.get(slug="gamma")
    assert society.schema_name == "s_gamma"
    assert Domain.objects.get(tenant=society).domain == "gamma.localhost"
    assert result.admin.email == "boss@gamma.cn" and result.admin_created
    assert existing_schemas(["s_gamma"]) == {"s_gamma"}
    connection.set_tenant(society)
    assert list(RoleAssignment.objects.values_list("user__email", "role")) == [("boss@gamma.cn", Role.ADMIN)]


def test_cloned_schema_is_identical_to_the_template(platform):
    create_society(slug="delta", name_zh="克隆学会", admin_email="a@delta.cn")
    cloned = _catalog("s_delta")
    template = _catalog("society_template")
    for mine, theirs in zip(cloned, template, strict=True):
        assert sorted(set(mine) - set(theirs)) == [] and sorted(set(theirs) - set(mine)) == []
    assert len(cloned[0]) > 20


def test_create_society_twice_says_it_exists(platform):
    create_society(slug="gamma", name_zh="测试数学会", admin_email="boss@gamma.cn")
    with pytest.raises(SocietyExists):
        create_society(slug="gamma", name_zh="测试数学会", admin_email="boss@gamma.cn")
    assert Society.objects.filter(slug="gamma").count() == 1


def test_create_society_command_is_safe_to_run_twice(platform, capsys):
    args = ["--slug", "epsilon", "--name-zh", "命令学会", "--name-en", "Command Society", "--admin-email", "x@eps.cn"]
    call_command("create_society", *args)
    assert "Created society epsilon (schema s_epsilon)" in capsys.readouterr().out
    call_command("create_society", *args)
    assert "Society epsilon exists already (schema s_epsilon); nothing changed." in capsys.readouterr().out
    assert Society.objects.filter(slug="epsilon").count() == 1


def test_failed_provisioning_leaves_nothing_behind(platform):
    # A leftover schema with the same name makes the clone step fail half-way.
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "s_zeta"')
    users_before = get_user_model().objects.count()
    with pytest.raises(Exception, match="already exists"):
        create_society(slug="zeta", name_zh="失败学会", admin_email="new.person@zeta.cn")
    assert not Society.objects.filter(slug="zeta").exists()
    assert not Domain.objects.filter(domain="zeta.localhost").exists()
    assert get_user_model().objects.count() == users_before


@pytest.mark.parametrize(
    "slug, message",
    [("A", "3–40 characters"), ("www", "reserved"), ("bad_slug", "3–40 characters"), ("-x-", "3–40 characters")],
)
def test_invalid_slug_is_refused_with_a_clear_message(platform, slug, message):
    with translation.override("en"), pytest.raises(InvalidSociety, match=message):
        create_society(slug=slug, name_zh="学会", admin_email="a@b.cn")


def test_invalid_slug_message_is_chinese_by_default(platform):
    with pytest.raises(InvalidSociety, match="为保留名称"):
        create_society(slug="admin", name_zh="学会", admin_email="a@b.cn")
