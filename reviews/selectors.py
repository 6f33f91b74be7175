"""Reads of the reviews app, and the visibility rules every page, export, API and e-mail obeys.

Who may see what about a paper:
- its authors (the submitter and every listed author's e-mail): everything they wrote; reviews'
  comments to authors and the decision once notified; never reviewers' names or confidential notes;
- a conflicted person (automatic or declared conflict, or an author): nothing about its review —
  not the reviews, scores, counts, discussion or decision — whatever their role;
- a chair (organiser, or chair member of the call) without a conflict: everything;
- an assigned reviewer: the paper without authors when double-blind; other reviews per the
  call's policy; the discussion.
"""

from __future__ import annotations

from decimal import Decimal
from statistics import pstdev

from django.db.models import Prefetch, Q, QuerySet

from common.models import Role
from common.permissions import has_role
from reviews.models import (
    Assignment,
    Call,
    CommitteeMember,
    Conflict,
    Criterion,
    Review,
    Submission,
    SubmissionAuthor,
)


def committee_member(call: Call, user) -> CommitteeMember | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return CommitteeMember.objects.filter(call=call, user=user, status=CommitteeMember.Status.ACCEPTED).first()


def is_chair(user, call: Call) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if has_role(user, Role.ORGANISER):
        return True
    return CommitteeMember.objects.filter(
        call=call, user=user, role=CommitteeMember.Role.CHAIR, status=CommitteeMember.Status.ACCEPTED
    ).exists()


def is_chair_anywhere(user) -> bool:
    if has_role(user, Role.ORGANISER):
        return True
    return CommitteeMember.objects.filter(
        user=user, role=CommitteeMember.Role.CHAIR, status=CommitteeMember.Status.ACCEPTED
    ).exists()


def is_author(user, submission: Submission) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if submission.submitter_id == user.pk:
        return True
    return submission.authors.filter(email__iexact=user.email).exists()


def is_conflicted(user, submission: Submission) -> bool:
    """Authors are always conflicted with their own paper, whatever the stored rows say."""
    known = submission.__dict__.get("_conflicted")
    if known is not None and user.pk in known:
        return known[user.pk]
    answer = is_author(user, submission) or Conflict.objects.filter(submission=submission, user=user).exists()
    if known is not None:
        known[user.pk] = answer
    return answer


def for_one_page(submission: Submission) -> Submission:
    """Let ``submission`` remember who is conflicted with it, for the rest of one page's request:
    the view, the reviews and the discussion each ask.  Only for an object that lives no longer:
    a service that changes conflicts must ask afresh."""
    submission._conflicted = {}
    return submission


def conflicted_submission_ids(user, call: Call) -> set[int]:
    ids = set(Conflict.objects.filter(submission__call=call, user=user).values_list("submission_id", flat=True))
    ids |= set(
        Submission.objects.filter(call=call)
        .filter(Q(submitter=user) | Q(authors__email__iexact=user.email))
        .values_list("pk", flat=True)
    )
    return ids


def can_see_authors(user, submission: Submission) -> bool:
    if is_author(user, submission) or is_chair(user, submission.call):
        return True
    member = committee_member(submission.call, user)
    return member is not None and not submission.call.is_double_blind


def may_write_meta_review(user, submission: Submission) -> bool:
    if is_conflicted(user, submission):
        return False
    track_chair = submission.track_id is not None and submission.track.chair_id == user.pk
    return track_chair or is_chair(user, submission.call)


def can_see_reviews(user, submission: Submission) -> bool:
    """Reviews, scores, discussion and the decision before notification (committee side)."""
    if is_conflicted(user, submission):
        return False
    if is_chair(user, submission.call):
        return True
    assignment = assignment_of(user, submission)
    if assignment is None:
        return False
    if not submission.call.reviews_visible_after_own:
        return True
    return submitted_review(assignment) is not None


def assignment_of(user, submission: Submission) -> Assignment | None:
    return Assignment.objects.select_related("member").filter(submission=submission, member__user=user).first()


def calls_open_for_submission(now) -> QuerySet[Call]:
    return Call.objects.select_related("meeting").filter(submission_deadline__gt=now)


def submissions_of_author(user) -> QuerySet[Submission]:
    """Papers the person submitted or is listed on (co-authors see them too)."""
    return (
        Submission.objects.filter(Q(submitter=user) | Q(authors__email__iexact=user.email))
        .distinct()
        .select_related("call__meeting", "decision")
        .order_by("-created_at")
    )


def memberships_of(user) -> QuerySet[CommitteeMember]:
    return CommitteeMember.objects.filter(user=user).select_related("call__meeting").order_by("-invited_at")


def assignments_of(user) -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(member__user=user, submission__status=Submission.Status.SUBMITTED)
        .select_related("submission__call", "review")
        .order_by("submission__call_id", "submission__number")
    )


def biddable_submissions(member: CommitteeMember) -> QuerySet[Submission]:
    """Active papers of the call minus those the member is conflicted with (title/abstract/topics only)."""
    hidden = conflicted_submission_ids(member.user, member.call)
    return (
        Submission.objects.filter(call=member.call, status=Submission.Status.SUBMITTED)
        .exclude(pk__in=hidden)
        .prefetch_related("topics")
        .order_by("number")
    )


def authors_of(submission: Submission) -> QuerySet[SubmissionAuthor]:
    """In their order (the model's); from the submission's prefetched authors when it has them."""
    return submission.authors.all()


def visible_reviews(user, submission: Submission) -> list[Review]:
    if not can_see_reviews(user, submission):
        return []
    return list(
        Review.objects.filter(assignment__submission=submission, status=Review.Status.SUBMITTED)
        .select_related("assignment__member__user")
        .order_by("assignment__created_at", "pk")
    )


def criteria_of(call: Call) -> list[Criterion]:
    return list(call.criteria.order_by("position", "pk"))


def score_summary(reviews) -> dict:
    """Average, weighted average, spread and mean confidence of submitted reviews."""
    averages = [r.average for r in reviews if r.average is not None]
    weighted = [r.weighted for r in reviews if r.weighted is not None]
    confidences = [r.confidence for r in reviews if r.confidence]
    quant = Decimal("0.01")
    return {
        "count": len(averages),
        "average": (sum(averages) / len(averages)).quantize(quant) if averages else None,
        "weighted": (sum(weighted) / len(weighted)).quantize(quant) if weighted else None,
        "spread": Decimal(str(pstdev([float(a) for a in averages]))).quantize(quant) if len(averages) > 1 else None,
        "confidence": (Decimal(sum(confidences)) / len(confidences)).quantize(quant) if confidences else None,
    }


def ranked_table(call: Call, viewer) -> tuple[list[dict], int]:
    """Active papers the viewer is not conflicted with, best weighted score first, and how many
    were left out for conflicts (the chair learns only that number, no scores)."""
    hidden = conflicted_submission_ids(viewer, call)
    papers = (
        Submission.objects.filter(call=call, status=Submission.Status.SUBMITTED)
        .exclude(pk__in=hidden)
        .select_related("track", "decision")
        .prefetch_related(Prefetch("assignments", queryset=Assignment.objects.select_related("review")))
    )
    rows = []
    for paper in papers:
        reviews = [review for a in paper.assignments.all() if (review := submitted_review(a))]
        summary = score_summary(reviews)
        rows.append({"submission": paper, "assigned": len(paper.assignments.all()), **summary})
    rows.sort(key=lambda r: (r["weighted"] is None, -(r["weighted"] or 0), r["submission"].number))
    hidden_active = Submission.objects.filter(pk__in=hidden, call=call, status=Submission.Status.SUBMITTED).count()
    return rows, hidden_active


def submitted_review(assignment: Assignment) -> Review | None:
    try:
        review = assignment.review
    except Review.DoesNotExist:
        return None
    return review if review.is_submitted else None


def committee_loads(call: Call) -> list[dict]:
    members = CommitteeMember.objects.filter(call=call, status=CommitteeMember.Status.ACCEPTED).select_related("user")
    counts = {}
    for member_id in Assignment.objects.filter(
        member__call=call, submission__status=Submission.Status.SUBMITTED
    ).values_list("member_id", flat=True):
        counts[member_id] = counts.get(member_id, 0) + 1
    return [{"member": m, "load": counts.get(m.pk, 0)} for m in members]


def programme_rows(call: Call) -> QuerySet[Submission]:
    """Accepted, active papers with their authors, for the programme and abstract book."""
    from reviews.models import ACCEPTED

    return (
        Submission.objects.filter(call=call, status=Submission.Status.SUBMITTED, decision__outcome__in=ACCEPTED)
        .select_related("track", "decision")
        .prefetch_related("authors", "topics")
        .order_by("decision__outcome", "track__name", "number")
    )


def committee_reviews(user, submission: Submission, *, exclude: Assignment | None = None) -> list[dict]:
    """Submitted reviews as the committee sees them; reviewers' names only for chairs."""
    reviews = visible_reviews(user, submission)
    names = is_chair(user, submission.call)
    criteria = {str(c.pk): c.name for c in criteria_of(submission.call)}
    rows = []
    for i, review in enumerate(reviews, start=1):
        if exclude is not None and review.assignment_id == exclude.pk:
            continue
        rows.append(
            {
                "label": review.assignment.member.user.name if names else f"#{i}",
                "scores": [(criteria.get(k, k), v) for k, v in review.scores.items()],
                "review": review,
            }
        )
    return rows


def discussion_of(user, submission: Submission):
    if not can_see_reviews(user, submission):
        return []
    return list(submission.discussion.select_related("author"))


def reviews_for_authors(submission: Submission) -> list[dict]:
    """Submitted reviews as authors read them: numbered, scores and comments to the authors only."""
    criteria = {str(c.pk): c.name for c in criteria_of(submission.call)}
    reviews = Review.objects.filter(assignment__submission=submission, status=Review.Status.SUBMITTED).order_by(
        "assignment__created_at", "pk"
    )
    return [
        {
            "number": i,
            "scores": [(criteria.get(k, k), v) for k, v in review.scores.items()],
            "comments": review.comments_to_authors,
        }
        for i, review in enumerate(reviews, start=1)
    ]


def assignment_table(call: Call, viewer) -> list[dict]:
    """Per paper (the viewer's conflicts left out): assigned reviewers with affinity, and the sum."""
    hidden = conflicted_submission_ids(viewer, call)
    papers = (
        Submission.objects.filter(call=call, status=Submission.Status.SUBMITTED)
        .exclude(pk__in=hidden)
        .prefetch_related(Prefetch("assignments", queryset=Assignment.objects.select_related("member__user")))
        .order_by("number")
    )
    rows = []
    for paper in papers:
        assigned = list(paper.assignments.all())
        rows.append(
            {
                "paper": paper,
                "assignments": assigned,
                "affinity": sum((a.affinity for a in assigned), Decimal("0")),
                "missing": max(call.reviewers_per_paper - len(assigned), 0),
            }
        )
    return rows


def pending_notifications(call: Call, viewer) -> int:
    from reviews.models import Decision

    hidden = conflicted_submission_ids(viewer, call)
    return (
        Decision.objects.filter(
            submission__call=call, notified_at__isnull=True, submission__status=Submission.Status.SUBMITTED
        )
        .exclude(submission_id__in=hidden)
        .count()
    )
