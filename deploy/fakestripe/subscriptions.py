"""Subscriptions: create (and bill the first period), update with prorations, cancel, advance."""

import copy
from datetime import UTC, datetime

from .billing import (
    PRORATION_BEHAVIORS,
    add_interval,
    create_invoice,
    new_item,
    pay_invoice,
    period_of,
    product_name,
    recurring_of,
)
from .catalog import get_price
from .connect import require_charges_enabled
from .errors import invalid
from .objects import build, empty_list, new_id, now
from .routing import route

_ACTIVE = ("active", "past_due", "incomplete", "trialing", "unpaid", "paused")


def _check_items(items: list[dict], currency: str | None = None, interval: tuple | None = None) -> None:
    """Stripe bills all of a subscription's items together, so they share currency and interval."""
    for item in items:
        price = item["price"]
        recurring = price["recurring"]
        currency = currency or price["currency"]
        interval = interval or (recurring["interval"], recurring["interval_count"])
        if price["currency"] != currency:
            raise invalid("All prices on a subscription must have the same currency.", param="items")
        if (recurring["interval"], recurring["interval_count"]) != interval:
            raise invalid(
                "Currently a subscription's prices must all have the same billing interval; fakestripe also "
                "does not support changing the interval of an existing subscription.",
                param="items",
            )


def start_subscription(
    ctx,
    *,
    customer_id: str,
    items: list[dict],
    default_payment_method=None,
    metadata=None,
    application_fee_percent=None,
    description=None,
    payment_behavior="allow_incomplete",
    cancel_at_period_end=False,
) -> dict:
    """Create a subscription and bill its first period; ``items`` are ``{"price", "quantity", "metadata"}``."""
    require_charges_enabled(ctx)
    _check_items(items)
    start = now()
    recurring = items[0]["price"]["recurring"]
    anchor_day = datetime.fromtimestamp(start, UTC).day
    end = add_interval(start, recurring["interval"], recurring["interval_count"], anchor_day)
    sub_id = new_id("sub_")
    sub = build(
        "subscription",
        id=sub_id,
        application_fee_percent=application_fee_percent,
        billing_cycle_anchor=start,
        cancellation_details={"comment": None, "feedback": None, "reason": None},
        created=start,
        currency=items[0]["price"]["currency"],
        customer=customer_id,
        default_payment_method=default_payment_method,
        description=description,
        discounts=[],
        items=empty_list(
            f"/v1/subscription_items?subscription={sub_id}",
            [new_item(sub_id, i["price"], i["quantity"], start, end, i.get("metadata")) for i in items],
        ),
        latest_invoice=None,
        metadata=dict(metadata or {}),
        start_date=start,
        status="incomplete",
        cancel_at_period_end=cancel_at_period_end,
        cancel_at=end if cancel_at_period_end else None,
    )
    ctx.add(sub)
    ctx.emit("customer.subscription.created", sub)
    invoice = create_invoice(ctx, sub, billing_reason="subscription_create", include_cycle=True, period=(start, start))
    if payment_behavior != "default_incomplete":
        pay_invoice(ctx, invoice)
    return sub


def _parse_items(ctx, p) -> list[dict]:
    items = []
    for entry in p.dicts("items", required=True):
        price = get_price(ctx, entry.str("price", required=True), entry.name_of("price"))
        recurring_of(price, entry.name_of("price"))
        items.append(
            {"price": price, "quantity": entry.int("quantity", default=1, minimum=1), "metadata": entry.metadata()}
        )
    return items


@route(
    "POST",
    "/v1/subscriptions",
    "customer items default_payment_method metadata payment_behavior proration_behavior cancel_at_period_end "
    "application_fee_percent description off_session collection_method payment_settings",
)
def create_subscription(ctx, p):
    customer = ctx.get(p.str("customer", required=True), "customer", param="customer")
    if p.str("collection_method", default="charge_automatically") != "charge_automatically":
        raise invalid("fakestripe supports only collection_method=charge_automatically.", param="collection_method")
    pm_id = p.str("default_payment_method")
    if pm_id:
        pm = ctx.get(pm_id, "payment_method", param="default_payment_method")
        if pm["customer"] != customer["id"]:
            raise invalid("The payment method must be attached to the customer.", param="default_payment_method")
    return start_subscription(
        ctx,
        customer_id=customer["id"],
        items=_parse_items(ctx, p),
        default_payment_method=pm_id,
        metadata=p.metadata(),
        application_fee_percent=p.str("application_fee_percent"),
        description=p.str("description"),
        payment_behavior=p.str(
            "payment_behavior",
            default="allow_incomplete",
            choices=("allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete"),
        ),
        cancel_at_period_end=p.bool("cancel_at_period_end", default=False),
    )


@route("GET", "/v1/subscriptions/{sub_id}")
def retrieve_subscription(ctx, p, sub_id):
    return ctx.get(sub_id, "subscription")


@route("GET", "/v1/subscriptions", "customer status price", listing=True)
def list_subscriptions(ctx, p):
    customer, status, price = p.str("customer"), p.str("status"), p.str("price")

    def wanted(sub):
        # Like Stripe, the default listing leaves out canceled subscriptions.
        status_ok = sub["status"] in _ACTIVE if status is None else status in ("all", sub["status"])
        has_price = price is None or any(i["price"]["id"] == price for i in sub["items"]["data"])
        return customer in (None, sub["customer"]) and status_ok and has_price

    return ctx.select("subscription", wanted)


@route("GET", "/v1/subscription_items", "subscription", listing=True)
def list_subscription_items(ctx, p):
    sub = ctx.get(p.str("subscription", required=True), "subscription", param="subscription")
    return list(sub["items"]["data"])


@route(
    "POST",
    "/v1/subscriptions/{sub_id}",
    "items proration_behavior proration_date cancel_at_period_end metadata default_payment_method description "
    "payment_behavior off_session application_fee_percent cancellation_details",
)
def update_subscription(ctx, p, sub_id):
    sub = ctx.get(sub_id, "subscription")
    if sub["status"] == "canceled":
        raise invalid("A canceled subscription can only update its cancellation_details and metadata.")
    before = copy.deepcopy(sub)
    behavior = p.str("proration_behavior", default="create_prorations", choices=PRORATION_BEHAVIORS)
    sub["metadata"] = p.metadata(sub["metadata"])
    for name in ("description", "application_fee_percent"):
        if name in p:
            sub[name] = p.str(name) or None
    if "default_payment_method" in p:
        pm_id = p.str("default_payment_method") or None
        if pm_id and ctx.get(pm_id, "payment_method", param="default_payment_method")["customer"] != sub["customer"]:
            raise invalid("The payment method must be attached to the customer.", param="default_payment_method")
        sub["default_payment_method"] = pm_id
    if "cancel_at_period_end" in p:
        cancel = p.bool("cancel_at_period_end")
        sub["cancel_at_period_end"] = cancel
        sub["cancel_at"] = period_of(sub)[1] if cancel else None
        sub["cancellation_details"]["reason"] = "cancellation_requested" if cancel else None
    changes = _apply_item_changes(ctx, sub, p) if "items" in p else []
    if changes and behavior != "none":
        _create_prorations(ctx, sub, changes, p.int("proration_date"))
    ctx.emit_update("customer.subscription.updated", sub, before)
    if changes and behavior == "always_invoice":
        invoice = create_invoice(
            ctx, sub, billing_reason="subscription_update", include_cycle=False, period=(now(), now())
        )
        pay_invoice(ctx, invoice)
    return sub


def _apply_item_changes(ctx, sub: dict, p) -> list[tuple]:
    """Apply ``items[...]``; returns (item id, old price, old qty, new price, new qty) per changed item."""
    start, end = period_of(sub)
    current = {item["id"]: item for item in sub["items"]["data"]}
    changes = []
    for entry in p.dicts("items"):
        item_id = entry.str("id")
        if item_id and item_id not in current:
            raise invalid(
                f"Invalid subscription item {item_id}: it does not belong to {sub['id']}.", param=entry.name_of("id")
            )
        item = current.get(item_id)
        if entry.bool("deleted"):
            if item is None:
                raise invalid("Deleting an item requires its id.", param=entry.name_of("id"))
            sub["items"]["data"].remove(item)
            changes.append((item["id"], item["price"], item["quantity"], None, 0))
            continue
        price_id = entry.str("price") or (item["price"]["id"] if item else None)
        if price_id is None:
            raise invalid(
                "Missing required param: items[price].", param=entry.name_of("price"), code="parameter_missing"
            )
        price = get_price(ctx, price_id, entry.name_of("price"))
        recurring_of(price, entry.name_of("price"))
        quantity = entry.int("quantity", default=item["quantity"] if item else 1, minimum=1)
        if item is None:
            item = new_item(sub["id"], price, quantity, start, end, entry.metadata())
            sub["items"]["data"].append(item)
            changes.append((item["id"], None, 0, price, quantity))
        elif (item["price"]["id"], item["quantity"]) != (price["id"], quantity):
            changes.append((item["id"], item["price"], item["quantity"], price, quantity))
            new = new_item(sub["id"], price, quantity, start, end, item["metadata"])
            item.update(price=new["price"], plan=new["plan"], quantity=quantity)
        item["metadata"] = entry.metadata(item["metadata"])
    if not sub["items"]["data"]:
        raise invalid("A subscription must have at least one active item.", param="items")
    first = sub["items"]["data"][0]["price"]
    _check_items(
        sub["items"]["data"], sub["currency"], (first["recurring"]["interval"], first["recurring"]["interval_count"])
    )
    return changes


def _create_prorations(ctx, sub: dict, changes: list[tuple], proration_date: int | None) -> None:
    """Credit unused time on the old price and charge remaining time on the new one, as invoice items."""
    start, end = period_of(sub)
    moment = min(max(proration_date or now(), start), end)
    fraction = (end - moment) / (end - start) if end > start else 0
    when = datetime.fromtimestamp(moment, UTC).strftime("%d %b %Y")
    for item_id, old_price, old_qty, new_price, new_qty in changes:
        if old_price is not None:
            amount = -round(old_price["unit_amount"] * old_qty * fraction)
            text = f"Unused time on {old_qty} × {product_name(ctx, old_price)} after {when}"
            _invoice_item(ctx, sub, item_id, old_price, old_qty, amount, text, (moment, end))
        if new_price is not None:
            amount = round(new_price["unit_amount"] * new_qty * fraction)
            text = f"Remaining time on {new_qty} × {product_name(ctx, new_price)} after {when}"
            _invoice_item(ctx, sub, item_id, new_price, new_qty, amount, text, (moment, end))


def _invoice_item(ctx, sub, item_id, price, quantity, amount, description, period) -> dict:
    ii = build(
        "invoiceitem",
        id=new_id("ii_"),
        amount=amount,
        currency=price["currency"],
        customer=sub["customer"],
        date=now(),
        description=description,
        discountable=False,
        invoice=None,
        metadata={},
        period={"end": period[1], "start": period[0]},
        proration=True,
        quantity=quantity,
        parent={
            "subscription_details": {"subscription": sub["id"], "subscription_item": item_id},
            "type": "subscription_details",
        },
        pricing={
            "price_details": {"price": price["id"], "product": price["product"]},
            "type": "price_details",
            "unit_amount_decimal": price["unit_amount_decimal"],
        },
        net_amount=amount,
        quantity_decimal=str(quantity),
    )
    ctx.add(ii)
    ctx.emit("invoiceitem.created", ii)
    return ii


def cancel_subscription(ctx, sub: dict, *, comment=None, feedback=None) -> dict:
    if sub["status"] == "canceled":
        raise invalid(f"No such subscription: '{sub['id']}' is already canceled.", code="resource_missing")
    before = copy.deepcopy(sub)
    moment = now()
    sub.update(status="canceled", canceled_at=moment, ended_at=moment, cancel_at=None)
    sub["cancellation_details"].update(comment=comment, feedback=feedback, reason="cancellation_requested")
    ctx.emit("customer.subscription.deleted", sub, {"status": before["status"]})
    return sub


@route("DELETE", "/v1/subscriptions/{sub_id}", "invoice_now prorate cancellation_details")
def cancel_subscription_route(ctx, p, sub_id):
    # invoice_now/prorate are accepted for compatibility; the fake does not bill a final proration.
    details = p.dict("cancellation_details")
    return cancel_subscription(
        ctx, ctx.get(sub_id, "subscription"), comment=details.str("comment"), feedback=details.str("feedback")
    )


def advance_subscription(ctx, sub: dict, *, fail: bool = False) -> dict:
    """Move to the next period and bill it (or end the subscription if it cancels at period end)."""
    if sub["status"] == "canceled":
        raise invalid(f"Subscription {sub['id']} is canceled.")
    start, end = period_of(sub)
    if sub["cancel_at_period_end"]:
        cancel_subscription(ctx, sub)
        sub["ended_at"] = end
        return sub
    before = copy.deepcopy(sub)
    recurring = sub["items"]["data"][0]["price"]["recurring"]
    anchor_day = datetime.fromtimestamp(sub["billing_cycle_anchor"], UTC).day
    new_end = add_interval(end, recurring["interval"], recurring["interval_count"], anchor_day)
    for item in sub["items"]["data"]:
        item.update(current_period_start=end, current_period_end=new_end)
    ctx.emit_update("customer.subscription.updated", sub, before)
    invoice = create_invoice(ctx, sub, billing_reason="subscription_cycle", include_cycle=True, period=(start, end))
    pay_invoice(ctx, invoice, fail=fail)
    return sub
