"""A local fake of the Stripe API for tests and the demo; see README.md beside this file."""

from .app import DEFAULT_WEBHOOK_SECRET, FakeStripe
from .errors import StripeError
from .webhooks import sign

__all__ = ["DEFAULT_WEBHOOK_SECRET", "FakeStripe", "StripeError", "sign"]
