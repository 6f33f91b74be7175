"""Refunds: requested by finance with a reason, optionally approved by a second person, sent to
Stripe (or recorded as paid back by bank), then a credit note and an e-mail.

The refund row is committed before Stripe is called, and Stripe gets a key derived from it, so
a retry or a crash in between never refunds twice; the Stripe refund carries our id in its
metadata, so the webhook (which may arrive before the call returns) finds the row and completes it.
"""

from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from board.tasks import request_refresh
from common.audit import record_audit
from dues import emails
from dues.errors import DuesError
from dues.models import ZERO, Invoice, Payment, Refund
from dues.providers import StripeProvider, from_minor, provider_for
from dues.purposes import run_refund_handler
from dues.selectors import invoice_settings, refundable_amount
from dues.services.invoices import create_credit_note
from dues.services.payments import lock_payment


def refund_payment(*, payment: Payment, amount: Decimal, reason: str, actor) -> Refund:
    """Refund ``amount`` of a confirmed payment.  Above the society's approval threshold the refund
    waits for a second person (approve_refund); otherwise it is executed at once."""
    reason = (reason or "").strip()
    if not reason:
        raise DuesError(_("Give a reason for the refund."))
    try:
        amount = Decimal(amount).quantize(Decimal("0.01"))
    except (TypeError, ArithmeticError):
        raise DuesError(_("Enter the amount to refund.")) from None
    with transaction.atomic():
        payment = lock_payment(payment.pk)
        if payment.state != Payment.State.CONFIRMED:
            raise DuesError(_("Only a confirmed payment can be refunded."))
        available = refundable_amount(payment)
        if amount <= ZERO or amount > available:
            raise DuesError(
                _("The refund must be between 0.01 and %(max)s %(cur)s.") % {"max": available, "cur": payment.currency}
            )
        threshold = invoice_settings().refund_approval_threshold
        needs_approval = threshold is not None and amount > threshold
        refund = Refund.objects.create(
            payment=payment,
            amount=amount,
            currency=payment.currency,
            reason=reason,
            requested_by=actor,
            state=Refund.State.AWAITING_APPROVAL if needs_approval else Refund.State.PENDING,
        )
        record_audit(
            actor=actor,
            action="dues.request_refund",
            obj=refund,
            after={"amount": amount, "state": refund.state},
            reason=reason,
        )
    if not needs_approval:
        _send(refund, actor=actor)
        refund.refresh_from_db()
    return refund


def approve_refund(*, refund: Refund, actor) -> Refund:
    """The second person approves; the refund is then executed."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.state != Refund.State.AWAITING_APPROVAL:
            raise DuesError(_("This refund is not awaiting approval."))
        if refund.requested_by_id == getattr(actor, "pk", None):
            raise DuesError(_("Another person must approve a refund you requested."))
        refund.state = Refund.State.PENDING
        refund.approved_by = actor
        refund.save(update_fields=["state", "approved_by"])
        record_audit(actor=actor, action="dues.approve_refund", obj=refund, after={"state": refund.state})
    _send(refund, actor=actor)
    refund.refresh_from_db()
    return refund


def reject_refund(*, refund: Refund, reason: str, actor) -> Refund:
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.state != Refund.State.AWAITING_APPROVAL:
            raise DuesError(_("This refund is not awaiting approval."))
        refund.state = Refund.State.REJECTED
        refund.save(update_fields=["state"])
        record_audit(actor=actor, action="dues.reject_refund", obj=refund, after={"state": refund.state}, reason=reason)
    return refund


def _send(refund: Refund, *, actor) -> None:
    provider = provider_for(refund.payment)
    result = provider.refund(refund)
    if result is None:  # bank transfer: finance pays back at the bank
        complete_refund(refund_id=refund.pk, stripe_refund_id=None, actor=actor)
    else:
        record_stripe_refund(stripe_refund=result, actor=actor)


def complete_refund(*, refund_id: int, stripe_refund_id: str | None, actor) -> bool:
    """Mark the refund done, issue its credit note and tell the member; True when this call did it."""
    with transaction.atomic():
        refund = Refund.objects.get(pk=refund_id)
        payment = lock_payment(refund.payment_id)
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.state == Refund.State.DONE:
            return False
        before = refund.state
        refund.state = Refund.State.DONE
        refund.completed_at = timezone.now()
        refund.stripe_refund_id = stripe_refund_id or refund.stripe_refund_id
        credit = create_credit_note(invoice=payment.invoice, amount=refund.amount, reason=refund.reason, actor=actor)
        refund.credit_note = credit
        refund.save(update_fields=["state", "completed_at", "stripe_refund_id", "credit_note"])
        request_refresh()  # the board's refunds and invoiced amounts
        record_audit(
            actor=actor,
            action="dues.complete_refund",
            obj=refund,
            before={"state": before},
            after={"credit_note": credit.number},
        )
        invoice = Invoice.objects.get(pk=payment.invoice_id)
        run_refund_handler(invoice, credit, actor=actor)
        emails.refund_done(refund, credit)
    return True


def record_stripe_refund(*, stripe_refund, actor=None) -> Refund | None:
    """Bring one Stripe refund (re-fetched) into our books: find our row by metadata or id, or
    create it when the refund was made on Stripe directly; complete or fail it as Stripe says."""
    metadata = stripe_refund.metadata.to_dict() if getattr(stripe_refund, "metadata", None) else {}
    refund = None
    if metadata.get("xuehui_schema") == connection.schema_name and metadata.get("xuehui_refund_id"):
        refund = Refund.objects.filter(pk=metadata["xuehui_refund_id"]).first()
    if refund is None:
        refund = Refund.objects.filter(stripe_refund_id=stripe_refund.id).first()
    if refund is None:
        payment = Payment.objects.filter(stripe_payment_intent_id=stripe_refund.payment_intent).first()
        if payment is None:
            return None
        with transaction.atomic():
            lock_payment(payment.pk)
            refund, created = Refund.objects.get_or_create(
                stripe_refund_id=stripe_refund.id,
                defaults={
                    "payment": payment,
                    "amount": from_minor(stripe_refund.amount, stripe_refund.currency),
                    "currency": payment.currency,
                    "state": Refund.State.PENDING,
                    "reason": _("Refunded on Stripe"),
                },
            )
            if created:
                record_audit(
                    actor=actor, action="dues.record_stripe_refund", obj=refund, after={"stripe": stripe_refund.id}
                )
    if stripe_refund.status == "succeeded":
        complete_refund(refund_id=refund.pk, stripe_refund_id=stripe_refund.id, actor=actor)
    elif stripe_refund.status in ("failed", "canceled"):
        with transaction.atomic():
            locked = Refund.objects.select_for_update().get(pk=refund.pk)
            if locked.state == Refund.State.PENDING:
                locked.state = Refund.State.FAILED
                locked.stripe_refund_id = stripe_refund.id
                locked.save(update_fields=["state", "stripe_refund_id"])
                record_audit(actor=actor, action="dues.fail_refund", obj=locked, after={"state": locked.state})
    elif not refund.stripe_refund_id:
        Refund.objects.filter(pk=refund.pk, stripe_refund_id__isnull=True).update(stripe_refund_id=stripe_refund.id)
    return refund


def stripe_provider() -> StripeProvider:
    return StripeProvider(invoice_settings().stripe_account_id)
