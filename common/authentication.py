from django.utils import timezone
from rest_framework import authentication, exceptions

from common.models import ApiToken


class SocietyTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token xh_...``: looked up in the current society's schema only, so a
    token of one society means nothing on another's host."""

    def authenticate_credentials(self, key):
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid token.")
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user, token
