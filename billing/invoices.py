"""Platform invoices: a gapless platform series (XH-<year>-<000001>) for paid Stripe invoices."""

from datetime import UTC, datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from billing.models import PlatformInvoice, PlatformInvoiceSequence
from common.audit import record_audit
from common.pdf import invoice as invoice_pdf
from dues.providers import from_minor

ISSUER = {
    "name_zh": "学会云平台",
    "name_en": "Xuehui platform",
    "email": "billing@xuehui.cn",
}


def _date(timestamp):
    if not timestamp:
        return None
    return timezone.localtime(datetime.fromtimestamp(timestamp, UTC)).date()


def allocate_number(year: int) -> tuple[int, str]:
    """Next number of the year's series, under a row lock (call inside the issuing transaction, so a
    rollback gives the number back and the series stays gapless)."""
    PlatformInvoiceSequence.objects.bulk_create([PlatformInvoiceSequence(year=year)], ignore_conflicts=True)
    sequence = PlatformInvoiceSequence.objects.select_for_update().get(year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number, f"XH-{year}-{sequence.last_number:06d}"


def _lines(stripe_invoice) -> list[dict]:
    currency = stripe_invoice["currency"].upper()
    lines = []
    for line in stripe_invoice["lines"]["data"]:
        amount = from_minor(line["amount"], currency)
        quantity = line.get("quantity") or 1
        lines.append(
            {
                "description": line.get("description") or "学会云订阅 Xuehui subscription",
                "quantity": str(quantity),
                "unit_price": str((amount / quantity).quantize(amount)),
                "gross": str(amount),
            }
        )
    return lines


def issue_platform_invoice(*, society, stripe_invoice, actor=None) -> PlatformInvoice:
    """Record a paid Stripe invoice as the next platform invoice; its PDF is rendered by a task
    after the commit.

    Idempotent per Stripe invoice.  The caller holds the society's Subscription row lock, so two
    deliveries cannot both allocate a number; one transaction (number, row, audit)."""
    existing = PlatformInvoice.objects.filter(stripe_invoice_id=stripe_invoice["id"]).first()
    if existing:
        return existing
    with transaction.atomic():
        paid_at = stripe_invoice["status_transitions"].get("paid_at")
        issued_at = timezone.now()
        year = timezone.localtime(issued_at).year
        sequence, number = allocate_number(year)
        currency = stripe_invoice["currency"].upper()
        invoice = PlatformInvoice(
            society=society,
            number=number,
            year=year,
            sequence=sequence,
            stripe_invoice_id=stripe_invoice["id"],
            billing_reason=stripe_invoice.get("billing_reason") or "",
            issued_at=issued_at,
            paid_at=datetime.fromtimestamp(paid_at, UTC) if paid_at else None,
            period_start=_date(stripe_invoice.get("period_start")),
            period_end=_date(stripe_invoice.get("period_end")),
            currency=currency,
            total=from_minor(stripe_invoice["total"], currency),
            amount_paid=from_minor(stripe_invoice["amount_paid"], currency),
            lines=_lines(stripe_invoice),
            buyer={"title": society.legal_name or society.name_zh, "email": society.contact_email},
        )
        invoice.save()
        record_audit(
            actor=actor,
            action="billing.issue_platform_invoice",
            obj=invoice,
            after={"number": number, "total": invoice.total, "paid": invoice.amount_paid, "society": society.slug},
        )
        # Imported here: billing.tasks imports this module (through billing.subscriptions).
        from billing.tasks import render_platform_invoice

        transaction.on_commit(lambda: render_platform_invoice.delay(invoice_id=invoice.pk))
    return invoice


def render_platform_invoice_pdf(*, invoice_id: int) -> PlatformInvoice | None:
    """Render and store the PDF of an issued platform invoice (once; a redelivery changes nothing)."""
    with transaction.atomic():
        invoice = PlatformInvoice.objects.select_for_update().filter(pk=invoice_id).first()
        if invoice is None or invoice.pdf:
            return invoice
        filename, _mimetype, content = invoice_pdf.generate(_document(invoice))
        invoice.pdf.save(filename, ContentFile(content), save=False)
        invoice.save(update_fields=["pdf"])
    return invoice


def _credit_note(invoice: PlatformInvoice) -> str:
    if invoice.total >= 0:
        return ""
    credit = f"{invoice.currency} {-invoice.total:,.2f}"
    return f"余额 {credit} 将抵扣贵会下期平台账单。The credit of {credit} is deducted from your next platform invoice."


def _document(invoice: PlatformInvoice) -> dict:
    return {
        "kind": "receipt",
        "number": invoice.number,
        "issuer": ISSUER,
        "buyer": {"title": invoice.buyer["title"], "email": invoice.buyer.get("email", ""), "fapiao_kind": "ordinary"},
        "lines": invoice.lines,
        "issue_date": timezone.localtime(invoice.issued_at).date(),
        "currency": invoice.currency,
        "total_gross": str(invoice.total),
        "title_zh": "平台服务费收据",
        "title_en": "PLATFORM SUBSCRIPTION RECEIPT",
        "payment": {
            "paid_on": timezone.localtime(invoice.paid_at or invoice.issued_at).date(),
            "method": "银行卡 Card (Stripe)",
            "reference": invoice.stripe_invoice_id,
            "amount": str(invoice.amount_paid),
        },
        "note": _credit_note(invoice),
        "footer": "学会云平台 · 本收据由学会云系统开具，税务发票另行开具。This document is not a tax fapiao.",
    }
