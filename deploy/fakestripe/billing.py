"""Subscriptions, their invoices (one per period, with proration lines) and invoice payments.

There is no clock to advance: a subscription moves to its next period only when told to
(``advance_subscription``), which bills that period at once. Prorations are computed against the
current period, with ``now`` clamped into it, so an advanced (future) period prorates in full.
"""

import calendar
import copy
from datetime import UTC, datetime, timedelta

from . import money, objects
from .connect import resolve_payment_method
from .errors import StripeError, invalid
from .objects import build, new_id, now
from .payments import attempt_payment, create_intent
from .routing import includable, route

RETRY_AFTER = 3 * 86400  # Smart Retries' first retry, roughly
PRORATION_BEHAVIORS = ("create_prorations", "always_invoice", "none")


def add_interval(timestamp: int, interval: str, count: int, anchor_day: int) -> int:
    moment = datetime.fromtimestamp(timestamp, UTC)
    if interval in ("day", "week"):
        return int((moment + timedelta(days=count * (7 if interval == "week" else 1))).timestamp())
    months = count * (12 if interval == "year" else 1)
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    # Stripe keeps the anchor day, using the month's last day when it is shorter (Jan 31 -> Feb 28 -> Mar 31).
    day = min(anchor_day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def period_of(sub: dict) -> tuple[int, int]:
    first = sub["items"]["data"][0]
    return first["current_period_start"], first["current_period_end"]


def recurring_of(price: dict, param: str) -> dict:
    if price["type"] != "recurring":
        raise invalid(
            "The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.",
            param=param,
        )
    return price["recurring"]


def new_item(sub_id: str, price: dict, quantity: int, start: int, end: int, metadata=None) -> dict:
    return build(
        "subscription_item",
        id=new_id("si_", 14),
        created=now(),
        metadata=metadata or {},
        price=copy.deepcopy(price),
        plan=objects.plan_from_price(price),
        quantity=quantity,
        subscription=sub_id,
        current_period_start=start,
        current_period_end=end,
        billing_thresholds=None,
    )


def product_name(ctx, price: dict) -> str:
    rec = ctx.store.record(price["product"])
    return rec["obj"]["name"] if rec else price["product"]


# -- invoices ---------------------------------------------------------------------------------


def _line(ctx, invoice_id: str, sub: dict, spec: dict) -> dict:
    price = spec["price"]
    return build(
        "line_item",
        id=new_id("il_"),
        amount=spec["amount"],
        currency=price["currency"],
        description=spec["description"],
        discountable=not spec["proration"],
        invoice=invoice_id,
        metadata={},
        period={"end": spec["period"][1], "start": spec["period"][0]},
        quantity=spec["quantity"],
        subscription=sub["id"],
        pretax_credit_amounts=[],
        taxes=[],
        parent={
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": spec.get("invoice_item"),
                "proration": spec["proration"],
                "proration_details": {"credited_items": None},
                "subscription": sub["id"],
                "subscription_item": spec["item"],
            },
            "type": "subscription_item_details",
        },
        pricing={
            "price_details": {"price": price["id"], "product": price["product"]},
            "type": "price_details",
            "unit_amount_decimal": price["unit_amount_decimal"],
        },
        subtotal=spec["amount"],
        quantity_decimal=str(spec["quantity"]),
    )


def _cycle_lines(ctx, sub: dict) -> list[dict]:
    start, end = period_of(sub)
    specs = []
    for item in sub["items"]["data"]:
        price, quantity = item["price"], item["quantity"]
        recurring = price["recurring"]
        every = (
            recurring["interval"]
            if recurring["interval_count"] == 1
            else f"{recurring['interval_count']} {recurring['interval']}s"
        )
        specs.append(
            {
                "price": price,
                "quantity": quantity,
                "amount": price["unit_amount"] * quantity,
                "description": f"{quantity} × {product_name(ctx, price)} "
                f"(at {money.format_amount(price['unit_amount'], price['currency'])} / {every})",
                "period": (start, end),
                "proration": False,
                "item": item["id"],
            }
        )
    return specs


def _pending_item_lines(ctx, sub: dict, invoice_id: str) -> list[dict]:
    """Pending proration invoice items of ``sub`` become lines of ``invoice_id``."""
    specs = []
    for ii in reversed(ctx.select("invoiceitem", lambda i: i["invoice"] is None and _item_sub(i) == sub["id"])):
        ii["invoice"] = invoice_id
        details = ii["parent"]["subscription_details"]
        specs.append(
            {
                "price": ctx.get(ii["pricing"]["price_details"]["price"], "price"),
                "quantity": ii["quantity"],
                "amount": ii["amount"],
                "description": ii["description"],
                "period": (ii["period"]["start"], ii["period"]["end"]),
                "proration": True,
                "item": details["subscription_item"],
                "invoice_item": ii["id"],
            }
        )
    return specs


def _item_sub(ii: dict) -> str | None:
    return ((ii.get("parent") or {}).get("subscription_details") or {}).get("subscription")


def create_invoice(ctx, sub: dict, *, billing_reason: str, include_cycle: bool, period: tuple[int, int]) -> dict:
    """Draft an invoice for ``sub`` (this period's lines and/or pending prorations) and finalize it."""
    customer = ctx.get(sub["customer"], "customer")
    invoice_id = new_id("in_")
    specs = (_cycle_lines(ctx, sub) if include_cycle else []) + _pending_item_lines(ctx, sub, invoice_id)
    lines = [_line(ctx, invoice_id, sub, spec) for spec in specs]
    total = sum(line["amount"] for line in lines)
    created = now()
    invoice = build(
        "invoice",
        id=invoice_id,
        account_name=None,
        amount_due=max(total, 0),
        amount_paid=0,
        amount_remaining=max(total, 0),
        amount_shipping=0,
        attempt_count=0,
        attempted=False,
        billing_reason=billing_reason,
        collection_method="charge_automatically",
        created=created,
        currency=sub["currency"],
        customer=customer["id"],
        customer_email=customer["email"],
        customer_name=customer["name"],
        customer_phone=customer["phone"],
        description=None,
        discounts=[],
        effective_at=None,
        lines=objects.empty_list(f"/v1/invoices/{invoice_id}/lines", lines),
        metadata={},
        number=None,
        period_start=period[0],
        period_end=period[1],
        starting_balance=0,
        status="draft",
        status_transitions={"finalized_at": None, "marked_uncollectible_at": None, "paid_at": None, "voided_at": None},
        subscription=sub["id"],
        subtotal=total,
        subtotal_excluding_tax=total,
        total=total,
        total_excluding_tax=total,
        total_discount_amounts=[],
        parent={
            "quote_details": None,
            "subscription_details": {"metadata": dict(sub["metadata"]), "subscription": sub["id"]},
            "type": "subscription_details",
        },
    )
    ctx.add(invoice)
    ctx.emit("invoice.created", invoice)
    # Negative totals (a downgrade credit) would become customer balance at Stripe; the fake just bills zero.
    sequence = customer["next_invoice_sequence"]
    customer["next_invoice_sequence"] = sequence + 1
    invoice.update(status="open", number=f"{customer['invoice_prefix']}-{sequence:04d}", effective_at=created)
    invoice["status_transitions"]["finalized_at"] = created
    ctx.emit("invoice.finalized", invoice)
    sub["latest_invoice"] = invoice_id
    return invoice


def _invoice_payment(ctx, invoice: dict, intent: dict) -> dict:
    found = ctx.select("invoice_payment", lambda ip: ip["invoice"] == invoice["id"] and ip["status"] == "open")
    if found:
        return found[0]
    payment = build(
        "invoice_payment",
        id=new_id("inpay_"),
        amount_paid=None,
        amount_requested=invoice["amount_remaining"],
        created=now(),
        currency=invoice["currency"],
        invoice=invoice["id"],
        is_default=True,
        payment={"payment_intent": intent["id"], "type": "payment_intent"},
        status="open",
        status_transitions={"canceled_at": None, "paid_at": None},
    )
    return ctx.add(payment)


def set_sub_status(ctx, sub: dict, status: str) -> None:
    if sub["status"] != status and sub["status"] != "canceled":
        before = copy.deepcopy(sub)
        sub["status"] = status
        ctx.emit_update("customer.subscription.updated", sub, before)


def _mark_paid(ctx, invoice: dict, amount: int) -> None:
    invoice.update(status="paid", amount_paid=amount, amount_remaining=0, next_payment_attempt=None)
    invoice["status_transitions"]["paid_at"] = now()
    ctx.emit("invoice.paid", invoice)
    ctx.emit("invoice.payment_succeeded", invoice)


def pay_invoice(ctx, invoice: dict, pm_id: str | None = None, *, fail: bool = False) -> bool:
    """Charge an open invoice off-session; the subscription follows (active, or past_due/incomplete)."""
    if invoice["status"] != "open":
        raise invalid(
            f"Invoice {invoice['id']} is {invoice['status']}; only open invoices can be paid.",
            code="invoice_not_open" if invoice["status"] != "paid" else "invoice_already_paid",
        )
    sub = ctx.get(invoice["subscription"], "subscription")
    amount = invoice["amount_remaining"]
    invoice["attempted"] = True
    invoice["attempt_count"] += 1
    if amount == 0:
        _mark_paid(ctx, invoice, 0)
        set_sub_status(ctx, sub, "active")
        return True
    customer = ctx.get(invoice["customer"], "customer")
    pm_id = pm_id or sub["default_payment_method"] or customer["invoice_settings"]["default_payment_method"]
    ok = False
    if pm_id:
        pm = resolve_payment_method(ctx, pm_id)
        previous = ctx.select("invoice_payment", lambda ip: ip["invoice"] == invoice["id"] and ip["status"] == "open")
        if previous:
            intent = ctx.get(previous[0]["payment"]["payment_intent"], "payment_intent")
        else:
            fee_percent = sub["application_fee_percent"]
            intent = create_intent(
                ctx,
                amount=amount,
                currency=invoice["currency"],
                customer=customer["id"],
                description="Subscription creation"
                if invoice["billing_reason"] == "subscription_create"
                else "Subscription update",
                application_fee_amount=round(amount * float(fee_percent) / 100)
                if fee_percent and ctx.account
                else None,
            )
        payment = _invoice_payment(ctx, invoice, intent)
        ok = attempt_payment(ctx, intent, pm, fail=fail)
        if ok:
            payment.update(status="paid", amount_paid=amount)
            payment["status_transitions"]["paid_at"] = now()
    if ok:
        _mark_paid(ctx, invoice, amount)
        set_sub_status(ctx, sub, "active")
        return True
    invoice["next_payment_attempt"] = now() + RETRY_AFTER
    ctx.emit("invoice.payment_failed", invoice)
    set_sub_status(ctx, sub, "incomplete" if invoice["billing_reason"] == "subscription_create" else "past_due")
    return False


@route("GET", "/v1/invoices/{invoice_id}")
def retrieve_invoice(ctx, p, invoice_id):
    return ctx.get(invoice_id, "invoice")


@route("GET", "/v1/invoices", "customer subscription status collection_method", listing=True)
def list_invoices(ctx, p):
    customer, sub, status = p.str("customer"), p.str("subscription"), p.str("status")
    return ctx.select(
        "invoice",
        lambda i: (
            customer in (None, i["customer"]) and sub in (None, i["subscription"]) and status in (None, i["status"])
        ),
    )


@route("GET", "/v1/invoices/{invoice_id}/lines", listing=True)
def list_invoice_lines(ctx, p, invoice_id):
    return ctx.get(invoice_id, "invoice")["lines"]["data"]


@route("POST", "/v1/invoices/{invoice_id}/pay", "payment_method off_session paid_out_of_band forgive source mandate")
def pay_invoice_route(ctx, p, invoice_id):
    invoice = ctx.get(invoice_id, "invoice")
    if p.bool("paid_out_of_band"):
        if invoice["status"] != "open":
            raise invalid(f"Invoice {invoice_id} is {invoice['status']}; only open invoices can be paid.")
        _mark_paid(ctx, invoice, 0)
        set_sub_status(ctx, ctx.get(invoice["subscription"], "subscription"), "active")
        return invoice
    if not pay_invoice(ctx, invoice, p.str("payment_method")):
        payment = ctx.select("invoice_payment", lambda ip: ip["invoice"] == invoice_id)
        error = None
        if payment:
            error = ctx.get(payment[0]["payment"]["payment_intent"], "payment_intent")["last_payment_error"]
        raise StripeError(
            402,
            (error or {}).get("message", "This customer has no attached payment source or default payment method."),
            type="card_error",
            code=(error or {}).get("code", "invoice_no_customer_line_items"),
        )
    return invoice


@route("POST", "/v1/invoices/{invoice_id}/void")
def void_invoice(ctx, p, invoice_id):
    invoice = ctx.get(invoice_id, "invoice")
    if invoice["status"] != "open":
        raise invalid(f"You can only void an open invoice; this one is {invoice['status']}.")
    invoice["status"] = "void"
    invoice["status_transitions"]["voided_at"] = now()
    ctx.emit("invoice.voided", invoice)
    return invoice


@includable("invoice", "payments")
def invoice_payments_field(ctx, invoice: dict) -> dict:
    owner = ctx.store.owner(invoice["id"])
    found = ctx.store.select("invoice_payment", owner, lambda ip: ip["invoice"] == invoice["id"])
    return objects.empty_list(f"/v1/invoice_payments?invoice={invoice['id']}", copy.deepcopy(found))


@route("GET", "/v1/invoice_payments", "invoice payment", listing=True)
def list_invoice_payments(ctx, p):
    invoice = p.str("invoice")
    intent = p.dict("payment").str("payment_intent")
    return ctx.select(
        "invoice_payment",
        lambda ip: invoice in (None, ip["invoice"]) and intent in (None, ip["payment"].get("payment_intent")),
    )


@route("GET", "/v1/invoice_payments/{payment_id}")
def retrieve_invoice_payment(ctx, p, payment_id):
    return ctx.get(payment_id, "invoice_payment")
