"""A member's own invoices: list, detail with downloads, paying (Stripe Checkout or bank transfer),
the transfer slip, the fapiao request."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dues import services
from dues.errors import DuesError
from dues.forms import FapiaoRequestForm, PayForm, TransferSlipForm
from dues.models import AutoRenewal, Payment
from dues.selectors import invoice_for_user, invoice_settings, invoices_for_user, online_payment_ready
from dues.services.autorenewal import consent_text


def _own_invoice(request, invoice_id: int):
    invoice = invoice_for_user(request.user, invoice_id)
    if invoice is None:
        raise Http404
    return invoice


@login_required
def my_invoices(request):
    invoices = list(invoices_for_user(request.user))
    return render(request, "dues/my_invoices.html", {"invoices": invoices})


@login_required
def invoice_detail(request, invoice_id: int):
    invoice = _own_invoice(request, invoice_id)
    context = {
        "invoice": invoice,
        "lines": invoice.lines.all(),
        "payments": invoice.payments.select_related("bank_transfer").all(),
        "credit_notes": invoice.credit_notes.all(),
        "fapiao_form": FapiaoRequestForm(initial=invoice.fapiao_request or invoice.buyer),
    }
    return render(request, "dues/invoice.html", context)


@login_required
def pay(request, invoice_id: int):
    invoice = _own_invoice(request, invoice_id)
    online = online_payment_ready()
    # Automatic renewal is offered for membership dues the member pays for themself.
    can_save_card = online and invoice.purpose.startswith("membership.") and invoice.buyer_user_id == request.user.pk
    form = PayForm(
        request.POST or None,
        initial={"method": Payment.Provider.STRIPE if online else Payment.Provider.BANK_TRANSFER},
        online=online,
        can_save_card=can_save_card,
        consent=consent_text() if can_save_card else "",
    )
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["method"] == Payment.Provider.STRIPE:
                back = request.build_absolute_uri(reverse("dues:invoice", args=[invoice.pk]))
                payment = services.start_stripe_payment(
                    invoice=invoice,
                    success_url=request.build_absolute_uri(reverse("dues:checkout_return", args=[invoice.pk])),
                    cancel_url=back,
                    actor=request.user,
                    save_card=bool(form.cleaned_data.get("save_card")),
                )
                return redirect(payment.checkout_url)
            services.start_bank_transfer(invoice=invoice, actor=request.user)
            return redirect("dues:transfer", invoice.pk)
        except DuesError as exc:
            messages.error(request, exc.message)
    return render(request, "dues/pay.html", {"invoice": invoice, "form": form, "online": online})


@login_required
def checkout_return(request, invoice_id: int):
    """Stripe sends the member back here; we look the payment up at Stripe at once rather than
    wait for the webhook (both paths are idempotent)."""
    invoice = _own_invoice(request, invoice_id)
    payment = invoice.payments.filter(provider=Payment.Provider.STRIPE).exclude(stripe_checkout_session_id="").first()
    if payment is not None:
        try:
            services.sync_stripe_payment(payment_id=payment.pk, actor=request.user)
        except Exception:  # noqa: BLE001 - Stripe unreachable: the webhook or reconciliation will record it
            pass
        payment.refresh_from_db()
    if payment is not None and payment.state == Payment.State.CONFIRMED:
        messages.success(request, _("Thank you: your payment has been received."))
        if payment.save_card and AutoRenewal.objects.filter(saved_by_payment=payment, enabled=True).exists():
            messages.success(request, _("Your card is saved and automatic renewal is on."))
    else:
        messages.info(request, _("Your payment is being confirmed; this page will show it shortly."))
    return redirect("dues:invoice", invoice.pk)


@login_required
def transfer(request, invoice_id: int):
    invoice = _own_invoice(request, invoice_id)
    payment = (
        invoice.payments.filter(provider=Payment.Provider.BANK_TRANSFER, state__in=Payment.OPEN_STATES)
        .select_related("bank_transfer")
        .first()
    )
    if payment is None:
        return redirect("dues:pay", invoice.pk)
    form = TransferSlipForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        slip = form.cleaned_data["slip"]
        try:
            services.submit_transfer_slip(
                transfer=payment.bank_transfer,
                content=slip.read(),
                filename=slip.name,
                mimetype=slip.content_type,
                payer_name=form.cleaned_data["payer_name"],
                transferred_on=form.cleaned_data["transferred_on"],
                actor=request.user,
            )
        except DuesError as exc:
            form.add_error("slip", exc.message)
        else:
            messages.success(request, _("Thank you: finance will confirm your transfer once it arrives."))
            return redirect("dues:invoice", invoice.pk)
    context = {
        "invoice": invoice,
        "transfer": payment.bank_transfer,
        "payment": payment,
        "settings": invoice_settings(),
        "form": form,
    }
    return render(request, "dues/transfer.html", context)


@require_POST
@login_required
def request_fapiao(request, invoice_id: int):
    invoice = _own_invoice(request, invoice_id)
    form = FapiaoRequestForm(request.POST)
    if form.is_valid():
        try:
            services.request_fapiao(invoice=invoice, details=form.cleaned_data, actor=request.user)
            messages.success(request, _("Your fapiao request has been sent to finance."))
        except DuesError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Please check the fapiao details: %(errors)s") % {"errors": form.errors.as_text()})
    return redirect("dues:invoice", invoice.pk)
