"""Console pages for spreadsheet imports: upload → preview (dry run) → confirm → result."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.models import Role
from common.permissions import role_required
from members.forms import ImportForm
from members.import_jobs import confirm_import_job, start_import_job
from members.imports import MAX_IMPORT_BYTES
from members.models import ImportJob


@role_required(Role.ADMIN)
def upload(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            form.add_error(
                "file",
                _("The file is larger than %(limit)d MB; split it into smaller files.")
                % {"limit": MAX_IMPORT_BYTES // (1024 * 1024)},
            )
        else:
            job = start_import_job(content=upload.read(), filename=upload.name, actor=request.user)
            return redirect("members:console_import_job", job_id=job.pk)
    jobs = ImportJob.objects.select_related("source")[:10]
    return render(request, "members/console/import.html", {"form": form, "jobs": jobs})


@role_required(Role.ADMIN)
def job_detail(request, job_id: int):
    job = get_object_or_404(ImportJob.objects.select_related("source", "error_file"), pk=job_id)
    running = job.status in (ImportJob.Status.CHECKING, ImportJob.Status.IMPORTING)
    return render(request, "members/console/import_job.html", {"job": job, "report": job.report, "running": running})


@require_POST
@role_required(Role.ADMIN)
def job_confirm(request, job_id: int):
    job = get_object_or_404(ImportJob.objects.select_related("source"), pk=job_id)
    if not confirm_import_job(job=job, actor=request.user):
        messages.error(request, _("This import cannot be confirmed (it has errors or was already confirmed)."))
    return redirect("members:console_import_job", job_id=job.pk)
