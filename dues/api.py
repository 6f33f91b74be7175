"""Read-only invoice API (DRF).  Invoices are written only by services; the API offers no
update or delete, so an issued invoice cannot be changed through it (405)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from common.models import Role
from common.permissions import has_role
from dues.selectors import finance_invoices, invoices_for_user


class InvoiceLineSerializer(serializers.Serializer):
    description = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=10, decimal_places=2)
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    gross = serializers.DecimalField(max_digits=14, decimal_places=2)


class InvoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    kind = serializers.CharField()
    refers_to = serializers.CharField(source="refers_to.number", default=None)
    buyer = serializers.JSONField()
    currency = serializers.CharField()
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    amount_paid = serializers.DecimalField(max_digits=14, decimal_places=2)
    amount_due = serializers.DecimalField(max_digits=14, decimal_places=2)
    status = serializers.CharField()
    purpose = serializers.CharField()
    issued_at = serializers.DateTimeField()
    due_date = serializers.DateField()
    lines = InvoiceLineSerializer(many=True, source="lines.all")


def _visible(user):
    if has_role(user, Role.FINANCE):
        return finance_invoices().select_related("refers_to")
    return invoices_for_user(user)


@extend_schema(responses=InvoiceSerializer(many=True))
@api_view(["GET"])
@permission_classes([permissions.IsAuthenticated])
def invoice_list(request):
    invoices = _visible(request.user).prefetch_related("lines")[:200]
    return Response(InvoiceSerializer(invoices, many=True).data)


@extend_schema(responses=InvoiceSerializer)
@api_view(["GET"])
@permission_classes([permissions.IsAuthenticated])
def invoice_detail(request, invoice_id: int):
    invoice = get_object_or_404(_visible(request.user), pk=invoice_id)
    return Response(InvoiceSerializer(invoice).data)
