from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name

from tenants.forms import SocietyForm
from tenants.models import Society
from tenants.services import InvalidSociety, SocietyExists, create_society, society_url


def societies_queryset():
    return Society.objects.exclude(schema_name=get_public_schema_name()).order_by("slug")


def platform_home(request):
    societies = [
        (s, society_url(s, request=request)) for s in societies_queryset().filter(status=Society.Status.ACTIVE)
    ]
    return render(request, "tenants/platform_home.html", {"societies": societies})


@staff_member_required(login_url="accounts:login")
def operator_societies(request):
    form = SocietyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = create_society(**form.cleaned_data, actor=request.user)
        except SocietyExists as exc:
            form.add_error("slug", str(exc))
        except InvalidSociety as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Society %(name)s created at %(domain)s.")
                % {"name": result.society.name_zh, "domain": result.domain},
            )
            return redirect("operator_societies")
    societies = [(s, society_url(s, request=request)) for s in societies_queryset()]
    return render(request, "tenants/operator_societies.html", {"form": form, "societies": societies})
