"""meetings: pages on a society's site (mounted at /meetings/)."""

from django.urls import path

from meetings.views import checkin, console, extras, public

app_name = "meetings"

urlpatterns = [
    path("", public.meeting_list, name="list"),
    path("mine/", public.my_registrations, name="my_registrations"),
    path("r/<str:code>/", public.registration_detail, name="registration"),
    path("r/<str:code>/pay/", public.pay, name="pay"),
    path("r/<str:code>/cancel/", public.cancel, name="cancel"),
    path("r/<str:code>/transfer/", public.transfer, name="transfer"),
    path("r/<str:code>/qr.svg", public.ticket_qr, name="ticket_qr"),
    path("groups/<int:order_id>/", public.group_detail, name="group"),
    path("verify/<str:token>/", public.verify_certificate, name="verify"),
    path("console/", console.console, name="console"),
    path("console/new/", console.meeting_edit, name="create"),
    path("console/<slug:slug>/", console.dashboard, name="dashboard"),
    path("console/<slug:slug>/edit/", console.meeting_edit, name="edit"),
    path("console/<slug:slug>/status/", console.meeting_status, name="status"),
    path("console/<slug:slug>/types/new/", console.type_edit, name="type_create"),
    path("console/<slug:slug>/types/<int:type_id>/", console.type_edit, name="type_edit"),
    *(
        route
        for segment, extra in extras.EXTRAS.items()
        for route in (
            path(
                f"console/<slug:slug>/{segment}/new/", extras.edit, {"kind": segment}, name=f"{extra.url_name}_create"
            ),
            path(
                f"console/<slug:slug>/{segment}/<int:pk>/",
                extras.edit,
                {"kind": segment},
                name=f"{extra.url_name}_edit",
            ),
            path(
                f"console/<slug:slug>/{segment}/<int:pk>/remove/",
                extras.remove,
                {"kind": segment},
                name=f"{extra.url_name}_remove",
            ),
        )
    ),
    path("console/<slug:slug>/policy/", console.refund_rules, name="refund_rules"),
    path("console/<slug:slug>/registrations/", console.registrations, name="registrations"),
    path("console/<slug:slug>/registrations/email/", console.bulk_email, name="bulk_email"),
    path("console/<slug:slug>/registrations/<int:registration_id>/badge.pdf", console.badge, name="badge"),
    path("console/<slug:slug>/documents/", console.documents, name="documents"),
    path("console/<slug:slug>/checkin/", checkin.checkin, name="checkin"),
    path("<slug:slug>/", public.meeting_detail, name="detail"),
    path("<slug:slug>/poster/", public.poster, name="poster"),
    path("<slug:slug>/register/", public.register, name="register"),
    path("<slug:slug>/group/", public.group_register, name="group_register"),
]
