"""The e-mails dues sends, each after the commit of the change it reports (never twice: the
callers send only on the transition, which happens once under the row lock)."""

from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _


def _send_after_commit(to: str, subject: str, body: str) -> None:
    if not to:
        return
    transaction.on_commit(lambda: send_mail(subject, body, None, [to], fail_silently=False))


def payment_received(payment) -> None:
    invoice = payment.invoice
    _send_after_commit(
        invoice.buyer.get("email", ""),
        _("Payment received for invoice %(number)s") % {"number": invoice.number},
        _("We have received your payment of %(amount)s %(currency)s for invoice %(number)s. Thank you.")
        % {"amount": payment.amount, "currency": payment.currency, "number": invoice.number},
    )


def transfer_rejected(payment, reason: str) -> None:
    invoice = payment.invoice
    _send_after_commit(
        invoice.buyer.get("email", ""),
        _("Your bank transfer for invoice %(number)s could not be confirmed") % {"number": invoice.number},
        _("Finance could not confirm your bank transfer for invoice %(number)s: %(reason)s")
        % {"number": invoice.number, "reason": reason},
    )


def refund_done(refund, credit_note) -> None:
    invoice = refund.payment.invoice
    _send_after_commit(
        invoice.buyer.get("email", ""),
        _("Refund for invoice %(number)s") % {"number": invoice.number},
        _("%(amount)s %(currency)s has been refunded for invoice %(number)s (credit note %(credit)s).")
        % {
            "amount": refund.amount,
            "currency": refund.currency,
            "number": invoice.number,
            "credit": credit_note.number,
        },
    )


def _site_link(path: str) -> str:
    from tenants.services import current_society, society_url

    return society_url(current_society(), path)


def auto_charge_failed(payment, *, retry_on) -> None:
    """The saved card was declined for a renewal invoice: how to pay by hand, and whether we try again."""
    invoice = payment.invoice
    if retry_on:
        next_step = _("We will try the card again on %(date)s.") % {"date": retry_on.isoformat()}
    else:
        next_step = _("We will not try this card again for this invoice.")
    _send_after_commit(
        invoice.buyer.get("email", ""),
        _("Automatic payment of invoice %(number)s failed") % {"number": invoice.number},
        _(
            "We could not charge your saved card %(amount)s %(currency)s for invoice %(number)s. %(next_step)s "
            "You can pay the invoice yourself here: %(link)s"
        )
        % {
            "amount": payment.amount,
            "currency": payment.currency,
            "number": invoice.number,
            "next_step": next_step,
            "link": _site_link(reverse("dues:pay", args=[invoice.pk])),
        },
    )
