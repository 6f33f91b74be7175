"""Celery tasks of dues: thin, idempotent, each in one society's schema."""

import datetime

from celery import shared_task
from django.utils import timezone

from common.tasks import for_each_society, society_task


@society_task(name="dues.render_invoice_pdf")
def render_invoice_pdf(invoice_id: int):
    from dues.services.documents import store_invoice_pdf

    return store_invoice_pdf(invoice_id=invoice_id)


@society_task(name="dues.render_receipt_pdf")
def render_receipt_pdf(invoice_id: int):
    from dues.services.documents import store_receipt_pdf

    return store_receipt_pdf(invoice_id=invoice_id)


@society_task(name="dues.reconcile_payments")
def reconcile_payments(days: int = 2, heal: bool = True):
    from dues.reconciliation import reconcile

    today = timezone.localdate()
    report = reconcile(date_from=today - datetime.timedelta(days=days), date_to=today, heal=heal, actor=None)
    return [item.as_dict() for item in report]


@shared_task(name="dues.reconcile_all_societies")
def reconcile_all_societies():
    """The nightly fan-out (beat): one reconciliation per society."""
    for_each_society(reconcile_payments)


@society_task(name="dues.charge_saved_card")
def charge_saved_card(invoice_id: int, today: str | None = None):
    """One off-session try for an open invoice, when the retry schedule says one is due."""
    from dues.services.autorenewal import charge_saved_card as charge

    day = datetime.date.fromisoformat(today) if today else None
    return charge(invoice_id=invoice_id, today=day, actor=None)
