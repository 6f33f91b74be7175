from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from billing.models import StripeObject, Subscription
from billing.services import BillingError, sign_up_society
from tenants.models import Domain, PlatformAuditEntry, Society
from tenants.schemas import existing_schemas
from tests.billing.conftest import ADMIN_PASSWORD
from tests.conftest import client_for


def test_sign_up_provisions_society_trial_and_platform_customer(signed_up, fake_stripe, society_b):
    society = signed_up.provisioned.society
    subscription = signed_up.subscription
    assert (society.slug, society.schema_name, existing_schemas(["s_gamma"])) == ("gamma", "s_gamma", {"s_gamma"})
    assert (subscription.plan.code, subscription.interval, subscription.status) == ("basic", "month", "trialing")
    assert (subscription.trial_ends_at - society.created_at).days == 30
    customer = fake_stripe.get_object(subscription.stripe_customer_id)
    assert (customer["email"], customer["metadata"]) == ("admin@gamma.example.cn", {"xuehui_schema": "s_gamma"})
    mapping = StripeObject.objects.get(stripe_id=customer["id"])
    assert (mapping.kind, mapping.society_id) == ("platform_customer", society.pk)
    # The other society (made without a plan) has nothing of gamma's.
    assert not Subscription.objects.filter(society=society_b).exists()
    assert not StripeObject.objects.filter(society=society_b).exists()


def test_stripe_failure_during_sign_up_leaves_nothing_behind(platform, plans, fake_stripe, settings):
    settings.STRIPE_SECRET_KEY = "sk_live_not_accepted_by_stripe"  # Stripe answers 401
    users_before = get_user_model().objects.count()
    audit_before = PlatformAuditEntry.objects.count()
    with translation.override("zh-hans"), pytest.raises(BillingError, match="支付服务暂时无法连接"):
        sign_up_society(
            slug="delta",
            name_zh="失败学会",
            discipline_group="理科",
            admin_email="new.person@delta.example.cn",
            admin_password=ADMIN_PASSWORD,
            plan=plans["professional"],
        )
    assert not Society.objects.filter(slug="delta").exists()
    assert existing_schemas(["s_delta"]) == set()
    assert not Domain.objects.filter(domain="delta.localhost").exists()
    assert get_user_model().objects.count() == users_before
    assert not get_user_model().objects.filter(email="new.person@delta.example.cn").exists()
    assert StripeObject.objects.count() == 0
    assert Subscription.objects.count() == 0
    assert PlatformAuditEntry.objects.count() == audit_before
    assert [e["type"] for e in fake_stripe.events()] == []


def test_sign_up_page_provisions_and_admin_lands_on_plan_page(platform, plans, fake_stripe):
    platform_client = client_for(None)
    response = platform_client.post(
        "/billing/signup/",
        {
            "slug": "epsilon",
            "name_zh": "测试天文学会",
            "name_en": "Test Astronomical Society",
            "discipline_group": "理科",
            "admin_email": "Sec@Epsilon.example.cn",
            "admin_name": "天文学会秘书处",
            "password": ADMIN_PASSWORD,
            "plan": str(plans["flagship"].pk),
            "interval": "year",
        },
    )
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("http://epsilon.localhost/billing/welcome/?t=")
    society = Society.objects.get(slug="epsilon")
    site = client_for(society)
    landed = site.get(location.split("localhost", 1)[1])
    assert (landed.status_code, landed["Location"]) == (302, "/billing/")
    page = site.get("/billing/").content.decode()
    assert "旗舰版" in page and "免费试用" in page
    assert Subscription.objects.get(society=society).plan.code == "flagship"
    # The welcome link works once.
    assert client_for(society).get(location.split("localhost", 1)[1]).status_code == 404


def test_sign_up_page_refuses_someone_elses_email(platform, plans, fake_stripe, make_user):
    make_user("taken@example.cn")
    response = client_for(None).post(
        "/billing/signup/",
        {
            "slug": "zeta",
            "name_zh": "测试学会",
            "discipline_group": "理科",
            "admin_email": "taken@example.cn",
            "password": ADMIN_PASSWORD,
            "plan": str(plans["basic"].pk),
            "interval": "month",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["admin_email"] == ["该电子邮箱已有账户。请先登录，然后再注册学会。"]
    assert not Society.objects.filter(slug="zeta").exists()


def test_application_fee_comes_from_the_plan(signed_up, society_b, plans):
    from billing.selectors import application_fee_percent, has_feature

    society = signed_up.provisioned.society
    assert application_fee_percent(society) == Decimal("2.00")
    assert application_fee_percent(society_b) == Decimal("0.00")  # no plan: no platform fee
    Subscription.objects.filter(society=society).update(plan=plans["flagship"])
    assert application_fee_percent(society) == Decimal("1.00")
    assert has_feature(society, "api") is True
    assert has_feature(society_b, "api") is False


def test_signed_in_person_signs_up_with_their_own_account(platform, plans, fake_stripe, make_user):
    person = make_user("li.hua@example.cn", name="李华")
    client = client_for(None)
    client.force_login(person)
    response = client.post(
        "/billing/signup/",
        {
            "slug": "kappa",
            "name_zh": "测试生态学会",
            "discipline_group": "农科",
            "admin_name": "李华",
            "plan": str(plans["basic"].pk),
            "interval": "year",
        },
    )
    assert response.status_code == 302
    society = Society.objects.get(slug="kappa")
    assert (society.contact_email, get_user_model().objects.filter(email="li.hua@example.cn").count()) == (
        "li.hua@example.cn",
        1,
    )
    from django_tenants.utils import schema_context

    from common.models import RoleAssignment

    with schema_context(society.schema_name):
        assert list(RoleAssignment.objects.values_list("user_id", "role")) == [(person.pk, "admin")]


def test_sign_up_forms_field_order_puts_password_before_plan(plans):
    from billing.forms import OperatorSocietyForm, SocietySignUpForm

    society_fields = ["slug", "name_zh", "name_en", "discipline_group", "admin_email", "admin_name"]
    assert list(SocietySignUpForm().fields) == [*society_fields, "password", "plan", "interval"]
    assert list(OperatorSocietyForm().fields) == [*society_fields, "plan", "interval"]
    assert [p.code for p in SocietySignUpForm().fields["plan"].queryset] == ["basic", "professional", "flagship"]
