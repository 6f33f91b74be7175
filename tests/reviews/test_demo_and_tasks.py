import datetime
import io

import pytest
from django.core import mail
from django.utils import timezone

from reviews.models import Assignment, Call, Review, Submission
from tests.conftest import client_for, committed


def test_demo_seeds_a_reviewed_call_once(society_a, society_b, in_schema, organiser, make_user):
    from reviews import demo

    members = [make_user("wang.fang@demo.xuehui.cn", "王芳"), make_user("li.lei@demo.xuehui.cn", "李雷")]
    out = io.StringIO()
    with in_schema(society_a):
        demo.seed(society=society_a, people={"organiser": organiser, "members": members}, stdout=out)
        demo.seed(society=society_a, people={"organiser": organiser, "members": members}, stdout=out)
        assert Call.objects.count() == 1
        assert Call.objects.get().meeting.slug == "annual-2026"
        assert Submission.objects.count() == 12
        assert Assignment.objects.count() == 24
        assert Review.objects.filter(status=Review.Status.SUBMITTED).count() == 12
        assert out.getvalue() == "  reviews: 12 papers, 4 reviewers, 24 assignments, 12 reviews"
    with in_schema(society_b):
        assert Call.objects.count() == 0


def test_api_lists_calls_and_scores_for_chairs_only(society_a, in_schema, world, call):
    chair = client_for(society_a)
    chair.force_login(world["users"]["chair"])
    assert chair.get("/api/v1/reviews/calls/").json()[0]["title"] == "2026年会征文"
    data = chair.get(f"/api/v1/reviews/calls/{call.pk}/papers/").json()
    assert data["hidden_for_conflicts"] == 0
    assert [(p["number"], p["weighted"], p["reviews"]) for p in data["papers"]] == [(2, "10.00", 1), (1, "6.67", 1)]
    assert "张伟" not in str(data) and "author" not in str(data)
    reviewer = client_for(society_a)
    reviewer.force_login(world["users"]["reviewer"])
    assert reviewer.get("/api/v1/reviews/calls/").json() == []
    assert reviewer.get(f"/api/v1/reviews/calls/{call.pk}/papers/").status_code == 404


@committed
def test_reminder_task_runs_in_the_society_schema(
    society_a, society_b, in_schema, world, call, celery_worker_thread
):
    from reviews.tasks import remind_late_reviewers

    with in_schema(society_a):
        now = timezone.now()
        Call.objects.filter(pk=call.pk).update(
            submission_deadline=now - datetime.timedelta(days=1), review_deadline=now + datetime.timedelta(days=1)
        )
        mail.outbox.clear()
    result = remind_late_reviewers.apply_async(kwargs={"schema_name": society_a.schema_name})
    assert result.get(timeout=30) == 1
    again = remind_late_reviewers.apply_async(kwargs={"schema_name": society_a.schema_name})
    assert again.get(timeout=30) == 0  # idempotent within the day
    assert remind_late_reviewers.apply_async(kwargs={"schema_name": society_b.schema_name}).get(timeout=30) == 0
    with in_schema(society_a):
        assert Assignment.objects.filter(last_reminded_at__isnull=False).count() == 1


def test_reminder_task_refuses_to_run_without_a_schema():
    from common.tasks import MissingSchema
    from reviews.tasks import remind_late_reviewers

    with pytest.raises(MissingSchema):
        remind_late_reviewers()
