"""Writes of platform billing: sign-up with a plan, plan changes, cancellation, payment state.

Every function takes keyword arguments and an explicit ``actor``, runs its database writes in one
transaction with an audit entry, and talks to Stripe (the platform's own account, no
``Stripe-Account``) outside any row lock, so a webhook that Stripe sends during our call never
waits on us.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import stripe
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name, schema_context

from billing import readonly, stripe_client
from billing.models import Interval, Plan, Subscription
from billing.plans import ensure_stripe_prices, plan_for_price
from common.audit import audited, record_audit
from tenants.middleware import forget_host
from tenants.services import ProvisionedSociety, create_society, society_domain

logger = logging.getLogger(__name__)

GRACE_PERIOD = timedelta(days=14)
STATE_FIELDS = ["plan_id", "interval", "status", "cancel_at_period_end", "overdue_since", "read_only_from"]


def as_dict(stripe_object) -> dict:
    """Stripe's answer as plain dicts: the rest of billing reads it like a webhook payload."""
    return stripe_object if isinstance(stripe_object, dict) else stripe_object.to_dict()


class BillingError(Exception):
    """A billing step that the user can understand and retry (message in the user's language)."""


@dataclass
class SignUp:
    provisioned: ProvisionedSociety
    subscription: Subscription


def _stripe_failed(exc: stripe.StripeError) -> BillingError:
    logger.warning("stripe call failed: %s", exc)
    return BillingError(_("The payment service is not reachable right now; nothing was changed. Please try again."))


def sign_up_society(
    *,
    slug: str,
    name_zh: str,
    name_en: str = "",
    discipline_group: str,
    admin_email: str,
    admin_name: str = "",
    admin_password: str | None = None,
    plan: Plan,
    interval: str = Interval.YEAR,
    actor=None,
) -> SignUp:
    """Provision a society (``tenants.services.create_society``), its platform Stripe customer and
    a free-trial subscription on ``plan``: all or nothing.

    One transaction around everything; the Stripe customer is created after the society inside
    it.  If Stripe or anything after it fails, the transaction rolls back (no society row, schema,
    domain, account, role, mapping or subscription) and the customer, if created, is deleted."""
    if not plan.is_active:
        raise BillingError(_("This plan is no longer offered."))
    if interval not in Interval.values:
        raise BillingError(_("Choose monthly or yearly billing."))
    client = stripe_client.client()
    customer_id = None
    try:
        with transaction.atomic():
            provisioned = create_society(
                slug=slug,
                name_zh=name_zh,
                name_en=name_en,
                discipline_group=discipline_group,
                admin_email=admin_email,
                admin_name=admin_name,
                admin_password=admin_password,
                actor=actor,
            )
            society = provisioned.society
            try:
                customer = _create_customer(client, society)
            except stripe.StripeError as exc:
                raise _stripe_failed(exc) from exc
            customer_id = customer.id
            stripe_client.remember(customer.id, kind="platform_customer", society=society)
            subscription = Subscription.objects.create(
                society=society,
                plan=plan,
                interval=interval,
                status=Subscription.Status.TRIALING,
                trial_ends_at=timezone.now() + timedelta(days=plan.trial_days),
                stripe_customer_id=customer.id,
            )
            record_audit(
                actor=actor or provisioned.admin,
                action="billing.sign_up_society",
                obj=subscription,
                after={"society": society.slug, "plan": plan.code, "interval": interval, "customer": customer.id},
            )
    except Exception:
        forget_host(society_domain(slug))
        if customer_id:
            _delete_customer(client, customer_id)
        raise
    return SignUp(provisioned=provisioned, subscription=subscription)


def _create_customer(client, society):
    # The key names the society row: a retried call returns the same customer, while a signup
    # that failed and is tried again (a new row) gets a new one.
    return client.v1.customers.create(
        params={
            "name": society.name_zh,
            "email": society.contact_email,
            "metadata": {"xuehui_schema": society.schema_name},
        },
        options={"idempotency_key": stripe_client.idempotency_key("platform-customer", society.pk)},
    )


def _delete_customer(client, customer_id: str) -> None:
    try:
        client.v1.customers.delete(customer_id)
    except stripe.StripeError:
        # Nothing points at it any more; an orphan customer costs nothing and is visible in Stripe.
        logger.exception("could not delete orphan Stripe customer %s", customer_id)


def start_checkout(*, society, actor, success_url: str, cancel_url: str) -> str:
    """A Stripe Checkout page (subscription mode) for the society's current plan; returns its URL.

    Nothing changes here: the subscription is recorded when Stripe's webhooks arrive."""
    subscription = Subscription.objects.select_related("plan").get(society_id=society.pk)
    if subscription.stripe_subscription_id and subscription.status != Subscription.Status.CANCELED:
        raise BillingError(_("This society already has a paid subscription."))
    try:
        customer_id = _ensure_customer(subscription, society, actor)
        plan = ensure_stripe_prices(subscription.plan)
        session = stripe_client.client().v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "customer": customer_id,
                "line_items": [{"price": plan.stripe_price_for(subscription.interval), "quantity": 1}],
                "success_url": success_url,
                "cancel_url": cancel_url,
                "client_reference_id": society.schema_name,
                "subscription_data": {"metadata": {"xuehui_schema": society.schema_name}},
            }
        )
    except stripe.StripeError as exc:
        raise _stripe_failed(exc) from exc
    return session.url


def _ensure_customer(subscription: Subscription, society, actor) -> str:
    """The society's customer on the platform account (societies seeded without one get it now)."""
    if subscription.stripe_customer_id:
        return subscription.stripe_customer_id
    customer = _create_customer(stripe_client.client(), society)
    with transaction.atomic():
        stripe_client.remember(customer.id, kind="platform_customer", society=society)
        Subscription.objects.filter(pk=subscription.pk).update(stripe_customer_id=customer.id)
        record_audit(actor=actor, action="billing.create_customer", obj=subscription, after={"customer": customer.id})
    return customer.id


def change_plan(*, society, plan: Plan, actor) -> Subscription:
    """Move the society to ``plan``.  With a paid subscription, Stripe prorates: an upgrade is
    invoiced and charged at once, a downgrade credits the unused time on the next invoice."""
    current = Subscription.objects.select_related("plan").get(society_id=society.pk)
    if plan.pk == current.plan_id:
        raise BillingError(_("The society is already on this plan."))
    if not plan.is_active:
        raise BillingError(_("This plan is no longer offered."))
    if plan.max_active_members is not None and current.active_members > plan.max_active_members:
        raise BillingError(
            _("This plan allows %(limit)s active members; the society has %(count)s.")
            % {"limit": plan.max_active_members, "count": current.active_members}
        )
    stripe_sub = None
    if current.stripe_subscription_id and current.status != Subscription.Status.CANCELED:
        upgrade = plan.rank > current.plan.rank
        try:
            plan = ensure_stripe_prices(plan)
            stripe_sub = stripe_client.client().v1.subscriptions.update(
                current.stripe_subscription_id,
                params={
                    "items": [{"id": current.stripe_item_id, "price": plan.stripe_price_for(current.interval)}],
                    "proration_behavior": "always_invoice" if upgrade else "create_prorations",
                },
                options={
                    "idempotency_key": stripe_client.idempotency_key(
                        "plan-change", current.stripe_subscription_id, plan.code, current.updated_at.timestamp()
                    )
                },
            )
        except stripe.StripeError as exc:
            raise _stripe_failed(exc) from exc
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().select_related("plan").get(pk=current.pk)
        with audited(subscription, STATE_FIELDS, action="billing.change_plan", actor=actor):
            if stripe_sub is not None:
                apply_stripe_subscription(subscription, stripe_sub)
            else:
                subscription.plan = plan
            subscription.save()
    return subscription


def set_cancel_at_period_end(*, society, cancel: bool, actor) -> Subscription:
    """Cancel at the end of the paid period (or take the cancellation back); nothing ends now."""
    current = Subscription.objects.get(society_id=society.pk)
    stripe_sub = None
    if current.stripe_subscription_id and current.status != Subscription.Status.CANCELED:
        try:
            stripe_sub = stripe_client.client().v1.subscriptions.update(
                current.stripe_subscription_id, params={"cancel_at_period_end": cancel}
            )
        except stripe.StripeError as exc:
            raise _stripe_failed(exc) from exc
    elif current.status != Subscription.Status.TRIALING:
        raise BillingError(_("There is no running subscription to cancel."))
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().select_related("plan").get(pk=current.pk)
        action = "billing.cancel_at_period_end" if cancel else "billing.resume_subscription"
        with audited(subscription, STATE_FIELDS, action=action, actor=actor):
            if stripe_sub is not None:
                apply_stripe_subscription(subscription, stripe_sub)
            else:
                subscription.cancel_at_period_end = cancel
            subscription.save()
    return subscription


def _from_timestamp(value):
    return datetime.fromtimestamp(value, UTC) if value else None


STRIPE_STATUS = {
    "active": Subscription.Status.ACTIVE,
    "trialing": Subscription.Status.TRIALING,
    "past_due": Subscription.Status.PAST_DUE,
    "unpaid": Subscription.Status.PAST_DUE,
    "incomplete": Subscription.Status.PAST_DUE,
    "canceled": Subscription.Status.CANCELED,
    "incomplete_expired": Subscription.Status.CANCELED,
}


def apply_stripe_subscription(subscription: Subscription, stripe_sub, *, now=None) -> None:
    """Copy Stripe's view of the subscription onto our (locked, unsaved) row; applying the same
    state twice changes nothing, so it serves services and webhooks in any order."""
    now = now or timezone.now()
    stripe_sub = as_dict(stripe_sub)
    item = stripe_sub["items"]["data"][0]
    subscription.stripe_subscription_id = stripe_sub["id"]
    subscription.stripe_item_id = item["id"]
    found = plan_for_price(item["price"]["id"])
    if found:
        subscription.plan, subscription.interval = found
    subscription.current_period_end = _from_timestamp(item.get("current_period_end"))
    subscription.cancel_at_period_end = bool(stripe_sub.get("cancel_at_period_end"))
    subscription.status = STRIPE_STATUS.get(stripe_sub["status"], subscription.status)
    if subscription.status == Subscription.Status.ACTIVE:
        _clear_overdue(subscription)
    elif subscription.status == Subscription.Status.PAST_DUE:
        mark_overdue(subscription, since=now)
    elif subscription.status == Subscription.Status.CANCELED:
        ended = _from_timestamp(stripe_sub.get("ended_at")) or now
        subscription.read_only_from = subscription.read_only_from or ended
    _forget_read_only(subscription.society_id)


def _forget_read_only(society_id: int) -> None:
    # Now for this request, and again after the commit: a request of this process that reads the
    # row in between must not keep the old answer cached.
    readonly.forget(society_id)
    transaction.on_commit(lambda: readonly.forget(society_id))


def mark_overdue(subscription: Subscription, *, since) -> None:
    """Start the grace period once (a second failure does not extend it)."""
    if subscription.overdue_since is None:
        subscription.overdue_since = since
        subscription.read_only_from = since + GRACE_PERIOD
        subscription.reminders_sent = 0
    _forget_read_only(subscription.society_id)


def _clear_overdue(subscription: Subscription) -> None:
    subscription.overdue_since = None
    subscription.read_only_from = None
    subscription.reminders_sent = 0
    subscription.last_reminder_at = None
    _forget_read_only(subscription.society_id)


def retry_payment(*, society, actor) -> Subscription:
    """Charge the overdue Stripe invoice again with the saved card; on success everything is
    restored at once (the same code as the ``invoice.paid`` webhook)."""
    from billing.subscriptions import sync_paid_invoice

    current = Subscription.objects.get(society_id=society.pk)
    if not current.stripe_subscription_id or current.overdue_since is None:
        raise BillingError(_("Nothing is overdue."))
    client = stripe_client.client()
    try:
        stripe_sub = client.v1.subscriptions.retrieve(current.stripe_subscription_id)
        invoice = as_dict(client.v1.invoices.pay(stripe_sub["latest_invoice"]))
    except stripe.CardError as exc:
        raise BillingError(_("The card was declined. Please pay with another card.")) from exc
    except stripe.StripeError as exc:
        raise _stripe_failed(exc) from exc
    with schema_context(get_public_schema_name()):
        sync_paid_invoice(society=society, invoice=invoice, actor=actor)
    return Subscription.objects.get(pk=current.pk)


def record_usage(*, society, active_members: int, actor=None) -> Subscription:
    """Store the society's count of active members on its subscription (the plan's measure) and
    report it to Stripe on the subscription's metadata (best effort: our row is the record)."""
    subscription = _save_usage(society=society, active_members=active_members, actor=actor)
    if subscription.stripe_subscription_id and subscription.status != Subscription.Status.CANCELED:
        try:
            stripe_client.client().v1.subscriptions.update(
                subscription.stripe_subscription_id, params={"metadata": {"active_members": str(active_members)}}
            )
        except stripe.StripeError:
            logger.warning("usage of %s not reported to Stripe; the next run reports it", society.pk)
    return subscription


def _save_usage(*, society, active_members: int, actor) -> Subscription:
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().get(society_id=society.pk)
        with audited(subscription, ["active_members"], action="billing.record_usage", actor=actor, skip_unchanged=True):
            subscription.active_members = active_members
            subscription.usage_reported_at = timezone.now()
            subscription.save(update_fields=["active_members", "usage_reported_at", "updated_at"])
    return subscription
