"""Stripe Connect events for one society, called by billing.webhooks inside its schema.

The payload is a hint: it tells which of our rows to look at; the state comes from Stripe,
re-fetched, and is applied under the row lock by the same services the return page and the
reconciliation use.  Duplicate, concurrent and out-of-order deliveries therefore change state
once: the second finds the payment confirmed (or the refund done) and does nothing.
"""

import logging

from django.db import connection, transaction

from billing.webhooks import EventIgnored
from dues.models import Payment
from dues.selectors import invoice_settings
from dues.services.payments import sync_stripe_payment
from dues.services.refunds import record_stripe_refund, stripe_provider

logger = logging.getLogger(__name__)

PAYMENT_EVENTS = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "charge.succeeded",
}
REFUND_EVENTS = {"charge.refunded", "refund.created", "refund.updated", "refund.failed", "charge.refund.updated"}


def handle_event(payload: dict, *, society) -> None:
    settings = invoice_settings()
    account = payload.get("account") or ""
    if not account or account != settings.stripe_account_id:
        raise EventIgnored(f"account {account!r} is not this society's")
    kind = payload.get("type", "")
    obj = (payload.get("data") or {}).get("object") or {}
    if kind == "account.updated":
        return _account_updated(account)
    if kind in PAYMENT_EVENTS:
        payment = _payment_for(obj)
        if payment is None:
            raise EventIgnored("no payment of ours")
        if kind == "checkout.session.expired":
            return _expire(payment)
        sync_stripe_payment(payment_id=payment.pk)
        return None
    if kind in REFUND_EVENTS:
        return _sync_refunds(obj)
    raise EventIgnored(f"{kind} is not handled")


def _payment_for(obj: dict) -> Payment | None:
    metadata = obj.get("metadata") or {}
    candidates = Payment.objects.filter(provider=Payment.Provider.STRIPE)
    object_id = obj.get("id", "")
    if object_id.startswith("cs_"):
        found = candidates.filter(stripe_checkout_session_id=object_id).first()
        if found:
            return found
    intent = object_id if object_id.startswith("pi_") else obj.get("payment_intent")
    if isinstance(intent, str) and intent:
        found = candidates.filter(stripe_payment_intent_id=intent).first()
        if found:
            return found
    payment_id = metadata.get("xuehui_payment_id")
    # Our ids are per schema: metadata naming another society's schema names another payment.
    if metadata.get("xuehui_schema") not in (None, "", connection.schema_name):
        return None
    if payment_id and str(payment_id).isdigit():
        return candidates.filter(pk=int(payment_id)).first()
    return None


def _sync_refunds(obj: dict) -> None:
    """Re-fetch every refund of the charge's payment intent; the payment itself first, in case
    the refund's event overtook the payment's (refunded-before-succeeded)."""
    intent_id = obj.get("payment_intent") if obj.get("object") in ("charge", "refund") else None
    if not isinstance(intent_id, str) or not intent_id:
        raise EventIgnored("no payment intent")
    payment = _payment_for({"payment_intent": intent_id, "metadata": obj.get("metadata") or {}})
    provider = stripe_provider()
    if payment is None:
        intent = provider.retrieve_intent(intent_id)
        payment = _payment_for({"id": intent.id, "metadata": intent.metadata.to_dict() if intent.metadata else {}})
        if payment is None:
            raise EventIgnored("no payment of ours")
    if payment.state != Payment.State.CONFIRMED:
        if not payment.stripe_payment_intent_id:
            Payment.objects.filter(pk=payment.pk, stripe_payment_intent_id="").update(
                stripe_payment_intent_id=intent_id
            )
        sync_stripe_payment(payment_id=payment.pk)
    for stripe_refund in provider.list_refunds(intent_id=intent_id):
        record_stripe_refund(stripe_refund=stripe_refund)


def _expire(payment: Payment) -> None:
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.state in Payment.OPEN_STATES:
            locked.state = Payment.State.CANCELED
            locked.save(update_fields=["state"])


def _account_updated(account_id: str) -> None:
    from dues.services.connect import refresh_account

    refresh_account(account_id=account_id, actor=None)
