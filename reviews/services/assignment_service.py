"""Bidding and reviewer assignment: the optimal solver (reviews.assignment) on the call's data,
and the chair's adjustments by hand."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.audit import record_audit
from reviews import assignment as solver
from reviews.exceptions import ReviewsError
from reviews.mail import send_on_commit
from reviews.models import Assignment, Bid, Call, CommitteeMember, Conflict, Review, Submission

BID_AFFINITY = {
    Bid.Level.EAGER: Decimal("1.0"),
    Bid.Level.WILLING: Decimal("0.5"),
    Bid.Level.NOT_WILLING: Decimal("0"),
}
NO_BID_AFFINITY = Decimal("0.1")
TOPIC_WEIGHT = Decimal("0.5")


def place_bid(*, actor, member: CommitteeMember, submission: Submission, level: str) -> Bid:
    """Record the member's bid; "conflict" also declares a conflict (which removes any assignment)."""
    from reviews.services.conflicts import declare_conflict

    if level not in Bid.Level.values:
        raise ReviewsError(_("Unknown bid."))
    if submission.call_id != member.call_id or not submission.is_active:
        raise ReviewsError(_("This paper is not open for bidding."))
    if member.user_id != actor.pk:
        raise ReviewsError(_("You can only bid for yourself."))
    with transaction.atomic():
        bid, _created = Bid.objects.update_or_create(member=member, submission=submission, defaults={"level": level})
        if level == Bid.Level.CONFLICT:
            declare_conflict(
                actor=actor,
                submission=submission,
                user=member.user,
                source=Conflict.Source.DECLARED_BY_REVIEWER,
                reason=_("Declared while bidding"),
            )
        record_audit(
            actor=actor, action="reviews.place_bid", obj=submission, after={"member": member.pk, "level": level}
        )
    return bid


def affinities(call: Call, papers, members) -> dict[tuple[int, int], Decimal]:
    """Affinity of every (paper id, member id): the bid's value plus topic overlap (0 for "not willing")."""
    bids = {(b.submission_id, b.member_id): b.level for b in Bid.objects.filter(member__call=call)}
    member_topics = {m.pk: {t.pk for t in m.topics.all()} for m in members}
    result = {}
    for paper in papers:
        topics = {t.pk for t in paper.topics.all()}
        for member in members:
            level = bids.get((paper.pk, member.pk))
            if level == Bid.Level.CONFLICT:
                continue
            value = BID_AFFINITY.get(level, NO_BID_AFFINITY)
            if level != Bid.Level.NOT_WILLING and topics:
                value += TOPIC_WEIGHT * Decimal(len(topics & member_topics[member.pk])) / Decimal(len(topics))
            result[(paper.pk, member.pk)] = value
    return result


def build_problem(call: Call, *, objective: str = "total") -> dict:
    """The solver's JSON problem for the call: active papers, accepted members with their load,
    affinities and every conflict (stored, by bid, or authorship)."""
    papers = list(Submission.objects.filter(call=call, status=Submission.Status.SUBMITTED).prefetch_related("topics"))
    members = list(
        CommitteeMember.objects.filter(call=call, status=CommitteeMember.Status.ACCEPTED)
        .select_related("user")
        .prefetch_related("topics")
    )
    conflicted = set(Conflict.objects.filter(submission__call=call).values_list("submission_id", "user_id"))
    conflicted |= {(p.pk, p.submitter_id) for p in papers}
    by_user = {m.user_id: m.pk for m in members}
    conflicts = sorted({(s, by_user[u]) for s, u in conflicted if u in by_user})
    values = affinities(call, papers, members)
    forbidden = set(conflicts)
    return {
        "papers": [p.pk for p in papers],
        "reviewers": [{"id": m.pk, "max_load": m.max_load} for m in members],
        "reviewers_per_paper": call.reviewers_per_paper,
        "affinity": [[p, m, float(v)] for (p, m), v in sorted(values.items()) if v > 0 and (p, m) not in forbidden],
        "conflicts": [list(pair) for pair in conflicts],
        "objective": objective,
    }


def assign_reviewers(*, actor, call: Call, objective: str = "total") -> dict:
    """Replace the call's assignments by the optimal one (``objective`` "total" or "fair").

    Refused once any review exists (chairs then adjust by hand).  One transaction; assigned
    reviewers are e-mailed (titles only) after commit.  Raises ReviewsError with the solver's
    explanation when no assignment can satisfy the loads and conflicts."""
    from reviews.services.conflicts import refresh_conflicts

    if objective not in solver.OBJECTIVES:
        raise ReviewsError(_("Unknown objective."))
    with transaction.atomic():
        Call.objects.select_for_update().get(pk=call.pk)
        if Review.objects.filter(assignment__submission__call=call).exists():
            raise ReviewsError(_("Reviews have started; adjust the assignment by hand."))
        refresh_conflicts(call=call, actor=actor)
        problem = build_problem(call, objective=objective)
        try:
            result = solver.solve(problem)
        except solver.InfeasibleAssignment as exc:
            raise ReviewsError(_("No assignment is possible: %(why)s") % {"why": exc}) from exc
        values = {(p, m): Decimal(str(v)) for p, m, v in problem["affinity"]}
        Assignment.objects.filter(submission__call=call).delete()
        created = Assignment.objects.bulk_create(
            [
                Assignment(
                    submission_id=p,
                    member_id=m,
                    affinity=values.get((p, m), Decimal("0")),
                    origin=Assignment.Origin.AUTOMATIC,
                )
                for p, m in result["assignments"]
            ]
        )
        summary = {
            "objective": objective,
            "assignments": len(created),
            "total_affinity": round(result["total_affinity"], 3),
            "min_paper_affinity": round(result["min_paper_affinity"], 3),
        }
        record_audit(actor=actor, action="reviews.assign_reviewers", obj=call, after=summary)
        _notify_assigned(call, [a.member_id for a in created])
    return summary


def _notify_assigned(call: Call, member_ids) -> None:
    member_ids = set(member_ids)
    members = CommitteeMember.objects.filter(pk__in=member_ids).select_related("user")
    # Every notified member's papers in one query, not one per member.
    papers = defaultdict(list)
    for member_id, number, zh, en in (
        Assignment.objects.filter(member_id__in=member_ids)
        .order_by("submission__number")
        .values_list("member_id", "submission__number", "submission__title_zh", "submission__title_en")
    ):
        papers[member_id].append((number, zh or en))
    for member in members:
        send_on_commit(
            to=[member.user.email],
            template="assigned",
            context={
                "call": call.title,
                "papers": papers[member.pk],
                "deadline": call.review_deadline,
            },
            language=member.user.preferred_language,
        )


def assign_by_hand(*, actor, submission: Submission, member: CommitteeMember) -> Assignment:
    """Add one reviewer to a paper; refuses conflicts, full loads and duplicates."""
    from reviews.selectors import is_conflicted

    if member.call_id != submission.call_id or member.status != CommitteeMember.Status.ACCEPTED:
        raise ReviewsError(_("This person is not on the committee of this call."))
    if is_conflicted(member.user, submission):
        raise ReviewsError(_("This reviewer has a conflict of interest with the paper."))
    with transaction.atomic():
        CommitteeMember.objects.select_for_update().get(pk=member.pk)
        load = Assignment.objects.filter(member=member, submission__status=Submission.Status.SUBMITTED).count()
        if load >= member.max_load:
            raise ReviewsError(_("This reviewer has reached the maximum load."))
        if Assignment.objects.filter(submission=submission, member=member).exists():
            raise ReviewsError(_("This reviewer is already assigned to the paper."))
        papers = [submission]
        value = affinities(submission.call, papers, [member]).get((submission.pk, member.pk), Decimal("0"))
        assignment = Assignment.objects.create(
            submission=submission, member=member, affinity=value, origin=Assignment.Origin.MANUAL
        )
        record_audit(actor=actor, action="reviews.assign_by_hand", obj=submission, after={"member": member.pk})
        _notify_assigned(submission.call, [member.pk])
    return assignment


def unassign(*, actor, assignment: Assignment) -> None:
    """Remove a reviewer from a paper (a draft or submitted review goes with it, on purpose)."""
    with transaction.atomic():
        record_audit(
            actor=actor,
            action="reviews.unassign",
            obj=assignment.submission,
            before={"member": assignment.member_id, "at": timezone.now()},
        )
        assignment.delete()
