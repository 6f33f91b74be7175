"""E-mails of the reviews app: rendered in the recipient's language, sent after the commit.

Every message is built from plain values chosen by the caller; nothing here looks up authors, so
a reviewer's e-mail can only contain what the (blind-safe) caller put in its context.
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from tenants.services import current_society, society_url


def site_link(name: str, *args) -> str:
    """The absolute address of a page of the current society's site, for an e-mail."""
    return society_url(current_society(), reverse(name, args=args))


def send_on_commit(*, to: list[str], template: str, context: dict, language: str = "zh-hans", subject: str = ""):
    """Render ``templates/reviews/email/<template>.txt`` (first line: subject) and send it once
    the current transaction commits, so a rolled-back change sends nothing."""
    with translation.override(language or settings.LANGUAGE_CODE):
        text = render_to_string(f"reviews/email/{template}.txt", context).strip()
    first, _sep, body = text.partition("\n")
    message = EmailMessage(subject=(subject or first).strip(), body=body.strip() + "\n", to=to)
    transaction.on_commit(message.send)
    return message
