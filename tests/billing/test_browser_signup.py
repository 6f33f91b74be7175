"""A society signs up on the platform with a plan; its administrator lands on the plan page,
subscribes through Stripe Checkout (the fake's hosted page) and sees the plan paid."""

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from deploy.fakestripe import FakeStripe
from tests.conftest import committed

pytestmark = [pytest.mark.browser, committed]


@pytest.fixture
def live_stripe(settings, site_url):
    with FakeStripe(
        port=0, webhook_url=site_url(None, "/stripe/webhook/"), webhook_secret=settings.STRIPE_WEBHOOK_SECRET
    ) as fake:
        settings.STRIPE_API_BASE = fake.url
        yield fake


@pytest.fixture
def drop_signed_up_schema():
    yield
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute('DROP SCHEMA IF EXISTS "s_cstam" CASCADE')


def test_society_signs_up_chooses_plan_and_pays(
    platform, plans, live_stripe, drop_signed_up_schema, celery_worker_thread, page, phone, site_url, screenshot
):
    phone.goto(site_url(None, "/billing/signup/"))
    expect(phone.locator("h1")).to_have_text("学会入驻注册")
    screenshot(phone, "billing-signup-phone")
    phone.fill("#id_slug", "cstam")
    phone.fill("#id_name_zh", "中国力学学会")
    phone.fill("#id_name_en", "Chinese Society of Theoretical and Applied Mechanics")
    phone.fill("#id_admin_email", "admin@cstam.example.cn")
    phone.fill("#id_admin_name", "力学学会秘书处")
    phone.fill("#id_password", "Xuehui-2026-admin")
    phone.get_by_label("专业版").check()
    phone.get_by_label("按月").check()
    phone.click("[data-testid=signup-submit]")

    expect(phone.locator("h1")).to_have_text("套餐与订阅")
    expect(phone).to_have_url(site_url(_society("cstam"), "/billing/"))
    expect(phone.locator(".messages")).to_contain_text("欢迎！贵会的网站已开通，免费试用已开始。")
    expect(phone.locator("[data-testid=subscription-status]")).to_have_text("免费试用")
    expect(phone.locator("[data-testid=current-plan] header strong")).to_have_text("专业版")
    screenshot(phone, "billing-plan-page-trial-phone")

    phone.click("[data-testid=subscribe]")
    phone.locator("button.card").click()
    expect(phone.locator("h1")).to_have_text("套餐与订阅")
    assert live_stripe.wait_for_deliveries(10)
    phone.reload()
    expect(phone.locator("[data-testid=subscription-status]")).to_have_text("订阅中")
    expect(phone.locator("[data-testid=platform-invoices]")).to_contain_text(f"XH-{timezone.localtime().year}-000001")
    _wait_for_pdf()
    phone.reload()
    expect(phone.locator("[data-testid=platform-invoices] a")).to_have_text("PDF")
    screenshot(phone, "billing-plan-page-paid-phone")

    # Past the grace period of a missed payment: the banner on staff pages, staff writes refused.
    _overdue_past_grace("cstam")
    phone.goto(site_url(_society("cstam"), "/console/roles/"))
    expect(phone.locator("[data-testid=read-only-banner]")).to_contain_text("只读模式")
    phone.fill("#id_email", "admin@cstam.example.cn")
    phone.click("main form button[type=submit] >> nth=-1")
    expect(phone.locator("[data-testid=read-only] h1")).to_have_text("暂为只读")
    screenshot(phone, "billing-read-only-phone")

    # The platform operator sees the society in the overdue list.
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("operator@xuehui.cn", "Xuehui-2026-op", name="运营", is_staff=True)
    page.goto(site_url(None, "/accounts/login/?next=/billing/operator/overdue/"))
    page.fill("#id_username", "operator@xuehui.cn")
    page.fill("#id_password", "Xuehui-2026-op")
    page.click("[data-testid=login-submit]")
    expect(page.locator("[data-testid=subscriptions]")).to_contain_text("cstam")
    screenshot(page, "billing-operator-overdue")


def _wait_for_pdf():
    """The worker renders the platform invoice after the webhook's commit."""
    import time

    from billing.models import PlatformInvoice

    deadline = time.monotonic() + 20
    while PlatformInvoice.objects.filter(pdf="").exists() and time.monotonic() < deadline:
        time.sleep(0.1)


def _overdue_past_grace(slug):
    from datetime import timedelta

    from billing import readonly
    from billing.models import Subscription

    since = timezone.now() - timedelta(days=15)
    Subscription.objects.filter(society__slug=slug).update(
        status="past_due", overdue_since=since, read_only_from=since + timedelta(days=14)
    )
    readonly.forget()  # the live server runs in this process: drop its cached answer


def _society(slug):
    from tenants.models import Society

    return Society.objects.get(slug=slug)
