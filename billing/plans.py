"""The platform's plans: the default catalogue and their prices on the platform's Stripe account."""

from decimal import Decimal

from django.db import transaction

from billing import stripe_client
from billing.models import Feature, Interval, Plan
from dues.providers import to_minor

DEFAULT_PLANS = [
    {
        "code": "basic",
        "name_zh": "基础版",
        "name_en": "Basic",
        "rank": 1,
        "max_active_members": 2000,
        "features": [],
        "monthly_price": Decimal("1980.00"),
        "yearly_price": Decimal("19800.00"),
        "application_fee_percent": Decimal("2.00"),
    },
    {
        "code": "professional",
        "name_zh": "专业版",
        "name_en": "Professional",
        "rank": 2,
        "max_active_members": 20000,
        "features": [Feature.PAPER_REVIEW, Feature.INVOICE_TEMPLATES],
        "monthly_price": Decimal("5980.00"),
        "yearly_price": Decimal("59800.00"),
        "application_fee_percent": Decimal("1.50"),
    },
    {
        "code": "flagship",
        "name_zh": "旗舰版",
        "name_en": "Flagship",
        "rank": 3,
        "max_active_members": None,
        "features": [Feature.PAPER_REVIEW, Feature.INVOICE_TEMPLATES, Feature.API],
        "monthly_price": Decimal("12800.00"),
        "yearly_price": Decimal("128000.00"),
        "application_fee_percent": Decimal("1.00"),
    },
]


def ensure_default_plans() -> list[Plan]:
    """Create the default plans that do not exist yet (idempotent; an edited plan is left alone)."""
    plans = []
    with transaction.atomic():
        for spec in DEFAULT_PLANS:
            values = {**spec, "features": [str(f) for f in spec["features"]]}
            plan, _created = Plan.objects.get_or_create(code=values.pop("code"), defaults=values)
            plans.append(plan)
    return plans


def ensure_stripe_prices(plan: Plan) -> Plan:
    """The plan's product and its monthly/yearly prices on the platform's Stripe account.

    Created once (idempotency keys from the plan's code and amounts, so a retry or two processes
    racing get the same objects); a price change makes new keys and so new Stripe prices."""
    if plan.stripe_product_id and plan.stripe_monthly_price_id and plan.stripe_yearly_price_id:
        return plan
    client = stripe_client.client()
    product = client.v1.products.create(
        params={"name": f"学会云 {plan.name_zh} Xuehui {plan.name_en}", "metadata": {"xuehui_plan": plan.code}},
        options={"idempotency_key": stripe_client.idempotency_key("plan-product", plan.code)},
    )
    ids = {}
    for interval in Interval.values:
        amount = to_minor(plan.price_for(interval), plan.currency)
        price = client.v1.prices.create(
            params={
                "product": product.id,
                "currency": plan.currency.lower(),
                "unit_amount": amount,
                "recurring": {"interval": interval},
                "metadata": {"xuehui_plan": plan.code, "interval": interval},
            },
            options={"idempotency_key": stripe_client.idempotency_key("plan-price", plan.code, interval, amount)},
        )
        ids[interval] = price.id
    Plan.objects.filter(pk=plan.pk).update(
        stripe_product_id=product.id,
        stripe_monthly_price_id=ids[Interval.MONTH],
        stripe_yearly_price_id=ids[Interval.YEAR],
    )
    plan.refresh_from_db()
    return plan


def plan_for_price(price_id: str) -> tuple[Plan, str] | None:
    """The plan and interval a Stripe price id stands for."""
    plan = Plan.objects.filter(stripe_monthly_price_id=price_id).first()
    if plan:
        return plan, Interval.MONTH
    plan = Plan.objects.filter(stripe_yearly_price_id=price_id).first()
    if plan:
        return plan, Interval.YEAR
    return None


def seed_platform_billing() -> None:
    """Demo (``seed_demo``): the default plans, and a free trial of the professional plan for each
    society that has no subscription yet (its Stripe customer is made at its first checkout)."""
    from datetime import timedelta

    from django.utils import timezone
    from django_tenants.utils import get_public_schema_name

    from billing.models import Subscription
    from common.audit import record_audit
    from tenants.models import Society

    plans = {plan.code: plan for plan in ensure_default_plans()}
    missing = Society.objects.exclude(schema_name=get_public_schema_name()).filter(subscription__isnull=True)
    with transaction.atomic():
        for society in missing:
            subscription = Subscription.objects.create(
                society=society,
                plan=plans["professional"],
                interval=Interval.YEAR,
                trial_ends_at=timezone.now() + timedelta(days=plans["professional"].trial_days),
            )
            record_audit(actor=None, action="billing.seed_trial", obj=subscription, after={"society": society.slug})
