"""URLs served on every host (platform and society sites)."""

from django.urls import include, path

urlpatterns = [
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
