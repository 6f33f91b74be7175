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


def issue_hop_token(*, user, society, salt: str = _SALT) -> str:
    """A signed, single-use token that opens ``user``'s session on ``society``'s site."""
    return signing.dumps({"u": user.pk, "s": society.schema_name, "n": secrets.token_hex(8)}, salt=salt)


def redeem_hop_token(request, *, salt: str = _SALT, max_age: int = _MAX_AGE):
    """Check the request's ``t`` token (this society, not expired, not used yet) and log its user
    in here; anything wrong is a 404."""
    try:
        data = signing.loads(request.GET.get("t", ""), salt=salt, max_age=max_age)
    except signing.BadSignature:
        raise Http404 from None
    if request.society is None or data.get("s") != request.society.schema_name:
        raise Http404
    # The nonce is remembered past the token's life, so a token works once.
    if not cache.add(f"{salt}:{data['n']}", 1, max_age * 2):
        raise Http404  # already used
    user = get_object_or_404(get_user_model(), pk=data["u"], is_active=True)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return user


@login_required
def hop_out(request, slug: str):
    society = get_object_or_404(Society, slug=slug)
    if not Affiliation.objects.filter(user=request.user, society=society).exists():
        raise Http404
    token = issue_hop_token(user=request.user, society=society)
    return HttpResponseRedirect(society_url(society, f"/accounts/hop/?t={token}", request))


def hop_in(request):
    redeem_hop_token(request)
    return HttpResponseRedirect("/")
