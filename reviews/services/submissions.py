"""Submitting, editing and withdrawing papers, and the camera-ready upload."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.audit import audited, record_audit, snapshot
from common.files import store_file
from common.models import Role
from reviews.exceptions import ReviewsError
from reviews.mail import send_on_commit, site_link
from reviews.models import Call, Decision, Submission, SubmissionAuthor, SubmissionFile
from reviews.pdfcheck import InvalidPdf, check_pdf, strip_metadata

PAPER_FIELDS = ["title_zh", "title_en", "abstract_zh", "abstract_en", "keywords", "track_id", "status"]

CAMERA_READY_CHECKLIST = (
    ("format", gettext_lazy("The paper follows the meeting's template.")),
    ("names", gettext_lazy("Author names and affiliations are final and complete.")),
    ("copyright", gettext_lazy("The authors agree to publication in the proceedings.")),
)


@dataclass
class AuthorData:
    name: str
    email: str
    affiliation: str
    is_corresponding: bool = False
    is_presenting: bool = False


@dataclass
class PaperData:
    title_zh: str = ""
    title_en: str = ""
    abstract_zh: str = ""
    abstract_en: str = ""
    keywords: str = ""
    track: object = None
    topics: list = field(default_factory=list)
    authors: list[AuthorData] = field(default_factory=list)


def _validate(call: Call, data: PaperData) -> None:
    if not (data.title_zh.strip() or data.title_en.strip()):
        raise ReviewsError(_("Give a title in Chinese or English."))
    if not (data.abstract_zh.strip() or data.abstract_en.strip()):
        raise ReviewsError(_("Give an abstract in Chinese or English."))
    if not data.authors:
        raise ReviewsError(_("List at least one author."))
    emails = [a.email.strip().lower() for a in data.authors]
    if len(set(emails)) != len(emails):
        raise ReviewsError(_("Each author must have a different e-mail address."))
    for author in data.authors:
        if not author.name.strip() or "@" not in author.email or not author.affiliation.strip():
            raise ReviewsError(_("Every author needs a name, an e-mail address and an affiliation."))
    if sum(a.is_corresponding for a in data.authors) != 1:
        raise ReviewsError(_("Mark exactly one corresponding author."))
    if not any(a.is_presenting for a in data.authors):
        raise ReviewsError(_("Mark at least one presenting author."))
    if data.track is not None and data.track.call_id != call.pk:
        raise ReviewsError(_("Choose a track of this call."))
    if any(t.call_id != call.pk for t in data.topics):
        raise ReviewsError(_("Choose topics of this call."))


def _check_file(call: Call, content: bytes):
    try:
        return check_pdf(content, max_pages=call.max_pages, max_size_mb=call.max_size_mb)
    except InvalidPdf as exc:
        raise ReviewsError(str(exc)) from exc


def _store_pdf(*, submission: Submission, content: bytes, filename: str, pages: int, owner) -> None:
    """Store the author's PDF and, for reviewers, a copy without metadata; older copies stop being current."""
    SubmissionFile.objects.filter(
        submission=submission, kind__in=[SubmissionFile.Kind.ORIGINAL, SubmissionFile.Kind.SANITISED], is_current=True
    ).update(is_current=False)
    original = store_file(
        content=content,
        filename=filename or "paper.pdf",
        mimetype="application/pdf",
        kind="submission",
        owner=owner,
        staff_role=Role.ORGANISER,
    )
    SubmissionFile.objects.create(
        submission=submission, kind=SubmissionFile.Kind.ORIGINAL, stored=original, pages=pages
    )
    # The reviewers' copy has a neutral name: the uploaded name often carries the author's.
    sanitised = store_file(
        content=strip_metadata(content),
        filename=f"paper-{submission.number}.pdf",
        mimetype="application/pdf",
        kind="submission_sanitised",
        owner=None,
        staff_role=Role.ORGANISER,
    )
    SubmissionFile.objects.create(
        submission=submission, kind=SubmissionFile.Kind.SANITISED, stored=sanitised, pages=pages
    )


def _write_authors(submission: Submission, authors: list[AuthorData]) -> None:
    User = get_user_model()
    submission.authors.all().delete()
    accounts = {u.email.lower(): u for u in User.objects.filter(email__in=[a.email.strip().lower() for a in authors])}
    SubmissionAuthor.objects.bulk_create(
        [
            SubmissionAuthor(
                submission=submission,
                position=i + 1,
                name=a.name.strip(),
                email=a.email.strip().lower(),
                affiliation=a.affiliation.strip(),
                user=accounts.get(a.email.strip().lower()),
                is_corresponding=a.is_corresponding,
                is_presenting=a.is_presenting,
            )
            for i, a in enumerate(authors)
        ]
    )


def submit_paper(*, actor, call: Call, data: PaperData, content: bytes, filename: str) -> Submission:
    """Create a submission with its ordered authors and PDF (checked; a sanitised copy stored for
    reviewers), refresh the call's conflicts and notify every co-author after commit.
    One transaction; the call row is locked to number papers without gaps or duplicates."""
    from reviews.services.conflicts import refresh_conflicts

    now = timezone.now()
    if not call.submissions_open(now):
        raise ReviewsError(_("The submission deadline has passed."))
    _validate(call, data)
    checked = _check_file(call, content)
    with transaction.atomic():
        Call.objects.select_for_update().get(pk=call.pk)
        number = (Submission.objects.filter(call=call).aggregate(n=Max("number"))["n"] or 0) + 1
        submission = Submission.objects.create(
            call=call,
            number=number,
            track=data.track,
            title_zh=data.title_zh.strip(),
            title_en=data.title_en.strip(),
            abstract_zh=data.abstract_zh.strip(),
            abstract_en=data.abstract_en.strip(),
            keywords=data.keywords.strip(),
            submitter=actor,
        )
        submission.topics.set(data.topics)
        _write_authors(submission, data.authors)
        _store_pdf(submission=submission, content=checked.content, filename=filename, pages=checked.pages, owner=actor)
        refresh_conflicts(call=call, actor=actor)
        record_audit(
            actor=actor, action="reviews.submit_paper", obj=submission, after=snapshot(submission, PAPER_FIELDS)
        )
        url = site_link("reviews:paper", submission.pk)
        for author in submission.authors.all():
            if author.email != actor.email.lower():
                send_on_commit(
                    to=[author.email],
                    template="coauthor_added",
                    context={
                        "title": submission.title,
                        "number": number,
                        "meeting": call.meeting.title_zh,
                        "submitter": actor.name,
                        "url": url,
                    },
                )
    return submission


def update_paper(*, actor, submission: Submission, data: PaperData, content: bytes | None = None, filename: str = ""):
    """Edit a paper (and optionally replace its PDF) until the submission deadline."""
    from reviews.services.conflicts import refresh_conflicts

    call = submission.call
    if not call.submissions_open():
        raise ReviewsError(_("The submission deadline has passed; the paper can no longer be edited."))
    _validate(call, data)
    checked = _check_file(call, content) if content is not None else None
    with transaction.atomic():
        submission = Submission.objects.select_for_update().get(pk=submission.pk)
        if not submission.is_active:
            raise ReviewsError(_("A withdrawn paper cannot be edited."))
        with audited(submission, PAPER_FIELDS, action="reviews.update_paper", actor=actor):
            for name in ("title_zh", "title_en", "abstract_zh", "abstract_en", "keywords"):
                setattr(submission, name, getattr(data, name).strip())
            submission.track = data.track
            submission.save()
            submission.topics.set(data.topics)
            _write_authors(submission, data.authors)
            if checked is not None:
                _store_pdf(
                    submission=submission, content=checked.content, filename=filename, pages=checked.pages, owner=actor
                )
            refresh_conflicts(call=call, actor=actor)
    return submission


def withdraw_paper(*, actor, submission: Submission, reason: str = "") -> Submission:
    """Withdraw at any time; assignments stay for the record but the paper leaves every list."""
    with transaction.atomic():
        submission = Submission.objects.select_for_update().get(pk=submission.pk)
        if not submission.is_active:
            return submission
        with audited(submission, ["status"], action="reviews.withdraw_paper", actor=actor, reason=reason):
            submission.status = Submission.Status.WITHDRAWN
            submission.save(update_fields=["status", "updated_at"])
    return submission


def upload_camera_ready(*, actor, submission: Submission, content: bytes, filename: str, checklist: list[str]):
    """Store the final PDF of an accepted paper, with every checklist item confirmed."""
    decision = Decision.objects.filter(submission=submission).first()
    if decision is None or not decision.is_accept or decision.notified_at is None:
        raise ReviewsError(_("Only accepted papers can upload a camera-ready version."))
    if timezone.now() > submission.call.camera_ready_deadline:
        raise ReviewsError(_("The camera-ready deadline has passed."))
    missing = [key for key, _label in CAMERA_READY_CHECKLIST if key not in checklist]
    if missing:
        raise ReviewsError(_("Confirm every item of the checklist."))
    checked = _check_file(submission.call, content)
    with transaction.atomic():
        SubmissionFile.objects.filter(
            submission=submission, kind=SubmissionFile.Kind.CAMERA_READY, is_current=True
        ).update(is_current=False)
        stored = store_file(
            content=checked.content,
            filename=filename or "camera-ready.pdf",
            mimetype="application/pdf",
            kind="camera_ready",
            owner=actor,
            staff_role=Role.ORGANISER,
        )
        SubmissionFile.objects.create(
            submission=submission, kind=SubmissionFile.Kind.CAMERA_READY, stored=stored, pages=checked.pages
        )
        decision.camera_ready_checked = sorted(checklist)
        decision.save(update_fields=["camera_ready_checked"])
        record_audit(actor=actor, action="reviews.upload_camera_ready", obj=submission, after={"pages": checked.pages})
    return submission
