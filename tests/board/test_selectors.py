"""Reads behind the board pages: how many queries they cost."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from board.fill import fill_society
from board.selectors import society_tables


def test_society_tables_read_the_figures_once_per_table(seeded):
    society_a, _b = seeded
    fill_society(society=society_a)
    with CaptureQueriesContext(connection) as queries:
        tables = society_tables(society_a.pk, 2025)
    reads = [query["sql"] for query in queries if not query["sql"].startswith("SET search_path")]
    assert len(reads) == len(tables)
    assert all("board_metricvalue" in sql for sql in reads)
    assert any(table.rows for table in tables)
