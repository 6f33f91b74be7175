"""Calls for papers and their programme committees."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.utils.translation import gettext as _

from common.audit import audited, record_audit, snapshot
from common.models import Role
from reviews.exceptions import ReviewsError
from reviews.mail import send_on_commit, site_link
from reviews.models import Call, CommitteeMember, Criterion, NotificationTemplate, Outcome, Topic, Track
from tenants.services import grant_role

INVITATION_SALT = "reviews.invitation"
CALL_FIELDS = [
    "title",
    "review_mode",
    "submission_deadline",
    "review_deadline",
    "decision_date",
    "camera_ready_deadline",
    "max_pages",
    "max_size_mb",
    "reviewers_per_paper",
    "reviews_visible_after_own",
    "attach_reviews_to_notifications",
]

DEFAULT_TEMPLATES = {
    Outcome.ACCEPT_ORAL: (
        "录用通知 / Accepted (oral): {title}",
        "您的投稿 #{number}《{title}》已被{meeting}录用为口头报告。\n\n{reviews}",
    ),
    Outcome.ACCEPT_POSTER: (
        "录用通知 / Accepted (poster): {title}",
        "您的投稿 #{number}《{title}》已被{meeting}录用为墙报。\n\n{reviews}",
    ),
    Outcome.REVISE: ("修改后再审 / Revise: {title}", "您的投稿 #{number}《{title}》需要修改后再审。\n\n{reviews}"),
    Outcome.REJECT: (
        "评审结果 / Decision: {title}",
        "很遗憾，您的投稿 #{number}《{title}》未被{meeting}录用。\n\n{reviews}",
    ),
}


def _check_dates(*, submission_deadline, review_deadline, decision_date, camera_ready_deadline):
    if not (submission_deadline <= review_deadline <= decision_date <= camera_ready_deadline):
        raise ReviewsError(_("Deadlines must be in order: submission, review, decision, camera-ready."))


def create_call(
    *,
    actor,
    meeting,
    title: str,
    submission_deadline,
    review_deadline,
    decision_date,
    camera_ready_deadline,
    review_mode: str = "double",
    max_pages: int = 10,
    max_size_mb: int = 10,
    reviewers_per_paper: int = 3,
    reviews_visible_after_own: bool = True,
    attach_reviews_to_notifications: bool = True,
    tracks: list[str] = (),
    topics: list[str] = (),
    criteria: list[tuple[str, int, int, object]] = (),
) -> Call:
    """Create a meeting's call for papers with tracks, topics, review criteria and the default
    decision e-mails.  One transaction; raises ReviewsError for a second call or bad dates."""
    _check_dates(
        submission_deadline=submission_deadline,
        review_deadline=review_deadline,
        decision_date=decision_date,
        camera_ready_deadline=camera_ready_deadline,
    )
    if reviewers_per_paper < 1:
        raise ReviewsError(_("Each paper needs at least one reviewer."))
    with transaction.atomic():
        if Call.objects.filter(meeting=meeting).exists():
            raise ReviewsError(_("This meeting already has a call for papers."))
        call = Call.objects.create(
            meeting=meeting,
            title=title.strip(),
            review_mode=review_mode,
            submission_deadline=submission_deadline,
            review_deadline=review_deadline,
            decision_date=decision_date,
            camera_ready_deadline=camera_ready_deadline,
            max_pages=max_pages,
            max_size_mb=max_size_mb,
            reviewers_per_paper=reviewers_per_paper,
            reviews_visible_after_own=reviews_visible_after_own,
            attach_reviews_to_notifications=attach_reviews_to_notifications,
        )
        Track.objects.bulk_create([Track(call=call, name=n.strip()) for n in tracks if n.strip()])
        Topic.objects.bulk_create([Topic(call=call, name=n.strip()) for n in topics if n.strip()])
        criteria = list(criteria) or [(_("Overall merit"), 1, 5, 1)]
        Criterion.objects.bulk_create(
            [
                Criterion(call=call, position=i, name=name, scale_min=low, scale_max=high, weight=weight)
                for i, (name, low, high, weight) in enumerate(criteria)
            ]
        )
        NotificationTemplate.objects.bulk_create(
            [
                NotificationTemplate(call=call, outcome=outcome, subject=subject, body=body)
                for outcome, (subject, body) in DEFAULT_TEMPLATES.items()
            ]
        )
        record_audit(actor=actor, action="reviews.create_call", obj=call, after=snapshot(call, CALL_FIELDS))
    return call


def update_call(*, actor, call: Call, **changes) -> Call:
    """Change the call's deadlines, limits and policies (fields in CALL_FIELDS)."""
    unknown = set(changes) - set(CALL_FIELDS)
    if unknown:
        raise TypeError(f"unknown call fields: {sorted(unknown)}")
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call.pk)
        with audited(call, CALL_FIELDS, action="reviews.update_call", actor=actor):
            for name, value in changes.items():
                setattr(call, name, value)
            _check_dates(
                submission_deadline=call.submission_deadline,
                review_deadline=call.review_deadline,
                decision_date=call.decision_date,
                camera_ready_deadline=call.camera_ready_deadline,
            )
            call.save()
    return call


def invitation_token(member: CommitteeMember) -> str:
    return signing.dumps({"m": member.pk, "u": member.user_id}, salt=INVITATION_SALT)


def member_from_token(token: str) -> CommitteeMember | None:
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=60 * 60 * 24 * 60)
    except signing.BadSignature:
        return None
    return (
        CommitteeMember.objects.select_related("user", "call").filter(pk=data.get("m"), user_id=data.get("u")).first()
    )


def invite_committee_member(
    *,
    actor,
    call: Call,
    email: str,
    name: str = "",
    role: str = CommitteeMember.Role.REVIEWER,
    affiliation: str = "",
    max_load: int = 5,
    topics=(),
) -> CommitteeMember:
    """Invite a person (by e-mail) to the programme committee.  An existing account is reused;
    otherwise one without a password is created, set on acceptance.  Sends the invitation after
    commit.  Raises ReviewsError when the person is already on the committee."""
    from reviews.services.conflicts import refresh_conflicts

    email = (email or "").strip().lower()
    if "@" not in email:
        raise ReviewsError(_("Enter a valid e-mail address."))
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(email, None, name=(name or email.split("@")[0]).strip())
        if CommitteeMember.objects.filter(call=call, user=user).exists():
            raise ReviewsError(_("%(email)s is already on the committee.") % {"email": email})
        member = CommitteeMember.objects.create(
            call=call, user=user, role=role, affiliation=affiliation.strip(), max_load=max_load
        )
        member.topics.set([t for t in topics if t.call_id == call.pk])
        refresh_conflicts(call=call, actor=actor)
        record_audit(
            actor=actor,
            action="reviews.invite_committee_member",
            obj=member,
            after={"email": email, "role": role, "max_load": max_load},
        )
        send_on_commit(
            to=[user.email],
            template="invitation",
            context={
                "call": call.title,
                "meeting": call.meeting.title_zh,
                "role": member.get_role_display(),
                "url": site_link("reviews:invitation", invitation_token(member)),
            },
            language=user.preferred_language,
        )
    return member


def respond_to_invitation(
    *, actor, member: CommitteeMember, accept: bool, password: str | None = None
) -> CommitteeMember:
    """Accept (granting the reviewer role; setting the password of a new account) or decline."""
    with transaction.atomic():
        member = CommitteeMember.objects.select_for_update().select_related("user").get(pk=member.pk)
        with audited(member, ["status"], action="reviews.respond_to_invitation", actor=actor):
            member.status = CommitteeMember.Status.ACCEPTED if accept else CommitteeMember.Status.DECLINED
            member.save(update_fields=["status"])
            if accept:
                if password and not member.user.has_usable_password():
                    member.user.set_password(password)
                    member.user.save(update_fields=["password"])
                grant_role(user=member.user, role=Role.REVIEWER, actor=actor)
    return member


def update_committee_member(*, actor, member: CommitteeMember, max_load: int, affiliation: str, topics, role: str):
    from reviews.services.conflicts import refresh_conflicts

    with transaction.atomic():
        member = CommitteeMember.objects.select_for_update().get(pk=member.pk)
        fields = ["max_load", "affiliation", "role"]
        with audited(member, fields, action="reviews.update_committee_member", actor=actor):
            member.max_load, member.affiliation, member.role = max_load, affiliation.strip(), role
            member.save(update_fields=fields)
            member.topics.set([t for t in topics if t.call_id == member.call_id])
            refresh_conflicts(call=member.call, actor=actor)
    return member


def update_notification_template(*, actor, template: NotificationTemplate, subject: str, body: str):
    fields = ["subject", "body"]
    with transaction.atomic(), audited(template, fields, action="reviews.update_notification_template", actor=actor):
        template.subject, template.body = subject.strip(), body
        template.save(update_fields=fields)
    return template


def set_track_chair(*, actor, track: Track, member: CommitteeMember | None) -> Track:
    """Make an accepted committee member the chair of a track (writes its meta-reviews), or clear it."""
    if member is not None and (member.call_id != track.call_id or member.status != CommitteeMember.Status.ACCEPTED):
        raise ReviewsError(_("This person is not on the committee of this call."))
    with transaction.atomic():
        before = track.chair_id
        track.chair = member.user if member else None
        track.save(update_fields=["chair"])
        record_audit(
            actor=actor,
            action="reviews.set_track_chair",
            obj=track,
            before={"chair": before},
            after={"chair": track.chair_id},
        )
    return track


def set_criteria(*, actor, call: Call, criteria: list[tuple[str, int, int, object]]) -> list[Criterion]:
    """Replace the review form's scored criteria (name, lowest, highest, weight).  Refused once a
    review exists: scores given on the old scales would lose their meaning."""
    from decimal import Decimal, InvalidOperation

    from reviews.models import Review

    if not criteria:
        raise ReviewsError(_("The review form needs at least one criterion."))
    rows = []
    for name, low, high, weight in criteria:
        try:
            low, high, weight = int(low), int(high), Decimal(str(weight))
        except (TypeError, ValueError, InvalidOperation):
            raise ReviewsError(_("Write each criterion as: name; lowest; highest; weight.")) from None
        if not name.strip() or high <= low or weight <= 0:
            raise ReviewsError(
                _("Each criterion needs a name, a highest score above the lowest and a positive weight.")
            )
        rows.append((name.strip(), low, high, weight))
    with transaction.atomic():
        Call.objects.select_for_update().get(pk=call.pk)
        if Review.objects.filter(assignment__submission__call=call).exists():
            raise ReviewsError(_("Reviews have started; the review form can no longer change."))
        before = [(c.name, c.scale_min, c.scale_max, c.weight) for c in call.criteria.all()]
        call.criteria.all().delete()
        created = Criterion.objects.bulk_create(
            [
                Criterion(call=call, position=i, name=name, scale_min=low, scale_max=high, weight=weight)
                for i, (name, low, high, weight) in enumerate(rows)
            ]
        )
        record_audit(
            actor=actor, action="reviews.set_criteria", obj=call, before={"criteria": before}, after={"criteria": rows}
        )
    return created
