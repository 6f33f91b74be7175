import time

import pytest
from django.db import connection, transaction

from common.models import AuditEntry
from common.tasks import MissingSchema, enqueue, society_task, whoami
from tests.conftest import committed


@society_task(name="tests.count_markers")
def count_markers():
    return list(AuditEntry.objects.filter(action__startswith="marker").values_list("action", flat=True))


def test_task_without_schema_fails_loudly_and_runs_nothing():
    with pytest.raises(MissingSchema, match="needs a society schema"):
        whoami.apply(kwargs={}).get()
    with pytest.raises(MissingSchema):
        whoami.apply(kwargs={"schema_name": "public"}).get()


def test_enqueue_outside_a_society_is_refused(db):
    connection.set_schema_to_public()
    with pytest.raises(MissingSchema):
        enqueue(whoami)


@committed
def test_task_enqueued_in_a_sees_only_a(society_a, society_b, in_schema, celery_worker_thread):
    for society, marker in ((society_a, "marker-A"), (society_b, "marker-B")):
        with in_schema(society):
            AuditEntry.objects.create(action=marker)
    connection.set_tenant(society_a)
    result = count_markers.apply_async(kwargs={"schema_name": society_a.schema_name})
    assert result.get(timeout=20) == ["marker-A"]
    result = whoami.apply_async(kwargs={"schema_name": society_b.schema_name})
    assert result.get(timeout=20) == "s_beta"


@society_task(name="tests.write_marker")
def write_marker(text):
    AuditEntry.objects.create(action=text)


def _markers(in_schema, society):
    with in_schema(society):
        return list(AuditEntry.objects.filter(action="from-task").values_list("action", flat=True))


@committed
def test_enqueue_runs_after_commit_in_the_enqueuing_society(society_a, society_b, in_schema, celery_worker_thread):
    with in_schema(society_a):
        with transaction.atomic():
            enqueue(write_marker, text="from-task")
            time.sleep(0.3)
            assert not AuditEntry.objects.filter(action="from-task").exists()  # not sent before the commit
    deadline = time.monotonic() + 20
    while not _markers(in_schema, society_a) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _markers(in_schema, society_a) == ["from-task"]
    assert _markers(in_schema, society_b) == []


def test_log_records_carry_the_society(society_a, in_schema):
    """The LOGGING filter (saas/settings/base.py) stamps every record with the current schema."""
    import logging

    from django.conf import settings
    from django.utils.module_loading import import_string

    society_filter = import_string(settings.LOGGING["filters"]["society"]["()"])()
    record = logging.LogRecord("xuehui.test", logging.INFO, __file__, 1, "inside A", None, None)
    with in_schema(society_a):
        society_filter.filter(record)
    assert record.schema_name == "s_alpha"
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["society"]
    assert "%(schema_name)s" in settings.LOGGING["formatters"]["society"]["format"]
