"""Capturing changes to the figures as they are written, so that a fill need not read the
societies' tables again.

After each statement that inserts, updates or deletes rows of a table a metric reads, a trigger
(common/migrations/0002_board_capture) runs this module's SQL for that table and operation: every
source reading the table (``board.metrics.SOURCES``) rendered over the statement's old rows
(weight -1) and new rows (weight +1), summed per (metric, month, dimension).  What is not zero is
stored in :class:`board.models.PendingChange`, in the writer's transaction, so it exists exactly
when the write does.  A change to a table that only names grouped rows (``Source.whole_on``)
stores a "recompute whole" mark instead.  The next fill (``board.fill``) consumes the changes.

The SQL lives in ``public.board_capture``, written by :func:`sync` from the code's metric
definitions (after ``migrate``, and by a fill that finds it missing or out of date).  When the
definitions change, :func:`sync` clears every watermark: figures computed the old way are then
recomputed whole by the next fill, and changes captured the old way are dropped by it.
"""

import functools
import hashlib

from django.db import connection, transaction

from board.metrics import BOUNDS_TABLE, SOURCE_TABLES, SOURCES, bounds_sql, month_bounds

OPERATIONS = ("INSERT", "UPDATE", "DELETE")
SCHEMA = "@schema@"  # replaced by the trigger with the quoted schema name


def capture_query(table: str, operation: str) -> str | None:
    """The SQL that turns one statement's rows of ``table`` into changes of the figures, as one
    row of four arrays (metric, period, dimension, value); None when no source can say."""
    leaves = [
        source.render(SCHEMA, changed=(table, operation))
        for source in SOURCES
        if table in source.tables and table not in source.whole_on
    ]
    if not leaves:
        return None
    union = " UNION ALL ".join(f"SELECT q.metric, q.period, q.dimension, q.value FROM ({leaf}) q" for leaf in leaves)
    return (
        f"WITH {month_bounds()}, changes AS ("
        f" SELECT c.metric, c.period, COALESCE(c.dimension, '') AS dimension, sum(c.value) AS value"
        f" FROM ({union}) c WHERE c.value IS NOT NULL GROUP BY 1, 2, 3 HAVING sum(c.value) <> 0)"
        " SELECT array_agg(metric), array_agg(period), array_agg(dimension), array_agg(value) FROM changes"
    )


def _rows() -> list[tuple]:
    rows = []
    for table in SOURCE_TABLES:
        reading = [source for source in SOURCES if table in source.tables]
        metrics = sorted({key for source in reading for key in source.metrics})
        whole = sorted({key for source in reading if table in source.whole_on for key in source.metrics})
        for operation in OPERATIONS:
            rows.append((table, operation, capture_query(table, operation), metrics, whole))
    return rows


@functools.cache
def version() -> str:
    """A digest of what the capture does: its SQL for every table and operation, which follows
    the metric definitions, and the month bounds."""
    digest = hashlib.sha256(bounds_sql().encode())
    for row in _rows():
        digest.update(repr(row).encode())
    return digest.hexdigest()[:16]


def sync() -> bool:
    """Write the capture SQL and the month bounds when missing or out of date.  Returns True
    when it did (and so cleared the watermarks: the next fill recomputes every figure)."""
    with transaction.atomic(), connection.cursor() as cursor:
        # One writer at a time; readers (the triggers) see the old rows until this commits.
        cursor.execute("LOCK TABLE public.board_capture IN SHARE ROW EXCLUSIVE MODE")
        if is_current():
            return False
        cursor.execute("DELETE FROM public.board_capture")
        cursor.executemany(
            "INSERT INTO public.board_capture (table_name, operation, query, metrics, whole, version)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            [(*row, version()) for row in _rows()],
        )
        cursor.execute(f"DELETE FROM {BOUNDS_TABLE}")
        cursor.execute(f"INSERT INTO {BOUNDS_TABLE} (b) {bounds_sql()}")
        cursor.execute("UPDATE public.board_fillwatermark SET watermark = NULL WHERE watermark IS NOT NULL")
    return True


def is_current() -> bool:
    """One cheap query: are the stored capture SQL (every table and operation) and the month
    bounds the code's?"""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE version = %s), count(*), (SELECT count(*) FROM "
            f"{BOUNDS_TABLE}) FROM public.board_capture",
            [version()],
        )
        matching, total, bounds = cursor.fetchone()
    return matching == total == len(SOURCE_TABLES) * len(OPERATIONS) and bounds == 1


def schemas_without_capture(schemas: list[str]) -> set[str]:
    """The schemas among ``schemas`` whose tables have no capture triggers yet (not migrated)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s FROM unnest(%s::text[]) s WHERE NOT EXISTS ("
            " SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = s AND c.relname = 'members_member' AND t.tgname = 'board_capture_update')",
            [schemas],
        )
        return {row[0] for row in cursor.fetchall()}
