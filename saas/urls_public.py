"""Platform host (BASE_DOMAIN): societies list, accounts, operator pages, health, webhooks."""

from django.contrib import admin
from django.urls import include, path

from billing.webhooks import stripe_webhook
from common.health import healthz
from tenants import views as tenant_views

urlpatterns = [
    path("", tenant_views.platform_home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("stripe/webhook/", stripe_webhook, name="stripe_webhook"),
    path("operator/societies/", tenant_views.operator_societies, name="operator_societies"),
    path("operator/admin/", admin.site.urls),
    path("board/", include("board.urls_public")),
    path("billing/", include("billing.urls_public")),
    path("", include("saas.urls_common")),
]
