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
from common.pdf.money import ZERO_DECIMALS
from dues.errors import DuesError
from dues.models import Payment

WALLET_CURRENCIES = {"CNY"}


def to_minor(amount: Decimal, currency: str) -> int:
    return int(amount) if currency.upper() in ZERO_DECIMALS else int((amount * 100).to_integral_value())


def from_minor(amount: int, currency: str) -> Decimal:
    if currency.upper() in ZERO_DECIMALS:
        return Decimal(amount).quantize(Decimal("0.01"))
    return (Decimal(amount) / 100).quantize(Decimal("0.01"))


def application_fee_for(amount: Decimal, currency: str = "CNY") -> Decimal:
    """The platform's fee on one payment of the current society: its plan's percentage
    (billing.selectors.application_fee_percent; 0 without a plan), rounded to the cent."""
    from billing.selectors import application_fee_percent
    from tenants.services import current_society

    percent = application_fee_percent(current_society())
    return (amount * percent / Decimal(100)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _label(invoice) -> str:
    """What the member sees on the Checkout page and the card statement's detail."""
    return f"{invoice.number} {invoice.lines.first().description}"[:250]


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

    @staticmethod
    def _metadata(payment: Payment) -> dict:
        return {
            "xuehui_schema": connection.schema_name,
            "xuehui_payment_id": str(payment.pk),
            "invoice_number": payment.invoice.number,
        }

    def _intent_data(self, payment: Payment) -> dict:
        data = {"metadata": self._metadata(payment)}
        fee = to_minor(payment.application_fee, payment.currency)
        if fee:
            data["application_fee_amount"] = fee
        return data

    def start(self, payment: Payment, *, success_url: str, cancel_url: str, customer: str = ""):
        """Create (or, with the same key, get back) the Checkout Session for this attempt.

        With ``payment.save_card`` the session takes cards only and keeps the card on ``customer``
        for later off-session charges (Alipay and WeChat Pay are one-off methods)."""
        invoice = payment.invoice
        currency = payment.currency.lower()
        methods = ["card", "alipay", "wechat_pay"] if payment.currency in WALLET_CURRENCIES else ["card"]
        metadata = self._metadata(payment)
        intent_data = self._intent_data(payment)
        if payment.save_card:
            methods = ["card"]
            intent_data["setup_future_usage"] = "off_session"
        params = {
            "mode": "payment",
            "client_reference_id": str(payment.pk),
            "customer": customer or None,
            "customer_email": None if customer else invoice.buyer.get("email") or None,
            "line_items": [
                {
                    "price_data": {
                        "currency": currency,
                        "unit_amount": to_minor(payment.amount, payment.currency),
                        "product_data": {"name": _label(invoice)},
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

    def charge_saved_card(self, payment: Payment, *, customer: str, payment_method: str):
        """Charge a saved card with nobody present (PaymentIntent, ``off_session``, confirmed at
        once).  The key comes from the attempt row, so a repeat gets the first answer back.
        A decline raises ``stripe.CardError`` with ``error.payment_intent``."""
        params = {
            "amount": to_minor(payment.amount, payment.currency),
            "currency": payment.currency.lower(),
            "customer": customer,
            "payment_method": payment_method,
            "payment_method_types": ["card"],
            "off_session": True,
            "confirm": True,
            "description": _label(payment.invoice),
            **self._intent_data(payment),
        }
        return self.client.v1.payment_intents.create(
            params, self._options("offsession", connection.schema_name, payment.pk)
        )

    def create_customer(self, *, user) -> str:
        """The person's Customer on the connected account, once per person (key from our ids)."""
        customer = self.client.v1.customers.create(
            {
                "email": user.email,
                "name": getattr(user, "name", "") or user.email,
                "metadata": {"xuehui_schema": connection.schema_name, "xuehui_user_id": str(user.pk)},
            },
            self._options("customer", connection.schema_name, user.pk),
        )
        return customer.id

    def retrieve_payment_method(self, payment_method_id: str):
        return self.client.v1.payment_methods.retrieve(payment_method_id, None, self._options())

    def detach_payment_method(self, payment_method_id: str):
        return self.client.v1.payment_methods.detach(payment_method_id, None, self._options())

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
