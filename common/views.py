from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.forms import ApiTokenForm, GrantRoleForm
from common.models import ApiToken, AuditEntry, Role, RoleAssignment
from common.permissions import STAFF_ROLES, role_required
from common.services import issue_api_token, revoke_api_token
from tenants.services import grant_role, revoke_role


def society_home(request):
    return render(request, "common/society_home.html")


@role_required(*STAFF_ROLES)
def console(request):
    return render(request, "common/console.html")


@role_required(Role.ADMIN)
def roles(request):
    form = GrantRoleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        grant_role(user=form.user, role=form.cleaned_data["role"], actor=request.user)
        messages.success(request, _("Role granted."))
        return redirect("console_roles")
    assignments = RoleAssignment.objects.select_related("user").order_by("role", "user__email")
    return render(request, "common/roles.html", {"form": form, "assignments": assignments})


@require_POST
@role_required(Role.ADMIN)
def revoke(request, assignment_id: int):
    assignment = get_object_or_404(RoleAssignment, pk=assignment_id)
    if assignment.user_id == request.user.pk and assignment.role == Role.ADMIN:
        messages.error(request, _("You cannot remove your own administrator role."))
    else:
        revoke_role(user=assignment.user, role=assignment.role, actor=request.user)
        messages.success(request, _("Role removed."))
    return redirect("console_roles")


@role_required(Role.ADMIN)
def api_tokens(request):
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _token, new_key = issue_api_token(user=request.user, name=form.cleaned_data["name"], actor=request.user)
        form = ApiTokenForm()
    tokens = ApiToken.objects.select_related("user").order_by("-created_at")
    return render(request, "common/api_tokens.html", {"form": form, "tokens": tokens, "new_key": new_key})


@require_POST
@role_required(Role.ADMIN)
def api_token_revoke(request, token_id: int):
    revoke_api_token(token=get_object_or_404(ApiToken, pk=token_id), actor=request.user)
    messages.success(request, _("Token revoked."))
    return redirect("console_api_tokens")


@role_required(Role.ADMIN)
def audit_log(request):
    page = Paginator(AuditEntry.objects.all(), 50).get_page(request.GET.get("page"))
    return render(request, "common/audit_log.html", {"page": page})
