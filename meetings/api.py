"""The meetings part of the society API (read-only): meetings and, for organisers, registrations."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from common.api import HasSocietyRole
from common.models import Role
from meetings import selectors
from meetings.models import Meeting, Registration


class MeetingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Meeting
        fields = ["slug", "title_zh", "title_en", "starts_on", "ends_on", "venue", "online", "status"]


class RegistrationSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="registration_type.name_zh")

    class Meta:
        model = Registration
        fields = [
            "ticket_code",
            "name",
            "email",
            "unit",
            "type",
            "status",
            "total",
            "currency",
            "paid_at",
            "checked_in_at",
        ]


class OrganiserOnly(HasSocietyRole):
    def has_permission(self, request, view):
        view.required_roles = (Role.ORGANISER,)
        return super().has_permission(request, view)


@extend_schema(responses=MeetingSerializer(many=True))
@api_view(["GET"])
def meetings(request):
    return Response(MeetingSerializer(selectors.public_meetings().order_by("-starts_on"), many=True).data)


@extend_schema(responses=RegistrationSerializer(many=True))
@api_view(["GET"])
@permission_classes([OrganiserOnly])
def registrations(request, slug):
    meeting = get_object_or_404(Meeting, slug=slug)
    qs = selectors.registration_list(meeting, status=request.query_params.get("status", ""))
    return Response(RegistrationSerializer(qs, many=True).data)
