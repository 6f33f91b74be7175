"""Board figures over the API: a society's own (society host, its token) and all societies'
(platform host, operators).  The same tables as the pages and CSV, suppression included."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from board.selectors import available_years, freshness, operator_rows, own_score, society_tables
from board.services import record_board_access
from common.api import HasSocietyRole
from common.models import Role


class TableSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField())


class SocietyFiguresSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    as_of = serializers.DateTimeField(allow_null=True)
    index = serializers.DictField(allow_null=True)
    tables = TableSerializer(many=True)


def _year(request, years: list[int]) -> int:
    try:
        year = int(request.query_params.get("year", years[0]))
    except ValueError:
        year = years[0]
    return year if year in years else years[0]


YEAR = OpenApiParameter("year", int, description="Calendar year; default the current one.")


class SocietyFigures(APIView):
    """The society's own board figures for a year."""

    permission_classes = [HasSocietyRole]
    required_roles = (Role.ADMIN, Role.FINANCE)

    @extend_schema(parameters=[YEAR], responses=SocietyFiguresSerializer)
    def get(self, request):
        society = request.society
        year = _year(request, available_years(society.pk))
        record_board_access(actor=request.user, page="api", params={"year": year})
        score = own_score(society.pk, year)
        return Response(
            {
                "year": year,
                "as_of": freshness(society.pk)["oldest"],
                "index": (
                    {"score": score.score, "group_rank": score.group_rank, "group_size": score.group_size,
                     "percentile": score.percentile}
                    if score else None
                ),
                "tables": [
                    {"key": t.key, "title": t.title, "columns": t.columns, "rows": t.rows}
                    for t in society_tables(society.pk, year)
                ],
            }
        )


class OperatorFigures(APIView):
    """All societies side by side for a year (platform operators)."""

    # Platform host: session login only (society API tokens live in society schemas).
    authentication_classes = [SessionAuthentication]
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(parameters=[YEAR, OpenApiParameter("group", str)])
    def get(self, request):
        year = _year(request, available_years())
        group = request.query_params.get("group", "")
        record_board_access(actor=request.user, page="operator_api", params={"year": year, "group": group})
        return Response({"year": year, "as_of": freshness()["oldest"], "societies": operator_rows(year, group)})


society_figures = SocietyFigures.as_view()
operator_figures = OperatorFigures.as_view()
