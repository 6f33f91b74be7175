"""Organiser pages: meetings, registration types, registrations, statistics, documents (add-ons,
codes and questions: ``extras``)."""

import csv

from django.contrib import messages
from django.core.mail import send_mass_mail
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.files import store_file
from common.models import Role, StoredFile
from common.tasks import enqueue
from meetings import selectors, tasks
from meetings.forms import MeetingForm, RefundRulesForm, RegistrationTypeForm
from meetings.models import Meeting, Registration, RegistrationType
from meetings.services import organise
from meetings.services.documents import badge_pdf_bytes
from meetings.views.common import meeting_or_404, organiser, organiser_form


@organiser
def console(request):
    meetings = Meeting.objects.order_by("-starts_on")
    return render(request, "meetings/console/index.html", {"meetings": meetings})


@organiser
def meeting_edit(request, slug=None):
    meeting = meeting_or_404(slug) if slug else None
    form = MeetingForm(request.POST or None, request.FILES or None, instance=meeting)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        image = data.pop("poster_image", None)
        if image:
            data["poster"] = store_file(
                content=image.read(),
                filename=image.name,
                mimetype=image.content_type,
                kind="meetings.poster",
                staff_role=Role.ORGANISER,
            )
        try:
            meeting = organise.save_meeting(meeting=meeting, data=data, actor=request.user)
        except organise.OrganiseError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Meeting saved."))
            return redirect("meetings:dashboard", meeting.slug)
    return render(request, "meetings/console/meeting_form.html", {"form": form, "meeting": meeting})


@organiser
def dashboard(request, slug):
    meeting = meeting_or_404(slug)
    stats = selectors.meeting_statistics(meeting)
    files = StoredFile.objects.filter(kind="meetings.badges", filename__startswith=f"badges-{meeting.slug}").order_by(
        "-created_at"
    )[:3]
    return render(
        request,
        "meetings/console/dashboard.html",
        {
            "meeting": meeting,
            "stats": stats,
            "files": files,
            "statuses": [
                (s, Meeting.Status(s).label) for s in Meeting.Status if s in organise.TRANSITIONS[meeting.status]
            ],
            "addons": meeting.addons.select_related("quota"),
            "codes": meeting.discount_codes.all(),
            "questions": meeting.questions.all(),
            "rules": meeting.refund_rules.all(),
        },
    )


@require_POST
@organiser
def meeting_status(request, slug):
    meeting = meeting_or_404(slug)
    try:
        organise.set_meeting_status(meeting=meeting, status=request.POST.get("status", ""), actor=request.user)
    except (organise.OrganiseError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Status changed."))
    return redirect("meetings:dashboard", meeting.slug)


@organiser
def type_edit(request, slug, type_id=None):
    meeting = meeting_or_404(slug)
    rtype = get_object_or_404(RegistrationType, pk=type_id, meeting=meeting) if type_id else None
    return organiser_form(
        request,
        meeting=meeting,
        form=RegistrationTypeForm(request.POST or None, instance=rtype),
        save=lambda data: organise.save_registration_type(
            meeting=meeting, registration_type=rtype, data=data, actor=request.user
        ),
        title=_("Registration type"),
        saved=_("Registration type saved."),
    )


@organiser
def refund_rules(request, slug):
    meeting = meeting_or_404(slug)
    current = "\n".join(f"{r.until.isoformat()} {r.percent}" for r in meeting.refund_rules.all())
    form = RefundRulesForm(request.POST or None, initial={"rules": current})
    if request.method == "POST" and form.is_valid():
        organise.set_refund_rules(meeting=meeting, rules=form.cleaned_data["rules"], actor=request.user)
        messages.success(request, _("Cancellation policy saved."))
        return redirect("meetings:dashboard", meeting.slug)
    return render(
        request,
        "meetings/console/simple_form.html",
        {"meeting": meeting, "form": form, "title": _("Cancellation policy")},
    )


EXPORT_COLUMNS = [
    "ticket_code",
    "name",
    "email",
    "phone",
    "unit",
    "type",
    "status",
    "total",
    "currency",
    "paid_at",
    "checked_in_at",
]


@organiser
def registrations(request, slug):
    meeting = meeting_or_404(slug)
    filters = {k: request.GET.get(k, "") for k in ("status", "type_id", "query", "checked_in")}
    qs = selectors.registration_list(meeting, **filters)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="registrations-{meeting.slug}.csv"'
        response.write("\ufeff")  # Excel in China opens UTF-8 CSV correctly only with a BOM
        writer = csv.writer(response)
        # Hidden questions too: their answers stay the organiser's.
        labels = list(meeting.questions.order_by("position", "id").values_list("label", flat=True))
        writer.writerow(EXPORT_COLUMNS + labels)
        for r in qs.iterator():
            writer.writerow(
                [
                    r.ticket_code,
                    r.name,
                    r.email,
                    r.phone,
                    r.unit,
                    r.registration_type.name_zh,
                    r.status,
                    r.total,
                    r.currency,
                    r.paid_at.isoformat() if r.paid_at else "",
                    r.checked_in_at.isoformat() if r.checked_in_at else "",
                    *(selectors.answer_text(r.answers.get(label)) for label in labels),
                ]
            )
        return response
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "meetings/console/registrations.html",
        {
            "meeting": meeting,
            "page": page,
            "filters": filters,
            "types": meeting.types.all(),
            "statuses": Registration.Status.choices,
        },
    )


@require_POST
@organiser
def bulk_email(request, slug):
    meeting = meeting_or_404(slug)
    subject, body = request.POST.get("subject", "").strip(), request.POST.get("body", "").strip()
    if not subject or not body:
        messages.error(request, _("Write a subject and a message."))
        return redirect("meetings:registrations", meeting.slug)
    filters = {k: request.POST.get(k, "") for k in ("status", "type_id", "query", "checked_in")}
    recipients = sorted(set(selectors.registration_list(meeting, **filters).values_list("email", flat=True)))
    send_mass_mail([(subject, body, None, [email]) for email in recipients], fail_silently=False)
    messages.success(request, _("Sent to %(n)s people.") % {"n": len(recipients)})
    return redirect("meetings:registrations", meeting.slug)


@organiser
def badge(request, slug, registration_id):
    meeting = meeting_or_404(slug)
    reg = get_object_or_404(
        Registration.objects.select_related("meeting", "registration_type"), pk=registration_id, meeting=meeting
    )
    filename, mimetype, content = badge_pdf_bytes(reg)
    response = HttpResponse(content, content_type=mimetype)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require_POST
@organiser
def documents(request, slug):
    meeting = meeting_or_404(slug)
    if request.POST.get("what") == "certificates":
        enqueue(tasks.issue_certificates, meeting_id=meeting.pk, actor_id=request.user.pk)
        messages.success(request, _("Certificates are being generated; attendees find them on their page."))
    else:
        enqueue(tasks.generate_badges, meeting_id=meeting.pk, actor_id=request.user.pk)
        messages.success(request, _("Badges are being generated; the file appears here in a minute."))
    return redirect("meetings:dashboard", meeting.slug)
