"""The society's own board (society site, /board/): its figures only, read from the aggregates."""

from django.http import Http404
from django.shortcuts import render

from board.csv_export import table_response
from board.forms import SocietyFilterForm
from board.selectors import (
    SOCIETY_TABLES,
    available_years,
    freshness,
    own_score,
    small_cell_k,
    society_categories,
    society_table,
    society_tables,
)
from board.services import record_board_access
from common.models import Role
from common.permissions import role_required

BOARD_ROLES = (Role.ADMIN, Role.FINANCE)


def _filters(request):
    society = request.society
    form = SocietyFilterForm(
        request.GET or None, years=available_years(society.pk), categories=society_categories(society.pk)
    )
    year, category = form.values()
    return society, form, year, category


@role_required(*BOARD_ROLES)
def society_board(request):
    society, form, year, category = _filters(request)
    record_board_access(actor=request.user, page="view", params={"year": year, "category": category})
    return render(
        request,
        "board/society.html",
        {
            "form": form,
            "year": year,
            "category": category,
            "tables": society_tables(society.pk, year, category=category),
            "fresh": freshness(society.pk),
            "score": own_score(society.pk, year),
            "k": small_cell_k(),
        },
    )


@role_required(*BOARD_ROLES)
def society_csv(request, chart: str):
    if chart not in SOCIETY_TABLES:
        raise Http404
    society, _form, year, category = _filters(request)
    table = society_table(chart, society.pk, year, category=category)
    record_board_access(actor=request.user, page="export", params={"chart": chart, "year": year, "category": category})
    return table_response(table, f"{society.slug}-{chart}-{year}.csv")
