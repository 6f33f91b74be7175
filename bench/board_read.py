"""Reading the board with 187 societies (``board_read``).

Uses the societies and rows of ``board_fill`` (created on first use, then reused), filled.

Figures: the operator board page (all societies side by side with scores, ranks and charts)
served in-process through the full Django stack, p50/p95 server time; the read path behind it
(the aggregate tables) against the live query that computes the same indicators from every
society's schema in one UNION ALL statement.
Goals: page p95 under 200 ms; the read path at most 1/100 of the live query's time.
"""

import time
from datetime import UTC, datetime

from bench.board_fill import DATABASE, PREFIX, ensure_data, fill_all
from bench.common import percentile

YEAR = 2025


def _live_sql(societies) -> str:
    """The operator's indicators computed from the society schemas themselves."""
    from tenants.schemas import quote

    parts = []
    for society, _rows in societies:
        s = quote(society.schema_name)
        members_at = (
            "(SELECT count(*) FROM (SELECT DISTINCT ON (member_id) to_status FROM {s}.members_statuschange "
            "WHERE at < %({bound})s ORDER BY member_id, at DESC, id DESC) x WHERE to_status IN ('active', 'grace'))"
        )
        parts.append(
            f"""SELECT {society.pk} AS society_id,
              {members_at.format(s=s, bound="end")} AS members,
              {members_at.format(s=s, bound="start")} AS members_before,
              (SELECT COALESCE(sum(amount), 0) FROM {s}.dues_payment WHERE state = 'confirmed' AND currency = 'CNY'
                 AND confirmed_at >= %(start)s AND confirmed_at < %(end)s) AS revenue,
              (SELECT count(*) FROM {s}.meetings_meeting WHERE status NOT IN ('draft', 'cancelled')
                 AND starts_on >= %(start)s::date AND starts_on < %(end)s::date) AS meetings,
              (SELECT count(*) FROM {s}.meetings_registration r JOIN {s}.meetings_meeting m ON m.id = r.meeting_id
                 WHERE r.status = 'confirmed' AND m.starts_on >= %(start)s::date AND m.starts_on < %(end)s::date)
                 AS registrations,
              (SELECT count(*) FROM {s}.reviews_submission WHERE status <> 'withdrawn'
                 AND created_at >= %(start)s AND created_at < %(end)s) AS submissions"""
        )
    return " UNION ALL ".join(parts)


def run(scale: float) -> dict:
    from bench.django_setup import setup

    setup(DATABASE)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import get_public_schema_name, schema_context

    from board.models import FillWatermark
    from board.selectors import operator_rows
    from board.services import compute_index_scores

    societies = ensure_data(scale)
    if FillWatermark.objects.filter(society__slug__startswith=PREFIX, watermark__isnull=False).values(
        "society"
    ).distinct().count() < len(societies):
        fill_all(societies, full=True)
    compute_index_scores()

    operator, _created = get_user_model().objects.get_or_create(
        email="office@bench.example.cn", defaults={"name": "学会部", "is_staff": True}
    )
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    with schema_context(get_public_schema_name()):
        client.force_login(operator, "django.contrib.auth.backends.ModelBackend")
    page_times = []
    for i in range(43):
        start = time.perf_counter()
        response = client.get("/board/", {"year": YEAR})
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise RuntimeError(f"operator board answered {response.status_code}")
        if i >= 3:  # the first requests warm caches and templates
            page_times.append(elapsed)
    shown = response.content.decode().count('data-testid="ranking-row"')

    read_times = []
    for _ in range(20):
        start = time.perf_counter()
        rows = operator_rows(YEAR)
        read_times.append(time.perf_counter() - start)
    bounds = {
        "start": datetime(YEAR, 1, 1, tzinfo=UTC),
        "end": datetime(YEAR + 1, 1, 1, tzinfo=UTC),
    }
    sql = _live_sql(societies)
    live_times = []
    for _ in range(2):
        with connection.cursor() as cursor:
            start = time.perf_counter()
            cursor.execute(sql, bounds)
            live = cursor.fetchall()
            live_times.append(time.perf_counter() - start)
    read_ms = percentile(read_times, 50) * 1000
    live_ms = min(live_times) * 1000
    p95 = percentile(page_times, 95) * 1000
    return {
        "figures": {
            "societies": len(societies),
            "societies_on_page": shown,
            "operator_page_p50_ms": round(percentile(page_times, 50) * 1000, 1),
            "operator_page_p95_ms": round(p95, 1),
            "read_path_p50_ms": round(read_ms, 2),
            "live_cross_schema_query_ms": round(live_ms, 1),
            "read_to_live_ratio": round(read_ms / live_ms, 4),
            "rows_read_path": len(rows),
            "rows_live": len(live),
        },
        "goal": "operator board p95 under 200 ms with every society; read path at most 1/100 of the live query",
        "met": p95 < 200 and read_ms <= live_ms / 100,
    }
