"""Stripe events of the platform's own account (societies paying for Xuehui).

Called by ``billing.webhooks`` with the event row locked.  The payload is only a hint: the
subscription or invoice is fetched again from Stripe and applied to the society's locked
Subscription row, so duplicates and any order of delivery end in the same state.
"""

from django.db import transaction
from django_tenants.utils import get_public_schema_name, schema_context

from billing import stripe_client
from billing.invoices import issue_platform_invoice
from billing.models import Subscription
from billing.services import STATE_FIELDS, apply_stripe_subscription, as_dict, mark_overdue
from billing.webhooks import EventIgnored
from common.audit import audited

SUBSCRIPTION_EVENTS = {
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
}


def handle_event(payload: dict, *, society) -> None:
    """Apply one platform event; raises EventIgnored for events that change nothing here."""
    event_type = payload.get("type", "")
    obj = (payload.get("data") or {}).get("object") or {}
    if society is None:
        raise EventIgnored("no society for this platform object")
    # Platform billing rows and their audit live in the public schema, whatever the webhook selected.
    with schema_context(get_public_schema_name()):
        client = stripe_client.client()
        if event_type in SUBSCRIPTION_EVENTS:
            sync_subscription(society=society, stripe_sub=as_dict(client.v1.subscriptions.retrieve(obj["id"])))
        elif event_type == "invoice.paid":
            sync_paid_invoice(society=society, invoice=as_dict(client.v1.invoices.retrieve(obj["id"])))
        elif event_type == "invoice.payment_failed":
            sub_id = _subscription_of(as_dict(client.v1.invoices.retrieve(obj["id"])))
            if not sub_id:
                raise EventIgnored("not a subscription invoice")
            # The subscription's own status (past_due, or active again if paid meanwhile) decides.
            sync_subscription(society=society, stripe_sub=as_dict(client.v1.subscriptions.retrieve(sub_id)))
        else:
            raise EventIgnored(f"{event_type} changes nothing in platform billing")


def _subscription_of(invoice) -> str | None:
    if invoice.get("subscription"):
        return invoice["subscription"]
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return details.get("subscription")


def _locked(society) -> Subscription:
    try:
        return Subscription.objects.select_for_update().select_related("plan").get(society_id=society.pk)
    except Subscription.DoesNotExist:
        raise EventIgnored("society has no platform subscription") from None


def sync_subscription(*, society, stripe_sub, actor=None) -> Subscription:
    """Apply Stripe's current subscription state to the society's row (one transaction, audited)."""
    with transaction.atomic():
        subscription = _locked(society)
        if (
            subscription.stripe_subscription_id
            and stripe_sub["id"] != subscription.stripe_subscription_id
            and subscription.status != Subscription.Status.CANCELED
        ):
            raise EventIgnored("event for a replaced subscription")
        with audited(subscription, STATE_FIELDS, action="billing.sync_subscription", actor=actor, skip_unchanged=True):
            apply_stripe_subscription(subscription, stripe_sub)
            subscription.save()
    return subscription


def sync_paid_invoice(*, society, invoice, actor=None) -> Subscription:
    """A paid Stripe invoice: issue the platform invoice and restore the subscription at once."""
    if invoice["status"] != "paid":
        raise EventIgnored(f"invoice is {invoice['status']}")
    sub_id = _subscription_of(invoice)
    stripe_sub = as_dict(stripe_client.client().v1.subscriptions.retrieve(sub_id)) if sub_id else None
    with transaction.atomic():
        subscription = _locked(society)
        with audited(subscription, STATE_FIELDS, action="billing.sync_subscription", actor=actor, skip_unchanged=True):
            issue_platform_invoice(society=society, stripe_invoice=invoice, actor=actor)
            if stripe_sub is not None and subscription.stripe_subscription_id in ("", stripe_sub["id"]):
                apply_stripe_subscription(subscription, stripe_sub)
            subscription.save()
    return subscription


def expire_trials(*, now, actor=None) -> int:
    """Trials that ended without a paid subscription become overdue (grace starts at the trial's end)."""
    count = 0
    ids = Subscription.objects.filter(
        status=Subscription.Status.TRIALING, trial_ends_at__lte=now, stripe_subscription_id=""
    ).values_list("pk", flat=True)
    for pk in ids:
        with transaction.atomic():
            subscription = Subscription.objects.select_for_update().get(pk=pk)
            if subscription.status != Subscription.Status.TRIALING or subscription.stripe_subscription_id:
                continue
            with audited(subscription, STATE_FIELDS, action="billing.expire_trial", actor=actor):
                subscription.status = Subscription.Status.PAST_DUE
                mark_overdue(subscription, since=subscription.trial_ends_at)
                subscription.save()
            count += 1
    return count
