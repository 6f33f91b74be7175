"""The audit helpers every write service calls, inside its own transaction.

Most services change one object and record its fields before and after::

    with transaction.atomic():
        with audited(call, CALL_FIELDS, action="reviews.update_call", actor=actor):
            call.title = title
            call.save()

The rest call ``record_audit`` directly::

    record_audit(actor=user, action="members.approve_application", obj=application,
                 before={"status": "submitted"}, after={"status": "approved"}, reason="...")

Rows go to the current schema: a society's ``common.AuditEntry`` or, on the platform,
``tenants.PlatformAuditEntry``.
"""

import datetime
import decimal
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Model
from django_tenants.utils import get_public_schema_name


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, Model):
        return value.pk
    return value


def snapshot(obj: Model, fields: list[str]) -> dict:
    """The named fields of ``obj`` as JSON-ready values, for ``before``/``after``."""
    return {name: _jsonable(getattr(obj, name)) for name in fields}


def _audit_model():
    if connection.schema_name == get_public_schema_name():
        from tenants.models import PlatformAuditEntry

        return PlatformAuditEntry
    from common.models import AuditEntry

    return AuditEntry


def _require_transaction(name: str) -> None:
    if not connection.in_atomic_block:
        raise RuntimeError(f"{name}() must be called inside the write's transaction.atomic() block")


def record_audit(*, actor, action: str, obj: Model | None = None, before=None, after=None, reason: str = ""):
    """Append one audit row.  Must run inside the caller's transaction (it asserts so) so that
    the change and its audit entry are committed or rolled back together."""
    _require_transaction("record_audit")
    actor_id = getattr(actor, "pk", None)
    actor_label = getattr(actor, "email", None) or (str(actor) if actor is not None else "system")
    return _audit_model().objects.create(
        actor_id=actor_id,
        actor_label=actor_label[:254],
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:300] if obj is not None else "",
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        reason=reason,
    )


@dataclass
class Audit:
    """What ``audited`` hands to its block.  ``before`` is the snapshot taken on entry (None
    for an object not saved yet); the block may add values to ``extra`` (recorded in ``after``
    beside the snapshot) or set ``reason``.  ``entry`` is the row written, once the block is done."""

    before: dict | None
    reason: str = ""
    extra: dict = field(default_factory=dict)
    entry: Model | None = None


@contextmanager
def audited(
    obj: Model,
    fields: list[str],
    *,
    action: str,
    actor,
    reason: str = "",
    about: Model | None = None,
    skip_unchanged: bool = False,
):
    """Record ``obj``'s ``fields`` before and after the block as one audit row.

    The snapshot is taken on entry; the row is written when the block ends normally, and not
    at all when it raises (a ``return`` inside the block ends it normally and records, so
    return early before entering it).  Must run inside the caller's transaction (it asserts so on entry),
    so a later rollback takes the row with it.  ``about`` files the row under another object
    (``obj`` by default); ``skip_unchanged`` writes no row when the fields did not change."""
    _require_transaction("audited")
    audit = Audit(before=None if obj._state.adding else snapshot(obj, fields), reason=reason)
    yield audit
    after = snapshot(obj, fields)
    if skip_unchanged and after == audit.before:
        return
    audit.entry = record_audit(
        actor=actor,
        action=action,
        obj=about if about is not None else obj,
        before=audit.before,
        after={**after, **audit.extra},
        reason=audit.reason,
    )
