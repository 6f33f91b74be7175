"""Products and Prices."""

import copy

from . import money
from .errors import invalid
from .objects import build, new_id, now
from .routing import route

INTERVALS = ("day", "week", "month", "year")


def create_product(ctx, p, *, product_id=None, notify=True) -> dict:
    product = build(
        "product",
        id=product_id or new_id("prod_", 14),
        active=p.bool("active", default=True),
        created=now(),
        updated=now(),
        name=p.str("name", required=True),
        description=p.str("description"),
        metadata=p.metadata(),
        images=p.list("images"),
        statement_descriptor=p.str("statement_descriptor"),
        tax_code=p.str("tax_code"),
        unit_label=p.str("unit_label"),
        url=p.str("url"),
    )
    ctx.add(product)
    if notify:
        ctx.emit("product.created", product)
    return product


@route(
    "POST",
    "/v1/products",
    "id name description active metadata images statement_descriptor tax_code unit_label url default_price_data",
)
def create_product_route(ctx, p):
    product_id = p.str("id")
    if product_id and ctx.store.record(product_id):
        raise invalid("Product already exists.", param="id", code="resource_already_exists")
    product = create_product(ctx, p, product_id=product_id)
    if "default_price_data" in p:
        data = p.dict("default_price_data")
        price = create_price(ctx, data, product_id=product["id"])
        product["default_price"] = price["id"]
    return product


@route("GET", "/v1/products/{product_id}")
def retrieve_product(ctx, p, product_id):
    return ctx.get(product_id, "product")


@route("POST", "/v1/products/{product_id}", "name description active metadata images default_price url unit_label")
def update_product(ctx, p, product_id):
    product = ctx.get(product_id, "product")
    before = copy.deepcopy(product)
    for name in ("name", "description", "default_price", "url", "unit_label"):
        if name in p:
            product[name] = p.str(name) or None
    if "active" in p:
        product["active"] = p.bool("active")
    if "images" in p:
        product["images"] = p.list("images")
    product["metadata"] = p.metadata(product["metadata"])
    product["updated"] = now()
    ctx.emit_update("product.updated", product, before)
    return product


@route("DELETE", "/v1/products/{product_id}")
def delete_product(ctx, p, product_id):
    product = ctx.get(product_id, "product")
    if ctx.select("price", lambda price: price["product"] == product_id):
        raise invalid("This product cannot be deleted because it has one or more user-created prices.")
    ctx.extra(product_id)["deleted"] = True
    ctx.emit("product.deleted", product)
    return build("deleted_product", id=product_id)


@route("GET", "/v1/products", "active ids", listing=True)
def list_products(ctx, p):
    active, ids = p.bool("active"), p.list("ids")
    return ctx.select("product", lambda prod: active in (None, prod["active"]) and (not ids or prod["id"] in ids))


def create_price(ctx, p, *, product_id=None, active=True) -> dict:
    """A Price from ``price`` create params, or from ``price_data`` (which Stripe stores as inactive)."""
    currency = money.currency(p.str("currency", required=True), param=p.name_of("currency"))
    if product_id is None:
        product_id = p.str("product")
        if product_id:
            ctx.get(product_id, "product", param="product")
        elif "product_data" in p:
            data = p.dict("product_data").only("name description metadata images tax_code unit_label")
            # Inline product_data/price_data objects are created quietly, without *.created events.
            product_id = create_product(ctx, data, notify=active)["id"]
        else:
            raise invalid(
                "You must specify either `product` or `product_data` when creating a price.",
                param="product",
                code="parameter_missing",
            )
    unit_amount = p.int("unit_amount", required=True, minimum=0)
    money.check_amount(unit_amount, currency, param="unit_amount")
    recurring = None
    if "recurring" in p:
        r = p.dict("recurring").only("interval interval_count usage_type")
        recurring = {
            "interval": r.str("interval", required=True, choices=INTERVALS),
            "interval_count": r.int("interval_count", default=1, minimum=1),
            "meter": None,
            "usage_type": "licensed",
            "trial_period_days": None,
        }
    price = build(
        "price",
        id=new_id("price_"),
        active=p.bool("active", default=active),
        created=now(),
        currency=currency,
        lookup_key=p.str("lookup_key"),
        metadata=p.metadata(),
        nickname=p.str("nickname"),
        product=product_id,
        recurring=recurring,
        tax_behavior=p.str("tax_behavior", default="unspecified"),
        type="recurring" if recurring else "one_time",
        unit_amount=unit_amount,
        unit_amount_decimal=str(unit_amount),
    )
    if price["lookup_key"]:
        _take_lookup_key(ctx, price["lookup_key"], p.bool("transfer_lookup_key", default=False))
    ctx.add(price)
    if active:
        ctx.emit("price.created", price)
    return price


def _take_lookup_key(ctx, key: str, transfer: bool) -> None:
    for other in ctx.select("price", lambda price: price["lookup_key"] == key):
        if not transfer:
            raise invalid(f"A price (`{other['id']}`) already uses that lookup key.", param="lookup_key")
        other["lookup_key"] = None


@route(
    "POST",
    "/v1/prices",
    "currency unit_amount product product_data recurring nickname lookup_key transfer_lookup_key metadata active "
    "tax_behavior",
)
def create_price_route(ctx, p):
    return create_price(ctx, p)


@route("GET", "/v1/prices/{price_id}")
def retrieve_price(ctx, p, price_id):
    return ctx.get(price_id, "price")


@route("POST", "/v1/prices/{price_id}", "active metadata nickname lookup_key transfer_lookup_key tax_behavior")
def update_price(ctx, p, price_id):
    price = ctx.get(price_id, "price")
    before = copy.deepcopy(price)
    if "active" in p:
        price["active"] = p.bool("active")
    if "nickname" in p:
        price["nickname"] = p.str("nickname") or None
    if "lookup_key" in p:
        key = p.str("lookup_key") or None
        if key and key != price["lookup_key"]:
            _take_lookup_key(ctx, key, p.bool("transfer_lookup_key", default=False))
        price["lookup_key"] = key
    price["metadata"] = p.metadata(price["metadata"])
    ctx.emit_update("price.updated", price, before)
    return price


@route("GET", "/v1/prices", "active product type currency lookup_keys recurring", listing=True)
def list_prices(ctx, p):
    active, product, kind, currency = p.bool("active"), p.str("product"), p.str("type"), p.str("currency")
    keys = p.list("lookup_keys")
    interval = p.dict("recurring").str("interval")

    def wanted(price):
        return (
            active in (None, price["active"])
            and product in (None, price["product"])
            and kind in (None, price["type"])
            and currency in (None, price["currency"])
            and (not keys or price["lookup_key"] in keys)
            and (interval is None or (price["recurring"] or {}).get("interval") == interval)
        )

    return ctx.select("price", wanted)


def get_price(ctx, price_id: str, param: str) -> dict:
    return ctx.get(price_id, "price", param=param)
