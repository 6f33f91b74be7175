import time
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.invoices import allocate_number, issue_platform_invoice
from billing.models import PlatformInvoice, Subscription
from billing.plans import seed_platform_billing
from billing.tasks import render_platform_invoice, report_usage, report_usage_all
from tests.conftest import committed


@committed
def test_usage_is_counted_in_each_society_by_a_real_worker(society_a, society_b, in_schema, celery_worker_thread):
    from members.models import Member, MembershipCategory

    seed_platform_billing()
    for society, statuses in (
        (society_a, ["active", "active", "grace", "lapsed", "applicant"]),
        (society_b, ["active"]),
    ):
        with in_schema(society):
            category = MembershipCategory.objects.create(code="regular", name_zh="普通会员", fee=Decimal("200.00"))
            for status in statuses:
                Member.objects.create(category=category, status=status, name_zh="测试会员")
    assert report_usage.apply_async(kwargs={"schema_name": society_a.schema_name}).get(timeout=20) == {
        "schema": "s_alpha",
        "active_members": 3,
    }
    report_usage_all.apply_async().get(timeout=20)
    deadline = time.monotonic() + 20
    while Subscription.objects.filter(usage_reported_at__isnull=True).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    usage = dict(Subscription.objects.values_list("society__slug", "active_members"))
    assert usage == {"alpha": 3, "beta": 1}


def _stripe_invoice(invoice_id: str, amount: int) -> dict:
    return {
        "id": invoice_id,
        "currency": "cny",
        "amount_paid": amount,
        "total": amount,
        "billing_reason": "subscription_cycle",
        "status_transitions": {"paid_at": 1_790_000_000},
        "period_start": 1_787_000_000,
        "period_end": 1_790_000_000,
        "lines": {"data": [{"description": "1 × 学会云 基础版 Xuehui Basic", "amount": amount, "quantity": 1}]},
    }


def test_platform_invoice_numbers_are_gapless_and_unique(signed_up, society_b):
    society = signed_up.provisioned.society
    year = timezone.localtime().year
    first = issue_platform_invoice(society=society, stripe_invoice=_stripe_invoice("in_1", 198000))
    again = issue_platform_invoice(society=society, stripe_invoice=_stripe_invoice("in_1", 198000))
    assert again.pk == first.pk  # the same Stripe invoice is issued once
    with pytest.raises(RuntimeError), transaction.atomic():
        allocate_number(year)
        raise RuntimeError("the issuing transaction fails after taking a number")
    second = issue_platform_invoice(society=society, stripe_invoice=_stripe_invoice("in_2", 4000))
    assert [first.number, second.number] == [f"XH-{year}-000001", f"XH-{year}-000002"]
    assert (second.total, second.lines[0]["gross"]) == (Decimal("40.00"), "40.00")
    name = render_platform_invoice(invoice_id=first.pk)
    assert name.startswith(f"platform-invoices/{timezone.now().year}/XH-") and name.endswith(".pdf")
    assert render_platform_invoice(invoice_id=first.pk) == name  # a redelivered task changes nothing
    first.refresh_from_db()
    assert first.pdf.read(5) == b"%PDF-"
    with pytest.raises(IntegrityError), transaction.atomic():
        PlatformInvoice.objects.create(
            society=society,
            number="XH-dup",
            year=year,
            sequence=2,
            stripe_invoice_id="in_3",
            issued_at=timezone.now(),
            currency="CNY",
            total=Decimal("1.00"),
        )
    assert not PlatformInvoice.objects.filter(society=society_b).exists()


@committed
def test_concurrent_issuing_never_skips_or_repeats_a_number(society_a, society_b):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    def issue(i):
        try:
            society = society_a if i % 2 else society_b
            return issue_platform_invoice(
                society=society, stripe_invoice=_stripe_invoice(f"in_c{i}", 1000 + i)
            ).sequence
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        sequences = sorted(pool.map(issue, range(8)))
    assert sequences == [1, 2, 3, 4, 5, 6, 7, 8]
    assert PlatformInvoice.objects.filter(society=society_a).count() == 4
