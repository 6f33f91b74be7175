"""Saved cards and automatic renewal (card only; Alipay and WeChat Pay stay one-off).

A member who pays a membership invoice by card may tick "save this card and renew
automatically": the Checkout Session then takes cards only, with
``setup_future_usage="off_session"`` and the person's Customer on the society's connected
account.  When that payment succeeds, whichever path records it (webhook, return page,
reconciliation), the card (brand, last four digits, expiry) is remembered here and automatic
renewal is on.

The renewal job (``members.renewal``) asks ``dues.charge_saved_card`` to charge each open renewal
invoice of a member with automatic renewal on.  Each try is one ``Payment`` row (``off_session``)
and one PaymentIntent created with a key from that row, so running the job or the task again
never charges twice: an open attempt is re-sent with the same key and Stripe answers with the
first result.

Retry schedule (``RETRY_AFTER_DAYS``): first try on the day the renewal invoice is issued
(``renewal_lead_days`` before the term ends), again 3 and 7 days after the first failure, then
no more.  A failure that trying again cannot fix (the bank wants the member to authenticate, an
expired, lost or stolen card) stops the retries at once.  Every failure e-mails the member once
with the link to pay the invoice by hand; the invoice stays open.
"""

import datetime

import stripe
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import stripe_client
from common.audit import audited, record_audit
from dues import emails
from dues.errors import DuesError
from dues.models import AutoRenewal, Invoice, Payment
from dues.providers import StripeProvider
from dues.selectors import invoice_settings
from tenants.services import current_society

RETRY_AFTER_DAYS = (3, 7)  # days after the first failed try
FINAL_FAILURES = {
    "authentication_required",
    "expired_card",
    "lost_card",
    "stolen_card",
    "pickup_card",
    "incorrect_number",
    "invalid_account",
}
# A Checkout the member opened this recently may still be paid by hand: do not charge beside it.
CHECKOUT_GRACE = datetime.timedelta(hours=24)


def consent_text() -> str:
    """What the member agrees to, shown beside the tick box and the turn-on button (and audited)."""
    return _(
        "I authorise %(society)s to keep this card with Stripe and to charge it automatically for my "
        "membership renewal each term, until I turn automatic renewal off."
    ) % {"society": current_society().name_zh}


def _provider() -> StripeProvider:
    return StripeProvider(invoice_settings().stripe_account_id)


def ensure_customer(*, user, provider: StripeProvider, actor) -> AutoRenewal:
    """The person's row with their Stripe Customer on the connected account, created once (the
    Customer with a key from the schema and the user id, so a retry gets the same one back)."""
    found = AutoRenewal.objects.filter(user=user).first()
    if found is not None:
        return found
    customer_id = provider.create_customer(user=user)
    stripe_client.remember(customer_id, kind="customer", society=current_society())
    with transaction.atomic():
        row, created = AutoRenewal.objects.get_or_create(user=user, defaults={"stripe_customer_id": customer_id})
        if created:
            record_audit(actor=actor, action="dues.create_stripe_customer", obj=row, after={"customer": customer_id})
    return row


def record_consent(*, payment: Payment, text: str, actor) -> None:
    """The member ticked "save this card and renew automatically" for this Checkout attempt."""
    with transaction.atomic():
        record_audit(
            actor=actor,
            action="dues.consent_auto_renewal",
            obj=payment,
            after={"consent": text, "consented_at": payment.created_at, "invoice": payment.invoice.number},
        )


def _id_of(value) -> str:
    """A Stripe reference, whether the object was expanded or not."""
    return value if isinstance(value, str) else getattr(value, "id", "") or ""


def record_saved_card(*, payment: Payment, intent, provider: StripeProvider, actor) -> bool:
    """After a succeeded save-card Checkout payment: remember the card Stripe kept and turn
    automatic renewal on.  True when this call saved it; a repeat (or an older payment's late
    event) changes nothing.  One Stripe read, then one transaction."""
    pm_id, customer = _id_of(intent.payment_method), _id_of(intent.customer)
    row = AutoRenewal.objects.filter(stripe_customer_id=customer).first() if customer else None
    if not pm_id or row is None or (row.saved_by_payment_id or 0) >= payment.pk:
        return False
    method = provider.retrieve_payment_method(pm_id)
    if method.type != "card" or method.customer != customer:
        return False
    card = method.card
    with transaction.atomic():
        row = AutoRenewal.objects.select_for_update().get(pk=row.pk)
        if (row.saved_by_payment_id or 0) >= payment.pk:
            return False
        before = {"card": str(row), "enabled": row.enabled}
        row.stripe_payment_method_id = pm_id
        row.card_brand, row.card_last4 = card.brand, card.last4
        row.card_exp_month, row.card_exp_year = card.exp_month, card.exp_year
        row.saved_by_payment = payment
        row.enabled = True
        row.consented_at = payment.created_at
        row.save()
        record_audit(
            actor=actor,
            action="dues.save_card",
            obj=row,
            before=before,
            after={"card": str(row), "enabled": True, "payment": payment.pk},
        )
    return True


def set_auto_renewal(*, auto_renewal: AutoRenewal, enabled: bool, actor) -> AutoRenewal:
    """Turn automatic renewal on (only with a saved card; the consent shown is audited) or off."""
    with transaction.atomic():
        row = AutoRenewal.objects.select_for_update().get(pk=auto_renewal.pk)
        if enabled and not row.has_card:
            raise DuesError(_("Save a card first: pay a membership invoice by card and tick “save this card”."))
        if row.enabled == enabled:
            return row
        with audited(row, ["enabled"], action="dues.set_auto_renewal", actor=actor) as audit:
            row.enabled = enabled
            if enabled:
                row.consented_at = timezone.now()
                audit.extra.update(consent=consent_text(), consented_at=row.consented_at)
            row.save(update_fields=["enabled", "consented_at", "updated_at"])
    return row


def remove_saved_card(*, auto_renewal: AutoRenewal, actor) -> AutoRenewal:
    """Detach the card from the Customer at Stripe and forget it here; automatic renewal ends."""
    pm_id = auto_renewal.stripe_payment_method_id
    if pm_id:
        try:
            _provider().detach_payment_method(pm_id)
        except stripe.InvalidRequestError as exc:
            # Already detached (or gone) at Stripe: what we wanted.
            if exc.code not in ("payment_method_unexpected_state", "resource_missing"):
                raise
    with transaction.atomic():
        row = AutoRenewal.objects.select_for_update().get(pk=auto_renewal.pk)
        before = {"card": str(row), "enabled": row.enabled}
        row.stripe_payment_method_id = ""
        row.card_brand = row.card_last4 = ""
        row.card_exp_month = row.card_exp_year = None
        row.enabled = False
        row.save()
        after = {"card": "", "enabled": False}
        record_audit(actor=actor, action="dues.remove_card", obj=row, before=before, after=after)
    return row


# -- charging a saved card -----------------------------------------------------------------------


def next_try_on(attempts: list[Payment], today: datetime.date) -> datetime.date | None:
    """When the next off-session try of an invoice is due, given its earlier tries (oldest
    first); None when the schedule is over."""
    failed = [p for p in attempts if p.state == Payment.State.FAILED]
    if not failed:
        return today
    if failed[-1].failure_code in FINAL_FAILURES or len(failed) > len(RETRY_AFTER_DAYS):
        return None
    first = timezone.localdate(failed[0].created_at)
    return first + datetime.timedelta(days=RETRY_AFTER_DAYS[len(failed) - 1])


def charge_saved_card(*, invoice_id: int, today: datetime.date | None = None, actor=None) -> str:
    """Charge the buyer's saved card for an open invoice when a try is due; returns what happened
    ("charged", "failed", "pending", or why nothing was done).

    Idempotent: an attempt left open (a crash, a concurrent run) is re-sent with its own key;
    a paid invoice, a try not yet due or automatic renewal turned off does nothing.  The Stripe
    call happens between two short transactions (the attempt row first, the outcome after).
    """
    from dues.services.payments import _open_attempt, _payable, sync_stripe_payment

    today = today or timezone.localdate()
    invoice = Invoice.objects.filter(pk=invoice_id, kind=Invoice.Kind.INVOICE).first()
    if invoice is None or invoice.buyer_user_id is None:
        return "gone"
    plan = AutoRenewal.objects.filter(user_id=invoice.buyer_user_id, enabled=True).first()
    if plan is None or not plan.has_card:
        return "off"
    try:
        _payable(invoice)
    except DuesError:
        return "not_payable"
    attempts = list(invoice.payments.filter(off_session=True).order_by("created_at", "id"))
    resuming = any(p.state in Payment.OPEN_STATES for p in attempts)
    if not resuming:
        due = next_try_on(attempts, today)
        if due is None or due > today:
            return "not_due"
        recent = timezone.now() - CHECKOUT_GRACE
        if invoice.payments.filter(
            provider=Payment.Provider.STRIPE, off_session=False, state__in=Payment.OPEN_STATES, created_at__gte=recent
        ).exists():
            return "member_paying"
    settings = invoice_settings()
    if not (settings.stripe_account_id and settings.stripe_charges_enabled):
        return "not_connected"
    provider = StripeProvider(settings.stripe_account_id)
    try:
        payment = _open_attempt(invoice, Payment.Provider.STRIPE, actor, off_session=True)
    except DuesError:
        return "not_payable"
    try:
        intent = provider.charge_saved_card(
            payment, customer=plan.stripe_customer_id, payment_method=plan.stripe_payment_method_id
        )
    except stripe.CardError as exc:
        error = exc.error
        intent = getattr(error, "payment_intent", None)
        _record_failure(
            payment_id=payment.pk,
            code=getattr(error, "decline_code", None) or exc.code or "card_declined",
            intent_id=getattr(intent, "id", "") or "",
            actor=actor,
        )
        return "failed"
    Payment.objects.filter(pk=payment.pk, stripe_payment_intent_id="").update(
        stripe_payment_intent_id=intent.id, method_detail="card"
    )
    if intent.status == "succeeded":
        sync_stripe_payment(payment_id=payment.pk, actor=actor)
        return "charged"
    if intent.status in ("requires_action", "requires_payment_method"):
        _record_failure(payment_id=payment.pk, code="authentication_required", intent_id=intent.id, actor=actor)
        return "failed"
    return "pending"  # processing: the webhook (or reconciliation) records the outcome


def _record_failure(*, payment_id: int, code: str, intent_id: str, actor) -> bool:
    """Mark the attempt failed (once, under the lock) and tell the member how to pay by hand."""
    from dues.services.payments import lock_payment

    with transaction.atomic():
        payment = lock_payment(payment_id)
        if payment.state not in Payment.OPEN_STATES:
            return False
        payment.state = Payment.State.FAILED
        payment.failure_code = code[:60]
        payment.method_detail = "card"
        payment.stripe_payment_intent_id = payment.stripe_payment_intent_id or intent_id
        payment.save(update_fields=["state", "failure_code", "method_detail", "stripe_payment_intent_id"])
        attempts = list(payment.invoice.payments.filter(off_session=True).order_by("created_at", "id"))
        retry_on = next_try_on(attempts, timezone.localdate())
        record_audit(
            actor=actor,
            action="dues.auto_charge_failed",
            obj=payment,
            after={"state": payment.state, "code": code, "retry_on": retry_on},
        )
        emails.auto_charge_failed(payment, retry_on=retry_on)
    return True
