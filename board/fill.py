"""Filling the aggregate tables from the societies' schemas.

:func:`fill_societies` brings the figures of any number of societies up to date, a chunk of
:data:`CHUNK` societies per transaction, in a fixed number of statements per chunk (two database
connections share the chunks of a large fill):

1. lock the (society, metric) watermark rows and read the database time ``t`` (the new mark);
2. find the months each source touched since its old watermark (less :data:`OVERLAP`, so that
   rows committed by transactions that started before the last fill are not missed): one
   ``UNION ALL`` over every (society, source), on the indexed timestamps;
3. recompute those months (every month on a full fill) of every (society, source) in one
   ``CREATE TEMP TABLE … AS SELECT … UNION ALL`` — each source reads its table once for all the
   metrics it feeds (``board.metrics.SOURCES``), with the society as a column — and turn stock
   deltas into levels;
4. write the difference to ``board_metricvalue``: rows of the recomputed months no longer produced
   are deleted, new or changed values upserted, equal ones left alone (rows never travel through
   Python);
5. store ``t`` as the watermark, and the yearly indicators (YearSummary) of the years touched.

A crash at any step rolls the chunk back to its old watermarks; running it again recomputes the
same months from the same rows, so the fill is restartable and idempotent.  What no change
timestamp reveals (a deleted row, a backdated correction) waits for the nightly full recompute.
If the combined statements fail (another app's migration half-way), each (society, source) runs
on its own and the failing ones are skipped until the next fill.
"""

import logging
from collections import deque
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from board.metrics import BY_KEY, SOURCES, TZ, Metric, Source, month_bounds
from board.models import FillWatermark, YearSummary
from tenants.schemas import quote

logger = logging.getLogger(__name__)

# Longer than any transaction that writes source rows is expected to run.
OVERLAP = timedelta(minutes=10)
# Societies per transaction, at most: a statement over every table of every schema would hold
# more relation locks (about LOCKS_PER_SOCIETY: the source tables and their indexes) than
# PostgreSQL's lock table has room for.  Fewer on a server with a smaller lock table, so that
# the two connections of a fill hold at most half of it.
CHUNK = 12
LOCKS_PER_SOCIETY = 130


@dataclass
class FillReport:
    schema_name: str
    filled: dict[str, int] = field(default_factory=dict)  # metric -> months recomputed (-1: all)
    skipped: list[str] = field(default_factory=list)


@dataclass
class _Unit:
    """One source in one society's schema, and what to recompute of it."""

    society: object
    source: Source
    metrics: list[str]
    since: object = None  # None: everything
    start: date | None = None
    months: list[date] | None = None

    def leaf(self, sql: str, n: int, params: dict) -> str:
        params.update({f"u{n}_start": self.start, f"u{n}_months": self.months, f"u{n}_since": self.since})
        return sql.format(
            s=f"{quote(self.society.schema_name)}.",
            start=f"%(u{n}_start)s",
            months=f"%(u{n}_months)s",
            # A sub-select: the planner then takes the comparison as selective without probing
            # each index for its newest value (which costs more than the search itself).
            since=f"(SELECT %(u{n}_since)s::timestamptz)",
        )


def fill_society(*, society, full: bool = False, metrics: list[Metric] | None = None) -> FillReport:
    """Fill every registered metric (or ``metrics``) of one society; see :func:`fill_societies`."""
    return fill_societies([society], full=full, metrics=metrics)[society.pk]


def fill_metric(*, society, metric: Metric, full: bool = False) -> int | None:
    """Bring one metric of one society up to date.  Returns how many months were recomputed
    (-1 for all), or None when its source does not exist in the society's schema yet."""
    return fill_society(society=society, metrics=[metric], full=full).filled.get(metric.key)


def fill_societies(societies, *, full: bool = False, metrics: list[Metric] | None = None) -> dict[int, FillReport]:
    """Fill every registered metric (or ``metrics``) of ``societies``: one transaction per
    :data:`CHUNK` societies, the chunks shared by this connection and a second one when there
    are several and no transaction is open (inside one, a single connection does them all).

    ``full`` ignores the watermarks and recomputes every month (the same figures, slower).
    Returns a :class:`FillReport` per society id.
    """
    societies = sorted(societies, key=lambda s: s.pk)
    if any(s.schema_name == get_public_schema_name() for s in societies):
        raise ValueError("the platform schema has no society figures")
    keys = [m.key for m in (metrics or BY_KEY.values())]
    sources = [source for source in SOURCES if set(source.metrics) & set(keys)]
    reports = {s.pk: FillReport(schema_name=s.schema_name) for s in societies}
    if not societies:
        return reports
    size = _chunk_size() if len(societies) > 1 else 1
    chunks = deque(societies[first : first + size] for first in range(0, len(societies), size))

    def drain():
        # Chunks touch disjoint rows: each runs in its own transaction.
        while chunks:
            try:
                chunk = chunks.popleft()
            except IndexError:
                return
            with schema_context(get_public_schema_name()):
                _fill_chunk(chunk, keys=keys, sources=sources, full=full, reports=reports)

    if len(chunks) > 1 and not connection.in_atomic_block:
        helping = _helper().submit(_on_helper_connection, drain)
        try:
            drain()
        finally:
            wait([helping])
        helping.result()
    else:
        drain()
    return reports


def _chunk_size() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_locks_per_transaction')::int"
            " * (current_setting('max_connections')::int + current_setting('max_prepared_transactions')::int)"
        )
        room = cursor.fetchone()[0]
    return max(1, min(CHUNK, room // 4 // LOCKS_PER_SOCIETY))


_helpers: list[ThreadPoolExecutor] = []


def _helper() -> ThreadPoolExecutor:
    """A second connection for large fills (two cores read twice as fast).  The thread, and so
    its connection, lives as long as the process: its catalog caches stay warm between fills."""
    if not _helpers:
        _helpers.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="board-fill"))
    return _helpers[0]


def release_helper() -> None:
    """Close the second connection (at shutdown, or before dropping the database)."""
    if _helpers:
        _helpers.pop().submit(lambda: connection.close()).result()


def _on_helper_connection(work):
    connection.close_if_unusable_or_obsolete()
    try:
        work()
    except BaseException:
        connection.close()
        raise


def _fill_chunk(societies, *, keys: list[str], sources: list[Source], full: bool, reports: dict) -> None:
    ids = [s.pk for s in societies]
    with transaction.atomic():
        marks = _lock_marks(ids, keys)
        tables = sorted({t for source in sources for t in source.tables})
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT now(), ARRAY(SELECT s || '.' || t FROM unnest(%s::text[]) s, unnest(%s::text[]) t "
                "WHERE to_regclass(quote_ident(s) || '.' || t) IS NULL)",
                [[s.schema_name for s in societies], tables],
            )
            started, missing = cursor.fetchone()
        missing = set(missing)
        units, skipped = [], []
        for society in societies:
            for source in sources:
                wanted = [k for k in source.metrics if k in keys]
                if any(f"{society.schema_name}.{t}" in missing for t in source.tables):
                    skipped += [(society.pk, k) for k in wanted]
                    continue
                unit = _Unit(society=society, source=source, metrics=wanted)
                if not full and source.changed_sql:
                    watermarks = [marks[society.pk, k].watermark for k in wanted]
                    if None not in watermarks:
                        unit.since = min(watermarks) - OVERLAP
                units.append(unit)
        try:
            with transaction.atomic():
                recomputed = _fill(units, started)
        except DatabaseError:
            logger.warning("board: combined fill failed; filling source by source")
            recomputed = {}
            for unit in units:
                try:
                    with transaction.atomic():
                        recomputed.update(_fill([unit], started))
                except DatabaseError:
                    # A source table that exists but lacks a column this source reads: another app's
                    # migration is half-way.  Skip it now; the next fill tries again from the same mark.
                    logger.exception("board: source %s failed in %s", unit.source.key, unit.society.schema_name)
                    skipped += [(unit.society.pk, k) for k in unit.metrics]
        filled = [(society_id, key, months) for (society_id, key), months in recomputed.items()]
        with connection.cursor() as cursor:
            cursor.execute(
                """UPDATE public.board_fillwatermark w
                   SET watermark = %(started)s, filled_at = %(started)s, status = %(filled)s,
                       months_recomputed = GREATEST(d.months, 0)
                   FROM unnest(%(societies)s::int[], %(metrics)s::text[], %(months)s::int[])
                        AS d(society, metric, months)
                   WHERE w.society_id = d.society AND w.metric = d.metric""",
                {
                    "started": started,
                    "filled": FillWatermark.Status.FILLED,
                    "societies": [f[0] for f in filled],
                    "metrics": [f[1] for f in filled],
                    "months": [f[2] for f in filled],
                },
            )
            cursor.execute(
                """UPDATE public.board_fillwatermark w SET filled_at = %(started)s, status = %(skipped)s
                   FROM unnest(%(societies)s::int[], %(metrics)s::text[]) AS d(society, metric)
                   WHERE w.society_id = d.society AND w.metric = d.metric""",
                {
                    "started": started,
                    "skipped": FillWatermark.Status.SKIPPED,
                    "societies": [s for s, _k in skipped],
                    "metrics": [k for _s, k in skipped],
                },
            )
        for society_id, key, months in filled:
            reports[society_id].filled[key] = months
        for society_id, key in skipped:
            reports[society_id].skipped.append(key)
        _store_summaries(units, recomputed, prune=full)


def _lock_marks(ids: list[int], keys: list[str]) -> dict:
    locked = FillWatermark.objects.select_for_update().filter(society_id__in=ids, metric__in=keys)
    marks = {(mark.society_id, mark.metric): mark for mark in locked.order_by("society_id", "metric")}
    if len(marks) < len(ids) * len(keys):  # the first fill of these metrics
        FillWatermark.objects.bulk_create(
            [FillWatermark(society_id=i, metric=k) for i in ids for k in keys if (i, k) not in marks],
            ignore_conflicts=True,
        )
        marks = {(mark.society_id, mark.metric): mark for mark in locked.order_by("society_id", "metric")}
    return marks


def _month(moment) -> date:
    return timezone.localtime(moment, timezone=ZoneInfo(TZ)).date().replace(day=1)


def _months_between(start: date, until) -> int:
    end = _month(until)
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _plan(units: list[_Unit]) -> list[_Unit]:
    """Set each incremental unit's months from the rows written since its mark (one statement);
    returns the units with something to recompute."""
    incremental = [u for u in units if u.since is not None]
    touched: dict[int, list[date]] = {n: [] for n in range(len(incremental))}
    if incremental:
        params: dict = {}
        union = " UNION ALL ".join(
            f"SELECT {n}, x.* FROM ({u.leaf(u.source.changed_sql, n, params)}) x" for n, u in enumerate(incremental)
        )
        with connection.cursor() as cursor:
            # Index scans wherever an index serves (the sub-selects hide how few rows match).
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(union, params)
            found = cursor.fetchall()
            cursor.execute("SET LOCAL enable_seqscan = on")
            for n, month in found:
                if month is not None:
                    touched[n].append(month)
    todo = [u for u in units if u.since is None]
    for n, unit in enumerate(incremental):
        months = sorted(set(touched[n]))
        unit.start = unit.months = None
        if unit.source.stock:
            # A stock is extended to the current month on every fill, even without changes.
            unit.start = min([_month(unit.since + OVERLAP), *months])
        elif months:
            unit.start, unit.months = months[0], months
        else:
            continue
        todo.append(unit)
    return todo


def _fill(units: list[_Unit], started) -> dict[tuple[int, str], int]:
    """Recompute and store what ``units`` need; returns months recomputed per (society, metric)."""
    recomputed = {(u.society.pk, k): 0 for u in units for k in u.metrics}
    todo = _plan(units)
    if not todo:
        return recomputed
    params: dict = {}
    leaves = " UNION ALL ".join(
        f"SELECT {u.society.pk} AS society_id, q.metric, q.period, COALESCE(q.dimension, '') AS dimension, q.value "
        f"FROM ({u.leaf(u.source.sql, n, params)}) q WHERE q.value IS NOT NULL"
        + ("" if u.months is None else f" AND q.period = ANY(%(u{n}_months)s::date[])")
        + ("" if len(u.metrics) == len(u.source.metrics) else f" AND q.metric = ANY(%(u{n}_metrics)s)")
        for n, u in enumerate(todo)
    )
    for n, u in enumerate(todo):
        params[f"u{n}_metrics"] = u.metrics
    scope = [(u.society.pk, k, u.start, u.months, BY_KEY[k].stock) for u in todo for k in u.metrics]
    with connection.cursor() as cursor:
        # A batch job: no JIT (compiling costs more than it saves here), room to hash in memory.
        cursor.execute("SET LOCAL jit = off; SET LOCAL work_mem = '64MB'")
        cursor.execute("DROP TABLE IF EXISTS pg_temp.board_raw, pg_temp.board_levels, pg_temp.board_scope")
        cursor.execute(
            f"CREATE TEMP TABLE board_raw ON COMMIT DROP AS WITH {month_bounds()} {leaves}", params
        )
        cursor.execute(
            "CREATE TEMP TABLE board_scope ON COMMIT DROP AS"
            " SELECT s.society_id, s.metric, s.start, s.months::date[] AS months, s.stock"
            " FROM unnest(%s::int[], %s::text[], %s::date[], %s::text[], %s::bool[])"
            " AS s(society_id, metric, start, months, stock)",
            [[s[0] for s in scope], [s[1] for s in scope], [s[2] for s in scope],
             [None if s[3] is None else "{" + ",".join(m.isoformat() for m in s[3]) + "}" for s in scope],
             [s[4] for s in scope]],
        )
        cursor.execute("ANALYZE board_scope")
        # Hash joins: merge joins would sort by text (collation-aware, slow), or by a key the
        # months' series does not provide.
        cursor.execute("SET LOCAL enable_mergejoin = off")
        _stock_levels(cursor)
        _write(cursor, sorted({u.society.pk for u in todo}))
        cursor.execute("SET LOCAL enable_mergejoin = on")
    for u in todo:
        for k in u.metrics:
            if u.start is None and u.months is None:
                recomputed[u.society.pk, k] = -1
            elif BY_KEY[k].stock or u.months is None:
                recomputed[u.society.pk, k] = _months_between(u.start, started)
            else:
                recomputed[u.society.pk, k] = len(u.months)
    return recomputed


def _stock_levels(cursor) -> None:
    """``board_levels``: the stocks' levels at the end of each month from the deltas in
    ``board_raw`` — the level stored for the month before ``start`` plus the running sum of
    deltas, up to this month."""
    cursor.execute(
        f"""
        CREATE TEMP TABLE board_levels ON COMMIT DROP AS
        WITH d AS MATERIALIZED (
            SELECT r.society_id, r.metric, r.period, r.dimension, r.value FROM board_raw r
            WHERE r.metric = ANY(%(stocks)s)
        ),
        base AS MATERIALIZED (
            SELECT mv.society_id, mv.metric, mv.dimension, mv.value FROM board_scope sc
            JOIN public.board_metricvalue mv ON mv.society_id = sc.society_id AND mv.metric = sc.metric
             AND mv.period = (sc.start - interval '1 month')::date
            WHERE sc.stock AND sc.start IS NOT NULL
        ),
        firsts AS MATERIALIZED (
            SELECT sc.society_id, sc.metric, COALESCE(sc.start, f.first) AS start
            FROM board_scope sc LEFT JOIN (
                SELECT society_id, metric, min(period) AS first FROM d GROUP BY 1, 2
            ) f ON f.society_id = sc.society_id AND f.metric = sc.metric
            WHERE sc.stock
        ),
        dims AS (
            SELECT society_id, metric, dimension FROM d UNION SELECT society_id, metric, dimension FROM base
        ),
        levels AS (
            SELECT g.society_id, g.metric, g.period, g.dimension,
                   COALESCE(b.value, 0) + sum(COALESCE(d.value, 0)) OVER (
                       PARTITION BY g.society_id, g.metric COLLATE "C", g.dimension COLLATE "C" ORDER BY g.period
                   ) AS value
            FROM (
                SELECT f.society_id, f.metric, dims.dimension, m::date AS period
                FROM firsts f JOIN dims ON dims.society_id = f.society_id AND dims.metric = f.metric
                CROSS JOIN generate_series(f.start, date_trunc('month', now() AT TIME ZONE '{TZ}')::date,
                                           interval '1 month') m
            ) g
            LEFT JOIN d ON d.society_id = g.society_id AND d.metric = g.metric AND d.dimension = g.dimension
             AND d.period = g.period
            LEFT JOIN base b ON b.society_id = g.society_id AND b.metric = g.metric AND b.dimension = g.dimension
        )
        SELECT * FROM levels WHERE value <> 0
        """,
        {"stocks": [m.key for m in BY_KEY.values() if m.stock]},
    )


# The recomputed figures: flows as read, stocks as levels.
_FRESH = """(
    SELECT r.society_id, r.metric, r.period, r.dimension, r.value FROM board_raw r
    WHERE r.metric <> ALL(%(stocks)s)
    UNION ALL
    SELECT l.society_id, l.metric, l.period, l.dimension, l.value FROM board_levels l
)"""


def _write(cursor, societies: list[int]) -> None:
    """Store the recomputed figures for the months of ``board_scope``: delete what is no longer
    there, upsert what is new or changed, leave equal values alone (one statement)."""
    cursor.execute(
        f"""
        WITH cur AS (
            SELECT mv.id, mv.society_id, mv.metric, mv.period, mv.dimension, mv.value
            FROM board_scope sc JOIN public.board_metricvalue mv
              ON mv.society_id = sc.society_id AND mv.metric = sc.metric
             AND (sc.start IS NULL OR mv.period >= sc.start) AND (sc.months IS NULL OR mv.period = ANY(sc.months))
            WHERE mv.society_id = ANY(%(societies)s)
        ),
        diff AS MATERIALIZED (
            SELECT cur.id, f.society_id, f.metric, f.period, f.dimension, f.value
            FROM {_FRESH} f FULL JOIN cur ON cur.society_id = f.society_id AND cur.metric = f.metric
             AND cur.period = f.period AND cur.dimension = f.dimension
            WHERE cur.id IS NULL OR f.society_id IS NULL OR cur.value <> f.value
        ),
        gone AS (
            DELETE FROM public.board_metricvalue mv USING diff
            WHERE mv.id = diff.id AND diff.society_id IS NULL
        ),
        changed AS (
            UPDATE public.board_metricvalue mv SET value = diff.value FROM diff
            WHERE mv.id = diff.id AND diff.society_id IS NOT NULL
        )
        INSERT INTO public.board_metricvalue (society_id, metric, period, dimension, value)
        SELECT society_id, metric, period, dimension, value FROM diff WHERE id IS NULL
        """,
        {"stocks": [m.key for m in BY_KEY.values() if m.stock], "societies": societies},
    )


def _store_summaries(units: list[_Unit], recomputed: dict, *, prune: bool) -> None:
    """The yearly indicators (YearSummary) of the years whose figures were recomputed; ``prune``
    also removes years left without figures (only a full recompute can empty a year)."""
    from board.selectors import SUMMARY_METRICS, summarise_societies

    this_year = _month(timezone.now()).year
    years: dict[int, set[int] | None] = {}  # None: every year
    for u in units:
        if not any(recomputed.get((u.society.pk, k)) for k in u.metrics if k in SUMMARY_METRICS):
            continue
        society_id = u.society.pk
        if u.start is None and u.months is None:
            years[society_id] = None
        elif years.get(society_id, set()) is not None:
            # A stock from ``start`` changes every later year (and the growth of each).
            wanted = {m.year for m in u.months} if u.months else set(range(u.start.year, this_year + 1))
            years[society_id] = years.get(society_id, set()) | wanted
    if not years:
        return
    summaries = summarise_societies(years)
    if prune:
        whole = [s for s, wanted in years.items() if wanted is None]
        kept = [(s, y) for s in whole for y in summaries.get(s, {})]
        with connection.cursor() as cursor:
            cursor.execute(
                """DELETE FROM public.board_yearsummary ys WHERE ys.society_id = ANY(%s) AND NOT EXISTS (
                       SELECT 1 FROM unnest(%s::int[], %s::int[]) AS k(society_id, year)
                       WHERE k.society_id = ys.society_id AND k.year = ys.year)""",
                [whole, [k[0] for k in kept], [k[1] for k in kept]],
            )
    YearSummary.objects.bulk_create(
        [
            YearSummary(society_id=society_id, year=year, indicators=values)
            for society_id, by_year in summaries.items()
            for year, values in by_year.items()
        ],
        update_conflicts=True,
        unique_fields=["society", "year"],
        update_fields=["indicators", "updated_at"],
    )
