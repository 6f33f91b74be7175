"""Read-only mode for societies whose platform subscription is past its grace period.

Staff pages refuse writes (POST/PUT/PATCH/DELETE) with a clear page and show a banner, and so
does the API for callers with a staff role (session or token); member pages (paying dues,
registering for meetings), members' API calls, the plan page (to pay) and the Stripe webhook
stay writable, and nothing is deleted.  The decision costs at most one indexed query per society
and process every 30 seconds (common.ttlcache, as for hosts in tenants/middleware.py); the process that
records a payment forgets the entry at once.
"""

import re

from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import AuthenticationFailed

from billing.models import Subscription
from common.ttlcache import TTLCache

_read_only_from = TTLCache(30)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
# Staff pages of a society site.  /billing/ is not among them: the admin must be able to pay.
STAFF_PATH = re.compile(r"^/(console/|members/console|dues/console|meetings/console|reviews/console|board/)")
API_PATH = "/api/"


def forget(society_id: int | None = None) -> None:
    _read_only_from.forget(society_id)


def read_only_from(society_id: int):
    """When the society's staff pages became (or become) read-only; None when paid up."""
    return _read_only_from.get_or_load(
        society_id,
        lambda: Subscription.objects.filter(society_id=society_id).values_list("read_only_from", flat=True).first(),
    )


def is_read_only(society) -> bool:
    since = read_only_from(society.pk)
    return since is not None and since <= timezone.now()


def is_staff_path(path: str) -> bool:
    return bool(STAFF_PATH.match(path))


def _api_caller_is_staff(request) -> bool:
    """Whether an API write comes from staff: a session of a staff member, or a staff member's
    token (looked up here, before DRF does, only for writes while read-only)."""
    from common.authentication import SocietyTokenAuthentication
    from common.permissions import STAFF_ROLES, roles_of

    user = request.user
    scheme, _sep, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "token" and key:
        try:
            user, _token = SocietyTokenAuthentication().authenticate_credentials(key.strip())
        except AuthenticationFailed:
            return False  # DRF answers 401 itself
    return bool(roles_of(user) & set(STAFF_ROLES))


def refuses(request) -> bool:
    if request.method in SAFE_METHODS:
        return False
    path = request.path_info
    if path.startswith(API_PATH):
        return _api_caller_is_staff(request)
    return is_staff_path(path)


class ReadOnlyMiddleware:
    """After SocietyMiddleware: marks ``request.billing_read_only`` (for the banner) and refuses
    staff writes while the society is read-only."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        society = getattr(request, "society", None)
        request.billing_read_only = society is not None and is_read_only(society)
        if request.billing_read_only and refuses(request):
            return self.refuse(request)
        return self.get_response(request)

    def refuse(self, request):
        message = _(
            "This society's Xuehui subscription is overdue, so the staff pages are read-only. "
            "Members can still pay dues and meeting fees. Paying the platform invoice restores everything at once."
        )
        if request.path_info.startswith(API_PATH):
            return JsonResponse({"detail": message, "code": "read_only"}, status=403)
        return render(request, "billing/read_only.html", {"message": message}, status=403)
