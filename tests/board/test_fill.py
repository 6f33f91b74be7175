"""The fill: figures equal to those computed directly from the society's rows; incremental
fill equal to a full recompute; restartable and idempotent; sources not built yet skipped."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from board.fill import fill_metric, fill_society
from board.metrics import BY_KEY, METRICS
from board.models import FillWatermark, MetricValue, PendingChange, YearSummary
from tests.board.conftest import at, seed_invoice, seed_meetings, seed_members
from tests.conftest import committed


def month(value) -> date:
    if hasattr(value, "hour"):
        value = timezone.localtime(value)
    return date(value.year, value.month, 1)


def stored(society, metric: str) -> dict:
    return {
        (v.period, v.dimension): v.value
        for v in MetricValue.objects.filter(society=society, metric=metric)
    }


def direct(in_schema, society) -> dict[str, dict]:
    """The same figures computed from the society's rows with the ORM, not with the metric SQL."""
    from dues.models import Invoice, Payment
    from meetings.models import Meeting, Registration
    from members.models import Member, MemberTerm, StatusChange
    from reviews.models import Decision, Submission

    figures = defaultdict(lambda: defaultdict(Decimal))
    with in_schema(society):
        members = {m.pk: m for m in Member.objects.select_related("category")}
        changes = sorted(StatusChange.objects.all(), key=lambda c: (c.at, c.pk))
        if changes:
            period, today = month(changes[0].at), timezone.localdate()
            while period <= today:
                following = date(period.year + period.month // 12, period.month % 12 + 1, 1)
                latest = {}
                for change in changes:
                    if timezone.localtime(change.at).date() < following:
                        latest[change.member_id] = change.to_status
                for member_id, status in latest.items():
                    figures["members"][(period, f"{status}|{members[member_id].category.code}")] += 1
                period = following
        for m in members.values():
            if m.joined_on:
                figures["member_joins"][(month(m.joined_on), m.category.code)] += 1
        for change in changes:
            if change.to_status == "lapsed":
                figures["member_lapses"][(month(change.at), members[change.member_id].category.code)] += 1
        for s in Submission.objects.all():
            figures["submissions"][(month(s.created_at), s.status)] += 1
        for d in Decision.objects.all():
            figures["decisions"][(month(d.decided_at), d.outcome)] += 1
        for term in MemberTerm.objects.filter(kind__in=["renewal", "reinstatement"]).select_related("category"):
            figures["member_renewals"][(month(term.created_at), term.category.code)] += 1
        for meeting in Meeting.objects.exclude(status__in=["draft", "cancelled"]):
            figures["meetings"][(month(meeting.starts_on), "")] += 1
        for r in Registration.objects.select_related("meeting"):
            figures["registrations"][(month(r.meeting.starts_on), f"{r.meeting.slug}|{r.status}")] += 1
            if r.paid_at and r.status == "confirmed":
                figures["meeting_fees"][(month(r.meeting.starts_on), f"{r.meeting.slug}|{r.currency}")] += r.total
            if r.checked_in_at:
                figures["checkins"][(month(r.meeting.starts_on), r.meeting.slug)] += 1
        for i in Invoice.objects.filter(number__isnull=False, cancelled_at__isnull=True):
            figures["billed"][(month(i.issued_at), f"{i.purpose.split('.')[0]}|{i.currency}")] += i.total
        for p in Payment.objects.filter(state="confirmed").select_related("invoice"):
            method = p.method_detail or p.provider
            figures["revenue"][(month(p.confirmed_at), f"{p.invoice.purpose.split('.')[0]}|{method}|{p.currency}")] += (
                p.amount
            )
    return {metric: dict(values) for metric, values in figures.items()}


FLOWS = [
    "members", "member_joins", "member_renewals", "member_lapses",
    "meetings", "registrations", "checkins", "meeting_fees", "billed", "revenue", "submissions", "decisions",
]


def test_board_figures_equal_direct_computation(seeded, in_schema):
    society_a, society_b = seeded
    for society in (society_a, society_b):
        fill_society(society=society)
        expected = direct(in_schema, society)
        for metric in FLOWS:
            assert stored(society, metric) == expected.get(metric, {}), metric
    # Hand-checked figures of A: the payment at 00:00 on 1 Feb (Shanghai) belongs to February.
    assert stored(society_a, "revenue") == {
        (date(2025, 2, 1), "membership|alipay|CNY"): Decimal("500.00"),
        (date(2025, 4, 1), "meeting|bank_transfer|CNY"): Decimal("300.00"),
        (date(2025, 5, 1), "meeting|wechat_pay|CNY"): Decimal("500.00"),
    }
    assert stored(society_a, "registrations") == {
        (date(2025, 5, 1), "a1-202505|confirmed"): 8,
        (date(2025, 5, 1), "a1-202505|cancelled"): 1,
        (date(2025, 5, 1), "a1-202505|waitlisted"): 1,
        (date(2026, 3, 1), "a2-202603|confirmed"): 3,
    }
    assert stored(society_a, "members")[(date(2025, 6, 1), "lapsed|regular")] == 2
    assert stored(society_a, "members")[(date(2025, 6, 1), "active|regular")] == 5
    assert stored(society_a, "members")[(date(2025, 5, 1), "grace|regular")] == 2
    assert (date(2025, 6, 1), "grace|regular") not in stored(society_a, "members")
    assert stored(society_a, "member_renewals") == {
        (date(2026, 1, 1), "regular"): 5, (date(2026, 2, 1), "student"): 3
    }
    this_month = timezone.localdate().replace(day=1)
    assert stored(society_a, "decisions") == {
        (this_month, "accept_oral"): 1, (this_month, "accept_poster"): 1, (this_month, "reject"): 1
    }
    # The yearly indicators the operator's board and the index read.
    assert YearSummary.objects.get(society=society_a, year=2025).indicators == {
        "members": 8, "growth": 0.0, "revenue": 1300.0, "meetings": 1, "registrations": 8, "submissions": 0,
    }
    assert YearSummary.objects.get(society=society_a, year=2026).indicators["growth"] == 0.0
    # B's figures are B's alone.
    assert stored(society_b, "revenue") == {(date(2025, 1, 1), "membership|card|CNY"): Decimal("999.00")}
    assert stored(society_b, "checkins") == {(date(2025, 5, 1), "b1-202505"): 2}


def snapshot(society) -> set:
    return set(
        MetricValue.objects.filter(society=society).values_list("metric", "period", "dimension", "value")
    )


def assert_as_recomputed(in_schema, society) -> None:
    """The figures as filled equal a full recompute's, and those computed from the rows."""
    filled = snapshot(society)
    fill_society(society=society, full=True)
    assert snapshot(society) == filled
    expected = direct(in_schema, society)
    for metric in FLOWS:
        assert stored(society, metric) == expected.get(metric, {}), metric


def test_incremental_fill_equals_full_recompute(seeded, in_schema):
    from meetings.models import Registration
    from members.models import Member, StatusChange

    society_a, society_b = seeded
    fill_society(society=society_a)
    fill_society(society=society_b)
    b_before = snapshot(society_b)
    # Rows written after the first fill: registrations and check-ins on 2026 meetings, a
    # payment, a 2025 cancellation.
    with in_schema(society_a):
        seed_meetings(prefix="a3", starts_on=date(2026, 6, 1), registrations=[("confirmed", False)] * 2)
        Registration.objects.filter(meeting__slug="a2-202603").update(checked_in_at=timezone.now())
        Registration.objects.filter(meeting__slug="a1-202505", status="waitlisted").update(
            status="cancelled", cancelled_at=timezone.now()
        )
        seed_invoice(number="INV-2026-0004", total="120.00", purpose="meeting.registration",
                     issued=at(2026, 6, 2), paid=[("120.00", "alipay", timezone.now())])
        student = Member.objects.filter(category__code="student").first()
        StatusChange.objects.create(member=student, from_status="active", to_status="grace", at=timezone.now())
        student.status = "grace"
        student.save()
        seed_members(prefix="new", category_code="student", count=1, history=[("", "active", timezone.now())])
    report = fill_society(society=society_a)
    # Only the months touched were changed, not every month of every metric.
    # 2025-05 (a cancellation) and 2026-06 (a new meeting); the 2026-03 check-ins were counted.
    assert report.filled["registrations"] == 2
    assert report.filled["billed"] == 1
    assert report.filled["members"] == 1  # the current month, from the stored level before it
    assert report.filled["member_joins"] == 1  # the new member's month
    assert_as_recomputed(in_schema, society_a)
    assert snapshot(society_b) == b_before


def test_fill_is_idempotent_and_restartable(seeded, in_schema):
    society_a, _society_b = seeded
    fill_society(society=society_a)
    first = snapshot(society_a)
    marks = dict(FillWatermark.objects.filter(society=society_a).values_list("metric", "watermark"))
    # Run again with the watermarks reset, as after a crash before they were stored.
    FillWatermark.objects.filter(society=society_a).update(watermark=None)
    fill_society(society=society_a)
    assert snapshot(society_a) == first
    # Again: nothing changed, nothing recomputed.
    report = fill_society(society=society_a)
    assert snapshot(society_a) == first
    assert report.filled["registrations"] == 0
    assert all(
        mark is None or mark >= marks[metric]
        for metric, mark in FillWatermark.objects.filter(society=society_a).values_list("metric", "watermark")
    )


def test_metric_without_its_table_is_skipped(society_a, in_schema):
    with in_schema(society_a), connection.cursor() as cursor:
        cursor.execute("DROP TABLE reviews_decision")
    report = fill_society(society=society_a, metrics=[BY_KEY["decisions"], BY_KEY["meetings"]])
    assert report.skipped == ["decisions"]
    assert report.filled == {"meetings": -1}
    mark = FillWatermark.objects.get(society=society_a, metric="decisions")
    assert (mark.status, mark.watermark) == (FillWatermark.Status.SKIPPED, None)


def test_fill_refuses_the_platform(platform):
    with pytest.raises(ValueError):
        fill_society(society=platform)


def test_one_metric_at_a_time_equals_all_together(seeded, in_schema):
    society_a, _society_b = seeded
    fill_society(society=society_a)
    together = snapshot(society_a)
    MetricValue.objects.filter(society=society_a).delete()
    FillWatermark.objects.filter(society=society_a).delete()
    with in_schema(society_a):
        results = {metric.key: fill_metric(society=society_a, metric=metric) for metric in METRICS}
    assert set(results.values()) == {-1}
    assert snapshot(society_a) == together


@committed
def test_many_societies_in_chunks_on_two_connections(seeded, in_schema, monkeypatch):
    """The batched fill over several chunks (the second connection takes some) gives each
    society the figures computed from its own rows, full and incremental."""
    from board import fill

    society_a, society_b = seeded
    monkeypatch.setattr(fill, "CHUNK", 1)
    try:
        reports = fill.fill_societies([society_a, society_b])
        assert set(reports) == {society_a.pk, society_b.pk}
        for society in (society_a, society_b):
            expected = direct(in_schema, society)
            for metric in FLOWS:
                assert stored(society, metric) == expected.get(metric, {}), (society.slug, metric)
        before = {s.pk: snapshot(s) for s in (society_a, society_b)}
        with in_schema(society_b):
            seed_members(prefix="nb", category_code="regular", count=2, history=[("", "active", timezone.now())])
        reports = fill.fill_societies([society_a, society_b])
        assert reports[society_b.pk].filled["member_joins"] == 1
        assert snapshot(society_a) == before[society_a.pk]
        expected = direct(in_schema, society_b)
        for metric in FLOWS:
            assert stored(society_b, metric) == expected.get(metric, {}), metric
    finally:
        fill.release_helper()  # its connection would keep the test database open


def test_a_failing_source_is_skipped_and_the_others_filled(seeded, in_schema):
    society_a, _society_b = seeded
    with in_schema(society_a), connection.cursor() as cursor:
        # Another app's migration half-way: the table is there, a column it reads is not.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE reviews_decision DROP COLUMN outcome")
    report = fill_society(society=society_a)
    assert report.skipped == ["decisions"]
    assert report.filled["registrations"] == -1
    assert FillWatermark.objects.get(society=society_a, metric="decisions").status == FillWatermark.Status.SKIPPED
    assert stored(society_a, "registrations")[(date(2026, 3, 1), "a2-202603|confirmed")] == 3


def test_incremental_after_updates_and_a_restart_equals_full(seeded, in_schema):
    """Rows updated after the fill (a category change, a refund-like cancellation, a late
    payment on an old invoice) and a fill interrupted before its watermark was stored."""
    from dues.models import Invoice, Payment
    from members.models import MembershipCategory, MemberTerm

    society_a, _society_b = seeded
    fill_society(society=society_a)
    with in_schema(society_a):
        invoice = Invoice.objects.get(number="INV-2026-0003")
        Payment.objects.create(invoice=invoice, provider="stripe", method_detail="card", state="confirmed",
                               amount=Decimal("500.00"), currency="CNY", confirmed_at=timezone.now())
        student = MembershipCategory.objects.get(code="student")
        regular_member = MemberTerm.objects.filter(category__code="regular").first().member
        regular_member.category = student
        regular_member.save()
        MemberTerm.objects.create(member=regular_member, category=student, kind="upgrade",
                                  starts_on=timezone.localdate())
    # A fill that crashed after writing figures but before its watermark: the next one redoes it.
    marks = dict(FillWatermark.objects.filter(society=society_a).values_list("metric", "watermark"))
    fill_society(society=society_a)
    for metric, mark in marks.items():
        FillWatermark.objects.filter(society=society_a, metric=metric).update(watermark=mark)
    fill_society(society=society_a)
    assert_as_recomputed(in_schema, society_a)


def test_deleted_rows_and_backdated_changes_reach_the_board_without_a_full_recompute(seeded, in_schema):
    """The capture triggers see what no change timestamp shows: deleted rows and changes dated
    in the past.  The next fill adds them without reading the society's tables."""
    from meetings.models import Registration
    from members.models import Member, StatusChange

    society_a, _society_b = seeded
    fill_society(society=society_a)
    with in_schema(society_a):
        Registration.objects.filter(meeting__slug="a1-202505", status="waitlisted").delete()
        member = Member.objects.filter(category__code="student").first()
        # A correction entered today for last March: the member was in grace for a month.
        StatusChange.objects.create(member=member, from_status="active", to_status="grace", at=at(2025, 3, 5))
        StatusChange.objects.create(member=member, from_status="grace", to_status="active", at=at(2025, 4, 5))
    pending = set(
        PendingChange.objects.filter(society=society_a).values_list("metric", "period", "dimension", "value")
    )
    assert pending == {
        ("registrations", date(2025, 5, 1), "a1-202505|waitlisted", Decimal("-1.00")),
        ("members", date(2025, 3, 1), "grace|student", Decimal("1.00")),
        ("members", date(2025, 3, 1), "active|student", Decimal("-1.00")),
        ("members", date(2025, 4, 1), "grace|student", Decimal("-1.00")),
        ("members", date(2025, 4, 1), "active|student", Decimal("1.00")),
    }
    report = fill_society(society=society_a)
    assert report.filled["registrations"] == 1
    assert report.filled["members"] == 1  # 2025-03; from 2025-04 on the levels are as before
    assert not PendingChange.objects.filter(society=society_a).exists()
    assert stored(society_a, "members")[(date(2025, 3, 1), "grace|student")] == 1
    assert (date(2025, 4, 1), "grace|student") not in stored(society_a, "members")
    assert (date(2025, 5, 1), "a1-202505|waitlisted") not in stored(society_a, "registrations")
    assert_as_recomputed(in_schema, society_a)


def test_a_renamed_category_recomputes_its_metrics_whole(seeded, in_schema):
    """A category's code names grouped rows: renaming it is not a difference the triggers can
    express, so the metrics it labels are marked to be recomputed whole."""
    from members.models import MembershipCategory

    society_a, _society_b = seeded
    fill_society(society=society_a)
    with in_schema(society_a):
        MembershipCategory.objects.filter(code="student").update(code="youth")
    marks = set(PendingChange.objects.filter(society=society_a, whole=True).values_list("metric", flat=True))
    assert marks == {"members", "member_lapses", "member_joins", "member_renewals"}
    report = fill_society(society=society_a)
    assert {key: report.filled[key] for key in marks} == dict.fromkeys(marks, -1)
    assert report.filled["registrations"] == 0
    assert stored(society_a, "member_renewals") == {
        (date(2026, 1, 1), "regular"): 5, (date(2026, 2, 1), "youth"): 3
    }
    assert not PendingChange.objects.filter(society=society_a).exists()


def test_a_write_goes_through_when_its_change_cannot_be_computed(seeded, in_schema):
    """While a column a metric reads is missing (a migration half-way), writes to the table
    still succeed; the metric is marked to be recomputed whole, and skipped until it can be."""
    society_a, _society_b = seeded
    fill_society(society=society_a)
    with in_schema(society_a), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE common_roleassignment DROP COLUMN role")
        cursor.execute("UPDATE common_roleassignment SET created_at = created_at")
        assert cursor.rowcount >= 1
    assert list(PendingChange.objects.filter(society=society_a).values_list("metric", "whole")) == [
        ("staff_grants", True)
    ]
    report = fill_society(society=society_a)
    assert report.skipped == ["staff_grants"]
    assert report.filled["members"] == 0


def test_every_table_a_metric_reads_has_the_capture_triggers(society_a):
    from board.metrics import SOURCE_TABLES

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND t.tgname LIKE 'board_capture_%%'",
            [society_a.schema_name],
        )
        found = set(cursor.fetchall())
    expected = {(table, f"board_capture_{op}") for table in SOURCE_TABLES for op in ("insert", "update", "delete")}
    assert found == expected


def test_changed_metric_definitions_recompute_every_figure(seeded):
    society_a, _society_b = seeded
    fill_society(society=society_a)
    first = snapshot(society_a)
    with connection.cursor() as cursor:
        # As after a release that changed a metric: the stored capture SQL is an older one.
        cursor.execute("UPDATE public.board_capture SET version = 'older'")
    report = fill_society(society=society_a)
    assert set(report.filled.values()) == {-1}
    assert snapshot(society_a) == first
    report = fill_society(society=society_a)
    assert report.filled["registrations"] == 0


def test_a_status_change_dated_next_month_waits_for_its_month(seeded, in_schema):
    from members.models import Member, StatusChange

    society_a, _society_b = seeded
    fill_society(society=society_a)
    before = stored(society_a, "members")
    today = timezone.localdate()
    next_month = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    with in_schema(society_a):
        member = Member.objects.filter(category__code="student").first()
        StatusChange.objects.create(member=member, from_status="active", to_status="lapsed",
                                    at=at(next_month.year, next_month.month, 2))
    fill_society(society=society_a)
    # The lapse is counted in its month; the member is active until then.
    assert stored(society_a, "members") == before
    assert stored(society_a, "member_lapses")[(next_month, "student")] == 1
    assert set(PendingChange.objects.filter(society=society_a).values_list("metric", "period")) == {
        ("members", next_month)
    }
    assert_as_recomputed(in_schema, society_a)
