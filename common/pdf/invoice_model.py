"""The issued snapshot of an invoice (账单), credit note (红冲) or receipt (收据), and its amounts.

Plain values as stored when the document was issued: amounts are Decimal strings ("1234.50"),
dates ISO strings or ``date``; a plain dict with the same keys is accepted everywhere.  Net, tax
and gross of a line and the totals are taken as given; when absent they are computed (net =
quantity × unit price, tax = net × rate, half-up to the fen).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from common.pdf.base import coerce
from common.pdf.money import ZERO_DECIMALS, quantize, to_decimal

KINDS = ("invoice", "credit_note", "receipt")
TITLES = {
    "invoice": ("账单", "INVOICE"),
    "credit_note": ("红冲贷项通知单", "CREDIT NOTE"),
    "receipt": ("收据", "RECEIPT"),
}
FAPIAO_KINDS = {
    "ordinary": "增值税普通发票（普票）",
    "special": "增值税专用发票（专票）",
    "none": "",
}
FAPIAO_ALIASES = {"普票": "ordinary", "专票": "special", "normal": "ordinary", "": "none", "不开票": "none"}


@dataclass
class IssuerSnapshot:
    """The society as it was when the document was issued."""

    name_zh: str
    name_en: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    tax_id: str = ""  # 统一社会信用代码 / 纳税人识别号
    bank_name: str = ""
    bank_account: str = ""
    logo: bytes | None = None  # PNG/JPEG bytes
    seal: bytes | None = None  # PNG with transparency, stamped over the issuer block


@dataclass
class BuyerSnapshot:
    """抬头 and the fields a fapiao request needs; a person has only a name."""

    title: str  # 抬头: organisation name, or the person's name
    taxpayer_id: str = ""  # 纳税人识别号
    address: str = ""
    phone: str = ""
    bank_name: str = ""
    bank_account: str = ""
    fapiao_kind: str = "ordinary"  # ordinary (普票) | special (专票) | none
    is_person: bool = False
    email: str = ""


@dataclass
class InvoiceLine:
    description: str
    quantity: str = "1"
    unit_price: str = "0"
    tax_rate: str = "0"  # percent: "6" = 6 %
    net: str | None = None
    tax: str | None = None
    gross: str | None = None
    unit: str = ""  # 单位, e.g. 年 / 人


@dataclass
class PaymentInfo:
    paid_on: date | str
    method: str  # e.g. "对公转账 Bank transfer", "支付宝 Alipay"
    reference: str = ""
    amount: str | None = None  # defaults to the total


@dataclass
class InvoiceDocument:
    kind: str  # invoice | credit_note | receipt
    number: str  # e.g. CCS-2026-000123
    issuer: IssuerSnapshot
    buyer: BuyerSnapshot
    lines: list[InvoiceLine]
    issue_date: date | str
    due_date: date | str | None = None
    currency: str = "CNY"
    total_net: str | None = None
    total_tax: str | None = None
    total_gross: str | None = None
    original_number: str = ""  # credit note: the invoice it corrects
    original_issue_date: date | str | None = None
    payment: PaymentInfo | None = None  # receipts
    note: str = ""
    verify_url: str = ""  # QR code target; no QR when empty
    footer: str = ""
    fapiao_number: str = ""  # the tax fapiao issued on the tax platform, once known
    title_zh: str = ""  # overrides, e.g. "会费收据"
    title_en: str = ""
    accent: str | None = None  # society colour, "#1F4E79"


# --- amounts -------------------------------------------------------------------------------------


@dataclass
class Totals:
    net: Decimal
    tax: Decimal
    gross: Decimal


def places_for(currency: str) -> int:
    return 0 if currency.upper() in ZERO_DECIMALS else 2


def line_values(line: InvoiceLine, currency: str) -> tuple[Decimal, Decimal, Decimal]:
    places = places_for(currency)
    qty = to_decimal(line.quantity)
    net = quantize(line.net, places) if line.net is not None else quantize(qty * to_decimal(line.unit_price), places)
    rate = to_decimal(line.tax_rate or "0")
    tax = quantize(line.tax, places) if line.tax is not None else quantize(net * rate / 100, places)
    gross = quantize(line.gross, places) if line.gross is not None else net + tax
    return net, tax, gross


def totals(doc: InvoiceDocument, values) -> Totals:
    places = places_for(doc.currency)
    net = sum((v[0] for v in values), Decimal(0))
    tax = sum((v[1] for v in values), Decimal(0))
    gross = sum((v[2] for v in values), Decimal(0))
    return Totals(
        quantize(doc.total_net, places) if doc.total_net is not None else net,
        quantize(doc.total_tax, places) if doc.total_tax is not None else tax,
        quantize(doc.total_gross, places) if doc.total_gross is not None else gross,
    )


def normalise(document) -> InvoiceDocument:
    """The snapshot as an :class:`InvoiceDocument` (a dict is converted, the input is not modified),
    checked; fapiao kind aliases (普票, 专票) and the currency code normalised."""
    doc = coerce(InvoiceDocument, document)
    if doc.kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {doc.kind!r}")
    if not doc.number:
        raise ValueError("document number is required")
    if doc.kind == "credit_note" and not doc.original_number:
        raise ValueError("a credit note must name the original invoice (original_number)")
    kind = FAPIAO_ALIASES.get(doc.buyer.fapiao_kind, doc.buyer.fapiao_kind)
    if kind not in FAPIAO_KINDS:
        raise ValueError(f"buyer.fapiao_kind must be ordinary, special or none, got {doc.buyer.fapiao_kind!r}")
    return replace(doc, buyer=replace(doc.buyer, fapiao_kind=kind), currency=(doc.currency or "CNY").upper())
