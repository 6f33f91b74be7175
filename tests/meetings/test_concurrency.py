"""Seats are never oversold: 500 parallel attempts for 100 seats on separate database
connections, then expiries, late payments and new buyers racing for the freed seats."""

import datetime
import random
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import OperationalError, connection
from django.utils import timezone
from django_tenants.utils import schema_context

from meetings.models import Quota, Registration
from meetings.services import organise
from meetings.services import registration as services
from tests.conftest import committed
from tests.meetings.conftest import FakeInvoice, attendee

pytestmark = committed
SEATS = 100
ATTEMPTS = 500
THREADS = 16


def _in_thread(schema, fn, *args):
    """Run ``fn`` on this thread's own database connection, retrying when told to (503)."""
    try:
        with schema_context(schema):
            for _attempt in range(20):
                try:
                    return fn(*args)
                except (
                    OperationalError
                ) as exc:  # lock timeout or deadlock victim: the page answers 503, the client retries
                    error = exc
                    time.sleep(random.uniform(0.01, 0.05))
            raise AssertionError(f"gave up after 20 lock timeouts: {error}")
    finally:
        connection.close()


def test_500_parallel_attempts_for_100_seats(society_a, society_b, organiser, make_user):
    schema = society_a.schema_name
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(email=f"burst{i}@example.cn", name=f"用户{i}", password="!") for i in range(ATTEMPTS + 50)]
    )
    with schema_context(schema):
        meeting = organise.save_meeting(
            data={
                "slug": "burst",
                "title_zh": "抢票测试会",
                "starts_on": datetime.date(2030, 5, 1),
                "ends_on": datetime.date(2030, 5, 2),
            },
            actor=organiser,
        )
        rtype = organise.save_registration_type(
            meeting=meeting, data={"name_zh": "代表", "price": Decimal("100"), "capacity": SEATS}, actor=organiser
        )
        organise.set_meeting_status(meeting=meeting, status="open", actor=organiser)
        meeting.refresh_from_db()

    def attempt(user):
        try:
            reg = services.register(
                meeting=meeting,
                registration_type=rtype,
                user=user,
                attendee=attendee(name=user.name, email=user.email),
                actor=user,
            )
        except services.RegistrationError:
            return None
        return reg.pk

    started = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        held = [pk for pk in pool.map(lambda u: _in_thread(schema, attempt, u), users[:ATTEMPTS]) if pk]
    assert len(held) == SEATS

    with schema_context(schema):
        quota = Quota.objects.get(registration_type=rtype)
        assert (quota.sold, quota.held) == (0, SEATS)
        # 30 holders are too slow: their holds lapse, newcomers race their late payments for the seats.
        late = held[:30]
        Registration.objects.filter(pk__in=late).update(hold_expires_at=timezone.now() - datetime.timedelta(minutes=1))

    def pay(pk):
        reg = Registration.objects.get(pk=pk)
        from meetings import billing

        billing.invoice_paid(FakeInvoice(purpose="meeting.registration", subject_id=pk, total=reg.total), actor=None)
        return pk

    def release():
        return services.release_expired_holds(meeting=meeting)

    jobs = [("pay", pk) for pk in held] + [("new", u) for u in users[ATTEMPTS:]] + [("release", None)] * 3
    random.Random(7).shuffle(jobs)

    def run(job):
        kind, arg = job
        fn = {"pay": pay, "new": attempt, "release": release}[kind]
        return kind, _in_thread(schema, fn, *([arg] if kind != "release" else []))

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(run, jobs))
    newcomers = [pk for kind, pk in results if kind == "new" and pk]
    with ThreadPoolExecutor(THREADS) as pool:  # the newcomers who got a hold pay too
        list(pool.map(lambda pk: _in_thread(schema, pay, pk), newcomers))
    elapsed = time.monotonic() - started

    with schema_context(schema):
        quota.refresh_from_db()
        confirmed = Registration.objects.filter(status="confirmed").count()
        assert (confirmed, quota.sold, quota.held) == (SEATS, SEATS, 0)
        paid = Registration.objects.filter(paid_at__isnull=False)
        for reg in paid:  # every captured payment has a seat or a full refund, never both, never neither
            assert (reg.status == "confirmed") != (reg.refund_amount == reg.total), reg
        refunded = paid.exclude(status="confirmed").count()
        assert paid.count() == SEATS + refunded
        assert len(set(Registration.objects.filter(status="confirmed").values_list("user_id", flat=True))) == SEATS
    with schema_context(society_b.schema_name):
        assert Registration.objects.count() == 0
    assert elapsed < 30, f"took {elapsed:.1f} s"
