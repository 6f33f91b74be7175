"""billing: pages on a society's site (mounted at /billing/)."""

from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("", views.society, name="society"),
    path("plan/", views.change_plan, name="change_plan"),
    path("checkout/", views.checkout, name="checkout"),
    path("cancel/", views.cancel, name="cancel"),
    path("retry/", views.retry_payment, name="retry_payment"),
    path("invoices/<int:invoice_id>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("welcome/", views.welcome, name="welcome"),
]
