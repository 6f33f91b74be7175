"""Badges (胸卡) and attendance certificates (证书), rendered by common/pdf and stored with
common.files.  Bulk runs happen in Celery tasks (meetings/tasks.py)."""

import secrets

from django.db import transaction

from common.audit import record_audit
from common.files import store_file
from common.models import Role, StoredFile
from common.pdf import badge as badge_pdf
from common.pdf import certificate as certificate_pdf
from meetings.models import Certificate, Meeting, Registration
from meetings.notifications import society_path
from tenants.services import current_society, society_url


def _dates(meeting: Meeting) -> str:
    start, end = meeting.starts_on, meeting.ends_on
    text = f"{start.year}年{start.month}月{start.day}日"
    if end != start:
        text += f"—{end.month}月{end.day}日" if end.year == start.year else f"—{end.year}年{end.month}月{end.day}日"
    return f"{text} · {meeting.venue}" if meeting.venue else text


def badge_for(registration: Registration, society=None) -> badge_pdf.Badge:
    meeting = registration.meeting
    rtype = registration.registration_type
    return badge_pdf.Badge(
        meeting_title=meeting.title_zh,
        name=registration.name,
        ticket_code=registration.ticket_code,
        unit=registration.unit,
        registration_type=f"{rtype.name_zh} {rtype.name_en}".strip(),
        society_name=getattr(society, "name_zh", ""),
        dates=_dates(meeting),
    )


def badge_pdf_bytes(registration: Registration) -> tuple[str, str, bytes]:
    """One badge, rendered on demand (the check-in desk prints it at once)."""
    return badge_pdf.generate(badge_for(registration, current_society()))


def badges_for_meeting(*, meeting: Meeting, actor) -> StoredFile | None:
    """All confirmed attendees' badges, four per A4 sheet, stored for the organisers."""
    society = current_society()
    regs = list(
        Registration.objects.filter(meeting=meeting, status=Registration.Status.CONFIRMED)
        .select_related("meeting", "registration_type")
        .order_by("registration_type__position", "name", "id")
    )
    if not regs:
        return None
    filename, mimetype, content = badge_pdf.generate_bulk(
        [badge_for(r, society) for r in regs], layout="a4", filename=f"badges-{meeting.slug}"
    )
    with transaction.atomic():
        stored = store_file(
            content=content, filename=filename, mimetype=mimetype, kind="meetings.badges", staff_role=Role.ORGANISER
        )
        record_audit(
            actor=actor,
            action="meetings.badges_for_meeting",
            obj=meeting,
            after={"file": stored.pk, "badges": len(regs)},
        )
    return stored


def verify_url(certificate: Certificate, society) -> str:
    return society_url(society, society_path("meetings:verify", certificate.token))


def issue_certificate(*, registration: Registration, actor, society=None) -> Certificate:
    """The attendance certificate of a checked-in attendee (idempotent: one per registration),
    rendered with its verification QR and stored for the attendee.  A run over many attendees
    passes ``society`` (looked up once: inside a task that lookup is a query)."""
    society = society or current_society()
    with transaction.atomic():
        reg = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("meeting", "group")
            .get(pk=registration.pk)
        )
        existing = Certificate.objects.filter(registration=reg).first()
        if existing is not None and existing.file_id:
            return existing
        cert = existing or Certificate.objects.create(
            registration=reg, number=f"{reg.meeting.slug.upper()}-{reg.pk:06d}", token=secrets.token_urlsafe(18)[:24]
        )
        meeting = reg.meeting
        filename, mimetype, content = certificate_pdf.generate(
            certificate_pdf.AttendanceCertificate(
                society_name_zh=society.name_zh,
                society_name_en=society.name_en,
                name_zh=reg.name,
                meeting_title_zh=meeting.title_zh,
                meeting_title_en=meeting.title_en,
                certificate_number=cert.number,
                start_date=meeting.starts_on,
                end_date=meeting.ends_on,
                venue_zh=meeting.venue,
                issue_date=meeting.ends_on,
                verify_url=verify_url(cert, society),
            )
        )
        cert.file = store_file(
            content=content,
            filename=filename,
            mimetype=mimetype,
            kind="meetings.certificate",
            owner=reg.user_id or (reg.group.contact_id if reg.group_id else None),
            staff_role=Role.ORGANISER,
        )
        cert.save(update_fields=["file"])
        record_audit(actor=actor, action="meetings.issue_certificate", obj=cert, after={"number": cert.number})
    return cert


def certificate_candidates(meeting: Meeting):
    """Checked-in attendees without a stored certificate yet."""
    return Registration.objects.filter(meeting=meeting, checked_in_at__isnull=False).exclude(
        certificate__file__isnull=False
    )
