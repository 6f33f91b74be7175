from django.contrib.auth import get_user_model
from django.db import transaction

from common.audit import record_audit

User = get_user_model()


def register_account(*, name: str, email: str, password: str, language: str = "zh-hans"):
    """Create a person's platform-wide account (one per e-mail address)."""
    with transaction.atomic():
        user = User.objects.create_user(email, password, name=name, preferred_language=language)
        record_audit(actor=user, action="accounts.register_account", obj=user, after={"email": user.email})
    return user
