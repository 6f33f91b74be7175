"""The renewal job with a fixed clock, run twice: charges, reminders, grace, lapse — once each."""

import datetime
from types import SimpleNamespace

from members.billing import invoice_paid
from members.models import Member, MembershipCharge, MemberStatus, ReminderSent, StatusChange
from members.renewal import run_renewals

S = MemberStatus
TODAY = datetime.date(2026, 6, 1)


def member(category, status, term_end, email):
    return Member.objects.create(
        category=category,
        status=status,
        name_zh="会员",
        email=email,
        term_start=term_end - datetime.timedelta(days=364),
        term_end=term_end,
        number=email.split("@")[0],
    )


def test_renewal_job_twice_does_each_thing_once(
    society_a, society_b, categories, in_schema, mailoutbox, django_capture_on_commit_callbacks
):
    regular = None
    with in_schema(society_a):
        regular = categories["regular"]
        soon = member(regular, S.ACTIVE, TODAY + datetime.timedelta(days=7), "soon@example.cn")
        far = member(regular, S.ACTIVE, TODAY + datetime.timedelta(days=200), "far@example.cn")
        expired = member(regular, S.ACTIVE, TODAY - datetime.timedelta(days=1), "expired@example.cn")
        old_grace = member(regular, S.GRACE, TODAY - datetime.timedelta(days=91), "old@example.cn")
        with django_capture_on_commit_callbacks(execute=True):
            first = run_renewals(today=TODAY)
        assert first == {"charges": 3, "card_charges_queued": 0, "reminders": 1, "grace": 1, "lapsed": 1}
        with django_capture_on_commit_callbacks(execute=True):
            second = run_renewals(today=TODAY)
        assert second == {"charges": 0, "card_charges_queued": 0, "reminders": 0, "grace": 0, "lapsed": 0}
        assert [m.to for m in mailoutbox] == [["soon@example.cn"]]
        assert mailoutbox[0].subject == "测试化学会：请续缴会费"
        assert ReminderSent.objects.get().offset_days == 7
        charge = MembershipCharge.objects.get(member=soon)
        assert (charge.purpose, charge.amount, charge.period_start, charge.period_end, charge.status) == (
            "membership.renewal",
            regular.fee,
            TODAY + datetime.timedelta(days=8),
            datetime.date(2027, 6, 8),
            "open",
        )
        assert not MembershipCharge.objects.filter(member=far).exists()
        expired.refresh_from_db()
        old_grace.refresh_from_db()
        assert (expired.status, old_grace.status) == (S.GRACE, S.LAPSED)
        assert MembershipCharge.objects.get(member=old_grace).status == "cancelled"
        assert list(StatusChange.objects.filter(member=expired).values_list("from_status", "to_status", "reason")) == [
            ("active", "grace", "会籍到期")
        ]
        # Paying the renewal of the member in grace brings them back with the next term.
        invoice_paid(
            SimpleNamespace(
                purpose="membership.renewal", subject_id=str(MembershipCharge.objects.get(member=expired).pk)
            ),
            actor=None,
        )
        expired.refresh_from_db()
        assert (expired.status, expired.term_start, expired.term_end) == (S.ACTIVE, TODAY, datetime.date(2027, 5, 31))
        assert run_renewals(today=TODAY) == {
            "charges": 0,
            "card_charges_queued": 0,
            "reminders": 0,
            "grace": 0,
            "lapsed": 0,
        }
    with in_schema(society_b):
        assert run_renewals(today=TODAY) == {
            "charges": 0,
            "card_charges_queued": 0,
            "reminders": 0,
            "grace": 0,
            "lapsed": 0,
        }
        assert MembershipCharge.objects.count() == 0


def test_renewal_job_rerun_costs_the_same_queries_for_1_and_3_members(
    society_a, society_b, categories, in_schema, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def rerun_queries() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            run_renewals(today=TODAY)  # charges and reminds the new members
        with CaptureQueriesContext(connection) as queries:
            assert run_renewals(today=TODAY)["charges"] == 0
        return len(queries)

    with in_schema(society_a):
        regular = categories["regular"]
        member(regular, S.ACTIVE, TODAY + datetime.timedelta(days=7), "one@example.cn")
        with_one = rerun_queries()
        member(regular, S.ACTIVE, TODAY + datetime.timedelta(days=7), "two@example.cn")
        member(regular, S.ACTIVE, TODAY + datetime.timedelta(days=7), "three@example.cn")
        with_three = rerun_queries()
        assert (with_one, with_three) == (8, 8)
        assert MembershipCharge.objects.filter(purpose="membership.renewal").count() == 3
    with in_schema(society_b):
        assert not MembershipCharge.objects.exists()
