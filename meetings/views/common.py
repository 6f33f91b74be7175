from functools import wraps

from django.contrib import messages
from django.db import OperationalError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from common.models import Role
from common.permissions import has_role, role_required
from meetings.models import Meeting, Registration
from meetings.selectors import public_meetings
from meetings.services.organise import OrganiseError

organiser = role_required(Role.ORGANISER)


def meeting_or_404(slug: str) -> Meeting:
    """A meeting of this society for the organiser's pages, drafts included."""
    return get_object_or_404(Meeting, slug=slug)


def organiser_form(request, *, meeting, form, save, title, saved, context=None):
    """An organiser's form page: a valid POST calls ``save(cleaned_data)``; its OrganiseError is
    shown on the form, success goes back to the meeting's dashboard saying ``saved``."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except OrganiseError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, saved)
            return redirect("meetings:dashboard", meeting.slug)
    return render(
        request,
        "meetings/console/simple_form.html",
        {"meeting": meeting, "form": form, "title": title, **(context or {})},
    )


def retry_later_on_busy(view):
    """Registration opening is a burst: when a seat lock cannot be had in time (lock_timeout,
    deadlock) answer 503 with Retry-After in the user's language instead of a 500."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except OperationalError:
            response = render(request, "meetings/busy.html", status=503)
            response["Retry-After"] = "5"
            return response

    return wrapper


def public_meeting(slug: str) -> Meeting:
    return get_object_or_404(public_meetings(), slug=slug)


def own_registration(request, code: str) -> Registration:
    """A registration its holder, its group's contact or an organiser may open; 404 otherwise."""
    reg = get_object_or_404(
        Registration.objects.select_related("meeting", "registration_type", "group", "user"), ticket_code=code.upper()
    )
    user = request.user
    if reg.user_id == user.pk or (reg.group_id and reg.group.contact_id == user.pk) or has_role(user, Role.ORGANISER):
        return reg
    raise Http404
