"""Read-only API for programme chairs (mounted at /api/v1/reviews/).

Blind-safe by construction: no serializer has an author, e-mail or affiliation field, reviewers
appear by committee id only, and papers the caller is conflicted with are left out entirely.
"""

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from reviews import selectors
from reviews.models import Call


class CallSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    meeting = serializers.CharField(source="meeting.slug")
    review_mode = serializers.CharField()
    submission_deadline = serializers.DateTimeField()
    review_deadline = serializers.DateTimeField()
    reviewers_per_paper = serializers.IntegerField()


class PaperSerializer(serializers.Serializer):
    number = serializers.IntegerField(source="submission.number")
    title_zh = serializers.CharField(source="submission.title_zh")
    title_en = serializers.CharField(source="submission.title_en")
    track = serializers.CharField(source="submission.track.name", default=None)
    reviews = serializers.IntegerField(source="count")
    assigned = serializers.IntegerField()
    average = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    weighted = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    spread = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    decision = serializers.SerializerMethodField()

    def get_decision(self, row) -> str | None:
        decision = getattr(row["submission"], "decision", None)
        return decision.outcome if decision else None


class PapersResponse(serializers.Serializer):
    hidden_for_conflicts = serializers.IntegerField()
    papers = PaperSerializer(many=True)


def _chaired_call(request, call_id: int) -> Call:
    call = Call.objects.select_related("meeting").filter(pk=call_id).first()
    if call is None or not selectors.is_chair(request.user, call):
        raise Http404
    return call


@extend_schema(responses=CallSerializer(many=True))
@api_view(["GET"])
@permission_classes([permissions.IsAuthenticated])
def calls(request):
    visible = [c for c in Call.objects.select_related("meeting") if selectors.is_chair(request.user, c)]
    return Response(CallSerializer(visible, many=True).data)


@extend_schema(responses=PapersResponse)
@api_view(["GET"])
@permission_classes([permissions.IsAuthenticated])
def papers(request, call_id: int):
    call = _chaired_call(request, call_id)
    rows, hidden = selectors.ranked_table(call, request.user)
    return Response({"hidden_for_conflicts": hidden, "papers": PaperSerializer(rows, many=True).data})


urlpatterns = [
    path("calls/", calls, name="api_reviews_calls"),
    path("calls/<int:call_id>/papers/", papers, name="api_reviews_papers"),
]
