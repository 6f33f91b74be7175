"""CSV downloads of board tables: UTF-8 with BOM, so that Excel in China opens Chinese headers."""

import csv
import io

from django.http import HttpResponse

from board.selectors import Table, small_cell_k


def table_response(table: Table, filename: str) -> HttpResponse:
    k = small_cell_k()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.columns)
    for row in table.rows:
        # A suppressed people count is written as "<k" (a rate built on one stays empty).
        writer.writerow(
            [
                ("" if table.is_nullable(i) else f"<{k}") if value is None else value
                for i, value in enumerate(row)
            ]
        )
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
