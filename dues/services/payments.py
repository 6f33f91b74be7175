"""Payments: starting a Stripe Checkout, recording its outcome (webhook, return page, reconciliation
alike), and bank transfers reported by members and decided by finance (终审).

Lock order everywhere: the invoice row, then the payment row.  A payment is confirmed at most once
(the state check happens under the lock), and the purpose's paid handler runs in the same
transaction in which the invoice's amount due reaches zero.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import stripe_client
from board.tasks import request_refresh
from common.audit import audited, record_audit
from common.files import store_file
from common.models import Role
from dues import emails
from dues.errors import DuesError
from dues.models import ZERO, BankTransfer, Invoice, Payment
from dues.providers import BankTransferProvider, StripeProvider, application_fee_for, from_minor
from dues.purposes import run_paid_handler
from dues.selectors import invoice_settings
from dues.services import autorenewal
from tenants.services import current_society

SLIP_TYPES = {"application/pdf", "image/jpeg", "image/png"}
MAX_SLIP_BYTES = 10 * 1024 * 1024


def lock_payment(payment_id: int) -> Payment:
    """Lock the payment's invoice, then the payment (the one lock order of this app)."""
    invoice_id = Payment.objects.values_list("invoice_id", flat=True).get(pk=payment_id)
    Invoice.objects.select_for_update().filter(pk=invoice_id).first()
    return Payment.objects.select_for_update().select_related("invoice").get(pk=payment_id)


def _payable(invoice: Invoice):
    if invoice.kind != Invoice.Kind.INVOICE or not invoice.is_issued or invoice.cancelled_at:
        raise DuesError(_("This invoice cannot be paid."))
    due = invoice.amount_due
    if due <= ZERO:
        raise DuesError(_("This invoice is already paid."))
    return due


def _open_attempt(
    invoice: Invoice, provider: str, actor, *, save_card: bool = False, off_session: bool = False
) -> Payment:
    """The invoice's open attempt of this kind (provider, amount, saving the card or not, charged
    off-session or not), or a new one (double clicks and retries come back to the same row,
    hence the same Stripe idempotency key)."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        due = _payable(invoice)
        existing = invoice.payments.filter(
            provider=provider, state__in=Payment.OPEN_STATES, amount=due, save_card=save_card, off_session=off_session
        ).first()
        if existing:
            return existing
        payment = Payment.objects.create(
            invoice=invoice,
            provider=provider,
            amount=due,
            currency=invoice.currency,
            application_fee=application_fee_for(due, invoice.currency) if provider == Payment.Provider.STRIPE else ZERO,
            save_card=save_card,
            off_session=off_session,
            created_by=actor,
        )
        if provider == Payment.Provider.BANK_TRANSFER:
            BankTransfer.objects.create(payment=payment, reference=BankTransferProvider.new_reference())
        after = {"provider": provider, "amount": due}
        if save_card or off_session:
            after.update(save_card=save_card, off_session=off_session)
        record_audit(actor=actor, action="dues.start_payment", obj=payment, after=after)
        return payment


def start_stripe_payment(
    *, invoice: Invoice, success_url: str, cancel_url: str, actor, save_card: bool = False
) -> Payment:
    """Start paying by Stripe Checkout; returns the payment with ``checkout_url`` to redirect to.

    Three steps so that a crash between them never charges twice: (1) the attempt row is
    committed, (2) the Checkout Session is created with a key derived from that row (a repeat
    gets the same session back), (3) the session id is stored.  With ``save_card`` (the buyer
    themself, having seen ``autorenewal.consent_text()``) the session takes cards only and keeps
    the card for automatic renewal; the consent is audited with the attempt.
    """
    provider = StripeProvider(invoice_settings().stripe_account_id)
    customer = ""
    if save_card:
        if actor is None or invoice.buyer_user_id != actor.pk:
            raise DuesError(_("Only the member who is billed can save a card for this invoice."))
        customer = autorenewal.ensure_customer(user=actor, provider=provider, actor=actor).stripe_customer_id
    payment = _open_attempt(invoice, Payment.Provider.STRIPE, actor, save_card=save_card)
    if payment.checkout_url:
        return payment
    if save_card:
        autorenewal.record_consent(payment=payment, text=autorenewal.consent_text(), actor=actor)
    session = provider.start(payment, success_url=success_url, cancel_url=cancel_url, customer=customer)
    stripe_client.remember(session.id, kind="checkout.session", society=current_society())
    with transaction.atomic():
        payment = lock_payment(payment.pk)
        if not payment.stripe_checkout_session_id:
            payment.stripe_checkout_session_id = session.id
            payment.checkout_url = session.url or ""
            payment.state = Payment.State.PENDING
            payment.save(update_fields=["stripe_checkout_session_id", "checkout_url", "state"])
            record_audit(actor=actor, action="dues.create_checkout", obj=payment, after={"session": session.id})
    return payment


def confirm_payment(*, payment: Payment, actor, method_detail: str = "", payment_intent_id: str = "") -> bool:
    """Mark the (locked) payment confirmed; True when this call made the change.

    Must run inside the caller's transaction with the payment locked (lock_payment).  When the
    invoice is now fully paid, the purpose's handler runs and the receipt is rendered.
    """
    if payment.state == Payment.State.CONFIRMED:
        return False
    with audited(payment, ["state"], action="dues.confirm_payment", actor=actor):
        payment.state = Payment.State.CONFIRMED
        payment.confirmed_at = timezone.now()
        payment.method_detail = method_detail or payment.method_detail
        payment.stripe_payment_intent_id = payment_intent_id or payment.stripe_payment_intent_id
        payment.save(update_fields=["state", "confirmed_at", "method_detail", "stripe_payment_intent_id"])
    request_refresh()  # the board's revenue (and what the paid invoice's handler changes)
    emails.payment_received(payment)
    _after_payment(payment.invoice, actor=actor)
    return True


def _after_payment(invoice: Invoice, *, actor) -> None:
    from common.tasks import enqueue
    from dues.tasks import render_receipt_pdf

    invoice = Invoice.objects.get(pk=invoice.pk)  # fresh sums; the row is locked by the caller
    if invoice.amount_due > ZERO or invoice.paid_handled_at is not None:
        return
    invoice.paid_handled_at = timezone.now()
    invoice.save(update_fields=["paid_handled_at"])
    run_paid_handler(invoice, actor=actor)
    enqueue(render_receipt_pdf, invoice_id=invoice.pk)


def stripe_intent(provider: StripeProvider, payment: Payment):
    """The payment's PaymentIntent as Stripe has it now (through its Checkout Session when it
    has one); None while there is none yet."""
    if payment.stripe_checkout_session_id:
        intent = provider.retrieve_session(payment.stripe_checkout_session_id).payment_intent
        return provider.retrieve_intent(intent) if isinstance(intent, str) else intent
    if payment.stripe_payment_intent_id:
        return provider.retrieve_intent(payment.stripe_payment_intent_id)
    return None


def sync_stripe_payment(*, payment_id: int, actor=None) -> bool:
    """Re-fetch the payment's Checkout Session from Stripe and record what it says.

    The one path for webhooks, the return page and reconciliation.  True when a payment was
    confirmed by this call.  One transaction (the Stripe read happens before it).
    """
    payment = Payment.objects.get(pk=payment_id)
    provider = StripeProvider(invoice_settings().stripe_account_id)
    intent = stripe_intent(provider, payment)
    if intent is None:
        return False
    with transaction.atomic():
        payment = lock_payment(payment_id)
        if intent.status != "succeeded":
            if intent.id and not payment.stripe_payment_intent_id:
                payment.stripe_payment_intent_id = intent.id
                payment.save(update_fields=["stripe_payment_intent_id"])
            return False
        charge = getattr(intent, "latest_charge", None)
        method = ""
        if charge is not None and not isinstance(charge, str):
            method = charge.payment_method_details.type
        received = from_minor(intent.amount_received, intent.currency)
        if received != payment.amount:
            raise DuesError(f"payment {payment.pk}: Stripe received {received}, expected {payment.amount}")
        confirmed = confirm_payment(payment=payment, actor=actor, method_detail=method, payment_intent_id=intent.id)
    if payment.save_card and method == "card":
        # Every path that sees the payment succeed may be the first: each offers the card once.
        autorenewal.record_saved_card(payment=payment, intent=intent, provider=provider, actor=actor)
    return confirmed


# -- bank transfer -------------------------------------------------------------------------------


def start_bank_transfer(*, invoice: Invoice, actor) -> BankTransfer:
    """The member chose bank transfer: an attempt with a reference code to quote (reused on repeat)."""
    return _open_attempt(invoice, Payment.Provider.BANK_TRANSFER, actor).bank_transfer


def submit_transfer_slip(
    *, transfer: BankTransfer, content: bytes, filename: str, mimetype: str, payer_name: str, transferred_on, actor
) -> BankTransfer:
    """The member reports the transfer with its slip; it waits for finance's confirmation."""
    if mimetype not in SLIP_TYPES:
        raise DuesError(_("Upload the transfer slip as a PDF, JPEG or PNG file."))
    if not content or len(content) > MAX_SLIP_BYTES:
        raise DuesError(_("The slip must be a non-empty file of at most 10 MB."))
    with transaction.atomic():
        payment = lock_payment(transfer.payment_id)
        if payment.state not in Payment.OPEN_STATES:
            raise DuesError(_("This transfer has already been decided."))
        transfer = payment.bank_transfer
        transfer.slip = store_file(
            content=content,
            filename=filename,
            mimetype=mimetype,
            kind="dues.transfer_slip",
            owner=actor,
            staff_role=Role.FINANCE,
        )
        transfer.payer_name = (payer_name or "").strip()[:300]
        transfer.transferred_on = transferred_on
        transfer.submitted_at = timezone.now()
        transfer.save(update_fields=["slip", "payer_name", "transferred_on", "submitted_at"])
        payment.state = Payment.State.PENDING
        payment.save(update_fields=["state"])
        record_audit(actor=actor, action="dues.submit_transfer", obj=payment, after={"reference": transfer.reference})
    return transfer


def confirm_bank_transfer(*, transfer: BankTransfer, actor) -> Payment:
    """Finance saw the money arrive (终审): the payment is confirmed, with what follows from it."""
    with transaction.atomic():
        payment = lock_payment(transfer.payment_id)
        if payment.state != Payment.State.PENDING:
            raise DuesError(_("Only a reported transfer awaiting confirmation can be confirmed."))
        BankTransfer.objects.filter(pk=transfer.pk).update(reviewed_by=actor, reviewed_at=timezone.now())
        confirm_payment(payment=payment, actor=actor, method_detail="bank_transfer")
    return payment


def reject_bank_transfer(*, transfer: BankTransfer, reason: str, actor) -> Payment:
    """Finance could not find the money: the attempt is rejected and the member told why."""
    reason = (reason or "").strip()
    if not reason:
        raise DuesError(_("Give the member a reason for the rejection."))
    with transaction.atomic():
        payment = lock_payment(transfer.payment_id)
        if payment.state != Payment.State.PENDING:
            raise DuesError(_("Only a reported transfer awaiting confirmation can be rejected."))
        payment.state = Payment.State.REJECTED
        payment.save(update_fields=["state"])
        BankTransfer.objects.filter(pk=transfer.pk).update(
            reviewed_by=actor, reviewed_at=timezone.now(), rejection_reason=reason
        )
        record_audit(
            actor=actor, action="dues.reject_transfer", obj=payment, after={"state": payment.state}, reason=reason
        )
        emails.transfer_rejected(payment, reason)
    return payment
