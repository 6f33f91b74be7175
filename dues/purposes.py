"""What happens when an invoice of a given purpose is fully paid or refunded.

Purposes are dotted strings chosen by the calling app ("membership.application",
"meeting.registration"); the longest matching prefix names the handler.  A paid handler is
called as ``handler(invoice, *, actor)`` exactly once, inside the transaction in which the
invoice becomes fully paid; a refund handler as ``handler(invoice, credit_note, *, actor)``.
"""

import logging

from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

PAYMENT_HANDLERS = {
    "membership.": "members.billing.invoice_paid",
    "meeting.": "meetings.billing.invoice_paid",
}
REFUND_HANDLERS = {
    "meeting.": "meetings.billing.invoice_refunded",
}


def _resolve(table: dict, purpose: str):
    matches = [prefix for prefix in table if purpose.startswith(prefix)]
    if not matches:
        return None
    path = table[max(matches, key=len)]
    try:
        return import_string(path)
    except ImportError:
        # The app that owns this purpose is not built yet: the money side still completes.
        logger.info("dues: no handler %s for purpose %s yet; skipped", path, purpose)
        return None


def run_paid_handler(invoice, *, actor) -> bool:
    handler = _resolve(PAYMENT_HANDLERS, invoice.purpose)
    if handler is None:
        return False
    handler(invoice, actor=actor)
    return True


def run_refund_handler(invoice, credit_note, *, actor) -> bool:
    handler = _resolve(REFUND_HANDLERS, invoice.purpose)
    if handler is None:
        return False
    handler(invoice, credit_note, actor=actor)
    return True
