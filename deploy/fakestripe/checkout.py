"""Checkout Sessions: creation with Stripe's validation, and what paying on the hosted page does."""

import copy

from . import money, objects
from .billing import product_name
from .catalog import create_price, get_price
from .connect import attach_payment_method, require_charges_enabled
from .errors import invalid
from .objects import build, new_id, now
from .payments import attempt_payment, create_intent
from .routing import includable, route
from .subscriptions import start_subscription

METHODS = ("card", "alipay", "wechat_pay")
SESSION_TTL = 24 * 3600
PAYER = {"email": "payer@example.com", "name": "测试付款人 Test Payer"}


def _line_items(ctx, p, mode: str) -> list[dict]:
    entries = p.dicts("line_items", required=mode != "setup")
    items = []
    for entry in entries:
        if entry.str("price"):
            price = get_price(ctx, entry.str("price"), entry.name_of("price"))
            if not price["active"]:
                raise invalid(
                    f"The price `{price['id']}` is not available to be purchased because it's not active.",
                    param=entry.name_of("price"),
                )
        elif "price_data" in entry:
            data = entry.dict("price_data").only("currency unit_amount product product_data recurring tax_behavior")
            price = create_price(ctx, data, active=False)
        else:
            raise invalid(
                "You must specify either `price` or `price_data` in each line item.",
                param=entry.name_of("price"),
                code="parameter_missing",
            )
        quantity = entry.int("quantity", required=True, minimum=1)
        if mode == "subscription" and price["type"] != "recurring":
            raise invalid(
                "fakestripe does not support one-time prices in `subscription` mode.", param=entry.name_of("price")
            )
        if mode == "payment" and price["type"] == "recurring":
            raise invalid(
                "You specified `payment` mode but passed a recurring price. Either switch to "
                "`subscription` mode or use only one-time prices.",
                param="line_items",
            )
        items.append({"price": price, "quantity": quantity})
    if mode == "subscription" and not any(i["price"]["type"] == "recurring" for i in items):
        raise invalid(
            "You must provide at least one recurring price in `subscription` mode when using prices.",
            param="line_items",
        )
    if len({i["price"]["currency"] for i in items}) > 1:
        raise invalid("All line items must use the same currency.", param="line_items")
    return items


def _currency_hint(ctx, p) -> str | None:
    """The session's currency, read from the first line item without creating anything."""
    entries = p.dicts("line_items")
    if not entries:
        return (p.str("currency") or "").lower() or None
    first = entries[0]
    if first.str("price"):
        return get_price(ctx, first.str("price"), first.name_of("price"))["currency"]
    return (first.dict("price_data").str("currency") or "").lower() or None


def _check_methods(p, mode: str, currency: str | None, setup_future_usage: str | None) -> list[str]:
    methods = p.list("payment_method_types") or ["card"]
    for method in methods:
        if method not in METHODS:
            raise invalid(
                f"Invalid payment_method_types: fakestripe supports {', '.join(METHODS)}.", param="payment_method_types"
            )
        if method != "card" and mode != "payment":
            raise invalid(
                f"The payment method type `{method}` cannot be used in `{mode}` mode.", param="payment_method_types"
            )
        allowed = money.METHOD_CURRENCIES.get(method)
        if allowed is not None and currency and currency not in allowed:
            raise invalid(
                f"The payment method type `{method}` does not support the currency `{currency}`.",
                param="payment_method_types",
            )
    if "wechat_pay" in methods:
        client = p.dict("payment_method_options").dict("wechat_pay").str("client")
        if client != "web":
            raise invalid(
                "`payment_method_options[wechat_pay][client]` must be set to `web` when `wechat_pay` is "
                "one of the payment_method_types of a Checkout Session.",
                param="payment_method_options[wechat_pay][client]",
            )
        if setup_future_usage:
            raise invalid(
                "WeChat Pay does not support `setup_future_usage`.", param="payment_intent_data[setup_future_usage]"
            )
    return methods


@route(
    "POST",
    "/v1/checkout/sessions",
    "mode line_items payment_method_types success_url cancel_url return_url customer customer_email "
    "customer_creation client_reference_id metadata payment_intent_data subscription_data setup_intent_data "
    "expires_at locale currency payment_method_options submit_type billing_address_collection "
    "allow_promotion_codes ui_mode",
)
def create_session(ctx, p):
    require_charges_enabled(ctx)
    mode = p.str("mode", required=True, choices=("payment", "subscription", "setup"))
    if p.str("ui_mode", default="hosted") != "hosted":
        raise invalid("fakestripe serves only hosted Checkout (ui_mode=hosted).", param="ui_mode")
    customer, email = p.str("customer"), p.str("customer_email")
    if customer and email:
        raise invalid("You may only specify one of these parameters: customer, customer_email.", param="customer")
    if customer:
        ctx.get(customer, "customer", param="customer")
    pi_data = p.dict("payment_intent_data").only(
        "application_fee_amount setup_future_usage metadata description receipt_email statement_descriptor "
        "statement_descriptor_suffix"
    )
    p.dict("subscription_data").only("metadata description application_fee_percent")
    p.dict("setup_intent_data").only("metadata description")
    if pi_data.data and mode != "payment":
        raise invalid("You can only specify `payment_intent_data` in `payment` mode.", param="payment_intent_data")
    fee = pi_data.int("application_fee_amount", minimum=0)
    if fee is not None and not ctx.account:
        raise invalid(
            "Can only apply an application_fee_amount when the Checkout Session is created for a "
            "connected account (Stripe-Account header).",
            param="payment_intent_data[application_fee_amount]",
        )
    future = pi_data.str("setup_future_usage", choices=("on_session", "off_session"))
    created = now()
    expires_at = p.int("expires_at", default=created + SESSION_TTL)
    if not created + 1800 <= expires_at <= created + SESSION_TTL:
        raise invalid(
            "The `expires_at` timestamp must be between 30 minutes and 24 hours from now.", param="expires_at"
        )
    # Validate everything before _line_items creates inline prices, so a rejected request leaves nothing behind.
    methods = _check_methods(p, mode, _currency_hint(ctx, p), future)
    items = _line_items(ctx, p, mode)
    currency = items[0]["price"]["currency"] if items else money.currency(p.str("currency", required=True))
    total = sum(i["price"]["unit_amount"] * i["quantity"] for i in items)
    session_id = "cs_test_a1" + new_id("", 56)
    session = build(
        "checkout.session",
        id=session_id,
        mode=mode,
        status="open",
        payment_status="no_payment_required" if mode == "setup" else "unpaid",
        amount_subtotal=total if items else None,
        amount_total=total if items else None,
        currency=currency,
        created=created,
        expires_at=expires_at,
        success_url=p.str("success_url"),
        cancel_url=p.str("cancel_url"),
        client_reference_id=p.str("client_reference_id"),
        customer=customer,
        customer_email=email,
        customer_creation=p.str("customer_creation", choices=("if_required", "always"))
        or ("if_required" if mode == "payment" and not customer else None),
        locale=p.str("locale"),
        metadata=p.metadata(),
        payment_method_types=methods,
        payment_method_options={k: v for k, v in p.dict("payment_method_options").data.items() if k in methods},
        payment_method_collection="always" if mode != "payment" else None,
        submit_type=p.str("submit_type"),
        billing_address_collection=p.str("billing_address_collection"),
        allow_promotion_codes=p.bool("allow_promotion_codes"),
        url=f"{ctx.public_url}/checkout/{session_id}",
    )
    if mode == "payment":
        session["invoice_creation"] = {
            "enabled": False,
            "invoice_data": {
                "account_tax_ids": None,
                "custom_fields": None,
                "description": None,
                "footer": None,
                "issuer": None,
                "metadata": {},
                "rendering_options": None,
            },
        }
    line_items = [_session_item(i["price"], i["quantity"], product_name(ctx, i["price"])) for i in items]
    extra = {
        "line_items": line_items,
        "payment_intent_data": pi_data.data,
        "subscription_data": p.dict("subscription_data").data,
    }
    if mode == "setup":
        session["setup_intent"] = _setup_intent(ctx, customer, methods, p.dict("setup_intent_data"))["id"]
    ctx.add(session, **extra)
    return session


def _session_item(price: dict, quantity: int, description: str) -> dict:
    amount = price["unit_amount"] * quantity
    return build(
        "item",
        id=new_id("li_"),
        amount_discount=0,
        amount_subtotal=amount,
        amount_tax=0,
        amount_total=amount,
        currency=price["currency"],
        description=description,
        price=copy.deepcopy(price),
        quantity=quantity,
        adjustable_quantity=None,
    )


def _setup_intent(ctx, customer, methods, data) -> dict:
    intent_id = new_id("seti_")
    intent = build(
        "setup_intent",
        id=intent_id,
        client_secret=f"{intent_id}_secret_{new_id('', 32)}",
        created=now(),
        customer=customer,
        metadata=data.metadata(),
        payment_method_types=methods,
        description=data.str("description"),
        status="requires_payment_method",
    )
    ctx.add(intent)
    ctx.emit("setup_intent.created", intent)
    return intent


@includable("checkout.session", "line_items")
def line_items_field(ctx, session: dict) -> dict:
    return objects.empty_list(
        f"/v1/checkout/sessions/{session['id']}/line_items", copy.deepcopy(ctx.store.extra(session["id"])["line_items"])
    )


@route("GET", "/v1/checkout/sessions/{session_id}")
def retrieve_session(ctx, p, session_id):
    return expire_if_due(ctx, ctx.get(session_id, "checkout.session"))


@route("GET", "/v1/checkout/sessions/{session_id}/line_items", listing=True)
def list_session_line_items(ctx, p, session_id):
    return line_items_field(ctx, ctx.get(session_id, "checkout.session"))["data"]


@route("GET", "/v1/checkout/sessions", "payment_intent customer status subscription customer_details", listing=True)
def list_sessions(ctx, p):
    wanted = {name: p.str(name) for name in ("payment_intent", "customer", "status", "subscription")}
    email = p.dict("customer_details").str("email")

    def matches(session):
        details = session["customer_details"] or {}
        return all(v in (None, session[k]) for k, v in wanted.items()) and email in (None, details.get("email"))

    return [expire_if_due(ctx, s) for s in ctx.select("checkout.session", matches)]


@route("POST", "/v1/checkout/sessions/{session_id}/expire")
def expire_session_route(ctx, p, session_id):
    session = expire_if_due(ctx, ctx.get(session_id, "checkout.session"))
    if session["status"] != "open":
        raise invalid('Only Checkout Sessions with a status in ["open"] can be expired.')
    return expire_session(ctx, session)


def expire_session(ctx, session: dict) -> dict:
    session["status"] = "expired"
    intent_id = session["payment_intent"]
    if intent_id:
        intent = ctx.get(intent_id, "payment_intent")
        if intent["status"] != "succeeded":
            before = copy.deepcopy(intent)
            intent.update(status="canceled", canceled_at=now(), cancellation_reason="abandoned")
            ctx.emit("payment_intent.canceled", intent, objects.changed_fields(before, intent))
    ctx.emit("checkout.session.expired", session)
    return session


def expire_if_due(ctx, session: dict) -> dict:
    # Stripe expires sessions in the background; the fake does it when a session is next looked at.
    if session["status"] == "open" and session["expires_at"] <= now():
        expire_session(ctx, session)
    return session


# -- paying -----------------------------------------------------------------------------------


def redirect_url(session: dict) -> str | None:
    url = session["success_url"]
    return url.replace("{CHECKOUT_SESSION_ID}", session["id"]) if url else None


def pay_session(ctx, session: dict, method: str, *, fail: bool = False, card: str | None = None) -> bool:
    """The customer pays (or is declined) on the hosted page. Returns whether the payment went through.

    ``card`` names one of Stripe's test cards (``pm_card_authenticationRequired``...) to pay with
    instead of an ordinary Visa."""
    expire_if_due(ctx, session)
    if session["status"] != "open":
        raise invalid(
            f"This Checkout Session is no longer open (status: {session['status']}).", code="checkout_session_not_open"
        )
    if method not in session["payment_method_types"]:
        raise invalid(
            f"This Checkout Session does not accept {method}; it accepts {', '.join(session['payment_method_types'])}.",
            param="method",
        )
    extra = ctx.extra(session["id"])
    email = session["customer_email"] or PAYER["email"]
    if session["customer"]:
        email = ctx.get(session["customer"], "customer")["email"] or email
    card = card or "pm_card_visa"
    if card not in objects.TEST_CARDS or (method != "card" and card != "pm_card_visa"):
        raise invalid(f"Pay with card and one of Stripe's test cards, not {card!r}.", param="card")
    brand, last4, decline = objects.TEST_CARDS[card]
    if method != "card":
        decline = None
    elif fail:
        decline = "generic_decline"
    pm = objects.payment_method(method, brand=brand, last4=last4, billing_email=email)
    ctx.add(pm, decline_code=decline)
    if session["mode"] == "payment":
        ok = _pay_payment_mode(ctx, session, extra, pm, email, fail)
    elif session["mode"] == "subscription":
        # A declined card at Checkout creates no subscription; the customer just tries again.
        ok = not fail and _pay_subscription_mode(ctx, session, extra, pm, email)
    else:
        ok = _complete_setup_mode(ctx, session, pm, email, fail)
    if ok:
        session["status"] = "complete"
        session["customer_details"] = {
            "address": {**objects.NULL_ADDRESS, "country": "CN"},
            "email": email,
            "name": PAYER["name"],
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
            "business_name": None,
            "individual_name": None,
        }
        ctx.emit("checkout.session.completed", session)
    return ok


def _customer_for(ctx, session: dict, email: str, needed: bool) -> str | None:
    if session["customer"] or not needed:
        return session["customer"]
    customer = build(
        "customer",
        id=new_id("cus_", 14),
        created=now(),
        email=email,
        name=PAYER["name"],
        invoice_prefix=new_id("", 8).upper(),
    )
    ctx.add(customer)
    ctx.emit("customer.created", customer)
    session["customer"] = customer["id"]
    return customer["id"]


def _pay_payment_mode(ctx, session, extra, pm, email, fail) -> bool:
    data = extra["payment_intent_data"]
    intent = ctx.get(session["payment_intent"], "payment_intent") if session["payment_intent"] else None
    if intent is None:
        future = data.get("setup_future_usage")
        customer = _customer_for(ctx, session, email, bool(future) or session["customer_creation"] == "always")
        fee = data.get("application_fee_amount")
        intent = create_intent(
            ctx,
            amount=session["amount_total"],
            currency=session["currency"],
            customer=customer,
            payment_method_types=session["payment_method_types"],
            metadata=data.get("metadata") or {},
            description=data.get("description"),
            application_fee_amount=int(fee) if fee not in (None, "") else None,
            setup_future_usage=future or None,
            receipt_email=data.get("receipt_email"),
        )
        session["payment_intent"] = intent["id"]
    ok = attempt_payment(ctx, intent, pm, fail=fail)
    if ok:
        session["payment_status"] = "paid"
    return ok


def _pay_subscription_mode(ctx, session, extra, pm, email) -> bool:
    customer = _customer_for(ctx, session, email, True)
    attach_payment_method(ctx, pm["id"], customer)
    data = extra["subscription_data"]
    items = [
        {"price": ctx.get(i["price"]["id"], "price"), "quantity": i["quantity"]}
        for i in ctx.extra(session["id"])["line_items"]
    ]
    sub = start_subscription(
        ctx,
        customer_id=customer,
        items=items,
        default_payment_method=pm["id"],
        metadata=data.get("metadata") or {},
        application_fee_percent=data.get("application_fee_percent"),
        description=data.get("description"),
    )
    invoice = ctx.get(sub["latest_invoice"], "invoice")
    session.update(
        subscription=sub["id"],
        invoice=invoice["id"],
        payment_status="paid" if invoice["status"] == "paid" else "unpaid",
    )
    return sub["status"] == "active"


def _complete_setup_mode(ctx, session, pm, email, fail) -> bool:
    intent = ctx.get(session["setup_intent"], "setup_intent")
    before = copy.deepcopy(intent)
    if fail:
        intent["last_setup_error"] = objects.decline_error(pm, "generic_decline", None)
        ctx.emit("setup_intent.setup_failed", intent, objects.changed_fields(before, intent))
        return False
    customer = _customer_for(ctx, session, email, session["customer_creation"] == "always")
    if customer:
        attach_payment_method(ctx, pm["id"], customer)
    intent.update(status="succeeded", payment_method=pm["id"], customer=customer, last_setup_error=None)
    ctx.emit("setup_intent.succeeded", intent, objects.changed_fields(before, intent))
    return True


@route("GET", "/v1/setup_intents/{seti_id}")
def retrieve_setup_intent(ctx, p, seti_id):
    return ctx.get(seti_id, "setup_intent")
