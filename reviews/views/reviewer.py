"""Committee members: invitations, bidding, the review form, other reviews and the discussion."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reviews import selectors
from reviews.exceptions import ReviewsError
from reviews.forms import AcceptInvitationForm, DiscussionForm, ReviewForm
from reviews.models import Assignment, Bid, Call, CommitteeMember, SubmissionFile
from reviews.services import assignment_service, calls
from reviews.services import reviews as review_services
from reviews.views.common import pdf_response


def invitation(request, token: str):
    member = calls.member_from_token(token)
    if member is None:
        raise Http404
    needs_password = not member.user.has_usable_password()
    if not needs_password and request.user != member.user:
        if request.user.is_authenticated:
            messages.error(request, _("This invitation is for another account; log in as its addressee."))
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    form = AcceptInvitationForm(request.POST or None) if needs_password else None
    if request.method == "POST":
        accept = request.POST.get("answer") == "accept"
        if accept and form is not None and not form.is_valid():
            return render(request, "reviews/invitation.html", {"member": member, "form": form})
        password = form.cleaned_data["password"] if accept and form is not None else None
        # The returned row carries the new password hash, which the session's auth hash must match.
        member = calls.respond_to_invitation(actor=member.user, member=member, accept=accept, password=password)
        if accept:
            if request.user != member.user:
                login(request, member.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to the programme committee."))
            return redirect("reviews:bids", call_id=member.call_id)
        messages.info(request, _("You declined the invitation."))
        return redirect("home")
    return render(request, "reviews/invitation.html", {"member": member, "form": form})


def _member(request, call_id: int) -> CommitteeMember:
    call = get_object_or_404(Call, pk=call_id)
    member = selectors.committee_member(call, request.user)
    if member is None:
        raise Http404
    return member


@login_required
def bids(request, call_id: int):
    member = _member(request, call_id)
    papers = list(selectors.biddable_submissions(member))
    current = {b.submission_id: b.level for b in member.bids.all()}
    if request.method == "POST":
        changed = 0
        try:
            for paper in papers:
                level = request.POST.get(f"bid-{paper.pk}", "")
                if level and level != current.get(paper.pk):
                    assignment_service.place_bid(actor=request.user, member=member, submission=paper, level=level)
                    changed += 1
        except ReviewsError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Bids saved (%(count)d changed).") % {"count": changed})
        return redirect("reviews:bids", call_id=call_id)
    rows = [{"paper": p, "bid": current.get(p.pk, "")} for p in papers]
    return render(
        request, "reviews/bids.html", {"member": member, "call": member.call, "rows": rows, "levels": Bid.Level.choices}
    )


def _assignment(request, assignment_id: int) -> Assignment:
    assignment = get_object_or_404(
        Assignment.objects.select_related("submission__call__meeting", "submission__track", "member"), pk=assignment_id
    )
    if assignment.member.user_id != request.user.pk or selectors.is_conflicted(request.user, assignment.submission):
        raise Http404
    return assignment


@login_required
def review(request, assignment_id: int):
    assignment = _assignment(request, assignment_id)
    paper, call = assignment.submission, assignment.submission.call
    criteria = selectors.criteria_of(call)
    existing = getattr(assignment, "review", None)  # None when there is no review yet
    initial = {}
    if existing is not None:
        initial = {f"score_{k}": v for k, v in existing.scores.items()}
        initial.update(
            confidence=existing.confidence,
            comments_to_authors=existing.comments_to_authors,
            confidential_comments=existing.confidential_comments,
        )
    form = ReviewForm(request.POST or None, criteria=criteria, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            review_services.save_review(
                actor=request.user,
                assignment=assignment,
                scores=form.scores(),
                confidence=form.cleaned_data["confidence"],
                comments_to_authors=form.cleaned_data["comments_to_authors"],
                confidential_comments=form.cleaned_data["confidential_comments"],
                submit="submit" in request.POST,
            )
        except ReviewsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Review submitted.") if "submit" in request.POST else _("Draft saved."))
            return redirect("reviews:review", assignment_id=assignment.pk)
    see_reviews = selectors.can_see_reviews(request.user, paper)
    return render(
        request,
        "reviews/review.html",
        {
            "assignment": assignment,
            "paper": paper,
            "call": call,
            "form": form,
            "existing": existing,
            "show_authors": selectors.can_see_authors(request.user, paper),
            "authors": selectors.authors_of(paper),
            "others": selectors.committee_reviews(request.user, paper, exclude=assignment) if see_reviews else [],
            "discussion": selectors.discussion_of(request.user, paper),
            "discussion_form": DiscussionForm(allow_meta=selectors.may_write_meta_review(request.user, paper))
            if see_reviews
            else None,
            "has_pdf": paper.files.filter(kind=SubmissionFile.Kind.SANITISED, is_current=True).exists(),
        },
    )


@login_required
def review_pdf(request, assignment_id: int):
    assignment = _assignment(request, assignment_id)
    paper = assignment.submission
    kind = SubmissionFile.Kind.SANITISED if paper.call.is_double_blind else SubmissionFile.Kind.ORIGINAL
    file = get_object_or_404(paper.files.select_related("stored"), kind=kind, is_current=True)
    return pdf_response(file.stored, filename=f"paper-{paper.number}.pdf")


@require_POST
@login_required
def discuss(request, submission_id: int):
    from reviews.models import Submission

    paper = get_object_or_404(Submission, pk=submission_id)
    if not selectors.can_see_reviews(request.user, paper):
        raise Http404
    form = DiscussionForm(request.POST)
    if form.is_valid():
        try:
            review_services.post_discussion(
                actor=request.user,
                submission=paper,
                text=form.cleaned_data["text"],
                is_meta_review=form.cleaned_data.get("is_meta_review", False),
            )
        except ReviewsError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, _("Write a message."))
    assignment = selectors.assignment_of(request.user, paper)
    if assignment is not None:
        return redirect("reviews:review", assignment_id=assignment.pk)
    return redirect("reviews:chair_paper", call_id=paper.call_id, submission_id=paper.pk)
