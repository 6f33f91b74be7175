"""Reads of platform billing, for our pages and for other apps (dues asks for the fee)."""

from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from billing.models import Plan, PlatformInvoice, Subscription

# Charged when a society has no subscription row (e.g. the demo's older societies): the basic rate.
# A society without a plan (created by the operator or the command) pays no platform fee.
DEFAULT_APPLICATION_FEE_PERCENT = Decimal("0.00")


def subscription_of(society) -> Subscription | None:
    return Subscription.objects.select_related("plan").filter(society_id=society.pk).first()


def application_fee_percent(society) -> Decimal:
    """The platform's fee on each member payment of ``society``, in percent (e.g. Decimal("1.50"))."""
    fee = Subscription.objects.filter(society_id=society.pk).values_list("plan__application_fee_percent", flat=True)
    found = next(iter(fee), None)
    return DEFAULT_APPLICATION_FEE_PERCENT if found is None else found


def has_feature(society, feature: str) -> bool:
    """Whether the society's plan includes ``feature`` (a ``billing.models.Feature`` value)."""
    sub = subscription_of(society)
    return bool(sub and sub.status != Subscription.Status.CANCELED and feature in sub.plan.features)


def active_plans():
    return Plan.objects.filter(is_active=True).order_by("rank")


def plans_for_console():
    return Plan.objects.annotate(subscription_count=Count("subscriptions")).order_by("rank")


def invoices_of(society):
    return PlatformInvoice.objects.filter(society_id=society.pk).order_by("-issued_at", "-id")


def subscriptions_for_console():
    return Subscription.objects.select_related("society", "plan").order_by("society__slug")


def overdue_subscriptions():
    return subscriptions_for_console().filter(overdue_since__isnull=False).order_by("overdue_since")


def revenue_by_month(months: int = 12) -> list[dict]:
    """Money received on platform invoices per month and currency, newest first."""
    since = timezone.now() - timedelta(days=31 * months)
    rows = (
        PlatformInvoice.objects.filter(issued_at__gte=since)
        .annotate(month=TruncMonth("issued_at"))
        .values("month", "currency")
        .annotate(total=Sum("amount_paid"), count=Count("id"))
        .order_by("-month", "currency")
    )
    return list(rows)


def console_figures() -> dict:
    """Counts of subscriptions by state, in one query."""
    return Subscription.objects.aggregate(
        total=Count("id"),
        trialing=Count("id", filter=Q(status=Subscription.Status.TRIALING)),
        active=Count("id", filter=Q(status=Subscription.Status.ACTIVE)),
        overdue=Count("id", filter=Q(overdue_since__isnull=False)),
        read_only=Count("id", filter=Q(read_only_from__lte=timezone.now())),
    )


def count_active_members() -> int:
    """Members in good standing (active or in their grace period) of the current society (run
    inside its schema): the measure the plans are priced by."""
    from members.models import IN_GOOD_STANDING, Member

    return Member.objects.filter(status__in=IN_GOOD_STANDING).count()
