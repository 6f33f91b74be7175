"""Editing the society's invoice settings (numbering, issuer, bank transfer, refund approval)."""

from django.db import transaction

from common.audit import audited
from common.files import store_file
from common.models import Role
from dues.models import InvoiceSettings

FIELDS = [
    "series_prefix",
    "credit_prefix",
    "number_format",
    "legal_name",
    "legal_name_en",
    "address",
    "phone",
    "email",
    "tax_id",
    "bank_name",
    "bank_account",
    "bank_account_name",
    "transfer_instructions",
    "default_due_days",
    "refund_approval_threshold",
]


def update_invoice_settings(*, settings: InvoiceSettings, values: dict, logo=None, seal=None, actor) -> InvoiceSettings:
    """Save new settings; already issued invoices keep the snapshot they were issued with.

    ``logo``/``seal``: uploaded files, stored as new files (old invoices still point at the old ones).
    """
    with transaction.atomic():
        settings = InvoiceSettings.objects.select_for_update().get(pk=settings.pk)
        with audited(settings, FIELDS, action="dues.update_invoice_settings", actor=actor):
            for name in FIELDS:
                if name in values:
                    setattr(settings, name, values[name])
            for name, upload in (("logo", logo), ("seal", seal)):
                if upload is not None:
                    stored = store_file(
                        content=upload.read(),
                        filename=upload.name,
                        mimetype=getattr(upload, "content_type", "image/png"),
                        kind=f"dues.{name}",
                        staff_role=Role.FINANCE,
                    )
                    setattr(settings, name, stored)
            settings.save()
    return settings
