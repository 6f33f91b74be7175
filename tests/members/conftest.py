"""Fixtures for the members tests: categories in society A, an applicant, a staff client."""

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from common.models import AuditEntry
from members.models import Application, ImportJob, Member, MembershipCategory, MembershipCharge, MembershipSettings
from tests.conftest import client_for


def make_categories():
    MembershipSettings.objects.update_or_create(
        pk=1, defaults={"number_prefix": "CS", "number_digits": 5, "reminder_offsets": [30, 7, 0]}
    )
    return {
        "student": MembershipCategory.objects.create(
            code="student",
            name_zh="学生会员",
            name_en="Student member",
            fee=Decimal("50.00"),
            evidence_required=True,
            evidence_label="学生证",
            sort_order=1,
        ),
        "regular": MembershipCategory.objects.create(
            code="regular", name_zh="普通会员", name_en="Regular member", fee=Decimal("200.00"), sort_order=2
        ),
        "senior": MembershipCategory.objects.create(
            code="senior",
            name_zh="高级会员",
            name_en="Senior member",
            fee=Decimal("400.00"),
            endorsements_required=2,
            sort_order=3,
        ),
        "payfirst": MembershipCategory.objects.create(
            code="payfirst",
            name_zh="先缴费会员",
            name_en="Pay-first member",
            fee=Decimal("100.00"),
            approval_before_payment=False,
            sort_order=4,
        ),
        "free": MembershipCategory.objects.create(
            code="honorary",
            name_zh="荣誉会员",
            name_en="Honorary member",
            kind="honorary",
            fee=Decimal("0"),
            term="lifetime",
            sort_order=5,
        ),
    }


@pytest.fixture
def categories(society_a, in_schema):
    with in_schema(society_a):
        return make_categories()


@pytest.fixture
def admin_a(society_a):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(email="admin@alpha.example.cn")


@pytest.fixture
def staff_client(society_a, admin_a):
    client = client_for(society_a)
    client.force_login(admin_a)
    return client


PROFILE = {
    "name_zh": "张伟",
    "name_en": "Zhang Wei",
    "gender": "M",
    "id_type": "resident_id",
    "id_number": "11010519491231002X",
    "work_unit": "北京大学化学学院",
    "title": "副教授",
    "discipline": "有机化学",
    "degree": "doctorate",
    "mobile": "+8613800138000",
    "email": "zhang.wei@example.cn",
    "address": "北京市海淀区",
    "region": "北京",
}


@pytest.fixture(autouse=True)
def _other_society_sees_nothing(request):
    """Every test that works in society A and does not look at society B itself gets this check:
    after the test, B holds no member data and no members audit entry."""
    if "society_a" not in request.fixturenames or "society_b" in request.fixturenames:
        yield
        return
    society_b = request.getfixturevalue("society_b")
    yield
    with schema_context(society_b.schema_name):
        for model in (Member, Application, MembershipCharge, ImportJob, MembershipCategory):
            assert model.objects.count() == 0, model
        assert not AuditEntry.objects.filter(action__startswith="members.").exists()
