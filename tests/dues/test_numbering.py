"""Numbers under concurrency: real threads, committed data, two societies at once."""

import threading
from decimal import Decimal

from django.db import connection
from django_tenants.utils import schema_context

from dues.models import Invoice
from dues.services import create_invoice
from tests.conftest import committed
from tests.dues.fixtures import YEAR

PER_SOCIETY = 500
THREADS_PER_SOCIETY = 4


@committed
def test_concurrent_issue_is_gapless_per_society(society_a, society_b, make_user, settled_tasks, paused_worker):
    member = make_user("num@example.cn")
    errors: list[BaseException] = []

    def worker(society, count):
        try:
            with schema_context(society.schema_name):
                for _ in range(count):
                    create_invoice(
                        buyer_user=member,
                        buyer={"name": "并发测试"},
                        lines=[
                            {"description": "会费", "quantity": 1, "unit_price": Decimal("1"), "tax_rate": Decimal("0")}
                        ],
                        purpose="membership.dues",
                        subject_id="1",
                        actor=None,
                    )
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread's assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(society, PER_SOCIETY // THREADS_PER_SOCIETY))
        for society in (society_a, society_b)
        for _ in range(THREADS_PER_SOCIETY)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for society, prefix in ((society_a, "ALPHA"), (society_b, "BETA")):
        with schema_context(society.schema_name):
            sequences = sorted(Invoice.objects.values_list("sequence", flat=True))
            numbers = set(Invoice.objects.values_list("number", flat=True))
        assert sequences == list(range(1, PER_SOCIETY + 1))
        assert len(numbers) == PER_SOCIETY
        assert f"{prefix}-{YEAR}-000500" in numbers and f"{prefix}-{YEAR}-000001" in numbers
