"""The meetings side of payments: invoices through the dues capability, and the two calls dues
makes back (``invoice_paid``, ``invoice_refunded``).

Contract with dues: an invoice for a registration has purpose ``meeting.registration`` and
``subject_id`` = the registration's id; a group's has ``meeting.group`` and the group order's id.
Dues calls ``invoice_paid`` once when the invoice is fully paid, inside its own transaction.
"""

import importlib
import logging
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.audit import record_audit
from meetings.models import GroupOrder, Registration

logger = logging.getLogger(__name__)
ZERO = Decimal("0")
PURPOSE_REGISTRATION = "meeting.registration"
PURPOSE_GROUP = "meeting.group"


class PaymentUnavailable(RuntimeError):
    """No payment capability in this installation (the dues app is missing)."""


def dues_services():
    """dues.services, or None while the dues capability is not installed."""
    try:
        return importlib.import_module("dues.services")
    except ImportError:
        return None


def invoice_lines(registration: Registration) -> list[dict]:
    """The registration as invoice lines: the type at its price, each add-on, the discount."""
    addons = list(registration.addons.all())
    base = registration.price - sum((a.price for a in addons), ZERO)
    rtype = registration.registration_type
    one = Decimal("1")
    lines = [
        {
            "description": f"{registration.meeting.title_zh} · {rtype.name_zh} · {registration.name}",
            "quantity": one,
            "unit_price": base,
        }
    ]
    lines += [{"description": a.name_zh, "quantity": one, "unit_price": a.price} for a in addons]
    if registration.discount:
        code = registration.discount_code.code if registration.discount_code_id else ""
        lines.append(
            {"description": f"优惠 Discount {code}".strip(), "quantity": one, "unit_price": -registration.discount}
        )
    return lines


def buyer_of(registration: Registration) -> dict:
    """A personal invoice in the attendee's name (an institution pays through a group order)."""
    return {"name": registration.name, "email": registration.email, "phone": registration.phone, "kind": ""}


def start_payment(*, registration: Registration, actor):
    """The invoice the attendee pays for a held registration (created once, reused after).
    Raises PaymentUnavailable without dues, ValueError when the hold is gone."""
    services = dues_services()
    if services is None:
        raise PaymentUnavailable(_("Online payment is not available yet; please contact the organisers."))
    with transaction.atomic():
        reg = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("meeting", "registration_type")
            .get(pk=registration.pk)
        )
        if reg.status != Registration.Status.HELD or reg.hold_expired:
            raise ValueError(_("The seat hold has expired; please register again."))
        if reg.invoice_id:
            from dues.models import Invoice

            invoice = Invoice.objects.filter(pk=reg.invoice_id, cancelled_at__isnull=True).first()
            if invoice is not None:
                return invoice
        try:
            invoice = services.create_invoice(
                buyer_user=reg.user,
                buyer=buyer_of(reg),
                lines=invoice_lines(reg),
                currency=reg.currency,
                purpose=PURPOSE_REGISTRATION,
                subject_id=str(reg.pk),
                due_date=timezone.localdate(reg.hold_expires_at),
                actor=actor,
            )
        except ValidationError as exc:  # dues.errors.DuesError: its message is for the user
            raise ValueError(" ".join(exc.messages)) from exc
        reg.invoice_id = invoice.pk
        reg.save(update_fields=["invoice_id"])
        record_audit(actor=actor, action="meetings.start_payment", obj=reg, after={"invoice": invoice.pk})
    return invoice


def pay_url(invoice) -> str:
    return reverse("dues:pay", args=[invoice.pk])


def _refund_invoice(invoice, amount: Decimal, reason: str, actor) -> None:
    """Refund ``amount`` of ``invoice``'s confirmed payments through dues (newest first)."""
    services = dues_services()
    if services is None or amount <= ZERO or not hasattr(invoice, "payments"):
        return
    from dues.models import Payment

    remaining = amount
    for payment in invoice.payments.filter(state=Payment.State.CONFIRMED).order_by("-confirmed_at", "-id"):
        if remaining <= ZERO:
            break
        part = min(remaining, payment.amount)
        services.refund_payment(payment=payment, amount=part, reason=reason, actor=actor)
        remaining -= part


def invoice_paid(invoice, *, actor) -> None:
    """Dues: ``invoice`` is fully paid.  Confirms the registration (or the group's), or, when a
    late payment finds the meeting full, refunds it automatically.  Runs in the caller's
    transaction (a savepoint of its own)."""
    from meetings.services.groups import confirm_group_payment
    from meetings.services.registration import confirm_payment

    if invoice.purpose == PURPOSE_REGISTRATION:
        registration = Registration.objects.filter(pk=int(invoice.subject_id)).first()
        if registration is None:
            logger.error("paid invoice %s names no registration %s", invoice.pk, invoice.subject_id)
            return
        seated = confirm_payment(
            registration=registration, amount=invoice.total, currency=invoice.currency, actor=actor
        )
        if not seated:
            registration.refresh_from_db()
            _refund_invoice(invoice, registration.refund_amount, registration.refund_note, actor)
    elif invoice.purpose == PURPOSE_GROUP:
        order = GroupOrder.objects.filter(pk=int(invoice.subject_id)).first()
        if order is None:
            logger.error("paid invoice %s names no group order %s", invoice.pk, invoice.subject_id)
            return
        refund = confirm_group_payment(order=order, actor=actor)
        if refund > ZERO:
            _refund_invoice(invoice, refund, _("Seats no longer available after the hold expired."), actor)


def invoice_refunded(invoice, credit_note, *, actor) -> None:
    """Dues: (part of) ``invoice`` was refunded.  A registration refunded in full by finance
    loses its seat (freed for others); partial refunds are recorded only."""
    from meetings.services.registration import release_after_refund

    if invoice.purpose != PURPOSE_REGISTRATION:
        return
    registration = Registration.objects.filter(pk=int(invoice.subject_id)).first()
    if registration is None:
        return
    fully = getattr(invoice, "amount_paid", ZERO) <= ZERO
    release_after_refund(registration=registration, fully=fully, actor=actor)


def settle_cancellation(*, registration: Registration, refund: Decimal, actor, reason: str) -> None:
    """After a cancellation (caller's transaction): refund by policy, or cancel an unpaid invoice."""
    services = dues_services()
    if services is None or not registration.invoice_id:
        return
    from dues.models import Invoice

    invoice = Invoice.objects.filter(pk=registration.invoice_id).first()
    if invoice is None:
        return
    if registration.paid_at is None:
        if invoice.cancelled_at is None and invoice.is_issued:
            services.cancel_invoice(invoice=invoice, reason=reason, actor=actor)
        return
    _refund_invoice(invoice, refund, reason, actor)
