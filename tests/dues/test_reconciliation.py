"""Reconciliation finds (and heals) what lost webhooks left behind."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing import stripe_client
from dues.models import Invoice, Payment, Refund
from dues.reconciliation import CAPTURED_NOT_RECORDED, REFUND_MISSING, reconcile
from dues.services import start_stripe_payment

pytestmark = pytest.mark.django_db


def test_reconcile_reports_then_heals_injected_mismatches(
    society_a, society_b, make_user, in_schema, issue, fake_stripe, connect_society, django_capture_on_commit_callbacks
):
    account = connect_society(society_a)
    connect_society(society_b)
    member = make_user("r@example.cn")
    lost = issue(society_a, member)
    refunded = issue(society_a, member, "300.00")
    today = timezone.localdate()
    with in_schema(society_a):
        p_lost = start_stripe_payment(
            invoice=lost, success_url="http://x.example/ok", cancel_url="http://x.example/no", actor=member
        )
        p_ref = start_stripe_payment(
            invoice=refunded, success_url="http://x.example/ok", cancel_url="http://x.example/no", actor=member
        )
    # Paid at Stripe, every webhook lost:
    fake_stripe.pay_checkout_session(p_lost.stripe_checkout_session_id, silent=True)
    intent = fake_stripe.get_object(p_lost.stripe_checkout_session_id)["payment_intent"]
    assert fake_stripe.get_object(intent)["status"] == "succeeded"
    # Paid and recorded here, then refunded on Stripe's dashboard with the webhooks lost:
    fake_stripe.pay_checkout_session(p_ref.stripe_checkout_session_id)
    for event_id in fake_stripe.event_ids("checkout.session.completed", account)[-1:]:
        fake_stripe.post_event(event_id)
    ref_intent = fake_stripe.get_object(p_ref.stripe_checkout_session_id)["payment_intent"]
    stripe_refund = stripe_client.client().v1.refunds.create(
        {"payment_intent": ref_intent, "amount": 10000}, {"stripe_account": account}
    )
    with in_schema(society_a):
        assert Payment.objects.get(pk=p_lost.pk).state == "pending"
        assert Payment.objects.get(pk=p_ref.pk).state == "confirmed"
        report = reconcile(date_from=today, date_to=today, heal=False, actor=None)
        assert [(m.kind, m.payment_id, m.healed) for m in report] == [
            (CAPTURED_NOT_RECORDED, p_lost.pk, False),
            (REFUND_MISSING, p_ref.pk, False),
        ]
        assert report[1].stripe_id == stripe_refund.id
        assert Payment.objects.get(pk=p_lost.pk).state == "pending" and Refund.objects.count() == 0

        with django_capture_on_commit_callbacks(execute=True):
            healed = reconcile(date_from=today, date_to=today, heal=True, actor=None)
        assert [(m.kind, m.healed) for m in healed] == [(CAPTURED_NOT_RECORDED, True), (REFUND_MISSING, True)]
        assert Invoice.objects.get(pk=lost.pk).status == "paid"
        refund = Refund.objects.get()
        assert (refund.stripe_refund_id, refund.amount, refund.state, refund.credit_note.total) == (
            stripe_refund.id,
            Decimal("100.00"),
            "done",
            Decimal("-100.00"),
        )
        assert reconcile(date_from=today, date_to=today, heal=True, actor=None) == []
    with in_schema(society_b):
        assert reconcile(date_from=today, date_to=today, heal=True, actor=None) == []
        assert Payment.objects.count() == 0


def test_reconcile_command_prints_report(society_a, make_user, in_schema, issue, fake_stripe, connect_society, capsys):
    connect_society(society_a)
    member = make_user("r@example.cn")
    invoice = issue(society_a, member)
    with in_schema(society_a):
        payment = start_stripe_payment(
            invoice=invoice, success_url="http://x.example/ok", cancel_url="http://x.example/no", actor=member
        )
    fake_stripe.pay_checkout_session(payment.stripe_checkout_session_id, silent=True)
    call_command("reconcile_payments", "--schema", society_a.schema_name)
    out = capsys.readouterr().out
    assert f"s_alpha\t{CAPTURED_NOT_RECORDED}\tpayment={payment.pk}" in out and "open" in out
    assert out.strip().endswith(
        "1 mismatch(es) from "
        + str(timezone.localdate() - timezone.timedelta(days=2))
        + " to "
        + str(timezone.localdate())
    )
