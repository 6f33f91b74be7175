"""common.audit.audited: one row per successful block, the object's fields before and after."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction

from common.audit import audited
from common.models import ApiToken, AuditEntry

FIELDS = ["name", "revoked_at"]
REVOKED = datetime.datetime(2026, 3, 1, 9, 30, tzinfo=datetime.UTC)


def _rows():
    # Creating a society already wrote its own rows (the administrator's role): leave them out.
    return AuditEntry.objects.filter(action__startswith="common.")


def _token(user, name="导入脚本", key="a"):
    return ApiToken.objects.create(name=name, prefix=key * 8, key_hash=key * 64, user=user)


@pytest.fixture
def admin(make_user):
    return make_user("secretary@alpha.example.cn")


def test_audited_row_holds_fields_before_and_after(society_a, society_b, in_schema, admin):
    with in_schema(society_a):
        token = _token(admin)
        with transaction.atomic(), audited(token, FIELDS, action="common.rename_token", actor=admin) as audit:
            token.name = "年会报名接口"
            token.revoked_at = REVOKED
            token.save()
        rows = list(_rows().values_list("action", "actor_id", "actor_label", "object_type", "object_id"))
        entry = _rows().get()
    assert rows == [("common.rename_token", admin.pk, "secretary@alpha.example.cn", "common.ApiToken", str(token.pk))]
    assert entry == audit.entry
    assert entry.before == {"name": "导入脚本", "revoked_at": None}
    assert entry.after == {"name": "年会报名接口", "revoked_at": "2026-03-01T09:30:00+00:00"}
    assert entry.reason == ""
    with in_schema(society_b):
        assert _rows().count() == 0


def test_audited_new_object_has_no_before(society_a, society_b, in_schema, admin):
    with in_schema(society_a):
        token = ApiToken(name="新接口", prefix="b" * 8, key_hash="b" * 64, user=admin)
        with transaction.atomic(), audited(token, ["name"], action="common.issue_api_token", actor=admin):
            token.save()
        entry = _rows().get()
    assert (entry.object_id, entry.before, entry.after) == (str(token.pk), None, {"name": "新接口"})
    with in_schema(society_b):
        assert _rows().count() == 0


def test_audited_extra_reason_and_other_object(society_a, in_schema, admin):
    with in_schema(society_a):
        token, other = _token(admin), _token(admin, name="旧接口", key="c")
        with transaction.atomic():
            with audited(token, ["name"], action="common.rename_token", actor=admin, about=other) as audit:
                token.name = "改名"
                token.save()
                audit.extra["amount"] = Decimal("12.50")
                audit.reason = "秘书处要求"
        entry = _rows().get()
    assert (entry.object_id, entry.object_repr) == (str(other.pk), "旧接口 (cccccccc…)")
    assert entry.before == {"name": "导入脚本"}
    assert entry.after == {"name": "改名", "amount": "12.50"}
    assert entry.reason == "秘书处要求"


def test_audited_block_that_raises_records_nothing(society_a, in_schema, admin):
    with in_schema(society_a):
        token = _token(admin)
        with pytest.raises(ValueError, match="refused"), transaction.atomic():
            with audited(token, ["name"], action="common.rename_token", actor=admin) as audit:
                token.name = "改名"
                token.save()
                raise ValueError("refused")
        assert _rows().count() == 0
        assert ApiToken.objects.get(pk=token.pk).name == "导入脚本"
    assert audit.entry is None


def test_audited_exception_caught_inside_the_transaction_records_nothing(society_a, in_schema, admin):
    # The caller goes on in the same transaction after the block failed: still no row.
    with in_schema(society_a):
        token = _token(admin)
        with transaction.atomic():
            with pytest.raises(ValueError):
                with audited(token, ["name"], action="common.rename_token", actor=admin):
                    raise ValueError("refused")
        assert _rows().count() == 0


def test_audited_row_goes_with_a_rolled_back_outer_transaction(society_a, in_schema, admin):
    with in_schema(society_a):
        token = _token(admin)
        with pytest.raises(RuntimeError, match="later step failed"), transaction.atomic():
            with transaction.atomic():  # the service's own transaction, nested in the caller's
                with audited(token, ["name"], action="common.rename_token", actor=admin) as audit:
                    token.name = "改名"
                    token.save()
            assert AuditEntry.objects.filter(pk=audit.entry.pk).exists()
            raise RuntimeError("later step failed")
        assert _rows().count() == 0
        assert ApiToken.objects.get(pk=token.pk).name == "导入脚本"


def test_audited_skip_unchanged_records_only_a_change(society_a, in_schema, admin):
    with in_schema(society_a):
        token = _token(admin)
        with transaction.atomic():
            with audited(token, ["name"], action="common.rename_token", actor=admin, skip_unchanged=True):
                token.save()
            with audited(token, ["name"], action="common.rename_token", actor=admin, skip_unchanged=True):
                token.name = "改名"
                token.save()
        assert list(_rows().values_list("before", "after")) == [({"name": "导入脚本"}, {"name": "改名"})]


def test_audited_outside_a_transaction_refuses_before_the_block():
    # No database here: the check happens on entry, before the block could write anything.
    ran = []
    with pytest.raises(RuntimeError, match="transaction"):
        with audited(ApiToken(name="x"), ["name"], action="common.rename_token", actor=None):
            ran.append(True)
    assert ran == []
