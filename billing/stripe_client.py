"""The one place that builds a Stripe client.

Without STRIPE_SECRET_KEY the project's fake Stripe server (deploy/fakestripe, started by
``make run`` and by the tests) is used through ``STRIPE_API_BASE``; the real ``stripe`` library
talks to it exactly as to Stripe.  Every call that creates something passes an idempotency key
derived from our own ids (see :func:`idempotency_key`).
"""

import stripe
from django.conf import settings


def client() -> stripe.StripeClient:
    options = {}
    if settings.STRIPE_API_BASE:
        options["base_addresses"] = {
            "api": settings.STRIPE_API_BASE,
            "connect": settings.STRIPE_API_BASE,
            "files": settings.STRIPE_API_BASE,
        }
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, max_network_retries=2, **options)


def idempotency_key(*parts) -> str:
    """A key from our own ids, e.g. ``idempotency_key("checkout", schema, payment.pk)``: a
    double click, a retry after a timeout or a restart sends the same key and gets the same
    object back instead of a second charge."""
    return "xh-" + "-".join(str(p) for p in parts)


def remember(stripe_id: str, *, kind: str, society) -> None:
    """Record which society owns a Stripe object (public table; idempotent)."""
    from billing.models import StripeObject

    StripeObject.objects.update_or_create(stripe_id=stripe_id, defaults={"kind": kind, "society": society})
