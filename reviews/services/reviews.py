"""Review forms, the committee discussion and reminders to late reviewers."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.audit import audited, record_audit
from reviews.exceptions import ReviewsError
from reviews.mail import send_on_commit
from reviews.models import Assignment, DiscussionPost, Review, Submission

REVIEW_FIELDS = ["status", "scores", "confidence", "average", "weighted"]
CONFIDENCE_LEVELS = (1, 2, 3, 4, 5)
REMIND_BEFORE = timedelta(days=3)
REMIND_EVERY = timedelta(days=1)
REMIND_AFTER_DEADLINE_FOR = timedelta(days=14)
_Q = Decimal("0.001")


def _averages(criteria, scores: dict[str, int]) -> tuple[Decimal, Decimal]:
    """Average and weighted average, each criterion first normalised to 0..10 so scales can differ."""
    normalised = []
    for c in criteria:
        value = Decimal(scores[str(c.pk)])
        normalised.append(((value - c.scale_min) * 10 / (c.scale_max - c.scale_min), Decimal(c.weight)))
    average = sum(v for v, _w in normalised) / len(normalised)
    weighted = sum(v * w for v, w in normalised) / sum(w for _v, w in normalised)
    return average.quantize(_Q, ROUND_HALF_UP), weighted.quantize(_Q, ROUND_HALF_UP)


def save_review(
    *,
    actor,
    assignment: Assignment,
    scores: dict,
    confidence: int | None,
    comments_to_authors: str,
    confidential_comments: str,
    submit: bool,
) -> Review:
    """Save the reviewer's draft, or submit it (every score and the confidence required).  A
    submitted review stays editable, and stays submitted, until the review deadline."""
    call = assignment.submission.call
    if assignment.member.user_id != actor.pk:
        raise ReviewsError(_("This is not your review."))
    if not assignment.submission.is_active:
        raise ReviewsError(_("The paper was withdrawn."))
    if not call.reviews_open():
        raise ReviewsError(_("The review deadline has passed."))
    criteria = list(call.criteria.order_by("position", "pk"))
    clean: dict[str, int] = {}
    for criterion in criteria:
        raw = scores.get(str(criterion.pk), scores.get(criterion.pk))
        if raw in (None, ""):
            continue
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ReviewsError(_("Scores must be whole numbers.")) from None
        if not criterion.scale_min <= value <= criterion.scale_max:
            raise ReviewsError(
                _("“%(name)s” takes a score from %(low)d to %(high)d.")
                % {"name": criterion.name, "low": criterion.scale_min, "high": criterion.scale_max}
            )
        clean[str(criterion.pk)] = value
    if confidence is not None and confidence not in CONFIDENCE_LEVELS:
        raise ReviewsError(_("Confidence is from 1 to 5."))
    with transaction.atomic():
        review, _created = Review.objects.select_for_update().get_or_create(assignment=assignment)
        with audited(review, REVIEW_FIELDS, action="reviews.save_review", actor=actor, about=assignment.submission):
            finishing = submit or review.is_submitted
            if finishing and (len(clean) != len(criteria) or confidence is None):
                raise ReviewsError(_("Give every score and your confidence before submitting."))
            review.scores = clean
            review.confidence = confidence
            review.comments_to_authors = comments_to_authors.strip()
            review.confidential_comments = confidential_comments.strip()
            if len(clean) == len(criteria) and criteria:
                review.average, review.weighted = _averages(criteria, clean)
            else:
                review.average = review.weighted = None
            if finishing:
                if not review.is_submitted:
                    review.submitted_at = timezone.now()
                review.status = Review.Status.SUBMITTED
            review.save()
    return review


def post_discussion(*, actor, submission: Submission, text: str, is_meta_review: bool = False) -> DiscussionPost:
    """Add a committee message (the caller has checked that ``actor`` may see the reviews);
    a meta-review is reserved to chairs and track chairs."""
    from reviews.selectors import can_see_reviews, may_write_meta_review

    text = (text or "").strip()
    if not text:
        raise ReviewsError(_("Write a message."))
    if not can_see_reviews(actor, submission):
        raise ReviewsError(_("You cannot take part in this paper's discussion."))
    if is_meta_review and not may_write_meta_review(actor, submission):
        raise ReviewsError(_("Only the track chair writes the meta-review."))
    with transaction.atomic():
        post = DiscussionPost.objects.create(
            submission=submission, author=actor, text=text, is_meta_review=is_meta_review
        )
        record_audit(actor=actor, action="reviews.post_discussion", obj=submission, after={"meta": is_meta_review})
    return post


def remind_late_reviewers(*, now=None) -> int:
    """E-mail every reviewer whose review is not submitted when the deadline is near or recently
    passed, at most once a day per assignment (idempotent under redelivery).  Returns the count."""
    now = now or timezone.now()
    due = (
        Assignment.objects.filter(
            submission__status=Submission.Status.SUBMITTED,
            submission__call__review_deadline__lte=now + REMIND_BEFORE,
            submission__call__review_deadline__gte=now - REMIND_AFTER_DEADLINE_FOR,
        )
        .exclude(review__status=Review.Status.SUBMITTED)
        .select_related("member__user", "submission__call")
    )
    sent = 0
    for assignment in due:
        with transaction.atomic():
            locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
            if locked.last_reminded_at and locked.last_reminded_at > now - REMIND_EVERY:
                continue
            locked.last_reminded_at = now
            locked.save(update_fields=["last_reminded_at"])
            record_audit(
                actor=None,
                action="reviews.remind_reviewer",
                obj=assignment.submission,
                after={"member": assignment.member_id},
            )
            send_on_commit(
                to=[assignment.member.user.email],
                template="reminder",
                context={
                    "number": assignment.submission.number,
                    "title": assignment.submission.title_zh or assignment.submission.title_en,
                    "deadline": assignment.submission.call.review_deadline,
                },
                language=assignment.member.user.preferred_language,
            )
            sent += 1
    return sent
