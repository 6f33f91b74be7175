"""The per-society API (Django REST framework).  Later capabilities add their routers here."""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from common.permissions import has_role, roles_of


class HasSocietyRole(permissions.BasePermission):
    """Grants access to holders of the view's ``required_roles`` in this society."""

    def has_permission(self, request, view):
        roles = getattr(view, "required_roles", ())
        return bool(request.user and request.user.is_authenticated and has_role(request.user, *roles))


class SocietySerializer(serializers.Serializer):
    slug = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    discipline_group = serializers.CharField()


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())


@extend_schema(responses=SocietySerializer)
@api_view(["GET"])
def society_detail(request):
    return Response(SocietySerializer(request.society).data)


@extend_schema(responses=MeSerializer)
@api_view(["GET"])
@permission_classes([permissions.IsAuthenticated])
def me(request):
    return Response({"email": request.user.email, "name": request.user.name, "roles": sorted(roles_of(request.user))})
