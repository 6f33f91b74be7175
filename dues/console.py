"""Finance console: every invoice with filters and CSV export, bank transfers to decide, refunds,
cancellations, fapiao, invoice settings and the Stripe connection."""

import csv

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.models import Role
from common.permissions import has_role, role_required
from dues import services
from dues.errors import DuesError
from dues.forms import AttachFapiaoForm, CancelForm, InvoiceFilterForm, InvoiceSettingsForm, RefundForm, RejectForm
from dues.models import BankTransfer, Invoice, Payment, Refund
from dues.selectors import (
    finance_invoices,
    invoice_settings,
    open_bank_transfers,
    refundable_amount,
    refunds_awaiting_approval,
    with_amounts,
)
from dues.services.connect import refresh_account, start_onboarding
from dues.services.settings import update_invoice_settings

FINANCE = (Role.FINANCE,)


def _fail(request, exc: DuesError):
    messages.error(request, exc.message)


@role_required(*FINANCE)
def console(request):
    form = InvoiceFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    invoices = finance_invoices(
        status=filters.get("status") or "",
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        method=filters.get("method") or "",
        query=filters.get("q") or "",
    )
    if request.GET.get("export") == "csv":
        return _csv(invoices)
    page = Paginator(invoices, 50).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "transfers": open_bank_transfers()[:20],
        "approvals": refunds_awaiting_approval(),
        "settings": invoice_settings(),
        "export_query": request.GET.urlencode(),
        "can_connect": has_role(request.user, Role.ADMIN),  # connecting Stripe is the administrator's
    }
    return render(request, "dues/console.html", context)


def _csv(invoices) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="invoices.csv"'
    response.write("\ufeff")  # Excel in China opens UTF-8 only with a BOM
    writer = csv.writer(response)
    writer.writerow(
        ["number", "kind", "issued", "buyer", "taxpayer_id", "purpose", "currency", "total", "paid", "due", "status"]
    )
    for invoice in invoices.iterator(chunk_size=500):
        writer.writerow(
            [
                invoice.number,
                invoice.kind,
                invoice.issued_at.date().isoformat(),
                invoice.buyer.get("name", ""),
                invoice.buyer.get("taxpayer_id", ""),
                invoice.purpose,
                invoice.currency,
                invoice.total,
                invoice.amount_paid,
                invoice.amount_due,
                invoice.status,
            ]
        )
    return response


@role_required(*FINANCE)
def invoice(request, invoice_id: int):
    invoice = get_object_or_404(with_amounts(Invoice.objects.filter(number__isnull=False)), pk=invoice_id)
    payments = list(invoice.payments.select_related("bank_transfer__slip").prefetch_related("refunds"))
    for payment in payments:
        payment.refundable = refundable_amount(payment) if payment.state == Payment.State.CONFIRMED else 0
    context = {
        "invoice": invoice,
        "lines": invoice.lines.all(),
        "payments": payments,
        "credit_notes": invoice.credit_notes.all(),
        "refund_form": RefundForm(),
        "cancel_form": CancelForm(),
        "fapiao_form": AttachFapiaoForm(initial={"number": invoice.fapiao_number}),
        "reject_form": RejectForm(),
    }
    return render(request, "dues/console_invoice.html", context)


@require_POST
@role_required(*FINANCE)
def confirm_transfer(request, transfer_id: int):
    transfer = get_object_or_404(BankTransfer, pk=transfer_id)
    try:
        services.confirm_bank_transfer(transfer=transfer, actor=request.user)
        messages.success(request, _("Transfer %(ref)s confirmed.") % {"ref": transfer.reference})
    except DuesError as exc:
        _fail(request, exc)
    return redirect(request.POST.get("next") or "dues:console")


@require_POST
@role_required(*FINANCE)
def reject_transfer(request, transfer_id: int):
    transfer = get_object_or_404(BankTransfer, pk=transfer_id)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the member a reason for the rejection."))
    else:
        try:
            services.reject_bank_transfer(transfer=transfer, reason=form.cleaned_data["reason"], actor=request.user)
            messages.success(request, _("Transfer %(ref)s rejected.") % {"ref": transfer.reference})
        except DuesError as exc:
            _fail(request, exc)
    return redirect(request.POST.get("next") or "dues:console")


@require_POST
@role_required(*FINANCE)
def refund(request, payment_id: int):
    payment = get_object_or_404(Payment, pk=payment_id)
    form = RefundForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter an amount and a reason for the refund."))
    else:
        try:
            result = services.refund_payment(
                payment=payment,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except DuesError as exc:
            _fail(request, exc)
        else:
            if result.state == Refund.State.AWAITING_APPROVAL:
                messages.info(request, _("The refund needs a second person's approval."))
            elif result.state == Refund.State.DONE:
                messages.success(
                    request, _("Refunded; credit note %(number)s issued.") % {"number": result.credit_note.number}
                )
            else:
                messages.info(request, _("The refund has been sent and is being processed."))
    return redirect("dues:console_invoice", payment.invoice_id)


@require_POST
@role_required(*FINANCE)
def decide_refund(request, refund_id: int):
    refund = get_object_or_404(Refund, pk=refund_id)
    try:
        if request.POST.get("decision") == "approve":
            refund = services.approve_refund(refund=refund, actor=request.user)
            messages.success(request, _("Refund approved."))
        else:
            services.reject_refund(refund=refund, reason=request.POST.get("reason", ""), actor=request.user)
            messages.success(request, _("Refund not approved."))
    except DuesError as exc:
        _fail(request, exc)
    return redirect("dues:console_invoice", refund.payment.invoice_id)


@require_POST
@role_required(*FINANCE)
def cancel(request, invoice_id: int):
    invoice = get_object_or_404(Invoice, pk=invoice_id)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for cancelling."))
    else:
        try:
            credit = services.cancel_invoice(invoice=invoice, reason=form.cleaned_data["reason"], actor=request.user)
            messages.success(
                request, _("Invoice cancelled; credit note %(number)s issued.") % {"number": credit.number}
            )
        except DuesError as exc:
            _fail(request, exc)
    return redirect("dues:console_invoice", invoice.pk)


@require_POST
@role_required(*FINANCE)
def attach_fapiao(request, invoice_id: int):
    invoice = get_object_or_404(Invoice, pk=invoice_id)
    form = AttachFapiaoForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data.get("file")
        try:
            services.attach_fapiao(
                invoice=invoice,
                number=form.cleaned_data["number"],
                content=upload.read() if upload else None,
                filename=upload.name if upload else "",
                actor=request.user,
            )
            messages.success(request, _("Fapiao recorded."))
        except DuesError as exc:
            _fail(request, exc)
    else:
        messages.error(request, _("Enter the fapiao number."))
    return redirect("dues:console_invoice", invoice.pk)


@role_required(Role.ADMIN, Role.FINANCE)
def settings_view(request):
    settings = invoice_settings()
    form = InvoiceSettingsForm(request.POST or None, request.FILES or None, instance=settings)
    if request.method == "POST" and form.is_valid():
        update_invoice_settings(
            settings=settings,
            values={name: form.cleaned_data[name] for name in form.Meta.fields},
            logo=form.cleaned_data.get("logo_upload"),
            seal=form.cleaned_data.get("seal_upload"),
            actor=request.user,
        )
        messages.success(request, _("Invoice settings saved. Invoices issued from now on use them."))
        return redirect("dues:settings")
    return render(request, "dues/settings.html", {"form": form, "settings": settings})


@role_required(Role.ADMIN)
def connect(request):
    settings = invoice_settings()
    if request.method == "POST":
        url = start_onboarding(
            return_url=request.build_absolute_uri(reverse("dues:connect") + "?returned=1"),
            refresh_url=request.build_absolute_uri(reverse("dues:connect")),
            actor=request.user,
        )
        return redirect(url)
    if request.GET.get("returned") and settings.stripe_account_id:
        if refresh_account(account_id=settings.stripe_account_id, actor=request.user):
            messages.success(request, _("Your Stripe account is connected and can take payments."))
        settings = invoice_settings()
    return render(request, "dues/connect.html", {"settings": settings})
