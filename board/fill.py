"""Filling the aggregate tables from the societies' schemas.

:func:`fill_societies` brings the figures of any number of societies up to date, in one of two
ways per society and metric:

**Adding the captured changes** (the usual way).  Triggers on the societies' tables record how
each write changed the figures (``board.capture``); one transaction for all the societies, in a
fixed number of statements that read only the public schema, so that its cost follows the
number of changes, not the number or the size of the societies:

1. lock the societies (one fill at a time per society) and read their watermarks;
2. carry each stock's levels forward to the current month where a month began since its last
   fill;
3. take the pending changes and add them (one statement: ``DELETE … RETURNING`` feeding the
   upsert): a flow's change goes to its month, a stock's to every month from its own to the
   current one (a stock's change dated in a later month waits for that month); figures that
   become zero are removed;
4. store the watermarks, and the yearly indicators (YearSummary) of the years touched.

**Recomputing whole** from the society's rows: its first fill, a metric whose definition changed
(``board.capture.sync`` clears the watermarks), a change the triggers could not express as a
difference (a "whole" mark), a schema without the capture triggers yet, and ``full=True`` (the
nightly run: the safety net for writes no trigger sees, such as a TRUNCATE).  A chunk of
:data:`CHUNK` societies per transaction, in a fixed number of statements per chunk (two database
connections share the chunks of a large fill):

1. lock the societies and read the database time ``t`` (the new mark);
2. recompute every month of every (society, source) in one ``CREATE TEMP TABLE … AS SELECT …
   UNION ALL`` — each source reads its table once for all the metrics it feeds
   (``board.metrics.SOURCES``), with the society as a column — and, in the same statement (one
   snapshot), delete the changes captured before it: each write is counted once, either in the
   recomputed figures or as a change left for the next fill; then turn stock deltas into levels;
3. write the difference to ``board_metricvalue``: rows no longer produced are deleted, new or
   changed values upserted, equal ones left alone (rows never travel through Python);
4. store ``t`` as the watermark, and the yearly indicators of the years touched.

A crash at any step rolls its transaction back, changes and watermarks included; running the
fill again does the same work, so the fill is restartable and idempotent.  If the combined
statements fail (another app's migration half-way), each (society, source) runs on its own and
the failing ones are skipped until the next fill.
"""

import logging
from collections import deque
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date

from django.db import DatabaseError, connection, transaction
from django_tenants.utils import get_public_schema_name, schema_context

from board import capture
from board.metrics import BY_KEY, SOURCES, TZ, Metric, Source, month_bounds
from board.models import FillWatermark
from tenants.schemas import quote

logger = logging.getLogger(__name__)

# Societies per transaction, at most: a statement over every table of every schema would hold
# more relation locks (about LOCKS_PER_SOCIETY: the source tables and their indexes) than
# PostgreSQL's lock table has room for.  Fewer on a server with a smaller lock table, so that
# the two connections of a fill hold at most half of it.
CHUNK = 12
LOCKS_PER_SOCIETY = 130
# The first key of the advisory locks that keep two fills of one society apart.
LOCK_KEY = 0x626F61  # "boa"
_STOCKS = [m.key for m in BY_KEY.values() if m.stock]
# The metrics the yearly indicators are computed from (SUMMARY_SQL).
SUMMARY_METRICS = ("members", "revenue", "meetings", "registrations", "submissions")
_THIS_MONTH = f"date_trunc('month', now() AT TIME ZONE '{TZ}')::date"


@dataclass
class FillReport:
    schema_name: str
    # metric -> months changed (-1: recomputed whole)
    filled: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


@dataclass
class _Unit:
    """One source in one society's schema, recomputed whole."""

    society: object
    source: Source
    metrics: list[str]

    def leaf(self) -> str:
        return self.source.render(quote(self.society.schema_name))


def fill_society(*, society, full: bool = False, metrics: list[Metric] | None = None) -> FillReport:
    """Fill every registered metric (or ``metrics``) of one society; see :func:`fill_societies`."""
    return fill_societies([society], full=full, metrics=metrics)[society.pk]


def fill_metric(*, society, metric: Metric, full: bool = False) -> int | None:
    """Bring one metric of one society up to date.  Returns how many months changed (-1 when it
    was recomputed whole), or None when its source does not exist in the society's schema yet."""
    return fill_society(society=society, metrics=[metric], full=full).filled.get(metric.key)


def fill_societies(societies, *, full: bool = False, metrics: list[Metric] | None = None) -> dict[int, FillReport]:
    """Fill every registered metric (or ``metrics``) of ``societies``: add the changes captured
    since the last fill, and recompute whole what cannot be brought up to date that way (see the
    module's docstring) — one transaction per :data:`CHUNK` societies, the chunks shared by this
    connection and a second one when there are several and no transaction is open.

    ``full`` recomputes every figure from the societies' rows (the same figures, slower).
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
    with schema_context(get_public_schema_name()):
        if not capture.is_current():
            capture.sync()  # definitions changed: every figure is recomputed below
        whole = {s.pk: sources for s in societies} if full else _add_changes(societies, keys, sources, reports)
    pending = [s for s in societies if whole.get(s.pk)]
    size = _chunk_size() if len(pending) > 1 else 1
    chunks = deque(pending[first : first + size] for first in range(0, len(pending), size))

    def drain():
        # Chunks touch disjoint rows: each runs in its own transaction.
        while chunks:
            try:
                chunk = chunks.popleft()
            except IndexError:
                return
            with schema_context(get_public_schema_name()):
                _fill_chunk(chunk, keys=keys, sources=whole, reports=reports)

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


def _begin(ids: list[int]) -> None:
    """Start a fill's transaction: keep other fills of these societies waiting until it ends,
    and let it commit without waiting for its WAL to reach the disk — it writes only figures
    derived from other rows, and the changes it consumes go with it, so a crash that loses it
    leaves the database as if it never ran, and the next fill does it again."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(%s, i)) FROM (SELECT unnest(%s::int[]) AS i ORDER BY 1) ids",
            [LOCK_KEY, ids],
        )


def _marks(ids: list[int], keys: list[str]) -> dict[tuple[int, str], date | None]:
    """The month (Asia/Shanghai) of each (society, metric)'s last fill: None when it must be
    recomputed whole.  Creates the marks of a first fill."""
    query = (
        "SELECT society_id, metric, CASE WHEN status = %s"
        f" THEN date_trunc('month', watermark AT TIME ZONE '{TZ}')::date END"
        " FROM public.board_fillwatermark WHERE society_id = ANY(%s) AND metric = ANY(%s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [FillWatermark.Status.FILLED, ids, keys])
        found = {(society_id, metric): last for society_id, metric, last in cursor.fetchall()}
        if len(found) < len(ids) * len(keys):  # the first fill of these metrics
            missing = [(i, k) for i in ids for k in keys if (i, k) not in found]
            cursor.execute(
                "INSERT INTO public.board_fillwatermark (society_id, metric, status, months_recomputed)"
                " SELECT * , %s, 0 FROM unnest(%s::int[], %s::text[]) ON CONFLICT DO NOTHING",
                [FillWatermark.Status.FILLED, [m[0] for m in missing], [m[1] for m in missing]],
            )
            found.update(dict.fromkeys(missing))
    return found


def _add_changes(societies, keys: list[str], sources: list[Source], reports: dict) -> dict[int, list[Source]]:
    """Bring up to date, from the captured changes, every (society, source) that can be; returns
    the sources of each society that must be recomputed whole instead."""
    ids = [s.pk for s in societies]
    whole: dict[int, list[Source]] = {}
    with transaction.atomic():
        _begin(ids)
        marks = _marks(ids, keys)
        without = capture.schemas_without_capture([s.schema_name for s in societies])
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT now(), {_THIS_MONTH}, ARRAY(SELECT DISTINCT society_id || ' ' || metric"
                " FROM public.board_pendingchange WHERE whole AND society_id = ANY(%s) AND metric = ANY(%s))",
                [ids, keys],
            )
            started, this_month, marked = cursor.fetchone()
        marked = set(marked)
        pairs = []  # (society id, metric, month of its last fill)
        for society in societies:
            for source in sources:
                wanted = [k for k in source.metrics if k in keys]
                last = [marks[society.pk, k] for k in wanted]
                if society.schema_name in without or None in last or any(f"{society.pk} {k}" in marked for k in wanted):
                    whole.setdefault(society.pk, []).append(source)
                else:
                    pairs += [(society.pk, k, month) for k, month in zip(wanted, last, strict=True)]
        if not pairs:
            return whole
        changed = _apply_changes(pairs, this_month)
        filled = [(s, k, changed.get((s, k), (0, None))[0]) for s, k, _last in pairs]
        _store_marks(filled, started)
        for society_id, key, months in filled:
            reports[society_id].filled[key] = months
        years: dict[int, set[int]] = {}
        for (society_id, key), (_months, changed_years) in changed.items():
            if key in SUMMARY_METRICS:
                years.setdefault(society_id, set()).update(changed_years)
                if BY_KEY[key].stock:  # a year's growth compares it with the end of the year before
                    years[society_id].update(y + 1 for y in changed_years if y < this_month.year)
        for society_id, key, last in pairs:
            if BY_KEY[key].stock and last < this_month and key in SUMMARY_METRICS:
                years.setdefault(society_id, set()).update(range(last.year, this_month.year + 1))
        _store_summaries(years, prune=False)
    return whole


def _apply_changes(pairs: list[tuple[int, str, date]], this_month: date) -> dict[tuple[int, str], tuple[int, list]]:
    """Carry stocks forward, then consume and add the pending changes of ``pairs``.  Returns,
    per (society, metric) that changed, how many months and which years changed."""
    params = {
        "societies": [p[0] for p in pairs],
        "metrics": [p[1] for p in pairs],
        "lasts": [p[2] for p in pairs],
        "stocks": _STOCKS,
        "month": this_month,
    }
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        if any(last < this_month and BY_KEY[key].stock for _s, key, last in pairs):
            # A stock's levels at its last fill's month hold until a change: carry them forward.
            cursor.execute(
                """
                INSERT INTO public.board_metricvalue (society_id, metric, period, dimension, value)
                SELECT mv.society_id, mv.metric, m::date, mv.dimension, mv.value
                FROM unnest(%(societies)s::int[], %(metrics)s::text[], %(lasts)s::date[]) AS k(society_id, metric, last)
                JOIN public.board_metricvalue mv
                  ON mv.society_id = k.society_id AND mv.metric = k.metric AND mv.period = k.last
                CROSS JOIN generate_series((k.last + interval '1 month')::date, %(month)s, interval '1 month') m
                WHERE k.metric = ANY(%(stocks)s) AND k.last < %(month)s
                ON CONFLICT (society_id, metric, period, dimension) DO NOTHING
                """,
                params,
            )
        cursor.execute(
            """
            WITH taken AS (
                DELETE FROM public.board_pendingchange c
                USING unnest(%(societies)s::int[], %(metrics)s::text[]) AS k(society_id, metric)
                WHERE c.society_id = k.society_id AND c.metric = k.metric AND NOT c.whole
                  AND (c.metric <> ALL(%(stocks)s) OR c.period <= %(month)s)
                RETURNING c.society_id, c.metric, c.period, c.dimension, c.value
            ),
            changes AS MATERIALIZED (
                SELECT society_id, metric, period, dimension, sum(value) AS value FROM taken
                GROUP BY 1, 2, 3, 4 HAVING sum(value) <> 0
            ),
            -- What to add to each figure: a flow's change to its month, a stock's to its month and
            -- every month after it.
            spread AS MATERIALIZED (
                SELECT society_id, metric, period, dimension, value FROM changes WHERE metric <> ALL(%(stocks)s)
                UNION ALL
                SELECT k.society_id, k.metric, m::date, k.dimension,
                       sum(COALESCE(c.value, 0)) OVER (
                           PARTITION BY k.society_id, k.metric, k.dimension COLLATE "C" ORDER BY m)
                FROM (
                    SELECT society_id, metric, dimension, min(period) AS first FROM changes
                    WHERE metric = ANY(%(stocks)s) GROUP BY 1, 2, 3
                ) k
                CROSS JOIN generate_series(k.first, %(month)s, interval '1 month') m
                LEFT JOIN changes c ON c.society_id = k.society_id AND c.metric = k.metric
                 AND c.dimension = k.dimension AND c.period = m::date
            ),
            merged AS MATERIALIZED (
                SELECT mv.id, s.society_id, s.metric, s.period, s.dimension, COALESCE(mv.value, 0) + s.value AS value
                FROM spread s LEFT JOIN public.board_metricvalue mv
                  ON mv.society_id = s.society_id AND mv.metric = s.metric AND mv.period = s.period
                 AND mv.dimension = s.dimension
                WHERE s.value <> 0
            ),
            gone AS (
                DELETE FROM public.board_metricvalue mv USING merged
                WHERE mv.id = merged.id AND merged.value = 0
            ),
            updated AS (
                UPDATE public.board_metricvalue mv SET value = merged.value FROM merged
                WHERE mv.id = merged.id AND merged.value <> 0
            ),
            inserted AS (
                INSERT INTO public.board_metricvalue (society_id, metric, period, dimension, value)
                SELECT society_id, metric, period, dimension, value FROM merged WHERE id IS NULL AND value <> 0
            )
            SELECT society_id, metric, count(DISTINCT period)::int, array_agg(DISTINCT extract(year FROM period)::int)
            FROM spread WHERE value <> 0 GROUP BY 1, 2
            """,
            params,
        )
        return {(s, k): (months, years) for s, k, months, years in cursor.fetchall()}


def _store_marks(filled: list[tuple[int, str, int]], started) -> None:
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


def _fill_chunk(societies, *, keys: list[str], sources: dict[int, list[Source]], reports: dict) -> None:
    """Recompute whole the ``sources`` of each society of the chunk."""
    ids = [s.pk for s in societies]
    with transaction.atomic():
        _begin(ids)
        _marks(ids, keys)
        tables = sorted({t for s in societies for source in sources[s.pk] for t in source.tables})
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
            for source in sources[society.pk]:
                wanted = [k for k in source.metrics if k in keys]
                if any(f"{society.schema_name}.{t}" in missing for t in source.tables):
                    skipped += [(society.pk, k) for k in wanted]
                    continue
                units.append(_Unit(society=society, source=source, metrics=wanted))
        try:
            with transaction.atomic():
                _fill(units)
        except DatabaseError:
            logger.warning("board: combined fill failed; filling source by source")
            failed = []
            for unit in units:
                try:
                    with transaction.atomic():
                        _fill([unit])
                except DatabaseError:
                    # A source table that exists but lacks a column this source reads: another app's
                    # migration is half-way.  Skip it now; the next fill tries again.
                    logger.exception("board: source %s failed in %s", unit.source.key, unit.society.schema_name)
                    skipped += [(unit.society.pk, k) for k in unit.metrics]
                    failed.append(unit)
            units = [u for u in units if u not in failed]
        filled = [(u.society.pk, k, -1) for u in units for k in u.metrics]
        _store_marks(filled, started)
        with connection.cursor() as cursor:
            cursor.execute(
                """UPDATE public.board_fillwatermark w
                   SET watermark = NULL, filled_at = %(started)s, status = %(skipped)s
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
        _store_summaries(
            {u.society.pk: None for u in units if any(k in SUMMARY_METRICS for k in u.metrics)}, prune=True
        )


def _fill(units: list[_Unit]) -> None:
    """Recompute and store every month of ``units``, consuming their captured changes."""
    if not units:
        return
    leaves = " UNION ALL ".join(
        f"SELECT {u.society.pk} AS society_id, q.metric, q.period, COALESCE(q.dimension, '') AS dimension, q.value "
        f"FROM ({u.leaf()}) q WHERE q.value IS NOT NULL AND q.value <> 0"
        + ("" if len(u.metrics) == len(u.source.metrics) else f" AND q.metric = ANY(%(u{n}_metrics)s)")
        for n, u in enumerate(units)
    )
    params: dict = {f"u{n}_metrics": u.metrics for n, u in enumerate(units)}
    scope = [(u.society.pk, k, BY_KEY[k].stock) for u in units for k in u.metrics]
    params.update(
        {
            "societies": [s[0] for s in scope],
            "metrics": [s[1] for s in scope],
            "stocks": _STOCKS,
        }
    )
    with connection.cursor() as cursor:
        # A batch job: no JIT (compiling costs more than it saves here), room to hash in memory.
        cursor.execute("SET LOCAL jit = off; SET LOCAL work_mem = '64MB'")
        cursor.execute("DROP TABLE IF EXISTS pg_temp.board_raw, pg_temp.board_levels, pg_temp.board_scope")
        cursor.execute(
            "CREATE TEMP TABLE board_raw (society_id int, metric text, period date, dimension text, value numeric)"
            " ON COMMIT DROP"
        )
        # One statement, one snapshot: the changes captured by the writes this recompute sees
        # are deleted; those of writes committed after it started stay for the next fill.  A
        # stock's change dated after this month stays too: its month's level is not stored yet.
        cursor.execute(
            f"""WITH {month_bounds()}, taken AS (
                    DELETE FROM public.board_pendingchange c
                    USING unnest(%(societies)s::int[], %(metrics)s::text[]) AS k(society_id, metric)
                    WHERE c.society_id = k.society_id AND c.metric = k.metric
                      AND (c.whole OR c.metric <> ALL(%(stocks)s) OR c.period <= {_THIS_MONTH})
                )
                INSERT INTO board_raw {leaves}""",
            params,
        )
        cursor.execute(
            "CREATE TEMP TABLE board_scope ON COMMIT DROP AS"
            " SELECT s.society_id, s.metric, s.stock"
            " FROM unnest(%s::int[], %s::text[], %s::bool[]) AS s(society_id, metric, stock)",
            [[s[0] for s in scope], [s[1] for s in scope], [s[2] for s in scope]],
        )
        cursor.execute("ANALYZE board_scope")
        # Hash joins: merge joins would sort by text (collation-aware, slow), or by a key the
        # months' series does not provide.
        cursor.execute("SET LOCAL enable_mergejoin = off")
        _stock_levels(cursor)
        _write(cursor, sorted({u.society.pk for u in units}))
        cursor.execute("SET LOCAL enable_mergejoin = on")


def _stock_levels(cursor) -> None:
    """``board_levels``: the stocks' levels at the end of each month from the deltas in
    ``board_raw`` — the running sum of deltas from the first month up to this month (deltas
    of later months are not counted yet)."""
    cursor.execute(
        f"""
        CREATE TEMP TABLE board_levels ON COMMIT DROP AS
        WITH d AS MATERIALIZED (
            SELECT r.society_id, r.metric, r.period, r.dimension, r.value FROM board_raw r
            WHERE r.metric = ANY(%(stocks)s)
        ),
        keys AS (
            SELECT society_id, metric, dimension, min(period) AS first FROM d GROUP BY 1, 2, 3
        ),
        levels AS (
            SELECT g.society_id, g.metric, g.period, g.dimension,
                   sum(COALESCE(d.value, 0)) OVER (
                       PARTITION BY g.society_id, g.metric COLLATE "C", g.dimension COLLATE "C" ORDER BY g.period
                   ) AS value
            FROM (
                SELECT k.society_id, k.metric, k.dimension, m::date AS period
                FROM keys k CROSS JOIN generate_series(k.first, {_THIS_MONTH}, interval '1 month') m
            ) g
            LEFT JOIN d ON d.society_id = g.society_id AND d.metric = g.metric AND d.dimension = g.dimension
             AND d.period = g.period
        )
        SELECT * FROM levels WHERE value <> 0
        """,
        {"stocks": _STOCKS},
    )


# The recomputed figures: flows as read, stocks as levels.
_FRESH = """(
    SELECT r.society_id, r.metric, r.period, r.dimension, r.value FROM board_raw r
    WHERE r.metric <> ALL(%(stocks)s)
    UNION ALL
    SELECT l.society_id, l.metric, l.period, l.dimension, l.value FROM board_levels l
)"""


def _write(cursor, societies: list[int]) -> None:
    """Store the recomputed figures of ``board_scope``: delete what is no longer there, upsert
    what is new or changed, leave equal values alone (one statement)."""
    cursor.execute(
        f"""
        WITH cur AS (
            SELECT mv.id, mv.society_id, mv.metric, mv.period, mv.dimension, mv.value
            FROM board_scope sc JOIN public.board_metricvalue mv
              ON mv.society_id = sc.society_id AND mv.metric = sc.metric
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
        {"stocks": _STOCKS, "societies": societies},
    )


# The yearly indicators of (society, year) pairs, from the stored figures, upserted in one
# statement; returns the pairs that have figures.  Members in good standing at the end of the
# year (this month for the current year), their growth on the end of the year before, revenue in
# CNY, meetings held, confirmed registrations, submissions not withdrawn.
SUMMARY_SQL = f"""
    WITH k AS (SELECT * FROM unnest(%(societies)s::int[], %(years)s::int[]) AS k(society_id, year)),
    s AS (
        SELECT k.society_id, k.year, y.*, (
            SELECT COALESCE(sum(p.value), 0) FROM public.board_metricvalue p
            WHERE p.society_id = k.society_id AND p.metric = 'members' AND p.period = make_date(k.year - 1, 12, 1)
              AND (p.dimension LIKE 'active|%%' OR p.dimension LIKE 'grace|%%')
        ) AS before
        FROM k CROSS JOIN LATERAL (
            SELECT
              COALESCE(sum(value) FILTER (WHERE metric = 'members'
                  AND period = LEAST(make_date(k.year, 12, 1), {_THIS_MONTH})
                  AND (dimension LIKE 'active|%%' OR dimension LIKE 'grace|%%')), 0) AS members,
              COALESCE(sum(value) FILTER (WHERE metric = 'revenue' AND dimension LIKE '%%|CNY'), 0) AS revenue,
              COALESCE(sum(value) FILTER (WHERE metric = 'meetings'), 0) AS meetings,
              COALESCE(sum(value) FILTER (WHERE metric = 'registrations' AND dimension LIKE '%%|confirmed'), 0)
                AS registrations,
              COALESCE(sum(value) FILTER (WHERE metric = 'submissions' AND dimension <> 'withdrawn'), 0)
                AS submissions,
              count(*) AS n
            FROM public.board_metricvalue
            WHERE society_id = k.society_id AND metric = ANY(%(metrics)s)
              AND period >= make_date(k.year, 1, 1) AND period < make_date(k.year + 1, 1, 1)
        ) y
    )
    INSERT INTO public.board_yearsummary (society_id, year, indicators, updated_at)
    SELECT society_id, year, jsonb_build_object(
        'members', members::int,
        'growth', CASE WHEN before > 0 THEN round((members - before) / before * 100, 1)::float8 ELSE 0.0 END,
        'revenue', revenue::float8,
        'meetings', meetings::int,
        'registrations', registrations::int,
        'submissions', submissions::int
    ), now()
    FROM s WHERE n > 0
    ON CONFLICT (society_id, year) DO UPDATE SET indicators = EXCLUDED.indicators, updated_at = EXCLUDED.updated_at
    RETURNING society_id, year
"""
FIRST_YEAR_SQL = """
    SELECT s.id, extract(year FROM r.first)::int, extract(year FROM r.last)::int
    FROM unnest(%(societies)s::int[]) AS s(id) CROSS JOIN LATERAL (
        SELECT min(period) AS first, max(period) AS last FROM public.board_metricvalue
        WHERE society_id = s.id AND metric = ANY(%(metrics)s)
    ) r
"""


def _store_summaries(years: dict[int, set[int] | None], *, prune: bool) -> None:
    """The yearly indicators (YearSummary) of ``years`` per society (None: every year of its
    figures); ``prune`` also removes years left without figures (for the None ones)."""
    years = {society_id: wanted for society_id, wanted in years.items() if wanted is None or wanted}
    if not years:
        return
    metrics = list(SUMMARY_METRICS)
    with connection.cursor() as cursor:
        every = [society_id for society_id, wanted in years.items() if wanted is None]
        if every:
            cursor.execute(FIRST_YEAR_SQL, {"societies": every, "metrics": metrics})
            spans = {s: range(first, last + 1) if first else () for s, first, last in cursor.fetchall()}
            years = {**years, **{s: set(spans[s]) for s in every}}
        pairs = sorted({(s, year) for s, wanted in years.items() for year in wanted})
        cursor.execute(
            SUMMARY_SQL, {"societies": [p[0] for p in pairs], "years": [p[1] for p in pairs], "metrics": metrics}
        )
        kept = cursor.fetchall()
        if prune and every:
            cursor.execute(
                """DELETE FROM public.board_yearsummary ys WHERE ys.society_id = ANY(%s) AND NOT EXISTS (
                       SELECT 1 FROM unnest(%s::int[], %s::int[]) AS k(society_id, year)
                       WHERE k.society_id = ys.society_id AND k.year = ys.year)""",
                [every, [k[0] for k in kept], [k[1] for k in kept]],
            )
