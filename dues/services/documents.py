"""Rendering and storing the PDF of an invoice, credit note or receipt, once.

Called by the tasks; a repeat (task redelivered) finds the file already stored and returns it, so
the stored document and its hash never change after issue.
"""

from django.db import transaction

from common.audit import record_audit
from common.files import store_file
from common.models import Role
from dues import documents
from dues.models import Invoice


def _store(invoice_id: int, *, receipt: bool):
    field = "receipt_file" if receipt else "pdf_file"
    invoice = Invoice.objects.filter(pk=invoice_id, number__isnull=False).first()
    if invoice is None:
        return None
    if getattr(invoice, f"{field}_id"):
        return getattr(invoice, f"{field}_id")
    if receipt and invoice.paid_handled_at is None:
        return None
    filename, mimetype, content = documents.render(invoice, receipt=receipt)
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if getattr(invoice, f"{field}_id"):
            return getattr(invoice, f"{field}_id")
        stored = store_file(
            content=content,
            filename=filename,
            mimetype=mimetype,
            kind="dues.receipt" if receipt else f"dues.{invoice.kind}",
            owner=invoice.buyer_user,
            staff_role=Role.FINANCE,
        )
        setattr(invoice, field, stored)
        sha_field = "receipt_sha256" if receipt else "pdf_sha256"
        setattr(invoice, sha_field, stored.sha256)
        invoice.save(update_fields=[field, sha_field])
        record_audit(
            actor=None,
            action=f"dues.store_{'receipt' if receipt else 'pdf'}",
            obj=invoice,
            after={"sha256": stored.sha256},
        )
    return stored.pk


def store_invoice_pdf(*, invoice_id: int):
    return _store(invoice_id, receipt=False)


def store_receipt_pdf(*, invoice_id: int):
    return _store(invoice_id, receipt=True)
