"""Badges and certificates: rendered by common/pdf, stored with common.files, bulk runs in Celery."""

import io

from django.utils import timezone
from django_tenants.utils import schema_context

from common.models import StoredFile
from meetings import billing, tasks
from meetings.models import Certificate
from meetings.services import registration as services
from meetings.services.checkin import check_in
from meetings.services.documents import badge_pdf_bytes, issue_certificate
from tests.conftest import client_for, committed
from tests.meetings.conftest import FakeInvoice, attendee, make_meeting


def confirmed(meeting, rtype, user, name):
    reg = services.register(
        meeting=meeting, registration_type=rtype, user=user, attendee=attendee(name=name, email=user.email), actor=user
    )
    billing.invoice_paid(FakeInvoice(purpose="meeting.registration", subject_id=reg.pk, total=reg.total), actor=None)
    reg.refresh_from_db()
    return reg


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_badge_carries_name_unit_type(open_meeting, society_a, in_schema, make_user):
    user = make_user("a@example.cn")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        reg = confirmed(meeting, other, user, "欧阳娜娜")
        filename, mimetype, content = badge_pdf_bytes(reg)
    assert (filename, mimetype) == (f"badge-{reg.ticket_code}.pdf", "application/pdf")
    text = pdf_text(content)
    assert "欧阳娜娜" in text and "浙江大学" in text and "非会员" in text and reg.ticket_code in text


def test_certificate_verify_page_shows_only_name_meeting_validity(
    open_meeting, society_a, society_b, in_schema, make_user, organiser
):
    user = make_user("a@example.cn")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        reg = confirmed(meeting, other, user, "欧阳娜娜")
        check_in(meeting=meeting, ticket_code=reg.ticket_code, actor=organiser)
        cert = issue_certificate(registration=reg, actor=organiser)
        assert issue_certificate(registration=reg, actor=organiser).pk == cert.pk  # once per registration
        stored = StoredFile.objects.get(pk=cert.file_id)
        assert (stored.owner_id, stored.mimetype) == (user.pk, "application/pdf")
    page = client_for(society_a).get(f"/meetings/verify/{cert.token}/").content.decode()
    assert "欧阳娜娜" in page and "2026年学术年会" in page and "有效" in page
    assert "a@example.cn" not in page and "13800138000" not in page and "浙江大学" not in page
    assert client_for(society_b).get(f"/meetings/verify/{cert.token}/").status_code == 404


@committed
def test_bulk_badges_and_certificates_in_celery(society_a, society_b, organiser, make_user, celery_worker_thread):
    users = [make_user(f"u{i}@example.cn") for i in range(3)]
    with schema_context(society_a.schema_name):
        meeting, _member, other = make_meeting(organiser=organiser, seats=5)
        regs = [confirmed(meeting, other, u, f"参会人{i}") for i, u in enumerate(users)]
        for reg in regs[:2]:
            check_in(meeting=meeting, ticket_code=reg.ticket_code, actor=organiser, now=timezone.now())
        badges = tasks.generate_badges.apply_async(
            kwargs={"meeting_id": meeting.pk, "actor_id": organiser.pk, "schema_name": society_a.schema_name}
        )
        certs = tasks.issue_certificates.apply_async(
            kwargs={"meeting_id": meeting.pk, "actor_id": organiser.pk, "schema_name": society_a.schema_name}
        )
        badge_file_id = badges.get(timeout=60)
        assert certs.get(timeout=60) == 2
        # a rerun finds nothing left to do
        again = tasks.issue_certificates.apply_async(
            kwargs={"meeting_id": meeting.pk, "schema_name": society_a.schema_name}
        )
        assert again.get(timeout=60) == 0
        stored = StoredFile.objects.get(pk=badge_file_id)
        assert (stored.kind, stored.filename) == ("meetings.badges", "badges-annual-2026.pdf")
        text = pdf_text(stored.file.read())
        assert all(f"参会人{i}" in text for i in range(3))
        assert Certificate.objects.filter(file__isnull=False).count() == 2
    with schema_context(society_b.schema_name):
        assert Certificate.objects.count() == 0 and StoredFile.objects.filter(kind="meetings.badges").count() == 0
