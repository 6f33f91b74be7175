"""PDFs rendered by the real Celery worker after commit, stored once, with the content a reader sees."""

import hashlib
import io
import time
from decimal import Decimal

import pypdf
from django_tenants.utils import schema_context

from common.models import StoredFile
from dues.models import Invoice, Payment
from dues.services import create_credit_note
from dues.services.payments import confirm_payment, lock_payment
from dues.tasks import render_invoice_pdf
from tests.conftest import committed
from tests.dues.fixtures import BUYER


def _wait_for(society, invoice_id, field, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with schema_context(society.schema_name):
            invoice = Invoice.objects.get(pk=invoice_id)
            if getattr(invoice, f"{field}_id"):
                return invoice
        time.sleep(0.2)
    raise AssertionError(f"{field} of invoice {invoice_id} was not rendered in {timeout} s")


def _text(society, stored_id) -> tuple[str, bytes, StoredFile]:
    with schema_context(society.schema_name):
        stored = StoredFile.objects.get(pk=stored_id)
        with stored.file.open("rb") as handle:
            content = handle.read()
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)
    return text, content, stored


@committed
def test_invoice_receipt_and_credit_note_pdfs(
    society_a, society_b, make_user, issue, celery_worker_thread, settled_tasks
):
    member = make_user("pku@example.cn")
    invoice = issue(society_a, member, "1280.50", buyer=BUYER)
    invoice = _wait_for(society_a, invoice.pk, "pdf_file")
    text, content, stored = _text(society_a, invoice.pdf_file_id)
    assert "北京大学化学与分子工程学院" in text and "1,280.50" in text and invoice.number in text
    assert invoice.pdf_sha256 == stored.sha256 == hashlib.sha256(content).hexdigest()
    assert (stored.owner_id, stored.staff_role, stored.mimetype) == (member.pk, "finance", "application/pdf")

    # A redelivered task finds the document stored and changes nothing.
    render_invoice_pdf.apply_async(kwargs={"invoice_id": invoice.pk, "schema_name": society_a.schema_name}).get(
        timeout=20
    )
    with schema_context(society_a.schema_name):
        again = Invoice.objects.get(pk=invoice.pk)
        assert (again.pdf_file_id, again.pdf_sha256) == (invoice.pdf_file_id, invoice.pdf_sha256)
        assert StoredFile.objects.filter(kind="dues.invoice").count() == 1

        payment = Payment.objects.create(
            invoice=invoice, provider="bank_transfer", amount=Decimal("1280.50"), currency="CNY", state="pending"
        )
        from django.db import transaction

        with transaction.atomic():
            confirm_payment(payment=lock_payment(payment.pk), actor=None, method_detail="bank_transfer")
    paid = _wait_for(society_a, invoice.pk, "receipt_file")
    receipt_text, _content, _stored = _text(society_a, paid.receipt_file_id)
    assert "会费收据" in receipt_text and "1,280.50" in receipt_text and "对公转账" in receipt_text

    with schema_context(society_a.schema_name):
        credit = create_credit_note(invoice=invoice, amount=Decimal("80.50"), reason="优惠退还", actor=None)
    credit = _wait_for(society_a, credit.pk, "pdf_file")
    credit_text, _content, _stored = _text(society_a, credit.pdf_file_id)
    assert credit.number in credit_text and invoice.number in credit_text and "80.50" in credit_text
    with schema_context(society_b.schema_name):
        assert StoredFile.objects.count() == 0 and Invoice.objects.count() == 0
