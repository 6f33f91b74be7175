"""The view the tenancy_overhead benchmark serves, identical with and without tenancy."""

from django.http import JsonResponse
from django.urls import path

from common.models import AuditEntry


def two_queries(request):
    count = AuditEntry.objects.count()
    first = AuditEntry.objects.order_by("id").values_list("action", flat=True).first()
    return JsonResponse({"count": count, "first": first})


urlpatterns = [path("bench/two-queries/", two_queries)]
