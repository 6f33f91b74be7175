"""TENANT_LIMIT_SET_CALLS is on (one SET per request): prove the rollback trap of
django-tenants #1262 cannot return another society's rows here."""

from django.db import connection, transaction

from common.models import AuditEntry


def _marker(society, in_schema, text):
    with in_schema(society):
        AuditEntry.objects.create(action=text)


def test_savepoint_rollback_after_switching_society_does_not_leak_rows(society_a, society_b, in_schema):
    _marker(society_a, in_schema, "marker-A")
    _marker(society_b, in_schema, "marker-B")
    connection.set_tenant(society_a)
    assert list(AuditEntry.objects.filter(action__startswith="marker").values_list("action", flat=True)) == ["marker-A"]
    try:
        with transaction.atomic():  # a savepoint inside the test's transaction
            connection.set_tenant(society_b)
            assert list(AuditEntry.objects.filter(action__startswith="marker").values_list("action", flat=True)) == [
                "marker-B"
            ]
            raise RuntimeError("roll back to the savepoint, which reverts the SET search_path to A")
    except RuntimeError:
        pass
    # Still B as far as Django knows: the next query must see B's rows, not A's.
    assert connection.schema_name == society_b.schema_name
    assert list(AuditEntry.objects.filter(action__startswith="marker").values_list("action", flat=True)) == ["marker-B"]


def test_one_set_search_path_per_switch(society_a, django_assert_num_queries):
    connection.set_tenant(society_a)
    with django_assert_num_queries(3) as captured:
        AuditEntry.objects.count()
        AuditEntry.objects.count()
    assert captured.captured_queries[0]["sql"].startswith("SET search_path")
    assert sum(q["sql"].startswith("SET search_path") for q in captured.captured_queries) == 1
