"""Amounts on documents: Decimal parsing, "1,234.50" formatting and the CNY uppercase 大写金额."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")

CURRENCY_SYMBOLS = {
    "CNY": "¥",
    "RMB": "¥",
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "HKD": "HK$",
    "MOP": "MOP$",
    "TWD": "NT$",
    "SGD": "S$",
    "AUD": "A$",
    "CAD": "C$",
    "CHF": "CHF ",
    "KRW": "₩",
}
CURRENCY_NAMES_ZH = {
    "CNY": "人民币",
    "USD": "美元",
    "EUR": "欧元",
    "GBP": "英镑",
    "JPY": "日元",
    "HKD": "港币",
    "MOP": "澳门元",
    "TWD": "新台币",
    "SGD": "新加坡元",
    "AUD": "澳元",
    "CAD": "加元",
    "CHF": "瑞士法郎",
    "KRW": "韩元",
}
# Currencies without minor units (Stripe's list): amounts are shown, and sent to Stripe, in whole units.
ZERO_DECIMALS = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
SECTION_UNITS = ("", "万", "亿", "万亿")
MAX_UPPERCASE = Decimal(10) ** 16


def to_decimal(value) -> Decimal:
    """Decimal from a Decimal, int or string ("1234.5", "1,234.50"); floats are refused."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"amounts must be Decimal, int or str, not {type(value).__name__}: {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    text = str(value).strip().replace(",", "").replace("，", "")
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal amount: {value!r}") from exc


def quantize(value, places: int = 2) -> Decimal:
    return to_decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_number(value, places: int = 2) -> str:
    """Thousands separators and fixed decimals: ``-1234.5`` → ``-1,234.50``."""
    d = quantize(value, places)
    if d == 0:
        d = abs(d)  # no "-0.00"
    return f"{d:,.{places}f}"


def format_quantity(value) -> str:
    """Quantities without needless zeros: 1, 2.5, 1,000."""
    d = to_decimal(value)
    if d == d.to_integral_value():
        return f"{d.to_integral_value():,}"
    return f"{d.normalize():,f}"


def format_amount(value, currency: str = "CNY", symbol: bool = False) -> str:
    """``format_amount("1234.5")`` → ``1,234.50``; with ``symbol=True`` → ``¥1,234.50`` / ``-¥5.00``."""
    code = (currency or "CNY").upper()
    text = format_number(value, 0 if code in ZERO_DECIMALS else 2)
    if not symbol:
        return text
    sign = ""
    if text.startswith("-"):
        sign, text = "-", text[1:]
    return f"{sign}{currency_symbol(code)}{text}"


def currency_symbol(currency: str) -> str:
    code = (currency or "CNY").upper()
    return CURRENCY_SYMBOLS.get(code, code + " ")


def format_rate(value) -> str:
    """Tax rate given in percent: "6" → "6%", "13.00" → "13%", "0" → "0%", "5.5" → "5.5%"."""
    d = to_decimal(value)
    if d == d.to_integral_value():
        return f"{d.to_integral_value()}%"
    return f"{d.normalize()}%"


def _section_to_upper(n: int) -> str:
    """0 < n < 10000 → e.g. 1001 → 壹仟零壹, 1010 → 壹仟零壹拾, 10 → 壹拾."""
    digits = [int(c) for c in f"{n:04d}"]
    out = []
    pending_zero = False
    started = False
    for i, d in enumerate(digits):
        unit = SMALL_UNITS[3 - i]
        if d == 0:
            if started:
                pending_zero = True
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        out.append(DIGITS[d] + unit)
        started = True
    return "".join(out)


def cny_uppercase(value) -> str:
    """The 大写金额 of a CNY amount, as written on Chinese invoices and receipts.

    ``1234.50`` → ``壹仟贰佰叁拾肆元伍角整``, ``1001.10`` → ``壹仟零壹元壹角整``,
    ``0.05`` → ``伍分``, ``0`` → ``零元整``, ``100000000`` → ``壹亿元整``, ``1234.05`` →
    ``壹仟贰佰叁拾肆元零伍分``; a negative amount (credit note) is prefixed with ``负``.
    Amounts are rounded half-up to the fen.
    """
    amount = quantize(value, 2)
    negative = amount < 0
    amount = abs(amount)
    if amount >= MAX_UPPERCASE:
        raise ValueError(f"amount too large for 大写金额: {value!r}")
    fen_total = int(amount * 100)
    yuan, rest = divmod(fen_total, 100)
    jiao, fen = divmod(rest, 10)

    parts: list[str] = []
    if yuan:
        sections = []
        n = yuan
        while n:
            n, s = divmod(n, 10000)
            sections.append(s)
        out = []
        zero_pending = False
        for idx in range(len(sections) - 1, -1, -1):
            s = sections[idx]
            if s == 0:
                zero_pending = True
                continue
            if out and (zero_pending or s < 1000):
                out.append("零")
            zero_pending = False
            out.append(_section_to_upper(s) + SECTION_UNITS[idx])
        parts.append("".join(out) + "元")
    if jiao == 0 and fen == 0:
        parts.append("零元整" if not yuan else "整")
    elif fen == 0:
        parts.append(DIGITS[jiao] + "角整")
    elif jiao == 0:
        parts.append(("零" if yuan else "") + DIGITS[fen] + "分")
    else:
        parts.append(DIGITS[jiao] + "角" + DIGITS[fen] + "分")
    text = "".join(parts)
    return ("负" + text) if negative and fen_total else text
