"""Payment providers behind one small interface: Stripe (Checkout on the society's connected
account) and bank transfer (对公转账).  Minor units exist only here, at the Stripe boundary.

    provider_for(payment).start(payment, success_url=..., cancel_url=...) -> redirect URL | None
    provider_for(payment).refund(refund) -> stripe refund object | None (done offline)
"""

import secrets
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.utils.translation import gettext as _

from billing import stripe_client
from dues.errors import DuesError
from dues.models import Payment

ZERO_DECIMAL = {
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "JPY",
    "KMF",
    "KRW",
    "MGA",
    "PYG",
    "RWF",
    "UGX",
    "VND",
    "VUV",
    "XAF",
    "XOF",
    "XPF",
}
WALLET_CURRENCIES = {"CNY"}


def to_minor(amount: Decimal, currency: str) -> int:
    return int(amount) if currency.upper() in ZERO_DECIMAL else int((amount * 100).to_integral_value())


def from_minor(amount: int, currency: str) -> Decimal:
    if currency.upper() in ZERO_DECIMAL:
        return Decimal(amount).quantize(Decimal("0.01"))
    return (Decimal(amount) / 100).quantize(Decimal("0.01"))


def application_fee_for(amount: Decimal, currency: str = "CNY") -> Decimal:
    """The platform's fee on one payment of the current society: its plan's percentage
    (billing.selectors.application_fee_percent; 0 without a plan), rounded to the cent."""
    from billing.selectors import application_fee_percent
    from tenants.services import current_society

    percent = application_fee_percent(current_society())
    return (amount * percent / Decimal(100)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class StripeProvider:
    key = Payment.Provider.STRIPE

    def __init__(self, account_id: str):
        if not account_id:
            raise DuesError(_("Online payment is not set up for this society yet; please pay by bank transfer."))
        self.account = account_id
        self.client = stripe_client.client()

    def _options(self, *key_parts) -> dict:
        options = {"stripe_account": self.account}
        if key_parts:
            options["idempotency_key"] = stripe_client.idempotency_key(*key_parts)
        return options

    def start(self, payment: Payment, *, success_url: str, cancel_url: str):
        """Create (or, with the same key, get back) the Checkout Session for this attempt."""
        invoice = payment.invoice
        currency = payment.currency.lower()
        methods = ["card", "alipay", "wechat_pay"] if payment.currency in WALLET_CURRENCIES else ["card"]
        metadata = {
            "xuehui_schema": connection.schema_name,
            "xuehui_payment_id": str(payment.pk),
            "invoice_number": invoice.number,
        }
        intent_data = {"metadata": metadata}
        fee = to_minor(payment.application_fee, payment.currency)
        if fee:
            intent_data["application_fee_amount"] = fee
        params = {
            "mode": "payment",
            "client_reference_id": str(payment.pk),
            "customer_email": invoice.buyer.get("email") or None,
            "line_items": [
                {
                    "price_data": {
                        "currency": currency,
                        "unit_amount": to_minor(payment.amount, payment.currency),
                        "product_data": {"name": f"{invoice.number} {invoice.lines.first().description}"[:250]},
                    },
                    "quantity": 1,
                }
            ],
            "payment_method_types": methods,
            "metadata": metadata,
            "payment_intent_data": intent_data,
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        if "wechat_pay" in methods:
            params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
        params = {k: v for k, v in params.items() if v is not None}
        return self.client.v1.checkout.sessions.create(
            params, self._options("checkout", connection.schema_name, payment.pk)
        )

    def retrieve_session(self, session_id: str):
        return self.client.v1.checkout.sessions.retrieve(
            session_id, {"expand": ["payment_intent.latest_charge"]}, self._options()
        )

    def retrieve_intent(self, intent_id: str):
        return self.client.v1.payment_intents.retrieve(intent_id, {"expand": ["latest_charge"]}, self._options())

    def retrieve_refund(self, refund_id: str):
        return self.client.v1.refunds.retrieve(refund_id, None, self._options())

    def list_refunds(self, *, intent_id: str = "", created: dict | None = None):
        params = {"limit": 100}
        if intent_id:
            params["payment_intent"] = intent_id
        if created:
            params["created"] = created
        return list(self.client.v1.refunds.list(params, self._options()).auto_paging_iter())

    def refund(self, refund):
        payment = refund.payment
        return self.client.v1.refunds.create(
            {
                "payment_intent": payment.stripe_payment_intent_id,
                "amount": to_minor(refund.amount, refund.currency),
                "reason": "requested_by_customer",
                "metadata": {"xuehui_schema": connection.schema_name, "xuehui_refund_id": str(refund.pk)},
            },
            self._options("refund", connection.schema_name, refund.pk),
        )


class BankTransferProvider:
    key = Payment.Provider.BANK_TRANSFER

    @staticmethod
    def new_reference() -> str:
        """A short code the member writes in the transfer's remark, easy to read out by phone."""
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
        return "XH" + "".join(secrets.choice(alphabet) for _ in range(8))

    def start(self, payment, *, success_url: str = "", cancel_url: str = ""):
        return None

    def refund(self, refund):
        # Money goes back by a transfer finance makes at the bank; recording it here is the refund.
        return None


def provider_for(payment: Payment):
    if payment.provider == Payment.Provider.STRIPE:
        from dues.selectors import invoice_settings

        return StripeProvider(invoice_settings().stripe_account_id)
    return BankTransferProvider()
