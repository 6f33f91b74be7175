"""Issuing invoices and credit notes, cancelling, fapiao requests and attachments."""

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.audit import record_audit
from common.files import store_file
from common.models import Role
from common.normalize import clean_currency
from dues.errors import DuesError
from dues.models import ZERO, Invoice, InvoiceLine, Payment
from dues.numbering import CREDIT_SERIES, allocate_number
from dues.selectors import invoice_settings

CENT = Decimal("0.01")
BUYER_KEYS = ("name", "taxpayer_id", "address", "phone", "bank", "account", "kind", "email")
BUYER_KINDS = ("ordinary", "special", "")
MAX_LINES = 200


def _money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _clean_buyer(buyer: dict) -> dict:
    cleaned = {key: str(buyer.get(key) or "").strip() for key in BUYER_KEYS}
    if not cleaned["name"]:
        raise DuesError(_("The buyer's name (invoice title) is required."))
    if cleaned["kind"] not in BUYER_KINDS:
        raise DuesError(_("The fapiao kind must be ordinary or special."))
    if cleaned["kind"] == "special" and not cleaned["taxpayer_id"]:
        raise DuesError(_("A special VAT fapiao needs the buyer's taxpayer ID."))
    return cleaned


def _clean_lines(lines: list[dict]) -> list[dict]:
    if not lines:
        raise DuesError(_("An invoice needs at least one line."))
    if len(lines) > MAX_LINES:
        raise DuesError(_("An invoice can have at most %(n)d lines.") % {"n": MAX_LINES})
    cleaned = []
    for line in lines:
        description = str(line.get("description") or "").strip()
        try:
            quantity = Decimal(str(line.get("quantity", 1)))
            unit_price = Decimal(str(line["unit_price"]))
            tax_rate = Decimal(str(line.get("tax_rate", "0")))
        except (KeyError, InvalidOperation):
            raise DuesError(_("Each line needs a numeric quantity, unit price and tax rate.")) from None
        if not description:
            raise DuesError(_("Each line needs a description."))
        if quantity <= 0 or not (ZERO <= tax_rate < 100):
            raise DuesError(_("Quantities must be positive and tax rates between 0 and 100 %."))
        net = _money(quantity * unit_price)
        tax = _money(net * tax_rate / 100)
        cleaned.append(
            {
                "description": description[:500],
                "quantity": quantity,
                "unit_price": _money(unit_price),
                "tax_rate": tax_rate,
                "net": net,
                "tax": tax,
                "gross": net + tax,
            }
        )
    return cleaned


def _issuer_snapshot() -> dict:
    s = invoice_settings()
    return {
        "name": s.legal_name,
        "name_en": s.legal_name_en,
        "address": s.address,
        "phone": s.phone,
        "email": s.email,
        "tax_id": s.tax_id,
        "bank_name": s.bank_name,
        "bank_account": s.bank_account,
        "logo_file_id": s.logo_id,
        "seal_file_id": s.seal_id,
    }


def _issue(*, kind, buyer_user, buyer, lines, currency, purpose, subject_id, due_date, series, note, refers_to=None):
    """Insert the draft and its lines, then number it: from then on the trigger freezes both."""
    invoice = Invoice.objects.create(
        kind=kind,
        series=series,
        refers_to=refers_to,
        buyer_user=buyer_user,
        buyer=buyer,
        issuer=_issuer_snapshot(),
        currency=currency,
        purpose=purpose,
        subject_id=str(subject_id or ""),
        due_date=due_date,
        note=note,
        total_net=sum((line["net"] for line in lines), ZERO),
        total_tax=sum((line["tax"] for line in lines), ZERO),
        total=sum((line["gross"] for line in lines), ZERO),
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(invoice=invoice, position=i, **line) for i, line in enumerate(lines, start=1)
    )
    invoice.number, invoice.sequence, invoice.number_year = allocate_number(invoice_settings(), series)
    invoice.issued_at = timezone.now()
    # The draft's only write: the trigger lets a row without a number be numbered once.
    Invoice.objects.filter(pk=invoice.pk, number__isnull=True).update(
        number=invoice.number, sequence=invoice.sequence, number_year=invoice.number_year, issued_at=invoice.issued_at
    )
    return invoice


def create_invoice(
    *,
    buyer_user,
    buyer: dict,
    lines: list[dict],
    currency: str = "CNY",
    purpose: str,
    subject_id: str,
    due_date=None,
    series: str = "default",
    actor,
    note: str = "",
) -> Invoice:
    """Issue an invoice now: validated, numbered (gapless per series), frozen, audited.

    ``buyer``: name, taxpayer_id, address, phone, bank, account, kind ("ordinary"|"special"|""),
    email.  ``lines``: description, quantity, unit_price, tax_rate (percent, Decimal("6") = 6 %).
    One transaction; the PDF is rendered by a task after commit.  Raises DuesError on bad input.
    """
    from dues.tasks import render_invoice_pdf

    buyer = _clean_buyer(buyer)
    if not buyer["email"] and buyer_user is not None:
        buyer["email"] = buyer_user.email
    cleaned_lines = _clean_lines(lines)
    try:
        currency = clean_currency(currency)
    except ValueError as exc:
        raise DuesError(str(exc)) from None
    if not purpose:
        raise DuesError(_("An invoice needs a purpose."))
    if series == CREDIT_SERIES:
        raise DuesError(_("The credit note series is reserved for credit notes."))
    if sum((line["gross"] for line in cleaned_lines), ZERO) <= ZERO:
        raise DuesError(_("An invoice's total must be positive."))
    with transaction.atomic():
        if due_date is None:
            due_date = timezone.localdate() + datetime.timedelta(days=invoice_settings().default_due_days)
        invoice = _issue(
            kind=Invoice.Kind.INVOICE,
            buyer_user=buyer_user,
            buyer=buyer,
            lines=cleaned_lines,
            currency=currency,
            purpose=purpose,
            subject_id=subject_id,
            due_date=due_date,
            series=series,
            note=note,
        )
        record_audit(
            actor=actor,
            action="dues.create_invoice",
            obj=invoice,
            after={"number": invoice.number, "total": invoice.total, "currency": currency, "purpose": purpose},
        )
        enqueue_render(render_invoice_pdf, invoice)
    return invoice


def enqueue_render(task, invoice):
    from common.tasks import enqueue

    enqueue(task, invoice_id=invoice.pk)


def create_credit_note(*, invoice: Invoice, amount: Decimal | None = None, reason: str, actor) -> Invoice:
    """A credit note negating ``invoice`` fully (``amount`` None: every line negated) or by ``amount``.

    Runs in the caller's transaction if any (refunds, cancellations) or its own; locks the
    invoice so that credits never exceed its total.
    """
    from dues.tasks import render_invoice_pdf

    if not (reason or "").strip():
        raise DuesError(_("Give a reason for the credit note."))
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.kind != Invoice.Kind.INVOICE or not invoice.is_issued:
            raise DuesError(_("Only an issued invoice can be credited."))
        creditable = invoice.amount_payable
        if amount is None:
            amount = creditable
        if _money(amount) == invoice.total == creditable:
            lines = [
                {
                    "description": line.description,
                    "quantity": line.quantity,
                    "unit_price": -line.unit_price,
                    "tax_rate": line.tax_rate,
                    "net": -line.net,
                    "tax": -line.tax,
                    "gross": -line.gross,
                }
                for line in invoice.lines.all()
            ]
        else:
            amount = _money(amount)
            if amount <= ZERO or amount > creditable:
                raise DuesError(
                    _("The credit must be between 0.01 and %(max)s %(cur)s.")
                    % {"max": creditable, "cur": invoice.currency}
                )
            description = _("Credit for invoice %(number)s: %(reason)s") % {
                "number": invoice.number,
                "reason": reason.strip(),
            }
            lines = [
                {
                    "description": description[:500],
                    "quantity": Decimal("1"),
                    "unit_price": -amount,
                    "tax_rate": ZERO,
                    "net": -amount,
                    "tax": ZERO,
                    "gross": -amount,
                }
            ]
        note = _money(-sum((line["gross"] for line in lines), ZERO))
        credit = _issue(
            kind=Invoice.Kind.CREDIT_NOTE,
            buyer_user=invoice.buyer_user,
            buyer=invoice.buyer,
            lines=lines,
            currency=invoice.currency,
            purpose=invoice.purpose,
            subject_id=invoice.subject_id,
            due_date=None,
            series=CREDIT_SERIES,
            note=reason.strip(),
            refers_to=invoice,
        )
        record_audit(
            actor=actor,
            action="dues.create_credit_note",
            obj=credit,
            after={"number": credit.number, "refers_to": invoice.number, "amount": note},
            reason=reason,
        )
        enqueue_render(render_invoice_pdf, credit)
    return credit


def cancel_invoice(*, invoice: Invoice, reason: str, actor) -> Invoice:
    """Cancel what is still unpaid: a credit note for the remainder, open payments cancelled.

    Returns the credit note.  One transaction.  Paid money is returned with refund_payment.
    """
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.cancelled_at is not None:
            raise DuesError(_("This invoice is already cancelled."))
        remainder = invoice.amount_due
        if remainder <= ZERO:
            raise DuesError(_("Nothing is left unpaid on this invoice; refund the payment instead."))
        credit = create_credit_note(invoice=invoice, amount=remainder, reason=reason, actor=actor)
        invoice.cancelled_at = timezone.now()
        invoice.save(update_fields=["cancelled_at"])
        invoice.payments.filter(state__in=Payment.OPEN_STATES).update(state=Payment.State.CANCELED)
        record_audit(
            actor=actor,
            action="dues.cancel_invoice",
            obj=invoice,
            before={"amount_due": remainder},
            after={"credit_note": credit.number},
            reason=reason,
        )
    return credit


def request_fapiao(*, invoice: Invoice, details: dict, actor) -> Invoice:
    """The member asks for a tax fapiao with these buyer details (kept beside the snapshot)."""
    details = _clean_buyer(details)
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.fapiao_number:
            raise DuesError(_("The fapiao for this invoice has already been issued."))
        before = invoice.fapiao_request
        invoice.fapiao_request = details
        invoice.fapiao_requested_at = timezone.now()
        invoice.save(update_fields=["fapiao_request", "fapiao_requested_at"])
        record_audit(actor=actor, action="dues.request_fapiao", obj=invoice, before=before, after=details)
    return invoice


def attach_fapiao(*, invoice: Invoice, number: str, content: bytes | None, filename: str = "", actor) -> Invoice:
    """Finance records the fapiao issued on the tax platform: its number and, optionally, the file."""
    number = (number or "").strip()
    if not number:
        raise DuesError(_("Enter the fapiao number."))
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        before = {"fapiao_number": invoice.fapiao_number}
        invoice.fapiao_number = number[:60]
        fields = ["fapiao_number"]
        if content:
            invoice.fapiao_file = store_file(
                content=content,
                filename=filename or f"fapiao-{number}.pdf",
                mimetype="application/pdf" if filename.lower().endswith(".pdf") else "application/octet-stream",
                kind="dues.fapiao",
                owner=invoice.buyer_user,
                staff_role=Role.FINANCE,
            )
            fields.append("fapiao_file")
        invoice.save(update_fields=fields)
        record_audit(
            actor=actor, action="dues.attach_fapiao", obj=invoice, before=before, after={"fapiao_number": number}
        )
    return invoice
