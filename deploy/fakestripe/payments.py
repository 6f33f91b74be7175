"""PaymentIntents, Charges, Refunds and the balance/fee records a charge leaves behind."""

import copy

from . import money, objects
from .connect import attach_payment_method, decline_code_of, require_charges_enabled, resolve_payment_method
from .errors import StripeError, invalid, missing_param, unexpected_state
from .objects import build, new_id, now
from .routing import route

STRIPE_FEE_RATE = 0.034  # a flat, made-up processing fee so that balance transactions have a net
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
_CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation", "requires_action", "processing")
_UNPAID = ("requires_payment_method", "requires_confirmation", "requires_action")


# -- payment intents --------------------------------------------------------------------------


def create_intent(
    ctx,
    *,
    amount: int,
    currency: str,
    customer=None,
    payment_method_types=("card",),
    metadata=None,
    description=None,
    application_fee_amount=None,
    setup_future_usage=None,
    receipt_email=None,
) -> dict:
    require_charges_enabled(ctx)
    if application_fee_amount is not None and not ctx.account:
        raise invalid(
            "Can only apply an application_fee_amount when the PaymentIntent is attempting a direct payment "
            "(using an OAuth key or Stripe-Account header) or destination payment "
            "(using `transfer_data[destination]`).",
            param="application_fee_amount",
        )
    for method in payment_method_types:
        allowed = money.METHOD_CURRENCIES.get(method)
        if allowed is not None and currency not in allowed:
            raise invalid(
                f"The currency provided ({currency}) is invalid for one or more payment method types on this "
                f"PaymentIntent. The payment method type {method} supports: {', '.join(sorted(allowed))}.",
                param="currency",
            )
    intent_id = new_id("pi_")
    intent = build(
        "payment_intent",
        id=intent_id,
        amount=money.check_amount(amount, currency),
        currency=currency,
        created=now(),
        client_secret=f"{intent_id}_secret_{new_id('', 25)}",
        customer=customer,
        metadata=dict(metadata or {}),
        description=description,
        application_fee_amount=application_fee_amount,
        setup_future_usage=setup_future_usage,
        receipt_email=receipt_email,
        payment_method_types=list(payment_method_types),
        payment_method_options={method: {} for method in payment_method_types},
        status="requires_payment_method",
    )
    ctx.add(intent)
    ctx.emit("payment_intent.created", intent)
    return intent


def attempt_payment(ctx, intent: dict, pm: dict, *, fail: bool = False, off_session: bool = False) -> bool:
    """One payment attempt, as Stripe makes it: a Charge either way, events, the intent's new status.

    A card that needs 3-D Secure fails only off-session: a customer who is present (the hosted
    page) authenticates and pays."""
    decline = decline_code_of(ctx, pm) or ("generic_decline" if fail else None)
    if decline == "authentication_required" and not off_session:
        decline = None
    if pm["type"] not in intent["payment_method_types"]:
        raise invalid(
            f"The PaymentMethod provided ({pm['type']}) is not allowed for this PaymentIntent. Please attach a "
            f"PaymentMethod of one of the following types: {', '.join(intent['payment_method_types'])}.",
            param="payment_method",
        )
    before = copy.deepcopy(intent)
    intent["payment_method"] = pm["id"]
    charge = _new_charge(ctx, intent, pm, decline)
    intent["latest_charge"] = charge["id"]
    if decline:
        intent["status"] = "requires_payment_method"
        intent["last_payment_error"] = objects.decline_error(pm, decline, charge["id"])
        ctx.emit("charge.failed", charge)
        ctx.emit("payment_intent.payment_failed", intent, objects.changed_fields(before, intent))
        return False
    intent.update(status="succeeded", amount_received=intent["amount"], last_payment_error=None)
    if intent["setup_future_usage"] and intent["customer"] and pm["type"] == "card" and not pm["customer"]:
        attach_payment_method(ctx, pm["id"], intent["customer"])
    ctx.emit("charge.succeeded", charge)
    ctx.emit("payment_intent.succeeded", intent, objects.changed_fields(before, intent))
    return True


def _new_charge(ctx, intent: dict, pm: dict, decline: str | None) -> dict:
    charge_id = new_id("ch_")
    amount, currency = intent["amount"], intent["currency"]
    charge = build(
        "charge",
        id=charge_id,
        amount=amount,
        amount_captured=0 if decline else amount,
        captured=not decline,
        paid=not decline,
        status="failed" if decline else "succeeded",
        created=now(),
        currency=currency,
        customer=intent["customer"],
        description=intent["description"],
        metadata=dict(intent["metadata"]),
        payment_intent=intent["id"],
        payment_method=pm["id"],
        payment_method_details=objects.charge_method_details(pm),
        receipt_email=intent["receipt_email"],
        application_fee_amount=None if decline else intent["application_fee_amount"],
        balance_transaction=None,
        failure_code=objects.decline_error(pm, decline, None)["code"] if decline and pm["type"] == "card" else None,
        failure_message=objects.decline_error(pm, decline, None)["message"] if decline else None,
        refunds=objects.empty_list(f"/v1/charges/{charge_id}/refunds"),
    )
    charge["billing_details"]["email"] = pm["billing_details"]["email"]
    charge["outcome"] = {
        "advice_code": None,
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": "declined_by_network" if decline else "approved_by_network",
        "reason": decline,
        "seller_message": "The bank did not return any further details with this decline."
        if decline
        else "Payment complete.",
        "type": "issuer_declined" if decline else "authorized",
    }
    if not decline:
        fee = intent["application_fee_amount"]
        if fee:
            charge["application_fee"] = _application_fee(ctx, charge, fee)["id"]
        charge["balance_transaction"] = _balance_transaction(ctx, charge_id, amount, currency, "charge", fee)["id"]
    return ctx.add(charge)


def _balance_transaction(ctx, source: str, amount: int, currency: str, kind: str, application_fee=None) -> dict:
    stripe_fee = round(abs(amount) * STRIPE_FEE_RATE) if kind == "charge" else 0
    details = []
    if stripe_fee:
        details.append(
            {
                "amount": stripe_fee,
                "application": None,
                "currency": currency,
                "description": "Stripe processing fees",
                "type": "stripe_fee",
            }
        )
    if application_fee:
        details.append(
            {
                "amount": application_fee,
                "application": "ca_fakestripe",
                "currency": currency,
                "description": "Application fee",
                "type": "application_fee",
            }
        )
    fees = sum(d["amount"] for d in details)
    created = now()
    txn = build(
        "balance_transaction",
        id=new_id("txn_"),
        amount=amount,
        available_on=created + 2 * 86400,
        created=created,
        currency=currency,
        description=None,
        fee=fees,
        fee_details=details,
        net=amount - fees,
        reporting_category=kind,
        source=source,
        status="pending",
        type=kind,
    )
    return ctx.add(txn)


def _application_fee(ctx, charge: dict, amount: int) -> dict:
    # The fee lands on the platform; it names the connected account it was taken from.
    fee_id = new_id("fee_")
    fee = build(
        "application_fee",
        id=fee_id,
        account=ctx.account,
        amount=amount,
        application="ca_fakestripe",
        balance_transaction=None,
        charge=charge["id"],
        created=now(),
        currency=charge["currency"],
        fee_source={"charge": charge["id"], "type": "charge"},
        refunds=objects.empty_list(f"/v1/application_fees/{fee_id}/refunds"),
    )
    return ctx.store.add(fee, None)


def succeed_silently(ctx, intent: dict) -> dict:
    """Pay an unpaid intent as if its webhooks were lost: events exist in /v1/events, none is sent."""
    if intent["status"] not in _UNPAID:
        raise unexpected_state(f"PaymentIntent {intent['id']} has status {intent['status']}; it cannot succeed.")
    pm_id = intent["payment_method"]
    pm = ctx.get(pm_id, "payment_method") if pm_id else resolve_payment_method(ctx, "pm_card_visa")
    if pm["type"] not in intent["payment_method_types"] or decline_code_of(ctx, pm):
        pm = resolve_payment_method(ctx, "pm_card_visa")
        intent["payment_method_types"] = sorted({*intent["payment_method_types"], "card"})
    attempt_payment(ctx, intent, pm)
    return intent


_PI_CREATE = (
    "amount currency customer payment_method payment_method_types automatic_payment_methods confirm off_session "
    "metadata description receipt_email setup_future_usage application_fee_amount statement_descriptor "
    "statement_descriptor_suffix capture_method return_url payment_method_options error_on_requires_action "
    "confirmation_method transfer_group use_stripe_sdk mandate_data"
)


@route("POST", "/v1/payment_intents", _PI_CREATE)
def create_payment_intent(ctx, p):
    currency = money.currency(p.str("currency", required=True))
    if p.str("capture_method", default="automatic") not in ("automatic", "automatic_async"):
        raise invalid("fakestripe only supports capture_method=automatic.", param="capture_method")
    customer = p.str("customer")
    if customer:
        ctx.get(customer, "customer", param="customer")
    types = p.list("payment_method_types") or ["card"]
    for method in types:
        if method not in ("card", "alipay", "wechat_pay"):
            raise invalid(
                f"The payment method type provided: {method} is invalid. fakestripe supports card, alipay "
                "and wechat_pay.",
                param="payment_method_types",
            )
    intent = create_intent(
        ctx,
        amount=p.int("amount", required=True, minimum=1),
        currency=currency,
        customer=customer,
        payment_method_types=types,
        metadata=p.metadata(),
        description=p.str("description"),
        application_fee_amount=p.int("application_fee_amount", minimum=0),
        setup_future_usage=p.str("setup_future_usage", choices=("on_session", "off_session")),
        receipt_email=p.str("receipt_email"),
    )
    if p.dict("automatic_payment_methods").bool("enabled"):
        intent["automatic_payment_methods"] = {"allow_redirects": "always", "enabled": True}
    if p.str("payment_method"):
        intent["payment_method"] = resolve_payment_method(ctx, p.str("payment_method"))["id"]
        intent["status"] = "requires_confirmation"
    if p.bool("confirm"):
        confirm(ctx, intent, None, off_session=bool(p.bool("off_session")))
    elif p.bool("off_session") is not None:
        raise invalid("You can only pass off_session when confirm=true.", param="off_session")
    return intent


def confirm(ctx, intent: dict, pm_id: str | None, *, off_session: bool = False) -> dict:
    if intent["status"] not in _UNPAID:
        raise unexpected_state(
            f"You cannot confirm this PaymentIntent because it has a status of {intent['status']}. Only a "
            "PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, "
            "requires_payment_method, requires_action."
        )
    pm_id = pm_id or intent["payment_method"]
    if not pm_id:
        raise unexpected_state(
            "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the "
            "PaymentIntent with a customer, you should provide a payment method."
        )
    pm = resolve_payment_method(ctx, pm_id)
    if pm["type"] != "card":
        raise invalid(
            f"fakestripe confirms only card PaymentIntents through the API; pay {pm['type']} through a Checkout "
            "Session (the hosted page or /_fake/checkout/<id>/pay).",
            param="payment_method",
        )
    if pm["customer"] and pm["customer"] != intent["customer"]:
        raise invalid(
            f"The provided PaymentMethod belongs to customer {pm['customer']}; a PaymentIntent using it must have "
            "that customer.",
            param="payment_method",
        )
    if ctx.extra(pm["id"]).get("detached"):
        raise invalid(
            "The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, "
            "shared with a connected account without Customer attachment, or was detached from a Customer. It may "
            "not be used again. To use a PaymentMethod multiple times, you must attach it to a Customer first.",
            param="payment_method",
        )
    if decline_code_of(ctx, pm) == "authentication_required" and not off_session:
        # The customer is present: the server-side confirm hands over to 3-D Secure in the browser.
        before = copy.deepcopy(intent)
        intent.update(
            payment_method=pm["id"],
            status="requires_action",
            next_action={"type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure_redirect"}},
        )
        ctx.emit("payment_intent.requires_action", intent, objects.changed_fields(before, intent))
        return intent
    if not attempt_payment(ctx, intent, pm, off_session=off_session):
        error = intent["last_payment_error"]
        # The 402 carries the intent, so stripe-python's CardError exposes e.error.payment_intent.
        raise StripeError(
            402,
            error["message"],
            type="card_error",
            code=error["code"],
            param=error.get("param"),
            decline_code=error["decline_code"],
            charge=error["charge"],
            payment_intent=copy.deepcopy(intent),
            payment_method=copy.deepcopy(pm),
        )
    return intent


@route(
    "POST",
    "/v1/payment_intents/{pi_id}/confirm",
    "payment_method off_session return_url payment_method_options mandate_data error_on_requires_action "
    "setup_future_usage receipt_email use_stripe_sdk",
)
def confirm_payment_intent(ctx, p, pi_id):
    intent = ctx.get(pi_id, "payment_intent")
    if "setup_future_usage" in p:
        intent["setup_future_usage"] = p.str("setup_future_usage") or None
    return confirm(ctx, intent, p.str("payment_method"), off_session=bool(p.bool("off_session")))


@route(
    "POST",
    "/v1/payment_intents/{pi_id}",
    "amount currency customer description metadata payment_method receipt_email setup_future_usage "
    "application_fee_amount payment_method_types",
)
def update_payment_intent(ctx, p, pi_id):
    intent = ctx.get(pi_id, "payment_intent")
    money_fields = {
        "amount",
        "currency",
        "customer",
        "payment_method",
        "payment_method_types",
        "application_fee_amount",
    }
    if intent["status"] not in _UNPAID and money_fields & set(p.data):
        raise unexpected_state(
            f"This PaymentIntent's amount could not be updated because it has a status of {intent['status']}."
        )
    intent["metadata"] = p.metadata(intent["metadata"])
    for name in ("description", "receipt_email", "setup_future_usage"):
        if name in p:
            intent[name] = p.str(name) or None
    if "amount" in p:
        intent["amount"] = money.check_amount(p.int("amount", minimum=1), intent["currency"])
    if "currency" in p:
        intent["currency"] = money.currency(p.str("currency"))
    if "application_fee_amount" in p:
        intent["application_fee_amount"] = p.int("application_fee_amount", minimum=0)
    if "customer" in p:
        intent["customer"] = ctx.get(p.str("customer"), "customer", param="customer")["id"]
    if "payment_method_types" in p:
        intent["payment_method_types"] = p.list("payment_method_types")
    if p.str("payment_method"):
        intent["payment_method"] = resolve_payment_method(ctx, p.str("payment_method"))["id"]
        intent["status"] = "requires_confirmation"
    return intent


@route("POST", "/v1/payment_intents/{pi_id}/cancel", "cancellation_reason")
def cancel_payment_intent(ctx, p, pi_id):
    intent = ctx.get(pi_id, "payment_intent")
    if intent["status"] not in _CANCELABLE:
        raise unexpected_state(
            f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}. Only a "
            f"PaymentIntent with one of the following statuses may be canceled: {', '.join(_CANCELABLE)}."
        )
    before = copy.deepcopy(intent)
    reason = p.str("cancellation_reason", choices=("duplicate", "fraudulent", "requested_by_customer", "abandoned"))
    intent.update(status="canceled", canceled_at=now(), cancellation_reason=reason)
    ctx.emit("payment_intent.canceled", intent, objects.changed_fields(before, intent))
    return intent


@route("GET", "/v1/payment_intents/{pi_id}")
def retrieve_payment_intent(ctx, p, pi_id):
    return ctx.get(pi_id, "payment_intent")


@route("GET", "/v1/payment_intents", "customer", listing=True)
def list_payment_intents(ctx, p):
    customer = p.str("customer")
    return ctx.select("payment_intent", lambda pi: customer in (None, pi["customer"]))


# -- charges, balance transactions, application fees ------------------------------------------


@route("GET", "/v1/charges/{charge_id}")
def retrieve_charge(ctx, p, charge_id):
    return ctx.get(charge_id, "charge")


@route("POST", "/v1/charges/{charge_id}", "description metadata receipt_email")
def update_charge(ctx, p, charge_id):
    charge = ctx.get(charge_id, "charge")
    before = copy.deepcopy(charge)
    charge["metadata"] = p.metadata(charge["metadata"])
    for name in ("description", "receipt_email"):
        if name in p:
            charge[name] = p.str(name) or None
    ctx.emit_update("charge.updated", charge, before)
    return charge


@route("GET", "/v1/charges", "customer payment_intent", listing=True)
def list_charges(ctx, p):
    customer, intent = p.str("customer"), p.str("payment_intent")
    return ctx.select(
        "charge", lambda ch: customer in (None, ch["customer"]) and intent in (None, ch["payment_intent"])
    )


@route("GET", "/v1/balance_transactions/{txn_id}")
def retrieve_balance_transaction(ctx, p, txn_id):
    return ctx.get(txn_id, "balance_transaction")


@route("GET", "/v1/application_fees/{fee_id}")
def retrieve_application_fee(ctx, p, fee_id):
    return ctx.get(fee_id, "application_fee")


@route("GET", "/v1/application_fees", "charge", listing=True)
def list_application_fees(ctx, p):
    charge = p.str("charge")
    return ctx.select("application_fee", lambda fee: charge in (None, fee["charge"]))


# -- refunds ----------------------------------------------------------------------------------


@route(
    "POST",
    "/v1/refunds",
    "charge payment_intent amount reason metadata refund_application_fee reverse_transfer instructions_email",
)
def create_refund(ctx, p):
    charge_id, intent_id = p.str("charge"), p.str("payment_intent")
    if not charge_id and not intent_id:
        raise missing_param("payment_intent")
    if intent_id:
        intent = ctx.get(intent_id, "payment_intent", param="payment_intent")
        if intent["status"] != "succeeded":
            raise invalid(
                f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
                param="payment_intent",
                code="charge_not_refundable",
            )
        charge_id = intent["latest_charge"]
    charge = ctx.get(charge_id, "charge", param="charge")
    if charge["status"] != "succeeded":
        raise invalid(f"Charge {charge_id} has not succeeded; it cannot be refunded.", code="charge_not_refundable")
    remaining = charge["amount"] - charge["amount_refunded"]
    if remaining <= 0:
        raise invalid(f"Charge {charge_id} has already been refunded.", code="charge_already_refunded")
    amount = p.int("amount", default=remaining, minimum=1)
    if amount > remaining:
        currency = charge["currency"]
        raise invalid(
            f"Refund amount ({money.format_amount(amount, currency)}) is greater than unrefunded amount on charge "
            f"({money.format_amount(remaining, currency)})",
            param="amount",
            code="amount_too_large",
        )
    method = charge["payment_method_details"]["type"]
    refund_id = new_id("re_")
    refund = build(
        "refund",
        id=refund_id,
        amount=amount,
        charge=charge_id,
        payment_intent=charge["payment_intent"],
        currency=charge["currency"],
        created=now(),
        reason=p.str("reason", choices=REFUND_REASONS),
        metadata=p.metadata(),
        # Wallet refunds settle asynchronously at Stripe; cards are final at once.
        status="succeeded" if method == "card" else "pending",
        customer=charge["customer"],
        payment_method=charge["payment_method"],
        destination_details=objects.refund_destination(method),
        balance_transaction=_balance_transaction(ctx, refund_id, -amount, charge["currency"], "refund")["id"],
    )
    ctx.add(refund)
    if p.bool("refund_application_fee") and charge["application_fee"]:
        fee = ctx.store.get(charge["application_fee"], None, "application_fee")
        fee["amount_refunded"] = min(fee["amount"], fee["amount_refunded"] + fee["amount"] * amount // charge["amount"])
        fee["refunded"] = fee["amount_refunded"] == fee["amount"]
    before = copy.deepcopy(charge)
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    _sync_refund_list(ctx, charge)
    ctx.emit("refund.created", refund)
    ctx.emit("charge.refunded", charge, objects.changed_fields(before, charge))
    if refund["status"] == "pending":
        response = copy.deepcopy(refund)
        _set_refund_status(ctx, refund, "succeeded")
        return response
    return refund


def _sync_refund_list(ctx, charge: dict) -> None:
    charge["refunds"]["data"] = copy.deepcopy(ctx.select("refund", lambda r: r["charge"] == charge["id"]))


def _set_refund_status(ctx, refund: dict, status: str) -> None:
    before = copy.deepcopy(refund)
    refund["status"] = status
    if status == "failed":
        # Stripe adds these two fields only to refunds that failed.
        refund["failure_reason"] = "expired_or_canceled_card"
        refund["failure_balance_transaction"] = _balance_transaction(
            ctx, refund["id"], refund["amount"], refund["currency"], "refund_failure"
        )["id"]
    charge = ctx.get(refund["charge"], "charge")
    _sync_refund_list(ctx, charge)
    ctx.emit("refund.updated", refund, objects.changed_fields(before, refund))
    if status == "failed":
        ctx.emit("refund.failed", refund)


def fail_refund(ctx, refund: dict) -> dict:
    """A refund the bank bounced: the charge's refunded amount goes back down."""
    if refund["status"] not in ("pending", "succeeded"):
        raise invalid(f"Refund {refund['id']} has status {refund['status']}; it cannot fail.")
    charge = ctx.get(refund["charge"], "charge")
    charge["amount_refunded"] -= refund["amount"]
    charge["refunded"] = False
    _set_refund_status(ctx, refund, "failed")
    return refund


@route("GET", "/v1/refunds/{refund_id}")
def retrieve_refund(ctx, p, refund_id):
    return ctx.get(refund_id, "refund")


@route("POST", "/v1/refunds/{refund_id}", "metadata")
def update_refund(ctx, p, refund_id):
    refund = ctx.get(refund_id, "refund")
    before = copy.deepcopy(refund)
    refund["metadata"] = p.metadata(refund["metadata"])
    ctx.emit_update("refund.updated", refund, before)
    return refund


@route("GET", "/v1/refunds", "charge payment_intent", listing=True)
def list_refunds(ctx, p):
    charge, intent = p.str("charge"), p.str("payment_intent")
    return ctx.select("refund", lambda r: charge in (None, r["charge"]) and intent in (None, r["payment_intent"]))
