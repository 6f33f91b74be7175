"""The society admin's plan and subscription page (society site, /billing/)."""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.hop import issue_hop_token, redeem_hop_token
from billing import selectors, services
from billing.forms import ChangePlanForm
from common.models import Role
from common.permissions import role_required

WELCOME_SALT = "xuehui.billing.welcome"
WELCOME_MAX_AGE = 120


@role_required(Role.ADMIN)
def society(request):
    subscription = selectors.subscription_of(request.society)
    if subscription is None:
        raise Http404
    plans = list(selectors.active_plans())
    return render(
        request,
        "billing/society.html",
        {
            "subscription": subscription,
            "plans": plans,
            "invoices": selectors.invoices_of(request.society),
            "checkout_done": request.GET.get("checkout") == "done",
        },
    )


def _done(request, message: str):
    messages.success(request, message)
    return redirect("billing:society")


@require_POST
@role_required(Role.ADMIN)
def change_plan(request):
    form = ChangePlanForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the plans."))
        return redirect("billing:society")
    try:
        subscription = services.change_plan(society=request.society, plan=form.cleaned_data["plan"], actor=request.user)
    except services.BillingError as exc:
        messages.error(request, str(exc))
        return redirect("billing:society")
    return _done(request, _("Your plan is now %(plan)s.") % {"plan": subscription.plan.display_name})


@require_POST
@role_required(Role.ADMIN)
def checkout(request):
    back = request.build_absolute_uri(reverse("billing:society"))
    try:
        url = services.start_checkout(
            society=request.society, actor=request.user, success_url=back + "?checkout=done", cancel_url=back
        )
    except services.BillingError as exc:
        messages.error(request, str(exc))
        return redirect("billing:society")
    return HttpResponseRedirect(url)


@require_POST
@role_required(Role.ADMIN)
def cancel(request):
    resume = request.POST.get("resume") == "1"
    try:
        services.set_cancel_at_period_end(society=request.society, cancel=not resume, actor=request.user)
    except services.BillingError as exc:
        messages.error(request, str(exc))
        return redirect("billing:society")
    if resume:
        return _done(request, _("The subscription continues."))
    return _done(request, _("The subscription ends at the end of the current period."))


@require_POST
@role_required(Role.ADMIN)
def retry_payment(request):
    try:
        services.retry_payment(society=request.society, actor=request.user)
    except services.BillingError as exc:
        messages.error(request, str(exc))
        return redirect("billing:society")
    return _done(request, _("Payment received. Thank you — everything is writable again."))


@role_required(Role.ADMIN)
def invoice_pdf(request, invoice_id: int):
    invoice = get_object_or_404(selectors.invoices_of(request.society), pk=invoice_id)
    if not invoice.pdf:
        raise Http404
    response = FileResponse(invoice.pdf.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def welcome_token(*, user, society) -> str:
    """A two-minute, single-use token that signs the new administrator in on the society's site."""
    return issue_hop_token(user=user, society=society, salt=WELCOME_SALT)


def welcome(request):
    """Where a fresh sign-up lands: open the administrator's session here, show the plan page."""
    redeem_hop_token(request, salt=WELCOME_SALT, max_age=WELCOME_MAX_AGE)
    messages.success(request, _("Welcome! Your society is ready; your free trial has started."))
    return redirect("billing:society")
