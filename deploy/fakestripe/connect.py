"""Connect accounts and onboarding links, customers and their saved payment methods."""

import copy
import secrets

from . import objects
from .errors import StripeError, invalid
from .objects import build, new_id, now
from .routing import route

PLATFORM_ACCOUNT_ID = "acct_fakestripeplatform"
ACCOUNT_LINK_TTL = 300  # Stripe's onboarding links expire after a few minutes.
_COUNTRY_CURRENCY = {"US": "usd", "HK": "hkd", "CN": "cny", "SG": "sgd", "JP": "jpy", "GB": "gbp", "TW": "twd"}
_ONBOARDING_DUE = [
    "business_profile.product_description",
    "business_profile.url",
    "external_account",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]


def account_access_error(account_id: str) -> StripeError:
    # What Stripe says for an account the platform does not control, existing or not.
    return StripeError(
        403,
        f"The provided key does not have access to account '{account_id}' (or that account does not exist). "
        "Application access may have been revoked.",
        code="account_invalid",
    )


def connected_account(store, account_id: str) -> dict:
    rec = store.record(account_id)
    if rec is None or rec["obj"].get("object") != "account" or rec["account"] is not None:
        raise account_access_error(account_id)
    return rec["obj"]


# -- accounts ---------------------------------------------------------------------------------


@route(
    "POST",
    "/v1/accounts",
    "type country email business_type business_profile capabilities metadata controller company individual "
    "default_currency settings tos_acceptance",
)
def create_account(ctx, p):
    controller = p.dict("controller")
    kind = p.str("type", choices=("standard", "express", "custom")) or ("none" if controller.data else "standard")
    country = (p.str("country") or "US").upper()
    requested = [name for name, spec in p.dict("capabilities").data.items() if isinstance(spec, dict)]
    account = build(
        "account",
        id=new_id("acct_", 16),
        type=kind,
        country=country,
        email=p.str("email"),
        business_type=p.str("business_type"),
        created=now(),
        default_currency=(p.str("default_currency") or _COUNTRY_CURRENCY.get(country, "usd")).lower(),
        metadata=p.metadata(),
        charges_enabled=False,
        payouts_enabled=False,
        details_submitted=False,
        capabilities={name: "inactive" for name in requested or ("card_payments", "transfers")},
        controller={"type": "application" if kind in ("express", "custom") else "account"},
    )
    account["requirements"]["currently_due"] = list(_ONBOARDING_DUE)
    account["requirements"]["eventually_due"] = list(_ONBOARDING_DUE)
    account["requirements"]["disabled_reason"] = "requirements.past_due"
    _apply_profile(account, p)
    account["external_accounts"]["url"] = f"/v1/accounts/{account['id']}/external_accounts"
    ctx.add(account)
    return account


def _apply_profile(account: dict, p) -> None:
    profile = p.dict("business_profile").data
    for key, value in profile.items():
        if key not in account["business_profile"]:
            raise invalid(f"Received unknown parameter: business_profile[{key}]", param=f"business_profile[{key}]")
        account["business_profile"][key] = value
    if profile.get("name"):
        account["settings"]["dashboard"]["display_name"] = profile["name"]


@route("GET", "/v1/accounts/{account_id}")
def retrieve_account(ctx, p, account_id):
    return connected_account(ctx.store, account_id)


@route("GET", "/v1/account")
def retrieve_own_account(ctx, p):
    if ctx.account:
        return connected_account(ctx.store, ctx.account)
    platform = build(
        "account",
        id=PLATFORM_ACCOUNT_ID,
        charges_enabled=True,
        payouts_enabled=True,
        details_submitted=True,
        created=0,
        email="platform@example.com",
    )
    platform["requirements"].update(currently_due=[], eventually_due=[], disabled_reason=None)
    return platform


@route("POST", "/v1/accounts/{account_id}", "email business_profile metadata business_type default_currency")
def update_account(ctx, p, account_id):
    account = connected_account(ctx.store, account_id)
    before = copy.deepcopy(account)
    account["metadata"] = p.metadata(account["metadata"])
    for name in ("email", "business_type", "default_currency"):
        if name in p:
            account[name] = p.str(name) or None
    _apply_profile(account, p)
    ctx.on(account_id).emit_update("account.updated", account, before)
    return account


@route("GET", "/v1/accounts", listing=True)
def list_accounts(ctx, p):
    return ctx.store.select("account", None)


@route("POST", "/v1/account_links", "account type refresh_url return_url collect collection_options")
def create_account_link(ctx, p):
    account_id = p.str("account", required=True)
    connected_account(ctx.store, account_id)
    p.str("type", required=True, choices=("account_onboarding", "account_update"))
    token = secrets.token_urlsafe(12)
    created = now()
    ctx.store.links[token] = {
        "account": account_id,
        "return_url": p.str("return_url"),
        "refresh_url": p.str("refresh_url"),
        "expires_at": created + ACCOUNT_LINK_TTL,
    }
    return build(
        "account_link",
        created=created,
        expires_at=created + ACCOUNT_LINK_TTL,
        url=f"{ctx.public_url}/connect/onboarding/{token}",
    )


def complete_onboarding(ctx, account_id: str) -> dict:
    """What finishing Stripe's hosted onboarding does: the account can take charges and pay out."""
    account = connected_account(ctx.store, account_id)
    before = copy.deepcopy(account)
    account.update(charges_enabled=True, payouts_enabled=True, details_submitted=True)
    account["capabilities"] = {name: "active" for name in account["capabilities"]}
    account["requirements"].update(currently_due=[], eventually_due=[], past_due=[], disabled_reason=None)
    account["tos_acceptance"].update(date=now(), ip="127.0.0.1")
    ctx.on(account_id).emit_update("account.updated", account, before)
    return account


# -- customers --------------------------------------------------------------------------------

_CUSTOMER_FIELDS = ("email", "name", "phone", "description")


@route(
    "POST",
    "/v1/customers",
    "email name phone description metadata address payment_method invoice_settings preferred_locales shipping "
    "tax_exempt",
)
def create_customer(ctx, p):
    customer = build(
        "customer",
        id=new_id("cus_", 14),
        created=now(),
        invoice_prefix=secrets.token_hex(4).upper(),
        metadata=p.metadata(),
        preferred_locales=p.list("preferred_locales"),
        **{name: p.str(name) for name in _CUSTOMER_FIELDS},
    )
    if "address" in p:
        customer["address"] = {**objects.NULL_ADDRESS, **p.dict("address").data}
    ctx.add(customer)
    ctx.emit("customer.created", customer)
    if p.str("payment_method"):
        attach_payment_method(ctx, p.str("payment_method"), customer["id"])
    _apply_invoice_settings(ctx, customer, p)
    return customer


def _apply_invoice_settings(ctx, customer: dict, p) -> None:
    settings = p.dict("invoice_settings")
    if "default_payment_method" in settings:
        pm_id = settings.str("default_payment_method") or None
        if pm_id:
            pm = ctx.get(pm_id, "payment_method", param="invoice_settings[default_payment_method]")
            if pm["customer"] != customer["id"]:
                raise invalid(
                    f"The customer does not have a payment method with the ID {pm_id}. The payment method must be "
                    "attached to the customer.",
                    param="invoice_settings[default_payment_method]",
                )
        customer["invoice_settings"]["default_payment_method"] = pm_id


@route("GET", "/v1/customers/{customer_id}")
def retrieve_customer(ctx, p, customer_id):
    customer = ctx.get(customer_id, "customer", allow_deleted=True)
    if ctx.extra(customer_id).get("deleted"):
        return build("deleted_customer", id=customer_id)
    return customer


@route(
    "POST",
    "/v1/customers/{customer_id}",
    "email name phone description metadata address invoice_settings preferred_locales shipping tax_exempt",
)
def update_customer(ctx, p, customer_id):
    customer = ctx.get(customer_id, "customer")
    before = copy.deepcopy(customer)
    for name in _CUSTOMER_FIELDS:
        if name in p:
            customer[name] = p.str(name) or None
    customer["metadata"] = p.metadata(customer["metadata"])
    if "address" in p:
        customer["address"] = {**objects.NULL_ADDRESS, **p.dict("address").data} if p.data["address"] else None
    _apply_invoice_settings(ctx, customer, p)
    ctx.emit_update("customer.updated", customer, before)
    return customer


@route("DELETE", "/v1/customers/{customer_id}")
def delete_customer(ctx, p, customer_id):
    customer = ctx.get(customer_id, "customer")
    ctx.extra(customer_id)["deleted"] = True
    ctx.emit("customer.deleted", customer)
    return build("deleted_customer", id=customer_id)


@route("GET", "/v1/customers", "email", listing=True)
def list_customers(ctx, p):
    email = p.str("email")
    return ctx.select("customer", lambda c: email is None or c["email"] == email)


# -- payment methods --------------------------------------------------------------------------


def resolve_payment_method(ctx, pm_id: str, param="payment_method") -> dict:
    """A stored PaymentMethod, or a fresh one for Stripe's test ids such as ``pm_card_visa``."""
    if pm_id in objects.TEST_CARDS:
        brand, last4, decline = objects.TEST_CARDS[pm_id]
        pm = objects.payment_method("card", brand=brand, last4=last4)
        return ctx.add(pm, decline_code=decline)
    return ctx.get(pm_id, "payment_method", param=param)


def decline_code_of(ctx, pm: dict) -> str | None:
    return ctx.extra(pm["id"]).get("decline_code")


CARD_DECLINES = ("generic_decline", "insufficient_funds", "expired_card", "authentication_required")


def decline_future_charges(ctx, pm: dict, code: str) -> dict:
    """Test control: from now on charges on this card fail with ``code`` (a saved card that the
    bank starts refusing, runs out of funds, expires, or needs 3-D Secure on every payment)."""
    if pm["type"] != "card" or code not in CARD_DECLINES:
        raise invalid(f"Only a card can be made to decline, with one of {', '.join(CARD_DECLINES)}.", param="code")
    ctx.extra(pm["id"])["decline_code"] = code
    return pm


@route("POST", "/v1/payment_methods", "type card billing_details metadata alipay wechat_pay allow_redisplay")
def create_payment_method(ctx, p):
    method_type = p.str("type", required=True, choices=("card", "alipay", "wechat_pay"))
    test_id = "pm_card_visa"
    if method_type == "card":
        card = p.dict("card", required=True)
        token = card.str("token")
        number = (card.str("number") or "").replace(" ", "")
        test_id = token.replace("tok_", "pm_card_", 1) if token else objects.TEST_NUMBERS.get(number)
        if test_id not in objects.TEST_CARDS:
            raise StripeError(
                402, "Your card number is incorrect.", type="card_error", code="incorrect_number", param="card[number]"
            )
    brand, last4, decline = objects.TEST_CARDS[test_id]
    pm = objects.payment_method(method_type, brand=brand, last4=last4, metadata=p.metadata())
    pm["billing_details"].update({k: v for k, v in p.dict("billing_details").data.items() if k != "address"})
    return ctx.add(pm, decline_code=decline if method_type == "card" else None)


@route("GET", "/v1/payment_methods/{pm_id}")
def retrieve_payment_method(ctx, p, pm_id):
    return ctx.get(pm_id, "payment_method")


@route("POST", "/v1/payment_methods/{pm_id}", "metadata billing_details allow_redisplay")
def update_payment_method(ctx, p, pm_id):
    pm = ctx.get(pm_id, "payment_method")
    before = copy.deepcopy(pm)
    pm["metadata"] = p.metadata(pm["metadata"])
    pm["billing_details"].update({k: v for k, v in p.dict("billing_details").data.items() if k != "address"})
    ctx.emit_update("payment_method.updated", pm, before)
    return pm


def attach_payment_method(ctx, pm_id: str, customer_id: str) -> dict:
    customer = ctx.get(customer_id, "customer", param="customer")
    pm = resolve_payment_method(ctx, pm_id, param="payment_method")
    if pm["customer"] and pm["customer"] != customer["id"]:
        raise invalid(
            "The payment method you provided has already been attached to a customer.",
            code="payment_method_unexpected_state",
        )
    if pm["type"] != "card":
        raise invalid(
            f"PaymentMethods of type {pm['type']} cannot be attached to a customer for reuse.",
            code="payment_method_unexpected_state",
        )
    if pm["customer"] is None:
        pm["customer"] = customer["id"]
        ctx.emit("payment_method.attached", pm)
    return pm


@route("POST", "/v1/payment_methods/{pm_id}/attach", "customer")
def attach_payment_method_route(ctx, p, pm_id):
    return attach_payment_method(ctx, pm_id, p.str("customer", required=True))


@route("POST", "/v1/payment_methods/{pm_id}/detach")
def detach_payment_method(ctx, p, pm_id):
    pm = ctx.get(pm_id, "payment_method")
    if pm["customer"] is None:
        raise invalid(
            "The payment method you provided is not attached to a customer so detachment is impossible.",
            code="payment_method_unexpected_state",
        )
    previous = {"customer": pm["customer"]}
    pm["customer"] = None
    ctx.extra(pm_id)["detached"] = True  # Stripe refuses a detached PaymentMethod from then on
    ctx.emit("payment_method.detached", pm, previous)
    return pm


@route("GET", "/v1/payment_methods", "customer type", listing=True)
def list_payment_methods(ctx, p):
    customer, kind = p.str("customer"), p.str("type")
    if customer:
        ctx.get(customer, "customer", param="customer")
    return ctx.select(
        "payment_method",
        lambda pm: (customer is None or pm["customer"] == customer) and (kind is None or pm["type"] == kind),
    )


@route("GET", "/v1/customers/{customer_id}/payment_methods", "type", listing=True)
def list_customer_payment_methods(ctx, p, customer_id):
    ctx.get(customer_id, "customer")
    kind = p.str("type")
    return ctx.select("payment_method", lambda pm: pm["customer"] == customer_id and kind in (None, pm["type"]))


def require_charges_enabled(ctx) -> None:
    """Stripe refuses payments on a connected account that has not finished onboarding."""
    if ctx.account and not connected_account(ctx.store, ctx.account)["charges_enabled"]:
        raise invalid(
            "Your account cannot currently make charges. To find out why charge creation is currently disabled, "
            f"look at the `requirements.disabled_reason` property on this account (/v1/accounts/{ctx.account}).",
        )
