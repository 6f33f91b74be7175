"""Authors: the call page, submitting, editing, withdrawing, conflicts, decisions, camera-ready."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reviews import selectors
from reviews.exceptions import ReviewsError
from reviews.forms import AuthorFormSet, CameraReadyForm, ConflictForm, PaperForm, paper_data
from reviews.models import Call, CommitteeMember, Conflict, Submission, SubmissionFile
from reviews.services import calls, conflicts, decisions, submissions
from reviews.views.common import pdf_response


@login_required
def my(request):
    user = request.user
    return render(
        request,
        "reviews/my.html",
        {
            "papers": selectors.submissions_of_author(user),
            "memberships": [
                (m, calls.invitation_token(m) if m.status == CommitteeMember.Status.INVITED else "")
                for m in selectors.memberships_of(user)
            ],
            "assignments": selectors.assignments_of(user),
            "open_calls": selectors.calls_open_for_submission(timezone.now()),
            "is_chair": selectors.is_chair_anywhere(user),
        },
    )


def call_detail(request, call_id: int):
    call = get_object_or_404(Call.objects.select_related("meeting"), pk=call_id)
    return render(request, "reviews/call.html", {"call": call, "open": call.submissions_open()})


def _paper_form(request, call, *, submission=None):
    initial, authors = {}, None
    if submission is not None:
        initial = {
            "title_zh": submission.title_zh,
            "title_en": submission.title_en,
            "abstract_zh": submission.abstract_zh,
            "abstract_en": submission.abstract_en,
            "keywords": submission.keywords,
            "track": submission.track_id,
            "topics": list(submission.topics.all()),
        }
        authors = [
            {
                "name": a.name,
                "email": a.email,
                "affiliation": a.affiliation,
                "is_corresponding": a.is_corresponding,
                "is_presenting": a.is_presenting,
            }
            for a in submission.authors.all()
        ]
    elif request.user.is_authenticated:
        authors = [{"name": request.user.name, "email": request.user.email, "is_corresponding": True}]
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    form = PaperForm(data, files, call=call, require_pdf=submission is None, initial=initial)
    formset = AuthorFormSet(data, prefix="authors", initial=authors)
    return form, formset


@login_required
def submit(request, call_id: int):
    call = get_object_or_404(Call.objects.select_related("meeting"), pk=call_id)
    form, formset = _paper_form(request, call)
    if not call.submissions_open():
        messages.error(request, _("The submission deadline has passed."))
        return redirect("reviews:call", call_id=call.pk)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        upload = form.cleaned_data["pdf"]
        try:
            paper = submissions.submit_paper(
                actor=request.user,
                call=call,
                data=paper_data(form, formset),
                content=upload.read(),
                filename=upload.name,
            )
        except ReviewsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Paper #%(number)d submitted.") % {"number": paper.number})
            return redirect("reviews:paper", submission_id=paper.pk)
    return render(request, "reviews/submit.html", {"call": call, "form": form, "formset": formset})


def _own_paper(request, submission_id: int) -> Submission:
    paper = get_object_or_404(Submission.objects.select_related("call__meeting", "track"), pk=submission_id)
    if not selectors.is_author(request.user, paper):
        raise Http404
    return paper


@login_required
def paper(request, submission_id: int):
    paper = _own_paper(request, submission_id)
    decision = getattr(paper, "decision", None)
    notified = decision is not None and decision.notified_at is not None
    reviews = selectors.reviews_for_authors(paper) if notified else []
    return render(
        request,
        "reviews/paper.html",
        {
            "paper": paper,
            "call": paper.call,
            "authors": selectors.authors_of(paper),
            "file": paper.files.filter(kind=SubmissionFile.Kind.ORIGINAL, is_current=True).first(),
            "camera_ready": paper.files.filter(kind=SubmissionFile.Kind.CAMERA_READY, is_current=True).first(),
            "decision": decision if notified else None,
            "reviews": reviews,
            "conflict_form": ConflictForm(),
            "declared": paper.conflicts.filter(source=Conflict.Source.DECLARED_BY_AUTHOR).select_related("user"),
            "camera_form": CameraReadyForm(),
            "registered": decisions.registered_author(paper) is not None if notified and decision.is_accept else None,
        },
    )


@login_required
def edit(request, submission_id: int):
    paper = _own_paper(request, submission_id)
    form, formset = _paper_form(request, paper.call, submission=paper)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        upload = form.cleaned_data.get("pdf")
        try:
            submissions.update_paper(
                actor=request.user,
                submission=paper,
                data=paper_data(form, formset),
                content=upload.read() if upload else None,
                filename=upload.name if upload else "",
            )
        except ReviewsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Changes saved."))
            return redirect("reviews:paper", submission_id=paper.pk)
    return render(
        request, "reviews/submit.html", {"call": paper.call, "form": form, "formset": formset, "paper": paper}
    )


@require_POST
@login_required
def withdraw(request, submission_id: int):
    paper = _own_paper(request, submission_id)
    submissions.withdraw_paper(actor=request.user, submission=paper, reason=request.POST.get("reason", ""))
    messages.success(request, _("The paper was withdrawn."))
    return redirect("reviews:paper", submission_id=paper.pk)


@login_required
def paper_pdf(request, submission_id: int):
    paper = _own_paper(request, submission_id)
    kind = request.GET.get("kind", SubmissionFile.Kind.ORIGINAL)
    file = get_object_or_404(paper.files.select_related("stored"), kind=kind, is_current=True)
    if kind == SubmissionFile.Kind.SANITISED:
        raise Http404
    return pdf_response(file.stored)


@require_POST
@login_required
def declare_conflict(request, submission_id: int):
    paper = _own_paper(request, submission_id)
    form = ConflictForm(request.POST)
    if form.is_valid():
        try:
            conflicts.declare_conflict_by_email(
                actor=request.user,
                submission=paper,
                email=form.cleaned_data["email"],
                source=Conflict.Source.DECLARED_BY_AUTHOR,
                reason=form.cleaned_data["reason"],
            )
        except ReviewsError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Conflict declared."))
    else:
        messages.error(request, _("Give the person's e-mail address and a reason."))
    return redirect("reviews:paper", submission_id=paper.pk)


@require_POST
@login_required
def camera_ready(request, submission_id: int):
    paper = _own_paper(request, submission_id)
    form = CameraReadyForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["pdf"]
        try:
            submissions.upload_camera_ready(
                actor=request.user,
                submission=paper,
                content=upload.read(),
                filename=upload.name,
                checklist=form.cleaned_data["checklist"],
            )
        except ReviewsError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Camera-ready version uploaded."))
    else:
        messages.error(request, _("Choose a PDF file."))
    return redirect("reviews:paper", submission_id=paper.pk)
