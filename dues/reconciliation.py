"""Comparing our payments and refunds with Stripe's for a period, healing what is safe to heal.

Safe: a payment Stripe captured while we still wait (its webhook was lost) is confirmed through
the same service as the webhook; a refund made on Stripe that we lack is recorded with its credit
note.  Reported only: a payment we hold as confirmed that Stripe does not show as paid.
"""

from dataclasses import asdict, dataclass

from dues.models import Payment
from dues.providers import StripeProvider
from dues.selectors import invoice_settings, period_bounds
from dues.services.payments import stripe_intent, sync_stripe_payment
from dues.services.refunds import record_stripe_refund

CAPTURED_NOT_RECORDED = "captured_on_stripe_pending_here"
REFUND_MISSING = "refund_missing_here"
CONFIRMED_NOT_ON_STRIPE = "confirmed_here_not_paid_on_stripe"


@dataclass
class Mismatch:
    kind: str
    payment_id: int | None
    stripe_id: str
    detail: str
    healed: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


def reconcile(*, date_from, date_to, heal: bool, actor) -> list[Mismatch]:
    """Report (and with ``heal`` repair) mismatches for Stripe payments created in the period."""
    settings = invoice_settings()
    if not settings.stripe_account_id:
        return []
    provider = StripeProvider(settings.stripe_account_id)
    start, end = period_bounds(date_from, date_to)
    report: list[Mismatch] = []
    payments = Payment.objects.filter(provider=Payment.Provider.STRIPE, created_at__range=(start, end)).exclude(
        stripe_checkout_session_id="", stripe_payment_intent_id=""
    )
    for payment in payments.order_by("id"):
        intent = stripe_intent(provider, payment)
        status = getattr(intent, "status", None) if intent is not None else None
        if status == "succeeded" and payment.state != Payment.State.CONFIRMED:
            item = Mismatch(CAPTURED_NOT_RECORDED, payment.pk, intent.id, f"{payment.amount} {payment.currency}")
            if heal:
                item.healed = sync_stripe_payment(payment_id=payment.pk, actor=actor)
            report.append(item)
        elif payment.state == Payment.State.CONFIRMED and status != "succeeded":
            report.append(
                Mismatch(
                    CONFIRMED_NOT_ON_STRIPE, payment.pk, payment.stripe_checkout_session_id, f"Stripe status {status}"
                )
            )
    known = set(
        Payment.objects.filter(refunds__stripe_refund_id__isnull=False).values_list(
            "refunds__stripe_refund_id", flat=True
        )
    )
    from dues.models import Refund

    done = set(Refund.objects.filter(state=Refund.State.DONE).values_list("stripe_refund_id", flat=True))
    created = {"gte": int(start.timestamp()), "lte": int(end.timestamp())}
    for stripe_refund in provider.list_refunds(created=created):
        if stripe_refund.status != "succeeded" or stripe_refund.id in done:
            continue
        payment = Payment.objects.filter(stripe_payment_intent_id=stripe_refund.payment_intent).first()
        if payment is None:
            continue
        item = Mismatch(
            REFUND_MISSING,
            payment.pk,
            stripe_refund.id,
            "known but not done" if stripe_refund.id in known else "unknown",
        )
        if heal:
            record_stripe_refund(stripe_refund=stripe_refund, actor=actor)
            item.healed = Refund.objects.filter(stripe_refund_id=stripe_refund.id, state=Refund.State.DONE).exists()
        report.append(item)
    return report
