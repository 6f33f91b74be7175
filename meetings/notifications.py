"""E-mails to attendees, sent after the transaction that caused them commits."""

import io

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from tenants.services import current_society, society_url


def site_url(path: str) -> str:
    """On the current society's site (in tasks too, where the tenant is only a schema name)."""
    return society_url(current_society(), path)


def society_path(name: str, *args) -> str:
    """A society-site path, also from code running under the platform's URLconf (the webhook)."""
    return reverse(name, args=args, urlconf=settings.ROOT_URLCONF)


def ticket_qr_png(code: str) -> bytes:
    import qrcode

    image = qrcode.make(code, box_size=8, border=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def ticket_qr_svg(code: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(code, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return image.to_string(encoding="unicode")


def _language_of(registration) -> str:
    return getattr(registration.user, "preferred_language", None) or settings.LANGUAGE_CODE


def _send(registration, template: str, *, attach_ticket: bool = False, extra: dict | None = None) -> None:
    with translation.override(_language_of(registration)):
        context = {
            "registration": registration,
            "meeting": registration.meeting,
            "url": site_url(society_path("meetings:registration", registration.ticket_code)),
            **(extra or {}),
        }
        subject = render_to_string(f"meetings/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"meetings/email/{template}.txt", context)
        message = EmailMultiAlternatives(subject, body, to=[registration.email])
        if attach_ticket:
            message.attach(
                f"ticket-{registration.ticket_code}.png", ticket_qr_png(registration.ticket_code), "image/png"
            )
        message.send()


def notify_after_commit(registration, template: str, *, attach_ticket: bool = False) -> None:
    """E-mail ``template`` to the registration's holder from a Celery task once the current
    transaction commits: no mail server sits in the path of a registration."""
    from common.tasks import enqueue
    from meetings.tasks import send_registration_email

    enqueue(send_registration_email, registration_id=registration.pk, template=template, attach_ticket=attach_ticket)


def send_registration_email(*, registration_id: int, template: str, attach_ticket: bool) -> None:
    from meetings.models import Registration

    registration = (
        Registration.objects.select_related("meeting", "registration_type", "user").filter(pk=registration_id).first()
    )
    if registration is not None:
        _send(registration, template, attach_ticket=attach_ticket)
