"""The secretariat's pages: member list, detail, review queue, categories, exports, imports."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.models import Role
from common.permissions import role_required
from members import selectors, services
from members.exports import export_dataset
from members.forms import (
    BulkEmailForm,
    CategoryForm,
    MembershipSettingsForm,
    ReasonForm,
    StaffProfileForm,
    StatusChangeForm,
)
from members.models import Application, Member, MembershipCategory, MembershipSettings, MemberStatus
from members.normalize import mask_id_number, mask_mobile
from members.services import MembershipError

PAGE_SIZE = 50


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP + 1 rows: an exact count(*) over a society's whole roll costs more
    than the page itself, and "more than 10,000" is all a person needs to know."""

    COUNT_CAP = 10_000

    @cached_property
    def count(self):
        return self.object_list[: self.COUNT_CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.COUNT_CAP


FILTERS = ("q", "status", "category", "region", "discipline", "expiry_month", "sort")


def _filters(params) -> dict:
    return {name: params.get(name, "").strip() for name in FILTERS if params.get(name, "").strip()}


def _ticked(params) -> list[int]:
    """The ids of the members ticked in the list."""
    return [int(i) for i in params.getlist("id") if i.isdigit()]


@role_required(Role.ADMIN)
def console(request):
    filters = _filters(request.GET)
    page = CappedPaginator(selectors.search_members(**filters), PAGE_SIZE).get_page(request.GET.get("page"))
    querystring = request.GET.copy()
    querystring.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "querystring": querystring.urlencode(),
        "statuses": MemberStatus.choices,
        "categories": MembershipCategory.objects.all(),
        "queue_count": selectors.review_queue().count(),
        "status_form": StatusChangeForm(),
        "email_form": BulkEmailForm(),
    }
    return render(request, "members/console/list.html", context)


@require_POST
@role_required(Role.ADMIN)
def bulk_email(request):
    form = BulkEmailForm(request.POST)
    ids = _ticked(request.POST)
    if not form.is_valid() or not ids:
        messages.error(request, _("Tick members and write a subject and a message."))
        return redirect("members:console")
    sent = services.email_members(
        members=Member.objects.filter(pk__in=ids),
        subject=form.cleaned_data["subject"],
        body=form.cleaned_data["body"],
        actor=request.user,
    )
    messages.success(request, _("E-mail sent to %(n)d members.") % {"n": sent})
    return redirect("members:console")


@role_required(Role.ADMIN)
def export(request, fmt: str):
    """The current filter (or the ticked members) as CSV or XLSX; the export is audit-logged."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    filters = _filters(request.GET)
    queryset = selectors.search_members(**filters)
    if request.GET.getlist("id"):
        queryset = queryset.filter(pk__in=_ticked(request.GET))
    show_personal = request.GET.get("personal") == "1"
    services.record_export(count=queryset.count(), filters=filters, personal=show_personal, actor=request.user)
    dataset = export_dataset(queryset, show_personal=show_personal)
    if fmt == "csv":
        response = HttpResponse("\ufeff" + dataset.csv, content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            dataset.xlsx, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response["Content-Disposition"] = f'attachment; filename="members.{fmt}"'
    return response


@require_POST
@role_required(Role.ADMIN)
def bulk_status(request):
    form = StatusChangeForm(request.POST)
    ids = _ticked(request.POST)
    if not form.is_valid() or not ids:
        messages.error(request, _("Tick members and give the new status and a reason."))
        return redirect("members:console")
    changed, problems = 0, []
    for member in Member.objects.filter(pk__in=ids):
        try:
            services.change_status(
                member=member,
                to_status=form.cleaned_data["to_status"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
            changed += 1
        except MembershipError as exc:
            problems.append(f"{member.name_zh}: {exc}")
    messages.success(request, _("%(n)d members changed.") % {"n": changed})
    for problem in problems:
        messages.error(request, problem)
    return redirect("members:console")


@role_required(Role.ADMIN)
def member_detail(request, member_id: int):
    member = get_object_or_404(Member.objects.select_related("category", "card_file"), pk=member_id)
    show_id = request.GET.get("show") == "id"
    if show_id:
        services.record_id_view(member=member, actor=request.user)
    form = StaffProfileForm(request.POST or None, instance=member, reveal_id=show_id)
    if request.method == "POST" and form.is_valid():
        services.update_profile(member=member, data=form.cleaned_data, actor=request.user, by_staff=True)
        messages.success(request, _("Profile saved."))
        return redirect("members:console_member", member_id=member.pk)
    context = {
        "show_id": show_id,
        "member": member,
        "form": form,
        "id_number": member.id_number if show_id else mask_id_number(member.id_number),
        "mobile": mask_mobile(member.mobile),
        "history": member.history.all(),
        "terms": member.terms.select_related("category"),
        "charges": member.charges.select_related("category"),
        "invoices": selectors.member_invoices(member),
        "applications": member.applications.select_related("evidence"),
        "status_form": StatusChangeForm(),
        "categories": MembershipCategory.objects.exclude(pk=member.category_id),
    }
    return render(request, "members/console/member.html", context)


@require_POST
@role_required(Role.ADMIN)
def member_status(request, member_id: int):
    member = get_object_or_404(Member, pk=member_id)
    form = StatusChangeForm(request.POST)
    if form.is_valid():
        try:
            services.change_status(
                member=member,
                to_status=form.cleaned_data["to_status"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
            messages.success(request, _("Status changed."))
        except MembershipError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, _("Give the new status and a reason."))
    return redirect("members:console_member", member_id=member.pk)


@require_POST
@role_required(Role.ADMIN)
def member_action(request, member_id: int, action: str):
    member = get_object_or_404(Member.objects.select_related("category"), pk=member_id)
    try:
        if action == "reinstate":
            services.reinstate_member(
                member=member, actor=request.user, with_arrears=request.POST.get("arrears") == "1"
            )
            messages.success(request, _("Reinstatement recorded."))
        elif action == "erase":
            services.erase_member_data(member=member, actor=request.user)
            messages.success(request, _("The member's personal data has been erased."))
        elif action == "category":
            category = get_object_or_404(MembershipCategory, pk=request.POST.get("category"))
            charge = services.change_category(member=member, category=category, actor=request.user)
            messages.success(
                request,
                _("Category change charged: %(amount)s %(currency)s.")
                % {"amount": charge.amount, "currency": charge.currency}
                if charge
                else _("Category changed."),
            )
        else:
            raise Http404
    except MembershipError as exc:
        messages.error(request, str(exc))
    return redirect("members:console_member", member_id=member.pk)


@role_required(Role.ADMIN)
def applications(request):
    if request.method == "POST":
        chosen = selectors.review_queue().filter(pk__in=[int(i) for i in request.POST.getlist("id") if i.isdigit()])
        done, problems = services.approve_applications(applications=list(chosen), actor=request.user)
        messages.success(request, _("%(n)d applications approved.") % {"n": done})
        for problem in problems:
            messages.error(request, problem)
        return redirect("members:console_applications")
    return render(request, "members/console/applications.html", {"queue": selectors.review_queue()})


@role_required(Role.ADMIN)
def application_detail(request, application_id: int):
    application = get_object_or_404(
        Application.objects.select_related("category", "evidence", "member"), pk=application_id
    )
    form = ReasonForm(request.POST or None)
    if request.method == "POST":
        decision = request.POST.get("decision")
        try:
            if decision == "approve":
                services.approve_application(application=application, actor=request.user)
                messages.success(request, _("Application approved."))
                return redirect("members:console_applications")
            if form.is_valid():
                if decision == "reject":
                    services.reject_application(
                        application=application, reason=form.cleaned_data["reason"], actor=request.user
                    )
                    messages.success(request, _("Application rejected; the applicant has been told."))
                else:
                    services.request_information(
                        application=application, message=form.cleaned_data["reason"], actor=request.user
                    )
                    messages.success(request, _("The applicant has been asked for more information."))
                return redirect("members:console_applications")
        except MembershipError as exc:
            messages.error(request, str(exc))
    context = {
        "application": application,
        "form": form,
        "endorsements": application.endorsements.select_related("endorser"),
        "id_number": mask_id_number(application.id_number),
    }
    return render(request, "members/console/application.html", context)


@role_required(Role.ADMIN)
def categories(request):
    return render(request, "members/console/categories.html", {"categories": MembershipCategory.objects.all()})


@role_required(Role.ADMIN)
def category_edit(request, category_id: int | None = None):
    category = get_object_or_404(MembershipCategory, pk=category_id) if category_id else None
    form = CategoryForm(request.POST or None, instance=category)
    if request.method == "POST" and form.is_valid():
        services.save_category(category=form.save(commit=False), actor=request.user)
        messages.success(request, _("Category saved."))
        return redirect("members:console_categories")
    return render(request, "members/console/category_form.html", {"form": form, "category": category})


@role_required(Role.ADMIN)
def membership_settings(request):
    form = MembershipSettingsForm(request.POST or None, instance=MembershipSettings.current())
    if request.method == "POST" and form.is_valid():
        services.save_membership_settings(settings_row=form.save(commit=False), actor=request.user)
        messages.success(request, _("Settings saved."))
        return redirect("members:console_settings")
    return render(request, "members/console/settings.html", {"form": form})
