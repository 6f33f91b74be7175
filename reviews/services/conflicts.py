"""Conflicts of interest: automatic rules, rebuilt whenever papers or the committee change, and
declarations by reviewers and authors.  A conflict removes any assignment of the pair."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.translation import gettext as _

from common.audit import record_audit
from reviews.exceptions import ReviewsError
from reviews.models import Assignment, Call, CommitteeMember, Conflict, Submission

# Mailbox providers: sharing one says nothing about a shared employer.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "qq.com",
        "163.com",
        "126.com",
        "yeah.net",
        "sina.com",
        "sina.cn",
        "sohu.com",
        "139.com",
        "aliyun.com",
        "foxmail.com",
        "gmail.com",
        "outlook.com",
        "hotmail.com",
        "yahoo.com",
        "icloud.com",
        "live.com",
        "proton.me",
        "protonmail.com",
    }
)
_NON_WORD = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise_institution(name: str) -> str:
    return _NON_WORD.sub("", (name or "").casefold())


def mail_domain(email: str) -> str:
    return (email or "").rsplit("@", 1)[-1].lower()


def automatic_conflicts(call: Call) -> set[tuple[int, int, str]]:
    """(submission id, user id, source) for every automatic rule that holds in the call."""
    papers = list(Submission.objects.filter(call=call, status=Submission.Status.SUBMITTED).prefetch_related("authors"))
    members = list(
        CommitteeMember.objects.filter(call=call).exclude(status=CommitteeMember.Status.DECLINED).select_related("user")
    )
    authors_by_paper = {p.pk: [(a.email.lower(), a.affiliation) for a in p.authors.all()] for p in papers}
    papers_by_email: dict[str, set[int]] = {}
    for paper_id, authors in authors_by_paper.items():
        for email, _aff in authors:
            papers_by_email.setdefault(email, set()).add(paper_id)
    found = set()
    for paper in papers:
        authors = authors_by_paper[paper.pk]
        emails = {e for e, _aff in authors}
        institutions = {normalise_institution(aff) for _e, aff in authors} - {""}
        domains = {mail_domain(e) for e in emails} - PUBLIC_MAIL_DOMAINS
        for member in members:
            email = member.user.email.lower()
            if email in emails or paper.submitter_id == member.user_id:
                found.add((paper.pk, member.user_id, Conflict.Source.AUTHOR))
                continue
            if normalise_institution(member.affiliation) in institutions:
                found.add((paper.pk, member.user_id, Conflict.Source.INSTITUTION))
            if mail_domain(email) in domains:
                found.add((paper.pk, member.user_id, Conflict.Source.DOMAIN))
            # Co-authorship: the member wrote another paper of this call with one of these authors.
            for other_id in papers_by_email.get(email, ()):
                if other_id != paper.pk and emails & {e for e, _aff in authors_by_paper[other_id]}:
                    found.add((paper.pk, member.user_id, Conflict.Source.COAUTHOR))
                    break
    return found


def _drop_conflicted_assignments(*, call: Call, actor) -> int:
    pairs = set(Conflict.objects.filter(submission__call=call).values_list("submission_id", "user_id"))
    doomed = [
        a
        for a in Assignment.objects.filter(submission__call=call).select_related("member")
        if (a.submission_id, a.member.user_id) in pairs
    ]
    for assignment in doomed:
        record_audit(
            actor=actor,
            action="reviews.unassign_conflicted",
            obj=assignment.submission,
            before={"member": assignment.member_id},
        )
        assignment.delete()
    return len(doomed)


def refresh_conflicts(*, call: Call, actor=None) -> int:
    """Rebuild the automatic conflicts of ``call`` (declared ones stay) and drop any assignment
    that became conflicted.  Runs in the caller's transaction (or its own).  Returns the count."""
    with transaction.atomic():
        wanted = automatic_conflicts(call)
        existing = {
            (c.submission_id, c.user_id, c.source): c.pk
            for c in Conflict.objects.filter(submission__call=call, source__in=Conflict.AUTOMATIC)
        }
        stale = [pk for key, pk in existing.items() if key not in wanted]
        Conflict.objects.filter(pk__in=stale).delete()
        Conflict.objects.bulk_create(
            [Conflict(submission_id=s, user_id=u, source=src) for (s, u, src) in wanted if (s, u, src) not in existing]
        )
        if stale or len(wanted) != len(existing):
            record_audit(
                actor=actor,
                action="reviews.refresh_conflicts",
                obj=call,
                after={"automatic": len(wanted), "removed": len(stale)},
            )
        _drop_conflicted_assignments(call=call, actor=actor)
    return len(wanted)


def declare_conflict(*, actor, submission: Submission, user, source: str, reason: str) -> Conflict:
    """A reviewer declares their own conflict, or an author one with a committee member.
    Removes an existing assignment of the pair.  The reason is required."""
    if source not in (Conflict.Source.DECLARED_BY_REVIEWER, Conflict.Source.DECLARED_BY_AUTHOR):
        raise ValueError(f"not a declared source: {source}")
    reason = (reason or "").strip()
    if not reason:
        raise ReviewsError(_("Give a reason for the conflict."))
    with transaction.atomic():
        conflict, created = Conflict.objects.get_or_create(
            submission=submission, user=user, source=source, defaults={"reason": reason[:300]}
        )
        if created:
            record_audit(
                actor=actor,
                action="reviews.declare_conflict",
                obj=submission,
                after={"user": user.pk, "source": source},
                reason=reason,
            )
        _drop_conflicted_assignments(call=submission.call, actor=actor)
    return conflict


def declare_conflict_by_email(*, actor, submission: Submission, email: str, source: str, reason: str) -> Conflict:
    """An author's declaration naming the person by e-mail (authors never see the committee list).
    The conflict holds whether or not the person is on the committee yet."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(email__iexact=(email or "").strip()).first()
    if user is None:
        raise ReviewsError(_("Nobody with this e-mail address can review here yet; no conflict is needed."))
    return declare_conflict(actor=actor, submission=submission, user=user, source=source, reason=reason)
