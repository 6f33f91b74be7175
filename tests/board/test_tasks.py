"""The fill through Celery: after an event (request_refresh) and on the beat's fan-out."""

import time
from datetime import date

import pytest
from django.core.cache import cache
from django.db import transaction

from board.models import MetricValue
from board.tasks import _PENDING_KEY, fill_all, request_refresh
from common.tasks import MissingSchema
from tests.board.conftest import seed_meetings
from tests.conftest import committed


def wait_for(predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@committed
def test_request_refresh_fills_after_commit_once(society_a, society_b, in_schema, celery_worker_thread):
    with in_schema(society_a):
        with transaction.atomic():
            seed_meetings(prefix="ev", starts_on=date(2025, 9, 1), registrations=[("confirmed", True)] * 5)
            request_refresh(society_a.schema_name, delay=0)
            request_refresh(society_a.schema_name, delay=0)  # debounced: no second task
            # Nothing is scheduled before the commit.
            assert cache.get(_PENDING_KEY) is None
        assert cache.get(_PENDING_KEY) == "1"
    assert wait_for(lambda: MetricValue.objects.filter(society=society_a, metric="checkins").exists())
    assert dict(MetricValue.objects.filter(society=society_a, metric="checkins").values_list("dimension", "value")) == {
        "ev-202509": 5
    }
    with in_schema(society_a):
        assert wait_for(lambda: cache.get(_PENDING_KEY) is None)
    assert not MetricValue.objects.filter(society=society_b).exists()


@committed
def test_beat_fan_out_fills_every_society(society_a, society_b, in_schema, celery_worker_thread):
    for society, prefix in ((society_a, "fa"), (society_b, "fb")):
        with in_schema(society):
            seed_meetings(prefix=prefix, starts_on=date(2025, 10, 1), registrations=[("confirmed", False)] * 5)
    fill_all.delay().get(timeout=20)
    assert wait_for(
        lambda: MetricValue.objects.filter(metric="registrations", society__in=[society_a, society_b]).count() == 2
    )
    assert set(MetricValue.objects.filter(metric="registrations").values_list("society__slug", "dimension")) == {
        ("alpha", "fa-202510|confirmed"),
        ("beta", "fb-202510|confirmed"),
    }


def test_request_refresh_needs_a_society():
    with pytest.raises(MissingSchema):
        request_refresh("public")


@committed
def test_an_event_refreshes_the_board_through_the_worker(
    society_a, society_b, in_schema, make_user, settings, celery_worker_thread
):
    from board.fill import fill_society
    from meetings.models import Registration
    from meetings.services.checkin import check_in

    settings.BOARD_REFRESH_DELAY = 0
    with in_schema(society_a):
        meeting = seed_meetings(prefix="ci", starts_on=date(2025, 9, 1), registrations=[("confirmed", False)] * 2)
    fill_society(society=society_a)
    assert not MetricValue.objects.filter(society=society_a, metric="checkins").exists()
    desk = make_user("desk@alpha.example.cn")
    with in_schema(society_a):
        for registration in Registration.objects.filter(meeting=meeting):
            # A burst of events: at most one fill is queued while one is pending.
            assert check_in(meeting=meeting, registration_id=registration.pk, actor=desk).ok
    assert wait_for(lambda: MetricValue.objects.filter(society=society_a, metric="checkins").exists())
    assert wait_for(
        lambda: dict(
            MetricValue.objects.filter(society=society_a, metric="checkins").values_list("dimension", "value")
        ) == {"ci-202509": 2}
    )
    assert not MetricValue.objects.filter(society=society_b).exists()


def test_many_events_in_one_transaction_ask_once(society_a, in_schema, django_capture_on_commit_callbacks):
    with in_schema(society_a), django_capture_on_commit_callbacks() as callbacks:
        for _ in range(500):
            request_refresh()
    assert [getattr(cb, "board_schema", None) for cb in callbacks] == [society_a.schema_name]


def test_a_request_in_a_rolled_back_savepoint_does_not_swallow_a_later_one(
    society_a, in_schema, django_capture_on_commit_callbacks
):
    with in_schema(society_a), django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                request_refresh()
                raise RuntimeError("the write failed")
        except RuntimeError:
            pass
        request_refresh()  # outside the rolled-back savepoint: must still be scheduled
        with transaction.atomic():
            request_refresh()  # inside a savepoint, with one already waiting outside it: nothing more
    assert [getattr(cb, "board_schema", None) for cb in callbacks] == [society_a.schema_name]
