"""Celery tasks of the meetings app: thin, idempotent, one society schema each."""

from celery import shared_task
from django.contrib.auth import get_user_model

from common.tasks import for_each_society, society_task
from meetings.models import Meeting


def _user(user_id):
    return get_user_model().objects.filter(pk=user_id).first() if user_id else None


@shared_task(name="meetings.release_expired_holds_everywhere")
def release_expired_holds_everywhere():
    """Beat: fan out to every society."""
    for_each_society(release_expired_holds)


@society_task(name="meetings.release_expired_holds")
def release_expired_holds():
    from meetings.services.registration import release_expired_holds as release

    return release(actor=None)


@society_task(name="meetings.generate_badges")
def generate_badges(*, meeting_id: int, actor_id: int | None = None):
    from meetings.services.documents import badges_for_meeting

    meeting = Meeting.objects.filter(pk=meeting_id).first()
    if meeting is None:
        return None
    stored = badges_for_meeting(meeting=meeting, actor=_user(actor_id))
    return stored.pk if stored else None


@society_task(name="meetings.issue_certificates")
def issue_certificates(*, meeting_id: int, actor_id: int | None = None):
    """Certificates for every checked-in attendee still without one (reruns skip the done)."""
    from meetings.services.documents import certificate_candidates, issue_certificate
    from tenants.services import current_society

    meeting = Meeting.objects.filter(pk=meeting_id).first()
    if meeting is None:
        return 0
    actor, society = _user(actor_id), current_society()
    count = 0
    for registration in certificate_candidates(meeting).order_by("id"):
        issue_certificate(registration=registration, actor=actor, society=society)
        count += 1
    return count


@society_task(name="meetings.send_registration_email", autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def send_registration_email(*, registration_id: int, template: str, attach_ticket: bool = False):
    """Ticket, waiting-list, promotion, refund and cancellation e-mails (retried while the mail
    server is unreachable)."""
    from meetings.notifications import send_registration_email as send

    send(registration_id=registration_id, template=template, attach_ticket=attach_ticket)
