"""Tenant-aware Celery tasks.

Every society task is declared with ``@society_task(name="<app>.<verb_noun>")`` and enqueued
with :func:`enqueue`, which adds the current society's schema and waits for the commit:

    enqueue(render_invoice_pdf, invoice_id=invoice.pk)

The worker enters that schema before running the body.  A task that arrives without a schema,
or with ``public``, raises :class:`MissingSchema` and runs nothing: society work never happens
in the platform schema by accident.
"""

import logging

from celery import Task, shared_task
from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context

logger = logging.getLogger(__name__)

SCHEMA_KWARG = "schema_name"


class MissingSchema(RuntimeError):
    pass


class SocietyTask(Task):
    """Runs the task body inside the schema named by the ``schema_name`` keyword argument."""

    abstract = True

    def __call__(self, *args, **kwargs):
        schema = kwargs.pop(SCHEMA_KWARG, None)
        if not schema or schema == get_public_schema_name():
            raise MissingSchema(
                f"Task {self.name} needs a society schema (got {schema!r}); enqueue it with common.tasks.enqueue()."
            )
        with schema_context(schema):
            return super().__call__(*args, **kwargs)


def society_task(*, name: str, **options):
    """Declare a task that runs inside one society's schema."""
    # typing=False: the schema keyword is added by enqueue() and consumed by SocietyTask.__call__,
    # so it is not part of the task function's own signature.
    return shared_task(base=SocietyTask, name=name, typing=False, **options)


def enqueue(task, *args, schema_name: str | None = None, **kwargs):
    """Send ``task`` for the current (or given) society once the current transaction commits."""
    schema = schema_name or connection.schema_name
    if not schema or schema == get_public_schema_name():
        raise MissingSchema(f"enqueue({task.name}) outside a society: no schema to run it in")
    kwargs[SCHEMA_KWARG] = schema
    transaction.on_commit(lambda: task.apply_async(args=args, kwargs=kwargs))


def for_each_society(task, **kwargs):
    """Fan a periodic job out: one task per active society, each in its own schema."""
    Society = get_tenant_model()
    schemas = (
        Society.objects.exclude(schema_name=get_public_schema_name())
        .filter(status=Society.Status.ACTIVE)
        .values_list("schema_name", flat=True)
    )
    for schema in schemas:
        task.apply_async(kwargs={**kwargs, SCHEMA_KWARG: schema})


@shared_task(name="common.heartbeat")
def heartbeat():
    """Beat's liveness mark, read by /healthz."""
    from django.core.cache import cache
    from django.utils import timezone

    with schema_context(get_public_schema_name()):
        cache.set("celery:heartbeat", timezone.now().isoformat(), 3600)
    return "ok"


@society_task(name="common.whoami")
def whoami():
    """Returns the schema the task ran in (used by the isolation tests and /healthz)."""
    return connection.schema_name
