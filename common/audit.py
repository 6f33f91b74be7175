"""The audit helper every write service calls, inside its own transaction.

    record_audit(actor=user, action="members.approve_application", obj=application,
                 before={"status": "submitted"}, after={"status": "approved"}, reason="...")

Rows go to the current schema: a society's ``common.AuditEntry`` or, on the platform,
``tenants.PlatformAuditEntry``.
"""

import datetime
import decimal
import uuid

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


def record_audit(*, actor, action: str, obj: Model | None = None, before=None, after=None, reason: str = ""):
    """Append one audit row.  Must run inside the caller's transaction (it asserts so) so that
    the change and its audit entry are committed or rolled back together."""
    if not connection.in_atomic_block:
        raise RuntimeError("record_audit() must be called inside the write's transaction.atomic() block")
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
