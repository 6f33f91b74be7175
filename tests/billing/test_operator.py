from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import Subscription
from tests.conftest import client_for


def _operator(make_user):
    client = client_for(None)
    client.force_login(make_user("operator@xuehui.cn", is_staff=True))
    return client


def test_operator_console_lists_societies_overdue_and_revenue(signed_up, society_b, make_user, plans, platform):
    from billing.plans import seed_platform_billing

    seed_platform_billing()  # a society without a plan (beta) gets a trial; gamma keeps its own
    seed_platform_billing()  # idempotent
    gamma = signed_up.provisioned.society
    Subscription.objects.filter(society=gamma).update(
        status="past_due",
        overdue_since=timezone.now() - timedelta(days=20),
        read_only_from=timezone.now() - timedelta(days=6),
    )
    operator = _operator(make_user)
    console = operator.get("/billing/operator/")
    html = console.content.decode()
    assert console.status_code == 200 and "gamma" in html and "beta" in html
    assert (
        [f.strip() for f in console.context["figures"].values()]
        if False
        else console.context["figures"]
        == {
            "total": 2,
            "trialing": 1,
            "active": 0,
            "overdue": 1,
            "read_only": 1,
        }
    )
    overdue = operator.get("/billing/operator/overdue/")
    assert [s.society.slug for s in overdue.context["subscriptions"]] == ["gamma"]
    from billing.invoices import issue_platform_invoice
    from tests.billing.test_tasks_and_invoices import _stripe_invoice

    issue_platform_invoice(society=gamma, stripe_invoice=_stripe_invoice("in_r1", 198000))
    issue_platform_invoice(society=gamma, stripe_invoice=_stripe_invoice("in_r2", 4000))
    rows = operator.get("/billing/operator/revenue/").context["rows"]
    assert [(r["currency"], r["total"], r["count"]) for r in rows] == [("CNY", Decimal("2020.00"), 2)]
    assert [p.code for p in operator.get("/billing/operator/plans/").context["plans"]] == [
        "basic",
        "professional",
        "flagship",
    ]


def test_operator_console_is_for_platform_staff_only(signed_up, make_user):
    client = client_for(None)
    client.force_login(make_user("someone@example.cn"))
    response = client.get("/billing/operator/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/billing/operator/")


def test_operator_console_query_count_does_not_grow_with_societies(platform, plans, make_user, fake_stripe):
    from billing.services import sign_up_society

    operator = _operator(make_user)

    def sign_up(slug):
        sign_up_society(
            slug=slug,
            name_zh=f"{slug}学会",
            discipline_group="理科",
            admin_email=f"a@{slug}.cn",
            admin_password="Xuehui-2026-x",
            plan=plans["basic"],
        )

    sign_up("one")
    operator.get("/billing/operator/")  # warm the host and session caches
    with CaptureQueriesContext(connection) as one:
        operator.get("/billing/operator/")
    sign_up("two")
    sign_up("three")
    with CaptureQueriesContext(connection) as three:
        operator.get("/billing/operator/")
    assert len(one) == len(three) == 5


def test_operator_creates_a_society_on_a_plan(platform, plans, make_user, fake_stripe):
    operator = _operator(make_user)
    response = operator.post(
        "/billing/operator/",
        {
            "slug": "theta",
            "name_zh": "测试地理学会",
            "discipline_group": "理科",
            "admin_email": "sec@theta.example.cn",
            "plan": str(plans["professional"].pk),
            "interval": "year",
        },
    )
    assert (response.status_code, response["Location"]) == (302, "/billing/operator/")
    subscription = Subscription.objects.select_related("society", "plan").get(society__slug="theta")
    assert (subscription.plan.code, subscription.interval, subscription.status) == ("professional", "year", "trialing")
    assert fake_stripe.get_object(subscription.stripe_customer_id)["email"] == "sec@theta.example.cn"
