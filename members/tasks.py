"""Celery tasks of the members app: thin, idempotent, one per verb."""

from celery import shared_task
from django.utils import timezone

from common.tasks import for_each_society, society_task
from members.models import ImportJob, Member


@society_task(name="members.render_member_card")
def render_member_card(member_id: int):
    from members.cards import render_card

    member = Member.objects.select_related("category").filter(pk=member_id).first()
    if member is None or not member.number:
        return None
    return render_card(member=member).pk


@society_task(name="members.run_renewals")
def run_renewals():
    from members.renewal import run_renewals as run

    return run(today=timezone.localdate())


@society_task(name="members.check_import")
def check_import(job_id: int):
    from members.import_jobs import check_job

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status != ImportJob.Status.CHECKING:
        return None
    check_job(job=job)
    return job_id


@society_task(name="members.run_import")
def run_import(job_id: int, actor_id: int | None = None):
    from django.contrib.auth import get_user_model

    from members.import_jobs import commit_job

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status != ImportJob.Status.IMPORTING:
        return None
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    commit_job(job=job, actor=actor)
    return job_id


@shared_task(name="members.run_renewals_everywhere")
def run_renewals_everywhere():
    """Beat entry point (platform level): one ``members.run_renewals`` per active society."""
    for_each_society(run_renewals)
