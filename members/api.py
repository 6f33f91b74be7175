"""Per-society API for members and categories (list, detail, create, update).

Mounted under /api/v1/ (saas/urls_society.py); token or session authentication, secretariat
administrators only.  Writes go through the same services as the console; ID numbers and
mobiles are masked as in the console lists.
"""

from django.urls import include, path
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.routers import SimpleRouter

from common.api import HasSocietyRole
from common.models import Role
from common.normalize import clean_currency
from members import normalize, selectors, services
from members.models import CATEGORY_FIELDS, PROFILE_FIELDS, Member, MembershipCategory


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = MembershipCategory
        fields = ["id", *CATEGORY_FIELDS]

    def validate_currency(self, value):
        try:
            return clean_currency(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class MemberSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", queryset=MembershipCategory.objects.all())

    class Meta:
        model = Member
        fields = [
            "id",
            "number",
            "status",
            "category",
            *PROFILE_FIELDS,
            "joined_on",
            "term_start",
            "term_end",
        ]
        read_only_fields = ["number", "status", "joined_on", "term_start", "term_end"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["id_number"] = normalize.mask_id_number(instance.id_number)
        data["mobile"] = normalize.mask_mobile(instance.mobile)
        return data

    def validate(self, attrs):
        try:
            if "mobile" in attrs:
                attrs["mobile"] = normalize.clean_mobile(attrs["mobile"])
            if "email" in attrs:
                attrs["email"] = normalize.clean_email(attrs["email"])
            if "id_number" in attrs:
                attrs["id_number"] = normalize.clean_id_number(attrs.get("id_type", ""), attrs["id_number"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        return attrs


class AdminOnly:
    permission_classes = [HasSocietyRole]
    required_roles = (Role.ADMIN,)


class CategoryViewSet(
    AdminOnly,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = MembershipCategory.objects.all()
    serializer_class = CategorySerializer

    def perform_create(self, serializer):
        serializer.instance = services.save_category(
            category=MembershipCategory(**serializer.validated_data), actor=self.request.user
        )

    def perform_update(self, serializer):
        category = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(category, name, value)
        services.save_category(category=category, actor=self.request.user)


class MemberViewSet(
    AdminOnly,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = MemberSerializer

    def get_queryset(self):
        params = self.request.query_params
        return selectors.search_members(
            **{
                k: params.get(k, "")
                for k in ("q", "status", "category", "region", "discipline", "expiry_month", "sort")
            }
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        category = data.pop("category")
        try:
            serializer.instance = services.register_member(data=data, category=category, actor=self.request.user)
        except services.MembershipError as exc:
            raise ValidationError(str(exc)) from None

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        category = data.pop("category", None)
        member = services.update_profile(member=serializer.instance, data=data, actor=self.request.user, by_staff=True)
        if category is not None and category.pk != member.category_id:
            try:
                services.change_category(member=member, category=category, actor=self.request.user)
            except services.MembershipError as exc:
                raise ValidationError(str(exc)) from None
        serializer.instance = selectors.member_detail(member.pk)


router = SimpleRouter()
router.register("members", MemberViewSet, basename="api_members")
router.register("member-categories", CategoryViewSet, basename="api_member_categories")
urlpatterns = [path("", include(router.urls))]
