"""Decisions, decision e-mails and who enters the programme."""

from __future__ import annotations

import string

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from board.tasks import request_refresh
from common.audit import record_audit
from meetings.selectors import paid_registrants
from reviews.exceptions import ReviewsError
from reviews.models import Decision, NotificationTemplate, Outcome, Submission


def decide(*, actor, submission: Submission, outcome: str) -> Decision:
    """Record (or change, until notified) the decision on one paper.  Refused to a conflicted chair."""
    from reviews.selectors import is_chair, is_conflicted

    if outcome not in Outcome.values:
        raise ReviewsError(_("Unknown decision."))
    if not is_chair(actor, submission.call) or is_conflicted(actor, submission):
        raise ReviewsError(_("You cannot decide on paper #%(number)d.") % {"number": submission.number})
    if not submission.is_active:
        raise ReviewsError(_("Paper #%(number)d was withdrawn.") % {"number": submission.number})
    with transaction.atomic():
        decision = Decision.objects.select_for_update().filter(submission=submission).first()
        if decision is not None and decision.notified_at is not None:
            raise ReviewsError(
                _("The authors of #%(number)d were notified; the decision is final.") % {"number": submission.number}
            )
        before = decision.outcome if decision else None
        if decision is None:
            decision = Decision(submission=submission)
        decision.outcome = outcome
        decision.decided_by = actor
        decision.save()
        request_refresh()  # the board's decisions
        record_audit(
            actor=actor, action="reviews.decide", obj=submission, before={"outcome": before}, after={"outcome": outcome}
        )
    return decision


def bulk_decide(*, actor, submissions, outcome: str) -> int:
    """One decision for several papers from the ranked table: all or nothing."""
    with transaction.atomic():
        for submission in submissions:
            decide(actor=actor, submission=submission, outcome=outcome)
    return len(submissions)


class _Blank(dict):
    """A template with an unknown placeholder keeps it visible instead of failing the whole batch."""

    def __missing__(self, key):
        return "{" + key + "}"


def _render(text: str, values: dict) -> str:
    return string.Formatter().vformat(text, (), _Blank(values))


def reviews_text(submission: Submission) -> str:
    """The submitted reviews as the authors may read them, as plain text for the e-mail."""
    from reviews.selectors import reviews_for_authors

    parts = []
    for review in reviews_for_authors(submission):
        scores = "; ".join(f"{name}: {value}" for name, value in review["scores"])
        parts.append(f"{_('Review')} {review['number']}\n{scores}\n{review['comments']}".strip())
    return "\n\n".join(parts)


def notify_decisions(*, actor, call, submissions=None) -> int:
    """E-mail the authors of every decided, not yet notified paper (or of ``submissions``), from the
    call's editable templates, with the reviews per the call's policy.  Marks them notified in the
    same transaction; messages leave after commit.  Returns the number of papers notified."""
    from reviews.selectors import is_conflicted

    with transaction.atomic():
        decisions = (
            Decision.objects.select_for_update()
            .filter(submission__call=call, notified_at__isnull=True, submission__status=Submission.Status.SUBMITTED)
            .select_related("submission__call__meeting")
        )
        if submissions is not None:
            decisions = decisions.filter(submission__in=submissions)
        templates = {t.outcome: t for t in NotificationTemplate.objects.filter(call=call)}
        now = timezone.now()
        count = 0
        for decision in decisions:
            paper = decision.submission
            if is_conflicted(actor, paper):
                continue
            template = templates.get(decision.outcome)
            if template is None:
                raise ReviewsError(_("There is no e-mail template for this decision."))
            with translation.override(settings.LANGUAGE_CODE):
                reviews = reviews_text(paper) if call.attach_reviews_to_notifications else ""
                values = {
                    "title": paper.title_zh or paper.title_en,
                    "number": paper.number,
                    "outcome": decision.get_outcome_display(),
                    "meeting": call.meeting.title_zh,
                    "reviews": reviews,
                }
            message = EmailMessage(
                subject=_render(template.subject, values).replace("\n", " "),
                body=_render(template.body, values),
                to=list(paper.authors.values_list("email", flat=True)),
            )
            if reviews:
                message.attach(f"reviews-{paper.number}.txt", reviews, "text/plain")
            transaction.on_commit(message.send)
            decision.notified_at = now
            decision.save(update_fields=["notified_at"])
            record_audit(actor=actor, action="reviews.notify_decision", obj=paper, after={"outcome": decision.outcome})
            count += 1
    return count


def paid_authors(meeting, emails) -> dict:
    """{e-mail: account} of those ``emails`` whose account holds a paid registration for ``meeting``."""
    return {user.email: user for user in paid_registrants(meeting).filter(email__in=emails)}


def registered_author(submission: Submission, paid: dict | None = None):
    """The first listed author with an account who has paid for the meeting, or None.  A run over
    many papers passes ``paid`` (``paid_authors`` of all their authors, one query for the run)."""
    emails = [author.email for author in submission.authors.all()]
    if paid is None:
        paid = paid_authors(submission.call.meeting, emails)
    return next((paid[email] for email in emails if email in paid), None)


def enters_programme(submission: Submission, paid: dict | None = None) -> bool:
    decision = getattr(submission, "decision", None)
    return bool(decision and decision.is_accept and submission.is_active and registered_author(submission, paid))
