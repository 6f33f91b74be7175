"""Programme chairs: calls, committee, assignment, the ranked table, decisions and notifications."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from common.models import Role
from common.permissions import has_role
from meetings.models import Meeting
from reviews import selectors
from reviews.exceptions import ReviewsError
from reviews.forms import (
    BulkDecisionForm,
    CallForm,
    CallSettingsForm,
    CriteriaForm,
    DiscussionForm,
    InviteForm,
    TemplateForm,
)
from reviews.models import Assignment, Call, CommitteeMember, Outcome, Submission
from reviews.services import assignment_service, calls, decisions
from reviews.views.common import chair_required


def console(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not selectors.is_chair_anywhere(request.user):
        raise PermissionDenied
    organiser = has_role(request.user, Role.ORGANISER)
    if organiser:
        call_list = Call.objects.select_related("meeting")
    else:
        call_list = Call.objects.filter(
            committee__user=request.user, committee__role=CommitteeMember.Role.CHAIR
        ).select_related("meeting")
    form = None
    if organiser:
        form = CallForm(request.POST or None, meetings=Meeting.objects.filter(call_for_papers__isnull=True))
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                call = calls.create_call(
                    actor=request.user,
                    meeting=data["meeting"],
                    title=data["title"],
                    review_mode=data["review_mode"],
                    submission_deadline=data["submission_deadline"],
                    review_deadline=data["review_deadline"],
                    decision_date=data["decision_date"],
                    camera_ready_deadline=data["camera_ready_deadline"],
                    max_pages=data["max_pages"],
                    max_size_mb=data["max_size_mb"],
                    reviewers_per_paper=data["reviewers_per_paper"],
                    reviews_visible_after_own=data["reviews_visible_after_own"],
                    attach_reviews_to_notifications=data["attach_reviews_to_notifications"],
                    tracks=data["tracks"].splitlines(),
                    topics=data["topics"].splitlines(),
                )
            except ReviewsError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Call for papers created."))
                return redirect("reviews:call_console", call_id=call.pk)
    return render(request, "reviews/console/index.html", {"calls": call_list, "form": form})


@chair_required
def call_console(request, call):
    rows, hidden = selectors.ranked_table(call, request.user)
    form = BulkDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ids = [int(i) for i in request.POST.getlist("paper") if i.isdigit()]
        chosen = list(Submission.objects.filter(call=call, pk__in=ids))
        if not chosen:
            messages.error(request, _("Select at least one paper."))
        else:
            try:
                count = decisions.bulk_decide(
                    actor=request.user, submissions=chosen, outcome=form.cleaned_data["outcome"]
                )
            except ReviewsError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("%(count)d decisions recorded.") % {"count": count})
        return redirect("reviews:call_console", call_id=call.pk)
    return render(request, "reviews/console/call.html", {"call": call, "rows": rows, "hidden": hidden, "form": form})


@chair_required
def call_settings(request, call):
    initial = {name: getattr(call, name) for name in calls.CALL_FIELDS}
    editing_criteria = request.POST.get("action") == "criteria"
    form = CallSettingsForm(
        request.POST if request.method == "POST" and not editing_criteria else None, initial=initial
    )
    criteria_form = CriteriaForm(
        request.POST if editing_criteria else None, initial={"criteria": CriteriaForm.text_of(call)}
    )
    if editing_criteria and criteria_form.is_valid():
        try:
            calls.set_criteria(actor=request.user, call=call, criteria=criteria_form.parsed())
        except ReviewsError as exc:
            criteria_form.add_error(None, str(exc))
        else:
            messages.success(request, _("Changes saved."))
            return redirect("reviews:call_settings", call_id=call.pk)
    elif request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if v != initial[k]}
        try:
            calls.update_call(actor=request.user, call=call, **changes)
        except ReviewsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Changes saved."))
            return redirect("reviews:call_console", call_id=call.pk)
    return render(
        request, "reviews/console/settings.html", {"call": call, "form": form, "criteria_form": criteria_form}
    )


@chair_required
def committee(request, call):
    form = InviteForm(request.POST if request.POST.get("action") != "track_chair" else None, call=call)
    if request.POST.get("action") == "track_chair":
        track = get_object_or_404(call.tracks, pk=request.POST.get("track"))
        member_id = request.POST.get("member")
        member = get_object_or_404(CommitteeMember, call=call, pk=member_id) if member_id else None
        try:
            calls.set_track_chair(actor=request.user, track=track, member=member)
        except ReviewsError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Track chair saved."))
        return redirect("reviews:committee", call_id=call.pk)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            calls.invite_committee_member(
                actor=request.user,
                call=call,
                email=data["email"],
                name=data["name"],
                role=data["role"],
                affiliation=data["affiliation"],
                max_load=data["max_load"],
                topics=list(data["topics"]),
            )
        except ReviewsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Invitation sent."))
            return redirect("reviews:committee", call_id=call.pk)
    return render(
        request,
        "reviews/console/committee.html",
        {
            "call": call,
            "form": form,
            "loads": selectors.committee_loads(call),
            "tracks": call.tracks.select_related("chair"),
        },
    )


@chair_required
def assignment(request, call):
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "run":
                summary = assignment_service.assign_reviewers(
                    actor=request.user, call=call, objective=request.POST.get("objective", "total")
                )
                messages.success(
                    request,
                    _("%(assignments)d assignments made; total affinity %(total_affinity)s.") % summary,
                )
            elif action == "add":
                paper = get_object_or_404(Submission, call=call, pk=request.POST.get("submission"))
                member = get_object_or_404(CommitteeMember, call=call, pk=request.POST.get("member"))
                _visible_or_403(request.user, paper)
                assignment_service.assign_by_hand(actor=request.user, submission=paper, member=member)
                messages.success(request, _("Reviewer added."))
            elif action == "remove":
                item = get_object_or_404(Assignment, submission__call=call, pk=request.POST.get("assignment"))
                _visible_or_403(request.user, item.submission)
                assignment_service.unassign(actor=request.user, assignment=item)
                messages.success(request, _("Reviewer removed."))
        except ReviewsError as exc:
            messages.error(request, str(exc))
        return redirect("reviews:assignment", call_id=call.pk)
    return render(
        request,
        "reviews/console/assignment.html",
        {
            "call": call,
            "loads": selectors.committee_loads(call),
            "papers": selectors.assignment_table(call, request.user),
            "members": CommitteeMember.objects.filter(call=call, status=CommitteeMember.Status.ACCEPTED).select_related(
                "user"
            ),
        },
    )


def _visible_or_403(user, paper):
    if selectors.is_conflicted(user, paper):
        raise PermissionDenied


@chair_required
def chair_paper(request, call, submission_id: int):
    papers = Submission.objects.select_related("track").prefetch_related("authors")  # listed, and paid for
    paper = selectors.for_one_page(get_object_or_404(papers, call=call, pk=submission_id))
    paper.call = call  # read already, by chair_required
    if selectors.is_conflicted(request.user, paper):
        return render(request, "reviews/console/conflicted.html", {"call": call}, status=403)
    if request.method == "POST":
        try:
            decisions.decide(actor=request.user, submission=paper, outcome=request.POST.get("outcome", ""))
        except ReviewsError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Decision recorded."))
        return redirect("reviews:chair_paper", call_id=call.pk, submission_id=paper.pk)
    reviews = selectors.committee_reviews(request.user, paper)
    return render(
        request,
        "reviews/console/paper.html",
        {
            "call": call,
            "paper": paper,
            "authors": selectors.authors_of(paper),
            "reviews": reviews,
            "summary": selectors.score_summary([r["review"] for r in reviews]),
            "discussion": selectors.discussion_of(request.user, paper),
            "discussion_form": DiscussionForm(),
            "decision": getattr(paper, "decision", None),
            "outcomes": Outcome.choices,
            "registered": decisions.registered_author(paper),
        },
    )


@chair_required
def notifications(request, call):
    templates = list(call.notification_templates.order_by("outcome"))
    forms = [TemplateForm(instance=t, prefix=f"t{t.pk}") for t in templates]
    if request.method == "POST":
        if request.POST.get("action") == "send":
            count = decisions.notify_decisions(actor=request.user, call=call)
            messages.success(request, _("%(count)d authors' papers notified.") % {"count": count})
            return redirect("reviews:notifications", call_id=call.pk)
        template = get_object_or_404(call.notification_templates, pk=request.POST.get("template"))
        form = TemplateForm(request.POST, instance=template, prefix=f"t{template.pk}")
        if form.is_valid():
            calls.update_notification_template(
                actor=request.user,
                template=template,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
            )
            messages.success(request, _("Template saved."))
            return redirect("reviews:notifications", call_id=call.pk)
        forms = [form if f.instance.pk == template.pk else f for f in forms]
    pending = selectors.pending_notifications(call, request.user)
    return render(request, "reviews/console/notifications.html", {"call": call, "forms": forms, "pending": pending})
