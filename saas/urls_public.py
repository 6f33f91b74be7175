"""Platform host (BASE_DOMAIN): societies list, accounts, operator pages, health, webhooks."""

from django.contrib import admin
from django.urls import include, path

from common.health import healthz
from tenants import views as tenant_views

urlpatterns = [
    path("", tenant_views.platform_home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("operator/societies/", tenant_views.operator_societies, name="operator_societies"),
    path("operator/admin/", admin.site.urls),
    path("", include("saas.urls_common")),
]
