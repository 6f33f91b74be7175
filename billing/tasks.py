"""Periodic platform-billing work.  Reminders and trial expiry read only public tables, so they are
plain tasks; counting a society's members runs inside its schema (one task per society)."""

from celery import shared_task
from django.db import connection
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from billing.invoices import render_platform_invoice_pdf
from billing.models import Subscription
from billing.reminders import send_due_reminders
from billing.selectors import count_active_members
from billing.services import record_usage
from billing.subscriptions import expire_trials
from common.tasks import for_each_society, society_task
from tenants.services import current_society


@shared_task(name="billing.send_payment_reminders")
def send_payment_reminders():
    with schema_context(get_public_schema_name()):
        now = timezone.now()
        expired = expire_trials(now=now)
        sent = send_due_reminders(now=now)
    return {"trials_expired": expired, "reminders_sent": sent}


@society_task(name="billing.report_usage")
def report_usage():
    """Count this society's active members and record them on its platform subscription."""
    society = current_society()
    schema = connection.schema_name
    count = count_active_members()
    with schema_context(get_public_schema_name()):
        if not Subscription.objects.filter(society_id=society.pk).exists():
            return None  # a society the platform does not bill (e.g. created before plans existed)
        record_usage(society=society, active_members=count)
    return {"schema": schema, "active_members": count}


@shared_task(name="billing.report_usage_all")
def report_usage_all():
    for_each_society(report_usage)


@shared_task(name="billing.render_platform_invoice")
def render_platform_invoice(invoice_id: int):
    """The PDF of a platform invoice (public schema: the platform's own document)."""
    with schema_context(get_public_schema_name()):
        invoice = render_platform_invoice_pdf(invoice_id=invoice_id)
    return invoice.pdf.name if invoice is not None else None
