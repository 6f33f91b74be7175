"""Member list search on a society with 200,000 members (times ``scale``): p95 server time of the
console's member list (search by Chinese/English name, number, e-mail, mobile, work unit, with
filters and sorts), through the real view with the Django test client.  Also the query count
of a page with 1 and with 50 rows (it must not grow with the page size).

Goal: p95 under 150 ms.
"""

import random

from bench.common import percentile, stopwatch
from bench.member_import import DATABASE, ensure_society, generate_csv

MEMBERS = 200_000


def run(scale: float) -> dict:
    from bench.django_setup import setup

    setup(DATABASE)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_tenants.utils import schema_context

    from members.imports import run_import
    from members.models import Member

    n = max(1000, round(MEMBERS * scale))
    society = ensure_society()
    with schema_context(society.schema_name):
        if Member.objects.count() != n:
            from bench.member_import import empty_members

            empty_members()
            for start in range(0, n, 50_000):
                report = run_import(
                    content=generate_csv(min(50_000, n - start), seed=start, start=start),
                    filename="seed.csv",
                    commit=True,
                    actor=None,
                )
                assert report.committed, report.errors[:3]
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE members_member")
        sample = list(
            Member.objects.order_by("?").values("name_zh", "name_en", "number", "email", "mobile", "work_unit")[:40]
        )
    settings.ALLOWED_HOSTS = ["*"]
    client = Client(HTTP_HOST=f"{society.slug}.{settings.BASE_DOMAIN}")
    admin = get_user_model().objects.get(email="admin@bench-members.example.cn")
    with schema_context(society.schema_name):
        client.force_login(admin)
    rng = random.Random(7)
    queries = ["", "?status=active", "?category=student&sort=name", "?expiry_month=2027-03", "?region=北京&sort=expiry"]
    for row in sample:
        queries += [
            f"?q={row['name_zh'][:2]}",
            f"?q={row['name_zh']}",
            f"?q={row['name_en'].lower()}",
            f"?q={row['number']}",
            f"?q={row['email'][:6]}",
            f"?q={row['mobile'][3:10]}",
            f"?q={row['work_unit'][:3]}",
        ]
    rng.shuffle(queries)
    for query in queries[:10]:  # warm caches
        client.get("/members/console/" + query)
    timings = []
    for query in queries:
        with stopwatch() as elapsed:
            response = client.get("/members/console/" + query)
        assert response.status_code == 200, (query, response.status_code)
        timings.append(elapsed() * 1000)
    reset_queries()
    counts = {}
    for label, query in (("one_row_page", f"?q={sample[0]['email']}"), ("full_page", "")):
        with CaptureQueriesContext(connection) as captured:
            client.get("/members/console/" + query)
        counts[label] = len(captured)
    p95 = percentile(timings, 95)
    return {
        "figures": {
            "members": n,
            "requests": len(timings),
            "p50_ms": round(percentile(timings, 50), 1),
            "p95_ms": round(p95, 1),
            "max_ms": round(max(timings), 1),
            "queries_page_of_1": counts["one_row_page"],
            "queries_page_of_50": counts["full_page"],
        },
        "goal": "p95 under 150 ms; query count the same for a page of 1 and of 50",
        "met": p95 < 150 and counts["one_row_page"] == counts["full_page"],
    }
