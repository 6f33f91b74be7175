"""Stripe objects built from Stripe's own fixtures: deep copy the example, then set our values.

``build(kind, **fields)`` refuses fields the example does not have, which keeps every object the
fake returns exactly as wide as the real one. ``CLEAN`` blanks the example's placeholder values
("obj_123", lorem numbers) to what a fresh test-mode object really carries.
"""

import secrets
import string
import time

from .fixtures import template

API_VERSION = "2026-10-28.endive"  # the version stripe-python 16.1.0 pins
_ALNUM = string.ascii_letters + string.digits

NULL_ADDRESS = {"city": None, "country": None, "line1": None, "line2": None, "postal_code": None, "state": None}

CLEAN = {
    "account": {"business_type": None, "email": None, "capabilities": {}},
    "customer": {"discount": None, "currency": None, "shipping": None, "email": None, "address": None},
    "checkout.session": {
        "after_expiration": None,
        "cancel_url": None,
        "success_url": None,
        "consent": None,
        "consent_collection": None,
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer_details": None,
        "invoice_creation": None,
        "payment_intent": None,
        "payment_method_configuration_details": None,
        "saved_payment_method_options": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "adaptive_pricing": {"enabled": False},
        "collected_information": None,
        "permissions": None,
        "wallet_options": None,
        "currency_conversion": None,
        "managed_payments": None,
    },
    "payment_intent": {
        "automatic_payment_methods": None,
        "canceled_at": None,
        "last_payment_error": None,
        "next_action": None,
        "payment_method_configuration_details": None,
        "processing": None,
        "shipping": None,
        "transfer_data": None,
        "managed_payments": None,
    },
    "charge": {
        "billing_details": {"address": dict(NULL_ADDRESS), "email": None, "name": None, "phone": None, "tax_id": None},
        "description": None,
        "fraud_details": {},
        "receipt_url": None,
        "shipping": None,
        "source": None,
        "transfer_data": None,
    },
    "subscription": {
        "billing_cycle_anchor_config": None,
        "cancel_at": None,
        "canceled_at": None,
        "ended_at": None,
        "next_pending_invoice_item_invoice": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_update": None,
        "transfer_data": None,
        "trial_end": None,
        "trial_start": None,
        "cancel_at_period_end": False,
        "billing_thresholds": None,
        "billing_mode": {"type": "classic", "flexible": None},
        "managed_payments": None,
        "billing_schedules": [],
    },
    "invoice": {
        "account_country": None,
        "due_date": None,
        "ending_balance": 0,
        "from_invoice": None,
        "last_finalization_error": None,
        "next_payment_attempt": None,
        "payment_settings": {"default_mandate": None, "payment_method_options": None, "payment_method_types": None},
        "shipping_cost": None,
        "shipping_details": None,
        "customer_address": None,
        "customer_shipping": None,
        "webhooks_delivered_at": None,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "amount_overpaid": 0,
        "auto_advance": True,
    },
    "setup_intent": {
        "last_setup_error": None,
        "next_action": None,
        "payment_method_configuration_details": None,
        "automatic_payment_methods": None,
    },
    "refund": {"destination_details": None},
    "product": {"package_dimensions": None, "description": None, "default_price": None, "type": "service"},
    "price": {"transform_quantity": None, "custom_unit_amount": None, "recurring": None},
    "plan": {"transform_usage": None},
}


def now() -> int:
    return int(time.time())


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(length))


def build(kind: str, **fields) -> dict:
    """Stripe's example ``kind`` with placeholders cleaned and ``fields`` set; unknown fields are a bug."""
    obj = template(kind)
    for key, value in {**CLEAN.get(kind, {}), **fields}.items():
        if key not in obj:
            raise KeyError(f"Stripe's {kind} has no field {key!r}")
        obj[key] = value
    if "livemode" in obj:
        obj["livemode"] = False
    return obj


def empty_list(url: str, data=None) -> dict:
    return {"object": "list", "data": list(data or []), "has_more": False, "url": url}


def plan_from_price(price: dict) -> dict:
    """The legacy Plan view of a recurring Price, which subscription items still carry."""
    recurring = price["recurring"] or {}
    return build(
        "plan",
        id=price["id"],
        active=price["active"],
        amount=price["unit_amount"],
        amount_decimal=price["unit_amount_decimal"],
        billing_scheme=price["billing_scheme"],
        created=price["created"],
        currency=price["currency"],
        interval=recurring.get("interval"),
        interval_count=recurring.get("interval_count"),
        metadata=price["metadata"],
        nickname=price["nickname"],
        product=price["product"],
        trial_period_days=None,
        usage_type=recurring.get("usage_type", "licensed"),
    )


# -- payment methods --------------------------------------------------------------------------

# Stripe's test payment methods (https://docs.stripe.com/testing): id -> (brand, last4, decline code).
# "chargeCustomerFail" (4000 0000 0000 0341) attaches to a customer and then declines every charge;
# "authenticationRequired" (4000 0027 6000 3184) needs 3D Secure every time, so off-session it fails.
TEST_CARDS = {
    "pm_card_visa": ("visa", "4242", None),
    "pm_card_mastercard": ("mastercard", "4444", None),
    "pm_card_amex": ("amex", "8431", None),
    "pm_card_unionpay": ("unionpay", "0005", None),
    "pm_card_chargeDeclined": ("visa", "0002", "generic_decline"),
    "pm_card_visa_chargeDeclined": ("visa", "0002", "generic_decline"),
    "pm_card_chargeDeclinedInsufficientFunds": ("visa", "9995", "insufficient_funds"),
    "pm_card_visa_chargeDeclinedInsufficientFunds": ("visa", "9995", "insufficient_funds"),
    "pm_card_chargeDeclinedExpiredCard": ("visa", "0069", "expired_card"),
    "pm_card_visa_chargeDeclinedExpiredCard": ("visa", "0069", "expired_card"),
    "pm_card_chargeCustomerFail": ("visa", "0341", "generic_decline"),
    "pm_card_authenticationRequired": ("visa", "3184", "authentication_required"),
}
TEST_NUMBERS = {
    "4242424242424242": "pm_card_visa",
    "5555555555554444": "pm_card_mastercard",
    "378282246310005": "pm_card_amex",
    "6200000000000005": "pm_card_unionpay",
    "4000000000000002": "pm_card_chargeDeclined",
    "4000000000009995": "pm_card_chargeDeclinedInsufficientFunds",
    "4000000000000069": "pm_card_chargeDeclinedExpiredCard",
    "4000000000000341": "pm_card_chargeCustomerFail",
    "4000002760003184": "pm_card_authenticationRequired",
}
# Error code and message Stripe gives per decline code; anything else is a plain card_declined.
DECLINES = {
    "insufficient_funds": ("card_declined", "Your card has insufficient funds."),
    "expired_card": ("expired_card", "Your card has expired."),
    "authentication_required": (
        "authentication_required",
        "Your card was declined. This transaction requires authentication.",
    ),
}


def card_details(brand: str, last4: str) -> dict:
    card = template("payment_method")["card"]
    card.update(brand=brand, display_brand=brand, last4=last4, wallet=None, generated_from=None)
    card["networks"] = {"available": [brand], "preferred": None}
    card["fingerprint"] = f"fake{brand}{last4}"[:16]
    return card


def payment_method(method_type: str, *, brand="visa", last4="4242", billing_email=None, metadata=None) -> dict:
    obj = build(
        "payment_method",
        id=new_id("pm_"),
        created=now(),
        customer=None,
        metadata=metadata or {},
        type=method_type,
        allow_redisplay="unspecified",
    )
    obj["billing_details"] = {
        "address": dict(NULL_ADDRESS),
        "email": billing_email,
        "name": None,
        "phone": None,
        "tax_id": None,
    }
    # A real PaymentMethod carries only the hash of its own type.
    del obj["card"]
    obj[method_type] = card_details(brand, last4) if method_type == "card" else {}
    return obj


def charge_method_details(pm: dict) -> dict:
    kind = pm["type"]
    if kind == "card":
        details = template("charge")["payment_method_details"]["card"]
        card = pm["card"]
        details.update(
            brand=card["brand"],
            last4=card["last4"],
            network=card["brand"],
            wallet=None,
            fingerprint=card["fingerprint"],
            country=card["country"],
            exp_month=card["exp_month"],
            exp_year=card["exp_year"],
        )
        details["overcapture"] = {"maximum_amount_capturable": None, "status": "unavailable"}
        return {"card": details, "type": "card"}
    if kind == "alipay":
        return {
            "alipay": {
                "buyer_id": "2088" + new_id("", 12),
                "fingerprint": new_id("", 16),
                "transaction_id": new_id("", 28),
            },
            "type": "alipay",
        }
    return {
        kind: {"fingerprint": new_id("", 16), "location": None, "reader": None, "transaction_id": new_id("", 28)},
        "type": kind,
    }


def refund_destination(method_type: str) -> dict:
    if method_type == "card":
        card = {
            "reference": None,
            "reference_status": "pending",
            "reference_type": "acquirer_reference_number",
            "type": "refund",
        }
        return {"card": card, "type": "card"}
    return {method_type: {}, "type": method_type}


def decline_error(pm: dict, decline_code: str | None, charge_id: str | None) -> dict:
    """The ``last_payment_error`` / 402 error body Stripe gives for a declined attempt."""
    if pm["type"] == "card":
        code, message = DECLINES.get(decline_code, ("card_declined", "Your card was declined."))
    else:
        decline_code = None
        code, message = "payment_method_provider_decline", "The customer did not approve the payment."
    error = {
        "charge": charge_id,
        "code": code,
        "decline_code": decline_code,
        "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
        "message": message,
        "payment_method": pm,
        "type": "card_error",
    }
    if code == "expired_card":
        error["param"] = "exp_month"
    return error


# -- events -----------------------------------------------------------------------------------


def event(event_type: str, obj: dict, *, account, request, previous=None, pending=0) -> dict:
    data = {"object": obj}
    if previous:
        data["previous_attributes"] = previous
    evt = build(
        "event",
        id=new_id("evt_"),
        api_version=API_VERSION,
        created=now(),
        data=data,
        pending_webhooks=pending,
        request=dict(request),
        type=event_type,
    )
    if account:
        # Connect events name the connected account they happened on (not in the platform example).
        evt["account"] = account
    return evt


def changed_fields(before: dict, after: dict) -> dict:
    """Top-level ``previous_attributes`` for an ``*.updated`` event."""
    return {key: value for key, value in before.items() if after.get(key) != value}
