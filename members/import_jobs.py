"""Import jobs of the console: the upload is stored, checked (a dry run) and, once the person
confirms, imported; small files within the request, large ones by Celery tasks while the page
shows progress.  The pipeline itself is ``members.imports``."""

import csv
import io

from django.db import transaction
from django.utils import timezone

from common.audit import record_audit
from common.files import store_file
from common.tasks import enqueue
from members import normalize
from members.imports import Report, run_import
from members.models import ImportJob


def _progress_of(job: ImportJob, start: int, end: int):
    """A callback that shows validation progress (0..1) on the job page, between two percents.
    Runs outside the write's transaction (validation precedes it), so the page sees it at once."""

    def report(fraction: float) -> None:
        ImportJob.objects.filter(pk=job.pk).update(progress=start + round((end - start) * fraction))

    return report


def check_job(*, job: ImportJob) -> ImportJob:
    content = job.source.file.open("rb").read()
    report = run_import(
        content=content, filename=job.source.filename, commit=False, actor=None, progress=_progress_of(job, 0, 95)
    )
    job.report = report.as_dict()
    job.status = ImportJob.Status.CHECKED
    job.progress = 100
    if report.errors:
        job.error_file = _error_file(report, job)
    job.save(update_fields=["report", "status", "progress", "error_file"])
    return job


def commit_job(*, job: ImportJob, actor) -> ImportJob:
    """Import a checked file for real (the file is checked again: members may have changed)."""
    content = job.source.file.open("rb").read()
    report = run_import(
        content=content, filename=job.source.filename, commit=True, actor=actor, progress=_progress_of(job, 0, 60)
    )
    job.report = report.as_dict()
    job.status = ImportJob.Status.DONE if report.committed else ImportJob.Status.FAILED
    job.progress = 100
    job.finished_at = timezone.now()
    if report.errors:
        job.error_file = _error_file(report, job)
    job.save(update_fields=["report", "status", "progress", "finished_at", "error_file"])
    return job


def _error_file(report: Report, job: ImportJob):

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "column", "message"])
    for error in report.errors:
        writer.writerow([error["row"], normalize.neutralise_cell(error["column"]), error["message"]])
    return store_file(
        content=("\ufeff" + out.getvalue()).encode("utf-8"),
        filename=f"import-{job.pk}-errors.csv",
        mimetype="text/csv",
        kind="member_import_errors",
        owner=job.created_by_id,
    )


INLINE_BYTES = 512 * 1024  # smaller files are checked and imported within the request


def start_import_job(*, content: bytes, filename: str, actor) -> ImportJob:
    """Store the upload and check it (a dry run: nothing is written, no e-mail sent); large
    files are checked by a Celery task while the page shows progress."""
    from members.tasks import check_import

    with transaction.atomic():
        source = store_file(
            content=content, filename=filename, mimetype="application/octet-stream", kind="member_import", owner=actor
        )
        job = ImportJob.objects.create(source=source, created_by_id=getattr(actor, "pk", None))
        record_audit(actor=actor, action="members.start_import", obj=job, after={"file": filename})
        if len(content) > INLINE_BYTES:
            enqueue(check_import, job_id=job.pk)
    if len(content) <= INLINE_BYTES:
        check_job(job=job)
    return job


def confirm_import_job(*, job: ImportJob, actor) -> bool:
    """The user confirms the preview: import for real (all-or-nothing).  False when the job
    was not waiting for confirmation (a double click imports once)."""
    from members.tasks import run_import as run_import_task

    if not job.report.get("acceptable"):
        return False
    with transaction.atomic():
        claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKED).update(
            status=ImportJob.Status.IMPORTING, progress=0
        )
        if not claimed:
            return False
        record_audit(actor=actor, action="members.confirm_import", obj=job)
        if job.source.size > INLINE_BYTES:
            enqueue(run_import_task, job_id=job.pk, actor_id=getattr(actor, "pk", None))
    if job.source.size <= INLINE_BYTES:
        job.refresh_from_db()
        commit_job(job=job, actor=actor)
    return True
