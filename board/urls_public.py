"""board: pages on the platform host (mounted at /board/)."""

from django.urls import path

from board import api, views_platform

app_name = "board_platform"

urlpatterns = [
    path("", views_platform.operator_board, name="operator"),
    path("weights/", views_platform.operator_weights, name="weights"),
    path("csv/", views_platform.operator_csv, name="csv"),
    path("api/societies/", api.operator_figures, name="api_societies"),
]
