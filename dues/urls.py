"""dues: pages on a society's site (mounted at /dues/)."""

from django.urls import path

from dues import api, console, views

app_name = "dues"

urlpatterns = [
    path("", views.my_invoices, name="my_invoices"),
    path("invoices/<int:invoice_id>/", views.invoice_detail, name="invoice"),
    path("invoices/<int:invoice_id>/pay/", views.pay, name="pay"),
    path("invoices/<int:invoice_id>/paid/", views.checkout_return, name="checkout_return"),
    path("invoices/<int:invoice_id>/transfer/", views.transfer, name="transfer"),
    path("invoices/<int:invoice_id>/fapiao/", views.request_fapiao, name="request_fapiao"),
    path("api/invoices/", api.invoice_list, name="api_invoices"),
    path("api/invoices/<int:invoice_id>/", api.invoice_detail, name="api_invoice"),
    path("console/", console.console, name="console"),
    path("console/invoices/<int:invoice_id>/", console.invoice, name="console_invoice"),
    path("console/invoices/<int:invoice_id>/cancel/", console.cancel, name="cancel"),
    path("console/invoices/<int:invoice_id>/fapiao/", console.attach_fapiao, name="attach_fapiao"),
    path("console/transfers/<int:transfer_id>/confirm/", console.confirm_transfer, name="confirm_transfer"),
    path("console/transfers/<int:transfer_id>/reject/", console.reject_transfer, name="reject_transfer"),
    path("console/payments/<int:payment_id>/refund/", console.refund, name="refund"),
    path("console/refunds/<int:refund_id>/decide/", console.decide_refund, name="decide_refund"),
    path("console/settings/", console.settings_view, name="settings"),
    path("console/stripe/", console.connect, name="connect"),
]
