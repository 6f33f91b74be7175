"""Automatic renewal in a browser, on a phone: the member pays dues by card with "save this card"
ticked (the fake Stripe's hosted page), sees the saved card on the automatic-renewal page, and
turns automatic renewal off."""

import datetime

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from tests.browser.test_dues_journey import PASSWORD, _log_in
from tests.conftest import committed
from tests.dues import fixtures as dues_fixtures

pytestmark = [pytest.mark.browser, committed]

connect_society = dues_fixtures.connect_society
issue = dues_fixtures.issue
settled_tasks = dues_fixtures.settled_tasks


def test_member_saves_card_at_checkout_then_turns_automatic_renewal_off(
    phone,
    site_url,
    society_a,
    society_b,
    make_user,
    issue,
    fake_stripe,
    connect_society,
    celery_worker_thread,
    screenshot,
    settled_tasks,
):
    from dues.models import AutoRenewal

    connect_society(society_a)
    user = make_user("wang.fang@example.cn", "王芳", password=PASSWORD)
    term_end = datetime.date.today() + datetime.timedelta(days=40)
    with schema_context(society_a.schema_name):
        dues_fixtures.make_active_member(user, term_end=term_end)
    invoice = issue(society_a, user, "200.00", purpose="membership.dues")
    _log_in(phone, site_url(society_a, f"/accounts/login/?next=/dues/invoices/{invoice.pk}/pay/"), user.email)
    expect(phone.locator("[data-testid=auto-renewal-choice]")).to_contain_text("自动续费")
    phone.check("[data-testid=save-card]")
    screenshot(phone, "auto-renewal-pay-choice-phone")
    phone.click("[data-testid=continue]")
    expect(phone.locator("button.card")).to_be_visible()
    expect(phone.locator("button.alipay")).to_have_count(0)  # saving a card: cards only
    phone.click("button.card")
    expect(phone.locator(".messages")).to_contain_text("自动续费已开启")
    expect(phone.locator("[data-testid=status]").first).to_have_text("已付款")
    phone.goto(site_url(society_a, "/members/me/"))
    phone.click("[data-testid=auto-renewal-link]")
    expect(phone.locator("[data-testid=card-last4]")).to_have_text("4242")
    expect(phone.locator("[data-testid=card-expiry]")).to_have_text("08/2030")
    expect(phone.locator("[data-testid=auto-renewal-status]")).to_have_text("自动续费中")
    expect(phone.locator("[data-testid=next-renewal-amount]")).to_have_text("200.00 CNY")
    expect(phone.locator("[data-testid=next-renewal-date]")).to_have_text(
        (term_end + datetime.timedelta(days=1)).isoformat()
    )
    screenshot(phone, "auto-renewal-on-phone")
    phone.click("[data-testid=turn-off]")
    expect(phone.locator("[data-testid=auto-renewal-status]")).to_have_text("自动续费已暂停")
    expect(phone.locator("[data-testid=consent]")).to_contain_text("授权")
    screenshot(phone, "auto-renewal-off-phone")
    with schema_context(society_a.schema_name):
        plan = AutoRenewal.objects.get()
        assert (plan.user_id, plan.enabled, plan.card_last4) == (user.pk, False, "4242")
    with schema_context(society_b.schema_name):
        assert AutoRenewal.objects.count() == 0
