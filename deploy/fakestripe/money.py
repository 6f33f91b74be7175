"""Currencies and minor units as Stripe defines them (https://docs.stripe.com/currencies)."""

from .errors import invalid

# Stripe's zero-decimal currencies: amounts are whole units (JPY 500 means ¥500).
ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
# Three-decimal currencies: Stripe requires the last digit to be 0.
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())

SUPPORTED = frozenset(
    """
    aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd bwp byn bzd cad cdf chf
    clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf gtq gyd hkd hnl htg huf idr
    ils inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur
    mvr mwk mxn myr mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr
    sek sgd shp sle sos srd std szl thb tjs tnd top try ttd twd tzs uah ugx usd uyu uzs vnd vuv wst xaf xcd xof
    xpf yer zar zmw
    """.split()
)

# Currencies Stripe accepts for these methods; a Checkout Session outside them is rejected.
METHOD_CURRENCIES = {
    "alipay": frozenset("aud cad cny eur gbp hkd jpy myr nzd sgd usd".split()),
    "wechat_pay": frozenset("aud cad chf cny dkk eur gbp hkd jpy nok sek sgd usd".split()),
}

_SYMBOLS = {"cny": "¥", "jpy": "¥", "usd": "$", "hkd": "HK$", "eur": "€", "gbp": "£", "sgd": "S$", "twd": "NT$"}


def currency(value: str, param="currency") -> str:
    code = (value or "").lower()
    if code not in SUPPORTED:
        raise invalid(f"Invalid currency: {value}. Stripe currently supports these currencies: ...", param=param)
    return code


def decimals(code: str) -> int:
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def check_amount(amount: int, code: str, param="amount") -> int:
    if amount < 0:
        raise invalid("This value must be greater than or equal to 0.", param=param, code="parameter_invalid_integer")
    if code in THREE_DECIMAL and amount % 10:
        raise invalid(
            f"Amounts in {code.upper()} must be a multiple of 10 (the last digit must be 0).",
            param=param,
            code="invalid_amount",
        )
    return amount


def format_amount(amount: int, code: str) -> str:
    """Human amount for pages and messages, e.g. ``¥12.50`` for 1250 fen, ``¥500`` for JPY 500."""
    places = decimals(code)
    # Three-decimal currencies are shown with two decimals, as Stripe's Dashboard does.
    shown = min(places, 2)
    value = amount / (10**places)
    symbol = _SYMBOLS.get(code, "")
    text = f"{value:,.{shown}f}"
    return f"{symbol}{text}" if symbol else f"{text} {code.upper()}"
