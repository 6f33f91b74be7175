"""Large imports run as Celery tasks (a real worker) and the renewal fan-out reaches each society."""

import time

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from bench.member_import import generate_csv
from members.import_jobs import INLINE_BYTES
from members.models import ImportJob, Member
from members.tasks import run_renewals_everywhere
from tests.conftest import client_for, committed
from tests.members.conftest import make_categories

pytestmark = committed


def wait_for(job, status):
    for _ in range(300):
        job.refresh_from_db()
        if job.status == status:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job stayed {job.status}")


def test_large_import_is_checked_and_imported_by_the_worker(society_a, society_b, celery_worker_thread):
    from django.contrib.auth import get_user_model

    with schema_context(society_a.schema_name):
        make_categories()
    content = generate_csv(4000)
    assert len(content) > INLINE_BYTES
    client = client_for(society_a)
    client.force_login(get_user_model().objects.get(email="admin@alpha.example.cn"))
    response = client.post("/members/console/import/", {"file": SimpleUploadedFile("big.csv", content)})
    with schema_context(society_a.schema_name):
        job = ImportJob.objects.get()
        assert 'http-equiv="refresh"' in client.get(response["Location"]).content.decode() or job.status != "checking"
        wait_for(job, "checked")
        assert job.report["counts"]["created"] == 4000 and Member.objects.count() == 0
    client.post(f"/members/console/import/{job.pk}/confirm/")
    with schema_context(society_a.schema_name):
        wait_for(job, "done")
        assert (Member.objects.count(), job.progress) == (4000, 100)
    with schema_context(society_b.schema_name):
        assert Member.objects.count() == 0


def test_renewal_fan_out_runs_in_every_society(society_a, society_b, celery_worker_thread):
    import datetime

    expired = datetime.date.today() - datetime.timedelta(days=3)
    for society in (society_a, society_b):
        with schema_context(society.schema_name):
            categories = make_categories()
            Member.objects.create(
                category=categories["regular"],
                status="active",
                name_zh="到期",
                number="X1",
                term_start=expired - datetime.timedelta(days=364),
                term_end=expired,
            )
    assert run_renewals_everywhere.delay().get(timeout=30) is None
    for society in (society_a, society_b):
        with schema_context(society.schema_name):
            member = Member.objects.get()
            for _ in range(300):
                member.refresh_from_db()
                if member.status == "grace":
                    break
                time.sleep(0.1)
            assert member.status == "grace"
            assert member.charges.get().purpose == "membership.renewal"
    # The job still runs its (empty) lapse pass after the grace move; let it end before the
    # societies' schemas are dropped.
    time.sleep(1)
