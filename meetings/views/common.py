from functools import wraps

from django.db import OperationalError
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from common.models import Role
from common.permissions import has_role
from meetings.models import Meeting, Registration


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
    return get_object_or_404(Meeting.objects.exclude(status=Meeting.Status.DRAFT).select_related("poster"), slug=slug)


def own_registration(request, code: str) -> Registration:
    """A registration its holder, its group's contact or an organiser may open; 404 otherwise."""
    reg = get_object_or_404(
        Registration.objects.select_related("meeting", "registration_type", "group", "user"), ticket_code=code.upper()
    )
    user = request.user
    if reg.user_id == user.pk or (reg.group_id and reg.group.contact_id == user.pk) or has_role(user, Role.ORGANISER):
        return reg
    raise Http404
