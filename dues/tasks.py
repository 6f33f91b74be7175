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
