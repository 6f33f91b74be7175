"""Writes of the dues app, one module per subdomain; the names other apps call are re-exported."""

from dues.services.autorenewal import charge_saved_card, remove_saved_card, set_auto_renewal
from dues.services.invoices import attach_fapiao, cancel_invoice, create_credit_note, create_invoice, request_fapiao
from dues.services.payments import (
    confirm_bank_transfer,
    reject_bank_transfer,
    start_bank_transfer,
    start_stripe_payment,
    submit_transfer_slip,
    sync_stripe_payment,
)
from dues.services.refunds import approve_refund, refund_payment, reject_refund

__all__ = [
    "approve_refund",
    "attach_fapiao",
    "cancel_invoice",
    "charge_saved_card",
    "confirm_bank_transfer",
    "create_credit_note",
    "create_invoice",
    "refund_payment",
    "reject_bank_transfer",
    "reject_refund",
    "remove_saved_card",
    "request_fapiao",
    "set_auto_renewal",
    "start_bank_transfer",
    "start_stripe_payment",
    "submit_transfer_slip",
    "sync_stripe_payment",
]
