"""Log in once on the platform, then move to a society site without typing the password again.

Sessions are bound to the host that issued them (see saas/settings/cache.py), so the platform
hands the browser a signed, single-use, one-minute token for the target society; that
society's site checks it and opens its own session.
"""

import secrets

from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.cache import cache
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404

from accounts.models import Affiliation
from tenants.models import Society
from tenants.services import society_url

_SALT = "xuehui.hop"
_MAX_AGE = 60


@login_required
def hop_out(request, slug: str):
    society = get_object_or_404(Society, slug=slug)
    if not Affiliation.objects.filter(user=request.user, society=society).exists():
        raise Http404
    token = signing.dumps({"u": request.user.pk, "s": society.schema_name, "n": secrets.token_hex(8)}, salt=_SALT)
    return HttpResponseRedirect(society_url(society, f"/accounts/hop/?t={token}", request))


def hop_in(request):
    try:
        data = signing.loads(request.GET.get("t", ""), salt=_SALT, max_age=_MAX_AGE)
    except signing.BadSignature:
        raise Http404 from None
    if request.society is None or data.get("s") != request.society.schema_name:
        raise Http404
    if not cache.add(f"hop:{data['n']}", 1, _MAX_AGE * 2):
        raise Http404  # already used
    user = get_object_or_404(get_user_model(), pk=data["u"], is_active=True)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return HttpResponseRedirect("/")
