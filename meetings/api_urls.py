"""Mounted under the society API (saas/urls_society.py api_v1) at meetings/."""

from django.urls import path

from meetings import api

urlpatterns = [
    path("", api.meetings, name="api_meetings"),
    path("<slug:slug>/registrations/", api.registrations, name="api_meeting_registrations"),
]
