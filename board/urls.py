"""board: pages on a society's site (mounted at /board/)."""

from django.urls import path

from board import views

app_name = "board"

urlpatterns = [
    path("", views.society_board, name="society"),
    path("csv/<slug:chart>/", views.society_csv, name="csv"),
]
