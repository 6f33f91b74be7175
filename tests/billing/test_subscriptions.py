from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import PlatformInvoice, StripeEvent, Subscription
from billing.services import BillingError, change_plan
from billing.tasks import render_platform_invoice
from tests.conftest import client_for


def _sub(signed_up) -> Subscription:
    return Subscription.objects.select_related("plan").get(society=signed_up.provisioned.society)


def test_checkout_activates_subscription_and_issues_platform_invoice(signed_up, subscribe, admin_client, society_b):
    results = subscribe()
    assert ("customer.subscription.created", 200) in results and ("invoice.paid", 200) in results
    sub = _sub(signed_up)
    assert (sub.status, sub.plan.code, sub.interval, sub.overdue_since) == ("active", "basic", "month", None)
    assert sub.stripe_subscription_id.startswith("sub_") and sub.current_period_end > timezone.now()
    invoice = PlatformInvoice.objects.get(society=signed_up.provisioned.society)
    year = timezone.localtime(invoice.issued_at).year
    assert (invoice.number, invoice.total, invoice.amount_paid, invoice.currency) == (
        f"XH-{year}-000001",
        Decimal("1980.00"),
        Decimal("1980.00"),
        "CNY",
    )
    assert invoice.billing_reason == "subscription_create"
    assert admin_client.get(f"/billing/invoices/{invoice.pk}/pdf/").status_code == 404  # not rendered yet
    render_platform_invoice(invoice_id=invoice.pk)  # the task body (a worker runs it after the commit)
    pdf = admin_client.get(f"/billing/invoices/{invoice.pk}/pdf/")
    assert (pdf.status_code, pdf["Content-Type"], b"".join(pdf.streaming_content)[:5]) == (
        200,
        "application/pdf",
        b"%PDF-",
    )
    page = admin_client.get("/billing/").content.decode()
    assert f"XH-{year}-000001" in page
    # The other society's administrator cannot fetch gamma's invoice, nor see it.
    other = client_for(society_b)
    other.force_login(_admin_of(society_b))
    assert other.get(f"/billing/invoices/{invoice.pk}/pdf/").status_code == 404
    assert other.get("/billing/").status_code == 404  # society_b has no platform subscription


def _admin_of(society):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(email=society.contact_email)


def test_upgrade_is_prorated_and_charged_at_once(signed_up, subscribe, plans, fake_stripe, deliver, admin_client):
    subscribe()
    response = admin_client.post("/billing/plan/", {"plan": "professional"})
    assert response.status_code == 302
    sub = _sub(signed_up)
    assert (sub.plan.code, sub.status) == ("professional", "active")
    stripe_sub = fake_stripe.get_object(sub.stripe_subscription_id)
    plans["professional"].refresh_from_db()
    assert stripe_sub["items"]["data"][0]["price"]["id"] == plans["professional"].stripe_monthly_price_id
    results = deliver()
    assert ("invoice.paid", 200) in results
    proration = PlatformInvoice.objects.get(society=signed_up.provisioned.society, billing_reason="subscription_update")
    credit, charge = sorted(Decimal(line["gross"]) for line in proration.lines)
    # Stripe prorates by the second: the unused rest of the month on the old price is credited and
    # the same rest on the new price charged (a second or two of the month has gone by).
    assert _same_fraction(credit, Decimal("1980.00"), charge, Decimal("5980.00"))
    assert proration.total == proration.amount_paid == charge + credit
    assert proration.number.endswith("-000002")


def test_downgrade_credits_the_next_invoice(signed_up, subscribe, plans, fake_stripe, deliver, admin_client):
    Subscription.objects.filter(society=signed_up.provisioned.society).update(plan=plans["professional"])
    subscribe()
    admin_client.post("/billing/plan/", {"plan": "basic"})
    deliver()
    sub = _sub(signed_up)
    assert sub.plan.code == "basic"
    assert PlatformInvoice.objects.filter(society=signed_up.provisioned.society).count() == 1  # nothing charged now
    fake_stripe.advance_subscription(sub.stripe_subscription_id)
    deliver()
    renewal = PlatformInvoice.objects.get(billing_reason="subscription_cycle")
    credit, charge, cycle = sorted(Decimal(line["gross"]) for line in renewal.lines)
    assert cycle == Decimal("1980.00")  # the new period at the basic price
    assert _same_fraction(credit, Decimal("5980.00"), charge, Decimal("1980.00"))
    assert (renewal.total, renewal.amount_paid) == (cycle + charge + credit, Decimal("0.00"))  # credit carried


def _same_fraction(credit, old_price, charge, new_price) -> bool:
    """The credit and the charge cover the same rest of the period, almost all of it."""
    fraction = -credit / old_price
    return Decimal("0.999") < fraction <= 1 and abs(
        charge - (new_price * fraction).quantize(Decimal("0.01"))
    ) <= Decimal("0.01")


def test_downgrade_below_active_members_is_refused(signed_up, plans):
    Subscription.objects.filter(society=signed_up.provisioned.society).update(
        plan=plans["professional"], active_members=2500
    )
    with pytest.raises(BillingError, match="此套餐最多允许 2000 名有效会员；本学会有 2500 名。"):
        change_plan(society=signed_up.provisioned.society, plan=plans["basic"], actor=None)
    assert _sub(signed_up).plan.code == "professional"


def test_cancel_at_period_end_keeps_running_until_the_period_ends(
    signed_up, subscribe, fake_stripe, deliver, admin_client
):
    subscribe()
    admin_client.post("/billing/cancel/")
    sub = _sub(signed_up)
    assert (sub.status, sub.cancel_at_period_end, sub.read_only_from) == ("active", True, None)
    admin_client.post("/billing/cancel/", {"resume": "1"})
    assert _sub(signed_up).cancel_at_period_end is False
    admin_client.post("/billing/cancel/")
    fake_stripe.advance_subscription(sub.stripe_subscription_id)
    assert ("customer.subscription.deleted", 200) in deliver()
    ended = _sub(signed_up)
    assert ended.status == "canceled" and ended.read_only_from is not None


def test_duplicate_and_reordered_events_change_state_once(signed_up, subscribe, fake_stripe, deliver):
    subscribe()
    paid = fake_stripe.events(type="invoice.paid")[0]["id"]
    created = fake_stripe.events(type="customer.subscription.created")[0]["id"]
    assert deliver.post(paid).json() == {"status": "processed", "duplicate": True}
    StripeEvent.objects.filter(stripe_id=created).delete()
    assert deliver.post(created).status_code == 200  # late, re-fetched: still active
    assert PlatformInvoice.objects.count() == 1
    assert _sub(signed_up).status == "active"


def test_late_payment_failed_after_paid_leaves_it_paid(signed_up, subscribe, fake_stripe, deliver):
    import stripe
    from django.conf import settings

    subscribe()
    sub_id = _sub(signed_up).stripe_subscription_id
    fake_stripe.advance_subscription(sub_id, fail=True)
    client = stripe.StripeClient(settings.STRIPE_SECRET_KEY, base_addresses={"api": settings.STRIPE_API_BASE})
    client.v1.invoices.pay(client.v1.subscriptions.retrieve(sub_id).latest_invoice)
    failed = fake_stripe.events(type="invoice.payment_failed")[-1]["id"]
    paid = fake_stripe.events(type="invoice.paid")[-1]["id"]
    assert [deliver.post(paid).status_code, deliver.post(failed).status_code] == [200, 200]
    sub = _sub(signed_up)
    assert (sub.status, sub.overdue_since, sub.read_only_from) == ("active", None, None)
    assert PlatformInvoice.objects.filter(society=signed_up.provisioned.society).count() == 2


def test_plan_page_speaks_english_and_is_for_admins_only(signed_up, admin_client, make_user, in_schema):
    from common.models import Role
    from tenants.services import grant_role

    english = admin_client.get("/billing/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Plan and subscription</h1>" in english and "Free trial until" in english
    finance = make_user("finance@gamma.example.cn")
    with in_schema(signed_up.provisioned.society):
        grant_role(user=finance, role=Role.FINANCE)
    client = client_for(signed_up.provisioned.society)
    client.force_login(finance)
    assert client.get("/billing/").status_code == 403
    assert client.post("/billing/plan/", {"plan": "flagship"}).status_code == 403
    assert _sub(signed_up).plan.code == "basic"
