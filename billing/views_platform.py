"""Platform host pages: a society signs up with a plan; the operator's console."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import selectors, services
from billing.forms import OperatorSocietyForm, SocietySignUpForm
from billing.views import welcome_token
from tenants.services import InvalidSociety, SocietyExists, society_url

operator_required = staff_member_required(login_url="accounts:login")


def _sign_up(request, form):
    """Run the sign-up service with a valid form; errors go back onto the form (returns None)."""
    data = form.cleaned_data
    try:
        return services.sign_up_society(
            slug=data["slug"],
            name_zh=data["name_zh"],
            name_en=data["name_en"],
            discipline_group=data["discipline_group"],
            admin_email=data["admin_email"],
            admin_name=data["admin_name"],
            admin_password=data.get("password") or None,
            plan=data["plan"],
            interval=data["interval"],
            actor=request.user if request.user.is_authenticated else None,
        )
    except SocietyExists as exc:
        form.add_error("slug", str(exc))
    except (InvalidSociety, services.BillingError) as exc:
        form.add_error(None, str(exc))
    return None


def signup(request):
    form = SocietySignUpForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        result = _sign_up(request, form)
        if result is not None:
            society = result.provisioned.society
            token = welcome_token(user=result.provisioned.admin, society=society)
            return HttpResponseRedirect(society_url(society, f"/billing/welcome/?t={token}", request))
    return render(request, "billing/signup.html", {"form": form, "plans": selectors.active_plans()})


@operator_required
def console(request):
    form = OperatorSocietyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = _sign_up(request, form)
        if result is not None:
            messages.success(
                request,
                _("Society %(name)s created at %(domain)s.")
                % {"name": result.provisioned.society.name_zh, "domain": result.provisioned.domain},
            )
            return redirect("billing_platform:console")
    return render(
        request,
        "billing/operator/console.html",
        {
            "form": form,
            "figures": selectors.console_figures(),
            "subscriptions": selectors.subscriptions_for_console(),
            "now": timezone.now(),
        },
    )


@operator_required
def overdue(request):
    return render(
        request,
        "billing/operator/overdue.html",
        {"subscriptions": selectors.overdue_subscriptions(), "now": timezone.now()},
    )


@operator_required
def revenue(request):
    return render(request, "billing/operator/revenue.html", {"rows": selectors.revenue_by_month()})


@operator_required
def plans(request):
    return render(request, "billing/operator/plans.html", {"plans": selectors.plans_for_console()})
