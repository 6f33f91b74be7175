"""The public and member pages: apply, my membership, endorse, verify a card."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.files import store_file
from members import selectors, services
from members.exports import personal_data
from members.forms import ApplicationForm, ProfileForm
from members.models import ApplicationStatus, Endorsement
from members.services import MembershipError


@login_required
def apply(request):
    member = selectors.member_of(request.user)
    application = selectors.open_application_of(request.user)
    editable = application is None or application.status in (ApplicationStatus.DRAFT, ApplicationStatus.INFO_REQUESTED)
    if (member and member.status not in ("applicant", "rejected")) or not editable:
        return redirect("members:me")
    initial = {"email": request.user.email, "name_zh": request.user.name, "category": request.GET.get("category")}
    form = ApplicationForm(
        request.POST or None, request.FILES or None, instance=application, initial=None if application else initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            application = _save_draft(request, form, application)
            if "submit" in request.POST:
                services.submit_application(application=application, actor=request.user)
                messages.success(
                    request, _("Your application has been submitted. We have sent you a confirmation e-mail.")
                )
                return redirect("members:me")
            messages.success(request, _("Draft saved. You can come back and submit it later."))
            return redirect("members:apply")
        except MembershipError as exc:
            form.add_error(None, str(exc))
    categories = selectors.open_categories()
    return render(request, "members/apply.html", {"form": form, "application": application, "categories": categories})


def _save_draft(request, form, application):
    data = {name: form.cleaned_data[name] for name in services.PROFILE_FIELDS}
    data["endorser_emails"] = form.cleaned_data.get("endorser_emails", "")
    upload = form.cleaned_data.get("evidence_upload")
    with transaction.atomic():
        evidence = None
        if upload:
            evidence = store_file(
                content=upload.read(),
                filename=upload.name,
                mimetype=upload.content_type,
                kind="membership_evidence",
                owner=request.user,
            )
        return services.save_application_draft(
            user=request.user,
            category=form.cleaned_data["category"],
            data=data,
            evidence=evidence,
            application=application,
            actor=request.user,
        )


@login_required
def me(request):
    member = selectors.member_of(request.user)
    application = selectors.open_application_of(request.user)
    if member is None and application is None:
        return redirect("members:apply")
    context = {
        "member": member,
        "application": application,
        "history": selectors.member_history(member) if member else [],
        "charges": member.charges.filter(status="open") if member else [],
        "valid_today": member.valid_on(timezone.localdate()) if member else False,
    }
    return render(request, "members/me.html", context)


@login_required
def profile(request):
    member = selectors.member_of(request.user)
    if member is None:
        return redirect("members:apply")
    form = ProfileForm(request.POST or None, instance=member)
    if request.method == "POST" and form.is_valid():
        services.update_profile(member=member, data=form.cleaned_data, actor=request.user, by_staff=False)
        messages.success(request, _("Your profile has been saved."))
        return redirect("members:me")
    return render(request, "members/profile.html", {"form": form, "member": member})


@require_POST
@login_required
def resign(request):
    member = selectors.member_of(request.user)
    if member is None:
        return redirect("members:apply")
    try:
        services.resign_membership(member=member, actor=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, _("Your resignation has been recorded."))
    except MembershipError as exc:
        messages.error(request, str(exc))
    return redirect("members:me")


@login_required
def my_data(request):
    """Everything the society holds about the member, machine-readable (JSON)."""
    member = selectors.member_of(request.user)
    if member is None:
        return redirect("members:apply")
    response = HttpResponse(
        json.dumps(personal_data(member), ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="my-membership-data.json"'
    return response


@require_POST
@login_required
def request_deletion(request):
    member = selectors.member_of(request.user)
    if member is not None:
        services.request_data_deletion(member=member, actor=request.user)
        messages.success(
            request, _("Your request has been sent to the secretariat. Financial records are kept as the law requires.")
        )
    return redirect("members:me")


@login_required
def endorse(request, token: str):
    endorsement = get_object_or_404(
        Endorsement.objects.select_related("application__category", "endorser"), token=token
    )
    if endorsement.endorser.user_id != request.user.pk:
        return render(request, "members/endorse.html", {"endorsement": None}, status=403)
    if request.method == "POST":
        try:
            services.decide_endorsement(
                endorsement=endorsement, give=request.POST.get("decision") == "give", actor=request.user
            )
            messages.success(request, _("Thank you, your answer has been recorded."))
        except MembershipError as exc:
            messages.error(request, str(exc))
        return redirect("members:endorse", token=token)
    return render(request, "members/endorse.html", {"endorsement": endorsement})


def verify(request, token: str):
    """The public page behind a card's QR code: name, number, category, valid today — nothing else."""
    member = selectors.verify_card(token)
    today = timezone.localdate()
    context = {"member": member, "valid": bool(member and member.valid_on(today)), "today": today}
    return render(request, "members/verify.html", context, status=200 if member else 404)
