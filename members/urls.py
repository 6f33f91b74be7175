"""members: pages on a society's site (mounted at /members/)."""

from django.urls import path

from members import views, views_auto_renewal, views_console, views_import

app_name = "members"

urlpatterns = [
    path("apply/", views.apply, name="apply"),
    path("me/", views.me, name="me"),
    path("me/profile/", views.profile, name="profile"),
    path("me/resign/", views.resign, name="resign"),
    path("me/auto-renewal/", views_auto_renewal.auto_renewal, name="auto_renewal"),
    path(
        "me/auto-renewal/<int:plan_id>/<str:action>/",
        views_auto_renewal.auto_renewal_action,
        name="auto_renewal_action",
    ),
    path("me/data/", views.my_data, name="my_data"),
    path("me/delete/", views.request_deletion, name="request_deletion"),
    path("endorse/<str:token>/", views.endorse, name="endorse"),
    path("verify/<str:token>/", views.verify, name="verify"),
    path("console/", views_console.console, name="console"),
    path("console/export.<str:fmt>", views_console.export, name="console_export"),
    path("console/bulk-status/", views_console.bulk_status, name="console_bulk_status"),
    path("console/bulk-email/", views_console.bulk_email, name="console_bulk_email"),
    path("console/members/<int:member_id>/", views_console.member_detail, name="console_member"),
    path("console/members/<int:member_id>/status/", views_console.member_status, name="console_member_status"),
    path("console/members/<int:member_id>/<str:action>/", views_console.member_action, name="console_member_action"),
    path("console/applications/", views_console.applications, name="console_applications"),
    path("console/applications/<int:application_id>/", views_console.application_detail, name="console_application"),
    path("console/categories/", views_console.categories, name="console_categories"),
    path("console/categories/new/", views_console.category_edit, name="console_category_new"),
    path("console/categories/<int:category_id>/", views_console.category_edit, name="console_category"),
    path("console/settings/", views_console.membership_settings, name="console_settings"),
    path("console/import/", views_import.upload, name="console_import"),
    path("console/import/<int:job_id>/", views_import.job_detail, name="console_import_job"),
    path("console/import/<int:job_id>/confirm/", views_import.job_confirm, name="console_import_confirm"),
]
