"""billing: pages on the platform host (mounted at /billing/)."""

from django.urls import path

from billing import views_platform as views

app_name = "billing_platform"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("operator/", views.console, name="console"),
    path("operator/overdue/", views.overdue, name="overdue"),
    path("operator/revenue/", views.revenue, name="revenue"),
    path("operator/plans/", views.plans, name="plans"),
]
