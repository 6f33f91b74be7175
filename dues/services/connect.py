"""Connecting the society's own Stripe account to the platform (Stripe Connect, standard)."""

from django.db import connection, transaction

from billing import stripe_client
from common.audit import record_audit
from dues.models import InvoiceSettings
from dues.selectors import invoice_settings
from tenants.services import current_society


def start_onboarding(*, return_url: str, refresh_url: str, actor) -> str:
    """Create the society's connected account once (idempotent key from the schema) and return
    the onboarding link to send the administrator to."""
    client = stripe_client.client()
    settings = invoice_settings()
    society = current_society()
    if not settings.stripe_account_id:
        account = client.v1.accounts.create(
            {
                "type": "standard",
                "email": settings.email or society.contact_email or None,
                "business_profile": {"name": society.name_zh},
            },
            {"idempotency_key": stripe_client.idempotency_key("account", connection.schema_name)},
        )
        stripe_client.remember(account.id, kind="account", society=society)
        with transaction.atomic():
            InvoiceSettings.objects.filter(pk=settings.pk).update(stripe_account_id=account.id)
            record_audit(actor=actor, action="dues.connect_stripe", obj=settings, after={"account": account.id})
        settings.stripe_account_id = account.id
    link = client.v1.account_links.create(
        {
            "account": settings.stripe_account_id,
            "type": "account_onboarding",
            "return_url": return_url,
            "refresh_url": refresh_url,
        }
    )
    return link.url


def refresh_account(*, account_id: str, actor) -> bool:
    """Re-fetch the connected account and record whether it can take payments."""
    account = stripe_client.client().v1.accounts.retrieve(account_id)
    with transaction.atomic():
        settings = InvoiceSettings.objects.select_for_update().filter(stripe_account_id=account_id).first()
        if settings is None:
            return False
        if settings.stripe_charges_enabled != bool(account.charges_enabled):
            settings.stripe_charges_enabled = bool(account.charges_enabled)
            settings.save(update_fields=["stripe_charges_enabled"])
            record_audit(
                actor=actor,
                action="dues.stripe_account_updated",
                obj=settings,
                after={"charges_enabled": account.charges_enabled},
            )
    return bool(account.charges_enabled)
