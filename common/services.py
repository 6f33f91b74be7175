from django.db import transaction
from django.utils import timezone

from common.audit import record_audit
from common.models import ApiToken


def issue_api_token(*, user, name: str, actor) -> tuple[ApiToken, str]:
    """Create a token for ``user`` in the current society; returns it with the key (shown once)."""
    key = ApiToken.new_key()
    with transaction.atomic():
        token = ApiToken.objects.create(name=name, prefix=key[3:11], key_hash=ApiToken.hash_key(key), user=user)
        record_audit(actor=actor, action="common.issue_api_token", obj=token, after={"name": name})
    return token, key


def revoke_api_token(*, token: ApiToken, actor) -> None:
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            record_audit(actor=actor, action="common.revoke_api_token", obj=token)
