"""Member numbers under concurrency (real threads, one connection each, committed data), and the
card rendered by a real Celery worker after an approval."""

import threading
import time

from django.db import connection, transaction
from django_tenants.utils import schema_context

from members import services
from members.models import Member, MemberStatus, StatusChange
from tests.conftest import committed
from tests.members.conftest import PROFILE, make_categories

pytestmark = committed


def _in_thread(society, work, results, index, barrier):
    try:
        with schema_context(society.schema_name):
            barrier.wait()
            results[index] = work()
    except Exception as exc:  # noqa: BLE001 - handed back to the test, which asserts on it
        results[index] = exc
    finally:
        connection.close()


def test_two_approvals_at_once_never_share_a_number(society_a, society_b, make_user):
    with schema_context(society_a.schema_name):
        categories = make_categories()
        applications = []
        for i in range(2):
            person = make_user(f"p{i}@example.cn", f"人{i}")
            draft = services.save_application_draft(
                user=person,
                category=categories["free"],
                data={**PROFILE, "email": person.email, "id_number": ""},
                actor=person,
            )
            applications.append(services.submit_application(application=draft, actor=person))
    results = [None, None]
    barrier = threading.Barrier(2)
    threads = [
        threading.Thread(
            target=_in_thread,
            args=(
                society_a,
                lambda a=application: services.approve_application(application=a, actor=None).member_id,
                results,
                i,
                barrier,
            ),
        )
        for i, application in enumerate(applications)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert all(isinstance(r, int) for r in results), results
    with schema_context(society_a.schema_name):
        numbers = sorted(Member.objects.values_list("number", flat=True))
        year = numbers[0][2:6]
        assert numbers == [f"CS{year}00001", f"CS{year}00002"]
    with schema_context(society_b.schema_name):
        assert Member.objects.count() == 0


def test_the_counter_lock_holds_a_second_allocation_until_the_first_commits(society_a):
    with schema_context(society_a.schema_name):
        make_categories()
    results, finished = [None, None], [0.0, 0.0]
    barrier = threading.Barrier(2)

    def slow():
        with transaction.atomic():
            number = services.allocate_number(year=2031)
            time.sleep(0.5)
            # Taken before the commit that releases the lock: taken after it, the other thread
            # (already waiting) could finish first and the check would fail while the lock held.
            finished[0] = time.monotonic()
        return number

    def fast():
        time.sleep(0.1)
        with transaction.atomic():
            number = services.allocate_number(year=2031)
        finished[1] = time.monotonic()
        return number

    threads = [
        threading.Thread(target=_in_thread, args=(society_a, work, results, i, barrier))
        for i, work in enumerate((slow, fast))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == ["CS203100001", "CS203100002"]
    assert finished[1] >= finished[0]


def test_card_is_rendered_by_the_worker_after_approval(society_a, make_user, celery_worker_thread):
    person = make_user("card@example.cn", "卡片")
    with schema_context(society_a.schema_name):
        categories = make_categories()
        draft = services.save_application_draft(
            user=person,
            category=categories["free"],
            data={**PROFILE, "email": person.email, "id_number": ""},
            actor=person,
        )
        application = services.submit_application(application=draft, actor=person)
        services.approve_application(application=application, actor=None)
        member = Member.objects.get()
        for _ in range(100):
            member.refresh_from_db()
            if member.card_file_id:
                break
            time.sleep(0.1)
        assert member.card_file.kind == "membership_card"
        assert member.card_file.owner_id == person.pk
        assert member.card_file.file.open("rb").read(5) == b"%PDF-"
        assert list(StatusChange.objects.values_list("to_status", flat=True)) == [
            MemberStatus.APPLICANT,
            MemberStatus.ACTIVE,
        ]
